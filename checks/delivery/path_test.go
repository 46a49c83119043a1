package delivery

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/dmarc"
	"github.com/whymail/whymail/checks/dnsbl"
	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/checks/spf"
	"github.com/whymail/whymail/internal/checktest"
)

func TestRoute(t *testing.T) {
	ip := netip.MustParseAddr("167.89.115.10")
	tests := []struct {
		name string
		d    *maillog.Delivery
		esp  string
		ip   netip.Addr
	}{
		{"own MTA", &maillog.Delivery{Events: []maillog.Event{{Kind: maillog.Delivered, Relay: "mx1.example.com[192.0.2.25]:25", Source: "mail.log:2"}}}, "", netip.Addr{}},
		{"postfix to sendgrid", &maillog.Delivery{Events: []maillog.Event{{Kind: maillog.Delivered, Relay: "smtp.sendgrid.net[167.89.115.1]:587", Source: "mail.log:2"}}}, "SendGrid", netip.Addr{}},
		{"exim to ses", &maillog.Delivery{Events: []maillog.Event{{Kind: maillog.Deferred, Relay: "email-smtp.eu-west-1.amazonaws.com [52.1.1.1]", Source: "exim.log:4"}}}, "Amazon SES", netip.Addr{}},
		{"ses events", &maillog.Delivery{Files: []maillog.Coverage{{File: "ses.json", Format: "ses"}},
			Events: []maillog.Event{{Kind: maillog.Delivered, Relay: "mx1.example.com", Source: "ses.json:1"}}}, "Amazon SES", netip.Addr{}},
		{"sendgrid events with ip", &maillog.Delivery{Files: []maillog.Coverage{{File: "ev.json", Format: "sendgrid"}},
			Events: []maillog.Event{{Kind: maillog.Queued, Source: "ev.json:2"}, {Kind: maillog.Delivered, SendingIP: ip, Source: "ev.json:3"}, {Kind: maillog.Opened, Source: "ev.json:4"}}}, "SendGrid", ip},
		{"look-alike relay", &maillog.Delivery{Events: []maillog.Event{{Kind: maillog.Delivered, Relay: "smtp.sendgrid.net.evil.example[192.0.2.9]:25"}}}, "", netip.Addr{}},
	}
	for _, tt := range tests {
		r, _ := route(tt.d)
		var esp string
		var got netip.Addr
		if r != nil {
			esp, got = r.ESP, r.IP
		}
		if esp != tt.esp || got != tt.ip {
			t.Errorf("%s: route %+v, want ESP %q IP %v", tt.name, r, tt.esp, tt.ip)
		}
	}
}

// TestPathContradictsConfiguredIP: a configured IP that passes SPF does
// not rule out sender-auth when the log shows an ESP sent the mail.
func TestPathContradictsConfiguredIP(t *testing.T) {
	own := netip.MustParseAddr("203.0.113.10")
	viaESP := &maillog.Delivery{Outcome: maillog.OutcomeDelivered,
		Events: []maillog.Event{{Kind: maillog.Delivered, Relay: "smtp.sendgrid.net[167.89.115.1]:587", Source: "mail.log:2"}}}
	pass := &spf.Result{Domain: "app.example", Record: "v=spf1 ip4:203.0.113.0/28 include:sendgrid.net -all",
		Evaluations: []spf.Evaluation{{IP: own, Result: "pass"}}}
	dm := &dmarc.Result{Found: true, Pass: checks.Yes, AlignedBy: "spf"}
	tk := &checks.Ticket{Sender: "noreply@app.example", SendingIPs: []netip.Addr{own}}
	given := map[*checks.Check]any{maillog.Check: checktest.Result(viaESP), spf.Lint: checktest.Result(pass),
		dmarc.Check: checktest.Result(dm), dnsbl.Check: checktest.Result(&dnsbl.Result{})}
	res := checktest.RunGiven(t, nil, tk, given, Check)
	var f *checks.Finding
	for i, g := range res.Check("delivery").Findings {
		if g.Cause == checks.SenderAuth {
			f = &res.Check("delivery").Findings[i]
		}
	}
	if f == nil || f.Verdict != checks.Possible || f.Strength != checks.Direct ||
		!strings.Contains(f.Message, "left through SendGrid, not from the configured sending IP(s) 203.0.113.10") ||
		!strings.Contains(f.Message, "the SPF record of app.example includes sendgrid.net") {
		t.Fatalf("sender-auth finding %+v", f)
	}
	// A DKIM signature that verified and aligned holds on any path.
	given[dmarc.Check] = checktest.Result(&dmarc.Result{Found: true, Pass: checks.Yes, AlignedBy: "dkim"})
	res = checktest.RunGiven(t, nil, tk, given, Check)
	for _, g := range res.Check("delivery").Findings {
		if g.Cause == checks.SenderAuth {
			t.Errorf("aligned DKIM: %+v", g)
		}
	}
	// No sending IP configured: nothing contradicted, nothing said.
	res = checktest.RunGiven(t, nil, &checks.Ticket{Sender: "noreply@app.example"}, given, Check)
	for _, g := range res.Check("delivery").Findings {
		if g.Cause == checks.SenderAuth {
			t.Errorf("no configured IP: %+v", g)
		}
	}
}
