package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
)

// plainFinding and plainAddressVerdict have the fields and tags of
// checks.Finding and AddressVerdict: encoding/json's encoding, which
// WriteJSONLine's must equal.
type plainFinding checks.Finding

type plainAddressVerdict struct {
	Schema     string         `json:"schema"`
	Address    string         `json:"address"`
	Source     string         `json:"source,omitempty"`
	Verdict    string         `json:"verdict"`
	Reason     string         `json:"reason,omitempty"`
	Suggestion string         `json:"suggestion,omitempty"`
	Findings   []plainFinding `json:"findings"`
}

func plain(v *AddressVerdict) plainAddressVerdict {
	p := plainAddressVerdict{v.Schema, v.Address, v.Source, v.Verdict, v.Reason, v.Suggestion, nil}
	if v.Findings != nil {
		p.Findings = []plainFinding{}
		for _, f := range v.Findings {
			p.Findings = append(p.Findings, plainFinding(f))
		}
	}
	return p
}

func sameLine(t *testing.T, v *AddressVerdict) {
	t.Helper()
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(plain(v)); err != nil {
		t.Fatal(err)
	}
	for _, w := range []interface {
		Write([]byte) (int, error)
		String() string
	}{&bytes.Buffer{}, &stringWriter{}} {
		if err := WriteJSONLine(w, v); err != nil {
			t.Fatal(err)
		}
		if w.String() != want.String() {
			t.Errorf("%T:\n got %s\nwant %s", w, w.String(), want.String())
		}
	}
}

// stringWriter is a writer that is not a bytes.Buffer.
type stringWriter struct{ s string }

func (w *stringWriter) Write(b []byte) (int, error) { w.s += string(b); return len(b), nil }
func (w *stringWriter) String() string              { return w.s }

func TestAddressVerdictJSON(t *testing.T) {
	full := checks.Finding{ID: "mx.accepts-mail", Check: "mx", Severity: checks.Error, Record: "mx", Cause: checks.DomainNoMail,
		Verdict: checks.RuledOut, Strength: checks.Direct,
		Message: `a "quoted" <b>&amp;</b> \ back` + "\n\t\x01\x7f\u2028\u2029 é \xff end",
		Steps:   []string{"one", "<two>"}, Needs: []checks.Input{checks.InputLog, checks.InputUsers}, Note: true,
		Data: map[string]any{
			"z": "last", "a": 1, "n": nil, "b": true, "list": []string{"x", "y"}, "nil list": []string(nil),
			"empty": []string{}, "any": []any{1, "two", map[string]any{"k": "v"}}, "nested": map[string]any{"y": 2, "x": []any(nil)},
			"float": 1.5, "u16": uint16(25), "time": time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC), "dur": 3 * time.Second,
			"ints": []int{1, 2}, "strmap": map[string]string{"b": "1", "a": "2"}, "<html key>": "&",
		}}
	for _, v := range []*AddressVerdict{
		NewAddressVerdict("bob@example.com", "list.txt:1"),
		{Schema: AddressSchema, Address: "\xffbob@x", Verdict: "typo", Reason: "r\n", Suggestion: "bob@gmail.com",
			Findings: []checks.Finding{full, {Check: "typo", Severity: checks.OK, Message: "m", Steps: []string{}, Data: map[string]any{}, Needs: []checks.Input{}}}},
		{Schema: AddressSchema, Address: "a@b", Verdict: "ok"}, // nil findings
		{Findings: []checks.Finding{{}}},
	} {
		sameLine(t, v)
	}
}

func TestAddressVerdictJSONError(t *testing.T) {
	v := &AddressVerdict{Findings: []checks.Finding{{Data: map[string]any{"ch": make(chan int)}}}}
	if err := WriteJSONLine(&bytes.Buffer{}, v); err == nil {
		t.Fatal("a channel in Data encoded without error")
	}
}

func FuzzAddressVerdictJSON(f *testing.F) {
	f.Add("bob@example.com", "f:1", "mx.id", "message <&> \u2028", "k", "v", 2, 3, true)
	f.Add("", "", "", "\xff\x00\"\\", "", "\x1f", 0, 0, false)
	f.Fuzz(func(t *testing.T, addr, source, id, msg, key, val string, sev, str int, note bool) {
		fd := checks.Finding{ID: id, Check: key, Record: val, Message: msg, Severity: checks.Severity(sev % 5), Strength: checks.Strength(str % 4),
			Cause: checks.CauseID(val), Verdict: checks.Verdict(key), Steps: []string{msg, val}, Note: note,
			Data: map[string]any{key: val, "n": sev, "m": map[string]any{val: []string{key}}}}
		sameLine(t, &AddressVerdict{Schema: AddressSchema, Address: addr, Source: source, Verdict: val, Reason: msg, Findings: []checks.Finding{fd, fd}})
	})
}

// TestAddressVerdictJSONEveryField sets every field of a verdict and its
// finding, whatever fields they have: a field added to checks.Finding or
// AddressVerdict that the appender does not write fails here, not in a
// user's JSON.
func TestAddressVerdictJSONEveryField(t *testing.T) {
	var f checks.Finding
	fill(t, reflect.ValueOf(&f).Elem())
	v := &AddressVerdict{Findings: []checks.Finding{f}}
	fill(t, reflect.ValueOf(v).Elem())
	v.Findings = []checks.Finding{f}
	sameLine(t, v)
}

// fill sets each field of the struct s to a value that is not empty.
func fill(t *testing.T, s reflect.Value) {
	for i := range s.NumField() {
		fv := s.Field(i)
		switch fv.Kind() {
		case reflect.String:
			fv.SetString("x")
		case reflect.Int, reflect.Int64:
			fv.SetInt(1)
		case reflect.Bool:
			fv.SetBool(true)
		case reflect.Slice:
			if fv.Type().Elem().Kind() == reflect.String {
				fv.Set(reflect.Append(reflect.MakeSlice(fv.Type(), 0, 1), reflect.ValueOf("x").Convert(fv.Type().Elem())))
			}
		case reflect.Map:
			fv.Set(reflect.ValueOf(map[string]any{"k": "v"}))
		default:
			t.Fatalf("fill: field %s of kind %s: teach fill, and the appender, this kind", s.Type().Field(i).Name, fv.Kind())
		}
	}
}
