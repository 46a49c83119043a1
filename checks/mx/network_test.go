package mx

import (
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

// TestNetwork runs the check over real UDP/TCP round trips to a loopback
// server, with its faults: SERVFAIL and silence stay distinct from answers.
func TestNetwork(t *testing.T) {
	zone := soa + "@ MX 10 mx1.mailhost.net.\n@ MX 20 mx2.mailhost.net.\n"
	tests := []struct {
		name    string
		opts    []lookuptest.Option
		failed  bool
		noMail  checks.Verdict
		message string
	}{
		{name: "answers", noMail: checks.RuledOut, message: "accepts mail at mx1.mailhost.net"},
		{name: "truncated over TCP", opts: []lookuptest.Option{lookuptest.Truncate()}, noMail: checks.RuledOut, message: "accepts mail at mx1.mailhost.net"},
		{name: "SERVFAIL", opts: []lookuptest.Option{lookuptest.ServFail("example.com")}, failed: true, noMail: checks.Unknown, message: "failed (servfail)"},
		{name: "silent", opts: []lookuptest.Option{lookuptest.Drop("example.com")}, failed: true, noMail: checks.Unknown, message: "failed (timeout)"},
		{name: "one host silent", opts: []lookuptest.Option{lookuptest.Drop("mx1.mailhost.net")}, noMail: checks.RuledOut,
			message: "MX mx1.mailhost.net could not be resolved (timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := lookuptest.Serve(t, checktest.Zones(t, zone, other), tc.opts...)
			n := lookuptest.Network(t, addr)
			n.Timeout = 200 * time.Millisecond
			res := checktest.Run(t, n, &checks.Ticket{Domain: "example.com"}, Check)
			cr := res.Check("mx")
			if (cr.Status == checks.StatusFailed) != tc.failed {
				t.Errorf("status %s (%s), want failed=%v", cr.Status, cr.Reason, tc.failed)
			}
			if v := checktest.Best(res, checks.DomainNoMail); v != tc.noMail {
				t.Errorf("domain-no-mail %s, want %s", v, tc.noMail)
			}
			if all := strings.Join(checktest.Messages(res, "mx"), "\n"); !strings.Contains(all, tc.message) {
				t.Errorf("no message holds %q:\n%s", tc.message, all)
			}
		})
	}
}
