package spf

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	for _, tc := range []struct {
		text  string
		terms int
		check func(t *testing.T, r *Record)
	}{
		{"v=spf1", 0, nil},
		{"V=SPF1 -ALL", 1, func(t *testing.T, r *Record) {
			if tm := r.Terms[0]; tm.Name != "all" || tm.Qualifier != '-' || !tm.Explicit {
				t.Errorf("term %+v", tm)
			}
		}},
		{"v=spf1  mx   a:mail.example.com/24//64 ~all  ", 3, func(t *testing.T, r *Record) {
			a := r.Terms[1]
			if a.Domain != "mail.example.com" || a.CIDR4 != 24 || a.CIDR6 != 64 || a.Qualifier != '+' || a.Explicit {
				t.Errorf("a term %+v", a)
			}
		}},
		{"v=spf1 a//64 mx/0", 2, func(t *testing.T, r *Record) {
			if r.Terms[0].CIDR4 != -1 || r.Terms[0].CIDR6 != 64 || r.Terms[1].CIDR4 != 0 {
				t.Errorf("cidrs %+v %+v", r.Terms[0], r.Terms[1])
			}
		}},
		{"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ip6:::ffff:1.2.3.4 -all", 4, func(t *testing.T, r *Record) {
			if r.Terms[0].Prefix != netip.MustParsePrefix("192.0.2.0/24") || r.Terms[1].Prefix.Bits() != 32 {
				t.Errorf("prefixes %v %v", r.Terms[0].Prefix, r.Terms[1].Prefix)
			}
		}},
		{"v=spf1 include:_spf.example.com. redirect=_spf.example.net exp=explain.%{d} foo.bar=%{l}x", 4, func(t *testing.T, r *Record) {
			if !r.Terms[1].Modifier || r.Terms[1].Name != "redirect" || r.Terms[1].Domain != "_spf.example.net" {
				t.Errorf("redirect %+v", r.Terms[1])
			}
			if r.Terms[3].Name != "foo.bar" || !r.Terms[3].Modifier {
				t.Errorf("unknown modifier %+v", r.Terms[3])
			}
			if !r.Terms[2].HasMacros() || r.Terms[0].HasMacros() {
				t.Error("HasMacros wrong")
			}
		}},
		{"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d2} -all", 2, func(t *testing.T, r *Record) {
			ms := r.Terms[0].Macros
			if len(ms) != 3 || ms[0].Letter != 'i' || !ms[0].Reverse || ms[1].Digits != 1 || ms[1].Delimiters != "+-" || ms[2].Digits != 2 {
				t.Errorf("macros %+v", ms)
			}
		}},
		{"v=spf1 a:%{H}.%%.%_.%- ptr ptr:example.org", 3, func(t *testing.T, r *Record) {
			if m := r.Terms[0].Macros[0]; m.Letter != 'h' || !m.URLEscape {
				t.Errorf("macro %+v", m)
			}
		}},
		// RFC 7208 suite (a-colon-domain): a "/" inside the domain-spec is a macro-literal.
		{"v=spf1 a:foo:bar/baz.example.com mx:foo:bar/baz.example.com/24", 2, func(t *testing.T, r *Record) {
			if r.Terms[0].Domain != "foo:bar/baz.example.com" || r.Terms[1].CIDR4 != 24 {
				t.Errorf("terms %+v %+v", r.Terms[0], r.Terms[1])
			}
		}},
		{"v=spf1 a:example.1-2 a:example.x1", 2, nil},
	} {
		r, err := Parse(tc.text)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.text, err)
			continue
		}
		if len(r.Terms) != tc.terms {
			t.Errorf("Parse(%q): %d terms, want %d", tc.text, len(r.Terms), tc.terms)
			continue
		}
		if tc.check != nil {
			t.Run(tc.text, func(t *testing.T) { tc.check(t, r) })
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		text, term, want string
	}{
		{"v=spf10 -all", "", `does not start with "v=spf1"`},
		{"v=spf1 -alll", "-alll", `unknown mechanism "alll"`},
		{"v=spf1 all:foo", "all:foo", "takes no argument"},
		{"v=spf1 include:", "include:", "needs a domain"},
		{"v=spf1 include", "include", "needs a domain"},
		{"v=spf1 exists:example", "exists:example", "needs a dot"},
		{"v=spf1 a:example.123", "a:example.123", "top-level label"},
		{"v=spf1 a:example.-com", "a:example.-com", "top-level label"},
		{"v=spf1 a:example.com..", "a:example.com..", "top-level label"},
		{"v=spf1 a:", "a:", "empty domain"},
		{"v=spf1 a/33", "a/33", "out of range 0-32"},
		{"v=spf1 a//129", "a//129", "out of range 0-128"},
		{"v=spf1 mx/024", "mx/024", "leading zero"},
		{"v=spf1 mx:example.com:8080", "mx:example.com:8080", "top-level label"},
		{"v=spf1 ip4:192.0.2.300", "ip4:192.0.2.300", "not an IP address"},
		{"v=spf1 ip4:2001:db8::1", "ip4:2001:db8::1", "not an IPv4 address"},
		{"v=spf1 ip6:192.0.2.1", "ip6:192.0.2.1", "not an IPv6 address"},
		{"v=spf1 ip4:192.0.2.0/33", "ip4:192.0.2.0/33", "out of range"},
		{"v=spf1 ip4:1.2.3.4:8080", "ip4:1.2.3.4:8080", "not an IP address"},
		{"v=spf1 ip4", "ip4", "needs an address"},
		{"v=spf1 redirect=a.example redirect=b.example", "redirect=b.example", "second redirect="},
		{"v=spf1 exp=a.example exp=b.example", "exp=b.example", "second exp="},
		{"v=spf1 redirect=", "redirect=", "empty domain"},
		{"v=spf1 -redirect=a.example", "-redirect=a.example", "no qualifier"},
		{"v=spf1 a:%{x}.example.com", "a:%{x}.example.com", "not a macro letter"},
		{"v=spf1 a:%{c}.example.com", "a:%{c}.example.com", "only in exp text"},
		{"v=spf1 a:%{d0}.example.com", "a:%{d0}.example.com", "non-zero"},
		{"v=spf1 a:%{d2;}.example.com", "a:%{d2;}.example.com", "not a delimiter"},
		{"v=spf1 a:%{d.example.com", "a:%{d.example.com", "not closed"},
		{"v=spf1 a:%d.example.com", "a:%d.example.com", "is not a macro"},
		{"v=spf1 a:example.com%", "a:example.com%", "lone"},
		{"v=spf1 a:\u00efgarbage.example.net", "a:\u00efgarbage.example.net", "only visible ASCII"},
		{"v=spf1 a:ctrl.example.com\rptr", "a:ctrl.example.com\rptr", "only visible ASCII"},
		{"v=spf1 foo=%{q}", "foo=%{q}", "unknown modifier foo="},
		{"v=spf1 :example.com", ":example.com", "no mechanism name"},
	} {
		_, err := Parse(tc.text)
		var es SyntaxErrors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Errorf("Parse(%q) = %v, want a syntax error", tc.text, err)
			continue
		}
		e := es[0]
		if e.Term != tc.term || !strings.Contains(e.Msg, tc.want) || (e.Term != "" && !strings.Contains(e.Msg, "RFC 7208 §")) {
			t.Errorf("Parse(%q): term %q msg %q; want term %q and %q with an RFC section", tc.text, e.Term, e.Msg, tc.term, tc.want)
		}
	}
}

func TestParseReportsEveryBadTerm(t *testing.T) {
	r, err := Parse("v=spf1 ip4:1.2.3 mx foo -all bar")
	es, _ := err.(SyntaxErrors)
	if len(es) != 3 || es[0].Index != 1 || es[1].Index != 3 || es[2].Index != 5 {
		t.Fatalf("errors %v", err)
	}
	if len(r.Terms) != 2 {
		t.Errorf("kept %d good terms, want 2", len(r.Terms))
	}
	if !strings.Contains(err.Error(), `term 3 "foo"`) {
		t.Errorf("message %q does not name term 3", err)
	}
}

func TestLookupsCount(t *testing.T) {
	r, err := Parse("v=spf1 include:a.example a mx ptr exists:%{i}.x.example ip4:192.0.2.1 ip6:2001:db8::1 all exp=e.example redirect=r.example")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tm := range r.Terms {
		if tm.Lookups() {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d DNS-querying terms, want 6 (include a mx ptr exists redirect)", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=spf1 -all", "v=spf1 include:_spf.google.com ~all", "v=spf1 a:%{ir}.%{v}._spf.%{d2}/24//64 -all",
		"v=spf1 ip6:2001:db8::/32 redirect=x.example exp=%{l}", "v=spf1 foo=bar mx/0 ptr:x.y", "v=spf1 a:%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if r == nil {
			t.Fatal("nil record")
		}
		if err == nil && !IsSPF(s) {
			t.Fatalf("accepted %q without v=spf1", s)
		}
		for _, tm := range r.Terms {
			if !strings.Contains(s, tm.Text) || tm.Text == "" {
				t.Fatalf("term %q not in the record %q", tm.Text, s)
			}
			if tm.Mechanism() && (tm.Name == "ip4" || tm.Name == "ip6") && !tm.Prefix.IsValid() {
				t.Fatalf("ip term %q without a prefix", tm.Text)
			}
		}
		if err != nil {
			for _, e := range err.(SyntaxErrors) {
				if e.Msg == "" {
					t.Fatalf("empty message for %q", s)
				}
			}
			return
		}
		// A record we accept reparses to the same terms.
		r2, err2 := Parse("v=spf1 " + joinTerms(r))
		if err2 != nil || len(r2.Terms) != len(r.Terms) {
			t.Fatalf("reparse of %q: %v", s, err2)
		}
	})
}

func joinTerms(r *Record) string {
	var ts []string
	for _, t := range r.Terms {
		ts = append(ts, t.Text)
	}
	return strings.Join(ts, " ")
}
