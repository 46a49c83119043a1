package address

import (
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/mx"
	"github.com/whymail/whymail/internal/checktest"
)

func TestSuggest(t *testing.T) {
	tests := []struct{ typed, want string }{
		// Must suggest.
		{"gmial.com", "gmail.com"},
		{"gmal.com", "gmail.com"},
		{"gnail.com", "gmail.com"},
		{"gmaill.com", "gmail.com"},
		{"gmail.con", "gmail.com"},
		{"gmail.cmo", "gmail.com"},
		{"gmail.ocm", "gmail.com"},
		{"gmail.comm", "gmail.com"},
		{"gmail.cm", "gmail.com"},
		{"hotmial.com", "hotmail.com"},
		{"hotmal.com", "hotmail.com"},
		{"hotmail.con", "hotmail.com"},
		{"yahooo.com", "yahoo.com"},
		{"yaho.com", "yahoo.com"},
		{"yahoo.co.uj", "yahoo.co.uk"},
		{"outlok.com", "outlook.com"},
		{"outlook.fe", "outlook.fr"},
		{"iclod.com", "icloud.com"},
		{"icluod.com", "icloud.com"},
		{"googlemial.com", "googlemail.com"},
		{"gogglemail.com", "googlemail.com"},
		{"protonmial.com", "protonmail.com"},
		{"comcast.nte", "comcast.net"},
		{"comcast.nt", "comcast.net"},
		{"GMIAL.COM", "gmail.com"},
		{"gmaíl.com", "gmail.com"},
		{"xn--gmal-xpa.com", "gmail.com"},
		{"hötmail.com", "hotmail.com"},
		{"hotmaíl.con", "hotmail.com"},
		{"bücher.de", ""},
		{"aol.co", "aol.com"}, // a short name matches exactly; .co is a slip only after a provider's name
		// Repeated or missing TLD letters, doubled TLDs, letters moved.
		{"gmail.c", "gmail.com"},
		{"gmail.ccm", "gmail.com"},
		{"gmail.com.com", "gmail.com"},
		{"hotmail.cl", "hotmail.com"},
		{"hotmail.como", "hotmail.com"},
		{"gimal.com", "gmail.com"},
		{"gmaall.com", "gmail.com"},
		{"yaooh.com", "yahoo.com"},
		// Must not suggest: real domains and known false positives.
		{"gmail.com", ""},
		{"mailw.com", ""}, // not gmail.com (two edits), not mail.com (short names match exactly)
		{"gmail.fr", ""},  // not mail.fr, and a real TLD is not a slip
		{"comcast.com", ""},
		{"yahoo.co.uk", ""},
		{"hotmail.co.uk", ""},
		{"gmx.de", ""},
		{"outlook.fr", ""},
		{"ymail.com", ""},
		{"email.com", ""},
		{"mail.com", ""},
		{"live.com", ""},
		{"love.com", ""},   // live is too short to guess at
		{"gmz.com", ""},    // so is gmx
		{"example.cm", ""}, // Cameroon, not .com
		{"example.con", ""},
		{"example.com.com", ""}, // a doubled TLD is a slip only after a provider's name
		{"example.cl", ""},
		{"amigl.com", ""},   // gmail with two letters moved is too far
		{"gmaaaal.com", ""}, // three slips
		{"mails.com", ""},
		{"gmx.co", "gmx.com"},
		{"mail.gmial.com", ""}, // a subdomain: providers give no addresses there
		{"example.com", ""},
		{"company.co.uk", ""},
		{"xn--bcher-kva.de", ""},
		{"localhost", ""},
		{"", ""},
	}
	for _, tt := range tests {
		s, ok := Suggest(tt.typed)
		if ok != (tt.want != "") || s.Domain != tt.want {
			t.Errorf("Suggest(%q) = %+v, %v; want %q", tt.typed, s, ok, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"gmail", "gmail", 0}, {"gmial", "gmail", 1}, {"gmal", "gmail", 1}, {"gmaill", "gmail", 1},
		{"mailw", "gmail", 2}, {"ca", "abc", 3}, {"", "abc", 3}, {"abc", "", 3}, {"hotmial", "hotmail", 1},
		{"kitten", "sitting", 3},
	} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := distance(tt.b, tt.a); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestTypo(t *testing.T) {
	nx := &mx.Domain{Exists: checks.No, AcceptsMail: checks.No}
	noMX := &mx.Domain{Exists: checks.Yes, AcceptsMail: checks.No}
	null := &mx.Domain{Exists: checks.Yes, AcceptsMail: checks.No, NullMX: true, Hosts: []mx.Host{{Name: "."}}}
	dead := &mx.Domain{Exists: checks.Yes, AcceptsMail: checks.No, Hosts: []mx.Host{{Name: "mx.gmial.com."}}}
	parked := &mx.Domain{Exists: checks.Yes, AcceptsMail: checks.Yes, Implicit: true}
	mail := &mx.Domain{Exists: checks.Yes, AcceptsMail: checks.Yes, Hosts: []mx.Host{{Name: "mx1.gmial.com."}, {Name: "mx2.gmial.com."}}}
	failed := &mx.Domain{Exists: checks.Maybe, AcceptsMail: checks.Maybe}
	parking := &mx.Domain{Exists: checks.Yes, AcceptsMail: checks.Yes, Hosts: []mx.Host{{Name: "mx.catchall-parking.example."}}}
	hosted := &mx.Domain{Exists: checks.Yes, AcceptsMail: checks.Yes, Hosts: []mx.Host{{Name: "aspmx.l.google.com."}}, Provider: "Google Workspace"}
	guarded := &mx.Domain{Exists: checks.Yes, AcceptsMail: checks.Yes, Hosts: []mx.Host{{Name: "mx0a-001.pphosted.com."}}, Gateway: "Proofpoint"}
	tests := []struct {
		addr     string
		md       *mx.Domain
		verdict  checks.Verdict
		strength checks.Strength
		msg      string
	}{
		{"alice@gmial.com", noMX, checks.Likely, checks.Direct, "gmial.com looks like a typo of gmail.com, and gmial.com accepts no mail (no MX)"},
		{"alice@gmial.com", nx, checks.Likely, checks.Direct, "accepts no mail (the domain does not exist: NXDOMAIN)"},
		{"alice@gmail.con", nx, checks.Likely, checks.Direct, "gmail.con looks like a typo of gmail.com"},
		{"alice@hotmial.com", null, checks.Likely, checks.Direct, "(null MX)"},
		{"alice@gmial.com", dead, checks.Likely, checks.Direct, "(none of its MX hosts has a usable address)"},
		{"alice@yahooo.com", parked, checks.Likely, checks.Direct, "typical of a parked domain"},
		{"alice@gmaíl.com", nx, checks.Likely, checks.Direct, "gmaíl.com (xn--gmal-xpa.com in DNS) looks like gmail.com typed with an accent, and xn--gmal-xpa.com accepts no mail"},
		{"alice@gmial.com", mail, checks.Likely, checks.Direct, "gmial.com takes mail (MX mx1.gmial.com, mx2.gmial.com) at a host of no known mailbox provider, not gmail.com's: " +
			"a catch-all or parking server accepts whatever is sent, so the email, and the reset link in it, went to someone else's server"},
		{"alice@hotmial.com", parking, checks.Likely, checks.Direct, "went to someone else's server"},
		{"alice@gmial.com", hosted, checks.Possible, checks.Indirect, "but gmial.com does accept mail at Google Workspace (MX aspmx.l.google.com), so it may be a real address"},
		{"alice@gmial.com", guarded, checks.Possible, checks.Indirect, "accept mail at Proofpoint"},
		{"alice@gmial.com", failed, checks.Possible, checks.Indirect, "whether gmial.com accepts mail could not be checked"},
		{"alice@gmial.com", nil, checks.Possible, checks.Indirect, "could not be checked"},
		{"alice@gmail.com", mail, checks.RuledOut, checks.Direct, "gmail.com is a known mailbox provider's domain"},
		{"alice@comcast.com", noMX, checks.RuledOut, checks.Direct, "known mailbox provider"},
		{"alice@mailw.com", nx, checks.RuledOut, checks.Indirect, "mailw.com is not a slip of any big mailbox provider's domain"},
		{"alice@gmail.fr", nx, checks.RuledOut, checks.Indirect, "not a slip"},
		{"alice@[192.0.2.1]", nil, checks.RuledOut, checks.Direct, "address literal"},
		{"alice@@gmial.com", nil, checks.Unknown, checks.BaseRate, "the address does not parse"},
	}
	for _, tt := range tests {
		res := checktest.RunGiven(t, nil, ticket(tt.addr), map[*checks.Check]any{mx.Check: checktest.Result(tt.md)}, Typo)
		var f *checks.Finding
		for i, g := range res.Check("typo").Findings {
			if g.Cause == checks.AddressTypo {
				f = &res.Check("typo").Findings[i]
			}
		}
		if f == nil {
			t.Errorf("%s: no address-typo finding: %+v", tt.addr, res.Check("typo"))
			continue
		}
		if f.Verdict != tt.verdict || f.Strength != tt.strength || !strings.Contains(f.Message, tt.msg) {
			t.Errorf("%s: %s/%d %q; want %s/%d with %q", tt.addr, f.Verdict, f.Strength, f.Message, tt.verdict, tt.strength, tt.msg)
		}
		if tt.verdict == checks.Likely || tt.verdict == checks.Possible {
			if f.Data["suggestion"] == nil || !strings.Contains(f.Steps[0], "alice@") {
				t.Errorf("%s: data %v steps %q", tt.addr, f.Data, f.Steps)
			}
		}
	}
	res := checktest.RunGiven(t, nil, ticket("alice@gmial.com"), map[*checks.Check]any{mx.Check: checktest.Result(mail)}, Typo)
	if f := res.Check("typo").Findings[0]; len(f.Steps) != 3 || !strings.Contains(f.Steps[0], "invalidate the reset link") || !strings.Contains(f.Steps[1], "alice@gmail.com") {
		t.Errorf("a near miss that takes mail at a stranger's host: steps %q, want the link invalidated first", f.Steps)
	}
	res = checktest.RunGiven(t, nil, ticket("alice@gmial.com"), map[*checks.Check]any{mx.Check: checktest.Result(noMX)}, Typo)
	if got := res.Check("typo").Findings[0].Data["suggestion"]; got != "gmail.com" {
		t.Errorf("suggestion %v, want gmail.com", got)
	}
	if got := res.Check("typo").Findings[0].Data["address"]; got != "alice@gmail.com" {
		t.Errorf("suggested address %v, want alice@gmail.com", got)
	}
	res = checktest.RunGiven(t, nil, &checks.Ticket{Domain: "gmial.com"}, map[*checks.Check]any{mx.Check: checktest.Result(noMX)}, Typo)
	if cr := res.Check("typo"); cr.Status != checks.StatusSkipped {
		t.Errorf("no address: typo %+v, want skipped", cr)
	}
}

func BenchmarkSuggest(b *testing.B) {
	for b.Loop() {
		Suggest("hotmial.com")
	}
}

func TestProviderTable(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range providerParts {
		if p.name == "" || p.suffix == "" || p.name+"."+p.suffix != p.domain {
			t.Errorf("provider %q splits as %q + %q", p.domain, p.name, p.suffix)
		}
		if seen[p.domain] {
			t.Errorf("provider %q listed twice", p.domain)
		}
		seen[p.domain] = true
		if s, ok := Suggest(p.domain); ok {
			t.Errorf("provider %q is 'corrected' to %q", p.domain, s.Domain)
		}
		if d := Disposable(p.domain); d != "" {
			t.Errorf("provider %q is on the disposable list as %q", p.domain, d)
		}
	}
	for slip, tld := range tldSlips {
		if slip == tld {
			t.Errorf("TLD slip %q maps to itself", slip)
		}
	}
}

func FuzzSuggest(f *testing.F) {
	for _, s := range []string{"gmial.com", "gmail.con", "yahoo.co.uj", "gmaíl.com", "xn--gmal-xpa.com", "example.com", "a.b.c", "", "gimal.com", "gmaall.com", "gmail.com.com", "gmail.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		s, ok := Suggest(d)
		if !ok {
			return
		}
		if !legit[s.Domain] || s.Domain == strings.ToLower(d) {
			t.Fatalf("Suggest(%q) = %+v: not a provider, or the input itself", d, s)
		}
	})
}
