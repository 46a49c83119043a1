package jsonappend

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"testing"
)

// stdlib is encoding/json's encoding of v, as an Encoder with
// SetEscapeHTML(false) writes it.
func stdlib(t testing.TB, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()[:buf.Len()-1]
}

func TestValue(t *testing.T) {
	many := map[string]any{}
	for _, k := range []string{"q", "w", "e", "r", "t", "y", "u", "i", "o", "p", "a", "s", "d", "f", "g", "h", "j", "k", "l", "z"} {
		many[k] = k
	}
	for _, v := range []any{
		nil, "", "plain", "<&>\"\\\b\f\n\r\t\x00\x1f\x7f", "\xff\xc3", "\u2028\u2029é日本", true, false,
		0, -7, int64(-1) << 62, uint16(65535), int32(5), uint64(1) << 63, 1.5, 1e21, float32(0.1),
		[]string(nil), []string{}, []string{"a", "<b>"}, []any(nil), []any{1, "x", nil, []string{"y"}},
		map[string]any(nil), map[string]any{}, map[string]any{"b": 1, "a": map[string]any{"d": nil, "c": "<"}, "<k>": "&"},
		many, map[string]int{"z": 1, "y": 2}, struct{ A int }{3}, []byte("raw"), netip.MustParseAddr("2001:db8::1"),
	} {
		got, err := Value(nil, v)
		if err != nil {
			t.Fatalf("Value(%#v): %v", v, err)
		}
		if want := stdlib(t, v); string(got) != want {
			t.Errorf("Value(%#v) = %s, want %s", v, got, want)
		}
	}
	if _, err := Value(nil, map[string]any{"c": make(chan int)}); err == nil {
		t.Error("a channel encoded without error")
	}
}

func TestKey(t *testing.T) {
	b := Key([]byte("{"), "a")
	b = Key(append(b, '1'), "b")
	if got := string(append(b, '2', '}')); got != `{"a":1,"b":2}` {
		t.Errorf("got %s", got)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "\u2028", "<&>", "\x00\x01\x1f", "é\xe9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(String(nil, s)), stdlib(t, s); got != want {
			t.Errorf("String(%q) = %s, want %s", s, got, want)
		}
	})
}
