package mailaddr

import "testing"

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		a, b       string
		ok, folded bool
	}{
		{"alice@example.com", "alice@example.com", true, false},
		{"<alice@Example.COM.>", " alice@example.com ", true, false},
		{"Alice@example.com", "alice@example.com", true, true},
		{"alice@bücher.example", "alice@xn--bcher-kva.example", true, false},
		{"alice@example.org", "alice@example.com", false, false},
		{"bob@example.com", "alice@example.com", false, false},
		{"alice", "alice", false, false},
		{"\"a@b\"@example.com", "\"a@b\"@example.com", true, false},
		{"alice@", "alice@", false, false},
		{"alice@EXAMPLE.com", "alice@example.com", true, false},
		{"<alice@example.com>", "alice@example.com.", true, false},
		{"alicia@example.com", "alice@example.com", false, false},
		{"alice", "alice@example.com", false, false},
	} {
		ok, folded := Match(tt.a, tt.b)
		if ok != tt.ok || folded != tt.folded {
			t.Errorf("Match(%q, %q) = %v, %v; want %v, %v", tt.a, tt.b, ok, folded, tt.ok, tt.folded)
		}
	}
}

func TestAligned(t *testing.T) {
	for _, tt := range []struct {
		id, from string
		strict   bool
		want     bool
	}{
		{"mail.example.com", "example.com", false, true},
		{"mail.example.com", "example.com", true, false},
		{"Example.COM.", "example.com", true, true},
		{"example.co.uk", "other.co.uk", false, false},
		{"a.example.co.uk", "b.example.co.uk", false, true},
		{"", "example.com", false, false},
		{"esp.example.net", "example.com", false, false},
		{"mail.app.example.com", "app.example.com", false, true},
		{"mail.example.co.uk", "example.co.uk", false, true},
		{"b.co.uk", "a.co.uk", false, false},
		{"esp.net", "app.example.com", false, false},
	} {
		if got := Aligned(tt.id, tt.from, tt.strict); got != tt.want {
			t.Errorf("Aligned(%q, %q, strict=%v) = %v, want %v", tt.id, tt.from, tt.strict, got, tt.want)
		}
	}
}

func TestDomain(t *testing.T) {
	for in, want := range map[string]string{"a@b.example": "b.example", "b.example": "b.example", "x@y@z.example": "z.example"} {
		if got := Domain(in); got != want {
			t.Errorf("Domain(%q) = %q, want %q", in, got, want)
		}
	}
}
