package suppression

import (
	"strings"
	"testing"
)

// TestReadEveryList reads each list of each provider in the shape its API
// or export documents, and checks which list it is taken for: SendGrid's
// five suppression lists (the /v3/suppression/* JSON and the CSV export),
// Mailgun's bounces, complaints and unsubscribes, and the removal step
// that follows from the list.
func TestReadEveryList(t *testing.T) {
	tests := []struct {
		name, content string
		provider      string
		list          string
		step          string // in the provider's removal step
	}{
		// SendGrid API answers, under a name that says nothing: the columns decide.
		{"export.json", `[{"created": 1795168800, "email": "alice@example.com", "reason": "550 5.1.1 User unknown", "status": "5.1.1"}]`,
			SendGrid, "bounces", "DELETE https://api.sendgrid.com/v3/suppression/bounces/alice@example.com"},
		{"export.json", `[{"created": 1795168800, "email": "alice@example.com", "ip": "10.63.202.100"}]`,
			SendGrid, "spam_reports", "Suppressions > Spam Reports"},
		{"export.json", `[{"created": 1795168800, "email": "alice@example.com", "reason": "Mail domain mentioned in email address is unknown"}]`,
			SendGrid, "invalid_emails", "/v3/suppression/invalid_emails/alice@example.com"},
		{"export.json", `[{"created": 1795168800, "email": "alice@example.com"}]`,
			SendGrid, "unsubscribes", "/v3/asm/suppressions/global/alice@example.com"},
		// Blocks look like bounces: the file name tells them apart.
		{"blocks.json", `[{"created": 1795168800, "email": "alice@example.com", "reason": "554 blocked", "status": "5.7.1"}]`,
			SendGrid, "blocks", "/v3/suppression/blocks/alice@example.com"},
		{"sendgrid-spamreports.json", `[{"created": 1795168800, "email": "alice@example.com", "ip": "10.63.202.100"}]`,
			SendGrid, "spam_reports", "/v3/suppression/spam_reports/"},
		// SendGrid CSV exports of each list.
		{"bounces.csv", "email,created,reason,status\nalice@example.com,2026-11-20 10:00:00,550 5.1.1 User unknown,5.1.1\n",
			SendGrid, "bounces", "/v3/suppression/bounces/"},
		{"spam_reports.csv", "email,created,ip\nalice@example.com,2026-11-20 10:00:00,10.63.202.100\n",
			SendGrid, "spam_reports", "/v3/suppression/spam_reports/"},
		{"invalid_emails.csv", "email,created,reason\nalice@example.com,2026-11-20 10:00:00,Invalid address\n",
			SendGrid, "invalid_emails", "/v3/suppression/invalid_emails/"},
		{"unsubscribes.csv", "email,created\nalice@example.com,2026-11-20 10:00:00\n",
			SendGrid, "unsubscribes", "Global Unsubscribes"},
		// Only the file's own name is a hint, not the folders it is in.
		{"exports/bounces/spam_reports.json", `[{"created": 1795168800, "email": "alice@example.com", "ip": "10.63.202.100"}]`,
			SendGrid, "spam_reports", "/v3/suppression/spam_reports/"},
		{"blocklists/2026/bounces.json", `[{"created": 1795168800, "email": "alice@example.com", "reason": "550 5.1.1", "status": "5.1.1"}]`,
			SendGrid, "bounces", "/v3/suppression/bounces/"},
		// Mailgun: by the name, and by the shape of the items without one.
		{"unsubscribes.json", `{"items": [{"address": "alice@example.com", "tags": ["*"], "created_at": "Fri, 20 Nov 2026 10:00:00 UTC"}], "paging": {}}`,
			Mailgun, "unsubscribes", "https://api.mailgun.net/v3/{domain}/unsubscribes/alice@example.com"},
		{"mailgun.json", `{"items": [{"address": "alice@example.com", "tags": ["*"], "created_at": "Fri, 20 Nov 2026 10:00:00 UTC"}], "paging": {}}`,
			Mailgun, "unsubscribes", "/unsubscribes/alice@example.com"},
		{"mailgun.json", `{"items": [{"address": "alice@example.com", "code": "550", "error": "No such mailbox", "created_at": "Fri, 20 Nov 2026 10:00:00 UTC"}], "paging": {}}`,
			Mailgun, "bounces", "/bounces/alice@example.com"},
		{"mailgun.json", `{"items": [{"address": "alice@example.com", "created_at": "Fri, 20 Nov 2026 10:00:00 UTC"}], "paging": {}}`,
			Mailgun, "complaints", "/complaints/alice@example.com"},
		// Postmark: a spam complaint is reactivated only by support; SES complaints.
		{"postmark.json", `{"Suppressions": [{"EmailAddress": "alice@example.com", "SuppressionReason": "SpamComplaint", "Origin": "Recipient", "CreatedAt": "2026-11-20T10:00:00Z"}]}`,
			Postmark, "suppressions", "only be reactivated by Postmark support"},
		{"postmark.json", `{"Suppressions": [{"EmailAddress": "alice@example.com", "SuppressionReason": "ManualSuppression", "Origin": "Customer", "CreatedAt": "2026-11-20T10:00:00Z"}]}`,
			Postmark, "suppressions", "Suppressions tab"},
		{"ses.json", `{"SuppressedDestinationSummaries": [{"EmailAddress": "alice@example.com", "Reason": "COMPLAINT", "LastUpdateTime": "2026-11-20T10:00:00Z"}]}`,
			SES, "account-level suppression", "aws sesv2 delete-suppressed-destination --email-address alice@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.list, func(t *testing.T) {
			var got []Entry
			f, err := Read(strings.NewReader(tt.content), tt.name, func(e Entry) error { got = append(got, e); return nil })
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if f.Provider != tt.provider {
				t.Errorf("provider %q, want %q", f.Provider, tt.provider)
			}
			if len(got) != 1 {
				t.Fatalf("%d entries, want 1", len(got))
			}
			e := got[0]
			if e.List != tt.list || e.Address != "alice@example.com" || e.Created.IsZero() {
				t.Errorf("entry %+v: want list %q, alice@example.com and a creation time", e, tt.list)
			}
			steps := strings.Join(Steps(e), "\n")
			if !strings.Contains(steps, tt.step) {
				t.Errorf("steps %q do not say %q", steps, tt.step)
			}
		})
	}
}
