package maillog

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestStrPlain: str's shortcut for plain strings and numbers says what
// unmarshalling them says.
func TestStrPlain(t *testing.T) {
	ref := func(raw json.RawMessage) string {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
		return ""
	}
	cases := []string{`"alice@example.com"`, `""`, `"a\"b"`, `"a\u0040b"`, `"é"`, `"a` + "\x01" + `"`, `"a"b"`, `" "`, `"`,
		`0`, `-0`, `01`, `1.`, `.5`, `1.5`, `1e5`, `1E+5`, `1e-`, `-`, `--1`, `1795168800`, `1795168800.5`, `1.2.3`,
		` 1`, `1 `, `"x" `, `null`, `true`, `[1]`, `{}`, `"\xff"`, "\"\x7f\""}
	rng := rand.New(rand.NewPCG(7, 8))
	const chars = `0123456789-+.eE"\ a` + "\x01\x7f\xff"
	for range 200000 {
		b := make([]byte, 1+rng.IntN(8))
		for i := range b {
			b[i] = chars[rng.IntN(len(chars))]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		if got, want := str(json.RawMessage(c)), ref(json.RawMessage(c)); got != want {
			t.Fatalf("str(%q) = %q, want %q", c, got, want)
		}
	}
}
