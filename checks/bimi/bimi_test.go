package bimi

import (
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
)

const zone = `$ORIGIN test.
$TTL 300
@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300
default._bimi.good     TXT "v=BIMI1; l=https://good.test/logo.svg; a=https://good.test/vmc.pem"
default._bimi.good     TXT "something else"
default._bimi.noa      TXT "v=BIMI1; l=https://noa.test/logo.svg;"
default._bimi.declined TXT "v=BIMI1; l=; a=;"
default._bimi.http     TXT "v=BIMI1; l=http://http.test/logo.png"
default._bimi.two      TXT "v=BIMI1; l=https://two.test/a.svg"
default._bimi.two      TXT "v=BIMI1; l=https://two.test/b.svg"
default._bimi.case     TXT "V=bimi1; l=https://case.test/logo.svg"
none                   MX 10 mx.none.test.
`

// couk holds a record at an organizational domain under a two-label
// public suffix.
const couk = `$ORIGIN co.uk.
$TTL 300
@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300
default._bimi.example TXT "v=BIMI1; l=https://example.co.uk/logo.svg; a=https://example.co.uk/vmc.pem"
`

func TestBIMI(t *testing.T) {
	z := checktest.Zones(t, zone, couk)
	tests := []struct {
		ticket checks.Ticket
		sev    checks.Severity
		msgs   []string
		failed bool
	}{
		{checks.Ticket{Mode: checks.Lint, Domain: "good.test"}, checks.Info, []string{"logo https://good.test/logo.svg", "DMARC policy is at enforcement"}, false},
		{checks.Ticket{Mode: checks.Lint, Domain: "noa.test"}, checks.Info, []string{"no a= mark certificate"}, false},
		{checks.Ticket{Mode: checks.Lint, Domain: "declined.test"}, checks.Info, []string{"declines to publish a logo"}, false},
		{checks.Ticket{Mode: checks.Lint, Domain: "http.test"}, checks.Error, []string{"must be an https: URL"}, false},
		{checks.Ticket{Mode: checks.Lint, Domain: "two.test"}, checks.Error, []string{"2 BIMI records"}, false},
		{checks.Ticket{Mode: checks.Lint, Domain: "case.test"}, checks.Error, []string{"looks like BIMI but does not begin with"}, false},
		{checks.Ticket{Mode: checks.Lint, Domain: "none.test"}, checks.Info, []string{"no BIMI record at default._bimi.none.test: optional"}, false},
		{checks.Ticket{Address: "u@none.test", Domain: "none.test", Sender: "good.test"}, checks.Info, []string{"logo https://good.test/logo.svg"}, false},
		// Receivers fall back to the organizational domain's record.
		{checks.Ticket{Mode: checks.Lint, Domain: "news.good.test"}, checks.Info, []string{"organizational domain", "logo https://good.test/logo.svg"}, false},
		{checks.Ticket{Mode: checks.Lint, Domain: "news.example.co.uk"}, checks.Info, []string{"default._bimi.example.co.uk", "logo https://example.co.uk/logo.svg"}, false},
		{checks.Ticket{Mode: checks.Lint, Domain: "elsewhere.example"}, checks.Warning, []string{"could not look up the BIMI record default._bimi.elsewhere.example TXT (refused)"}, true},
	}
	for _, tt := range tests {
		res := checktest.Run(t, z, &tt.ticket, Check)
		cr := res.Check("bimi")
		if (cr.Status == checks.StatusFailed) != tt.failed {
			t.Errorf("%+v: status %s, want failed %v", tt.ticket, cr.Status, tt.failed)
		}
		worst := checks.OK
		for _, f := range cr.Findings {
			worst = max(worst, f.Severity)
		}
		all := strings.Join(checktest.Messages(res, "bimi"), "\n")
		if worst != tt.sev {
			t.Errorf("%+v: worst %v, want %v:\n%s", tt.ticket, worst, tt.sev, all)
		}
		for _, m := range tt.msgs {
			if !strings.Contains(all, m) {
				t.Errorf("%+v: no message contains %q:\n%s", tt.ticket, m, all)
			}
		}
	}
	res := checktest.Run(t, z, &checks.Ticket{}, Check)
	if cr := res.Check("bimi"); cr.Status != checks.StatusSkipped {
		t.Errorf("no domain: status %s, want skipped", cr.Status)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in       string
		ok       bool
		logo     string
		declined bool
		problems []string // "severity: substring"
	}{
		{"v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem", true, "https://example.com/logo.svg", false, nil},
		{"v=BIMI1;l=https://example.com/logo.svg", true, "https://example.com/logo.svg", false, nil},
		{"v = BIMI1 ; l = https://example.com/l.svg ;", true, "https://example.com/l.svg", false, nil},
		{"v=BIMI1; l=; a=", true, "", true, nil},
		{"v=BIMI1", true, "", true, []string{"error: no l= logo location"}},
		{"v=BIMI1; l=https://example.com/logo.png", true, "https://example.com/logo.png", false, []string{"warning: does not name an .svg file"}},
		{"v=BIMI1; l=https://a.example/1.svg,https://b.example/2.svg", true, "https://a.example/1.svg", false, []string{"warning: more than one location"}},
		{"v=BIMI1; l=https://example.com/l.svg; a=https://example.com/cert.crt", true, "https://example.com/l.svg", false, []string{"warning: does not name a .pem"}},
		{"v=BIMI1; l=https://example.com/l.svg; a=http://example.com/c.pem", true, "https://example.com/l.svg", false, []string{"error: a=http://example.com/c.pem: must be an https: URL"}},
		{"v=BIMI1; l=; a=https://example.com/c.pem", true, "", false, []string{"error: a= is set but l= is empty"}},
		{"v=BIMI1; l=https://example.com/l.svg; avp=maybe; x=1", true, "https://example.com/l.svg", false, []string{"warning: avp=maybe", "info: unknown tag x="}},
		{"l=https://example.com/l.svg; v=BIMI1", false, "", false, []string{"error: must start with v=BIMI1"}},
		{"v=bimi1; l=https://example.com/l.svg", false, "", false, []string{"error: must start with v=BIMI1"}},
		{"v=BIMI1; l=https://example.com/l.svg; l=https://example.com/m.svg", false, "", false, []string{"error: appears twice"}},
		{"v=BIMI1; junk; l=https://example.com/l.svg", true, "https://example.com/l.svg", false, []string{"error: \"junk\" is not tag=value"}},
	}
	for _, tt := range tests {
		rec, probs := Parse(tt.in)
		if (rec != nil) != tt.ok {
			t.Errorf("Parse(%q) record %v, want usable %v (%v)", tt.in, rec, tt.ok, probs)
			continue
		}
		if rec != nil && (rec.Logo != tt.logo || rec.Declined != tt.declined) {
			t.Errorf("Parse(%q) logo %q declined %v, want %q %v", tt.in, rec.Logo, rec.Declined, tt.logo, tt.declined)
		}
		if len(probs) != len(tt.problems) {
			t.Errorf("Parse(%q) problems %v, want %q", tt.in, probs, tt.problems)
			continue
		}
		for i, want := range tt.problems {
			sev, sub, _ := strings.Cut(want, ": ")
			if probs[i].Severity.String() != sev || !strings.Contains(probs[i].Message, sub) {
				t.Errorf("Parse(%q) problem %d = %v, want %q", tt.in, i, probs[i], want)
			}
		}
	}
}

func FuzzParseBIMI(f *testing.F) {
	f.Add("v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem")
	f.Add("v=BIMI1; l=; a=;")
	f.Add("v=BIMI1;;l=x,y;avp=brand")
	f.Fuzz(func(t *testing.T, s string) {
		rec, probs := Parse(s)
		if rec == nil && len(probs) == 0 {
			t.Error("unusable record without a problem")
		}
		if rec != nil && rec.Logo != "" && checkHTTPS(rec.Logo) != nil {
			t.Errorf("kept a non-https logo %q", rec.Logo)
		}
	})
}
