package maillog_test

import (
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/checks/mx"
	"github.com/whymail/whymail/internal/checktest"
)

// TestWithRealChecks runs maillog after the real mx and account checks:
// the MX names a Proofpoint gateway, the user record the reset time.
func TestWithRealChecks(t *testing.T) {
	zones := checktest.Zones(t, `$ORIGIN example.com.
@ SOA ns.example.com. host.example.com. 1 7200 3600 1209600 300
@ MX 10 mx0a-001b2c03.pphosted.com.
`, `$ORIGIN pphosted.com.
@ SOA ns.pphosted.com. host.pphosted.com. 1 7200 3600 1209600 300
mx0a-001b2c03 A 148.163.1.1
`)
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		log  string
		want map[checks.CauseID]checks.Verdict
		msg  string
	}{
		{"testdata/postfix_sent.log", map[checks.CauseID]checks.Verdict{
			checks.CorporateFilter: checks.Likely, checks.NotSent: checks.RuledOut}, "the domain's MX is Proofpoint"},
		{"testdata/postfix_quiet.log", map[checks.CauseID]checks.Verdict{checks.NotSent: checks.Likely},
			"reset at 2026-11-22 09:30:00 UTC (the user record's reset_sent_at)"},
	}
	for _, tt := range tests {
		tk := &checks.Ticket{Address: "alice@example.com", Domain: "example.com", At: at,
			Sources: checks.Sources{Users: checktest.UsersFile("testdata/users.csv"), Logs: checktest.Streams(tt.log)}}
		res := checktest.Run(t, zones, tk, mx.Check, account.Check, maillog.Check)
		for c, v := range tt.want {
			if got := checktest.Best(res, c); got != v {
				t.Errorf("%s: %s = %q, want %q", tt.log, c, got, v)
			}
		}
		if msgs := strings.Join(checktest.Messages(res, "maillog"), "\n"); !strings.Contains(msgs, tt.msg) {
			t.Errorf("%s: messages lack %q:\n%s", tt.log, tt.msg, msgs)
		}
	}
}
