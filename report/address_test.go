package report

import (
	"bytes"
	"testing"

	"github.com/whymail/whymail/checks"
)

func TestAddressVerdict(t *testing.T) {
	typo := checks.Finding{Check: "typo", Cause: checks.AddressTypo, Verdict: checks.Likely, Message: "gmial.com looks like gmail.com",
		Data: map[string]any{"suggestion": "gmail.com"}}
	tests := []struct {
		name     string
		findings []checks.Finding
		failed   bool
		verdict  string
		line     string
	}{
		{"invalid wins", []checks.Finding{{Cause: checks.AddressInvalid, Verdict: checks.Confirmed, Message: "no @"}, typo}, false, "invalid", "a@gmial.com\tinvalid\tno @\n"},
		{"typo with its suggestion", []checks.Finding{typo, {Cause: checks.DomainNotFound, Verdict: checks.Confirmed, Message: "NXDOMAIN"}}, false, "typo",
			"a@gmial.com\ttypo\tdid you mean a@gmail.com? gmial.com looks like gmail.com\n"},
		{"no domain", []checks.Finding{{Cause: checks.DomainNotFound, Verdict: checks.Confirmed, Message: "NXDOMAIN"}}, false, "no-domain", "a@gmial.com\tno-domain\tNXDOMAIN\n"},
		{"no mail", []checks.Finding{{Cause: checks.DomainNoMail, Verdict: checks.Confirmed, Message: "null MX"}}, false, "no-mail", "a@gmial.com\tno-mail\tnull MX\n"},
		{"could not check", nil, true, "unknown", "a@gmial.com\tunknown\tmx: timeout\n"},
		{"ok", []checks.Finding{{Cause: checks.DomainNoMail, Verdict: checks.RuledOut, Message: "MX ok"}}, false, "ok", "a@gmial.com\tok\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := &checks.CheckResult{Name: "mx", Status: checks.StatusOK, Findings: tt.findings}
			if tt.failed {
				cr.Status, cr.Reason = checks.StatusFailed, "timeout"
			}
			v := NewAddressVerdict("a@gmial.com", "")
			v.Summarize(&checks.Result{Ticket: &checks.Ticket{}, Checks: []*checks.CheckResult{cr}})
			if v.Verdict != tt.verdict {
				t.Errorf("verdict %q, want %q", v.Verdict, tt.verdict)
			}
			var b bytes.Buffer
			AddressLine(&b, v)
			if b.String() != tt.line {
				t.Errorf("line %q, want %q", b.String(), tt.line)
			}
		})
	}
}
