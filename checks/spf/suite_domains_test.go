package spf

import "testing"

// TestParseSuiteDomains: a domain-spec may hold any visible character but
// "%" (RFC 7208 §7.1, the suite's a-colon-domain and mx-colon-domain
// cases), so "/" inside it starts a CIDR length only when digits follow to
// the end of the term. The suite cases are excluded from TestRFC7208
// because blitiri's check_host reads them otherwise; our parser, which the
// lint uses, must accept them.
func TestParseSuiteDomains(t *testing.T) {
	tests := []struct {
		record, name, domain string
		v4, v6               int // CIDR lengths, -1 for none
	}{
		{"v=spf1 a:foo:bar/baz.example.com", "a", "foo:bar/baz.example.com", -1, -1},
		{"v=spf1 mx:foo:bar/baz.example.com", "mx", "foo:bar/baz.example.com", -1, -1},
		{"v=spf1 a:foo:bar/baz.example.com/24", "a", "foo:bar/baz.example.com", 24, -1},
		{"v=spf1 a:foo.example.com/24//64", "a", "foo.example.com", 24, 64},
	}
	for _, tt := range tests {
		r, err := Parse(tt.record)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.record, err)
			continue
		}
		if len(r.Terms) != 1 {
			t.Errorf("Parse(%q): %d terms, want 1", tt.record, len(r.Terms))
			continue
		}
		term := r.Terms[0]
		if term.Name != tt.name || term.Domain != tt.domain || term.CIDR4 != tt.v4 || term.CIDR6 != tt.v6 {
			t.Errorf("Parse(%q): %s with domain %q /%d //%d, want %s with %q /%d //%d", tt.record,
				term.Name, term.Domain, term.CIDR4, term.CIDR6, tt.name, tt.domain, tt.v4, tt.v6)
		}
	}
}
