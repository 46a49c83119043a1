package smtpreply

import (
	"testing"

	"github.com/whymail/whymail/checks"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		text   string
		reason Reason
		cause  checks.CauseID
		code   int
		status string
		perm   bool
		list   string
	}{
		{"550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual mailbox table", UserUnknown, checks.MailboxUnknown, 550, "5.1.1", true, ""},
		{"550-5.1.1 The email account that you tried to reach does not exist.", UserUnknown, checks.MailboxUnknown, 550, "5.1.1", true, ""},
		// Exchange Online says 5.1.10 for an unknown mailbox, not only for a null MX.
		{"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient heidi@hotmail.com not found by SMTP address lookup", UserUnknown, checks.MailboxUnknown, 550, "5.1.10", true, ""},
		{"552 5.2.2 <bob@example.com>: Mailbox full", MailboxFull, checks.MailboxFull, 552, "5.2.2", true, ""},
		{"452 4.2.2 The email account that you tried to reach is over quota.", MailboxFull, checks.MailboxFull, 452, "4.2.2", false, ""},
		{"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", Blocklisted, checks.SenderBlocklisted, 554, "5.7.1", true, "zen.spamhaus.org"},
		{"550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.", AuthFailure, checks.SenderAuth, 550, "5.7.26", true, ""},
		{"550 5.7.1 Message rejected by policy", Policy, checks.RejectedByRecipient, 550, "5.7.1", true, ""},
		{"450 4.2.0 <bob@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/", Greylisted, checks.Delayed, 450, "4.2.0", false, ""},
		{"451 4.7.1 Please try again later", Greylisted, checks.Delayed, 451, "4.7.1", false, ""},
		{"552 5.3.4 Message size exceeds fixed maximum message size", TooBig, checks.RejectedByRecipient, 552, "5.3.4", true, ""},
		{"421 4.7.0 Our system has detected an unusual rate of unsolicited mail", RateLimited, checks.Delayed, 421, "4.7.0", false, ""},
		{"550 5.2.1 The email account that you tried to reach is disabled.", MailboxDisabled, checks.MailboxUnknown, 550, "5.2.1", true, ""},
		{"Host or domain name not found. Name service error for name=exmple.com type=MX", HostUnknown, checks.DomainNoMail, 0, "", true, ""},
		// Exim's router failures (routers/dnslookup.c, transports/smtp.c):
		// the recipient domain's MX cannot be used, not a policy refusal.
		{"lowest numbered MX record points to local host", HostUnknown, checks.DomainNoMail, 0, "", true, ""},
		{"all relevant MX records point to non-existent hosts", HostUnknown, checks.DomainNoMail, 0, "", true, ""},
		{"all host address lookups failed permanently", HostUnknown, checks.DomainNoMail, 0, "", true, ""},
		{"unknown.test.ex is not local, and can't route by DNS", HostUnknown, checks.DomainNoMail, 0, "", true, ""},
		// A mailing list refusing a post from a non-member: its policy.
		{"You are not a member of this mailing list <cats@lists.example.org>.", Policy, checks.RejectedByRecipient, 0, "", true, ""},
		{"250 2.0.0 Ok: queued as 1234", Delivered, "", 250, "2.0.0", false, ""},
	}
	for _, tt := range tests {
		c := Classify(tt.text)
		if c.Reason != tt.reason || c.Cause != tt.cause || c.Code != tt.code || c.Status != tt.status || c.Permanent != tt.perm || c.List != tt.list {
			t.Errorf("Classify(%q) = %+v, want reason %s cause %s code %d status %s perm %v list %q", tt.text, c, tt.reason, tt.cause, tt.code, tt.status, tt.perm, tt.list)
		}
	}
}

func TestClassifyStatus(t *testing.T) {
	c := ClassifyStatus("5.1.2", "Host or domain name not found")
	if c.Reason != HostUnknown || c.Cause != checks.DomainNoMail || !c.Permanent || c.Status != "5.1.2" {
		t.Errorf("got %+v", c)
	}
	c = ClassifyStatus("4.4.7", "delivery temporarily suspended")
	if c.Reason != Expired || c.Cause != checks.Delayed {
		t.Errorf("got %+v", c)
	}
}

func FuzzClassify(f *testing.F) {
	f.Add("550 5.1.1 user unknown")
	f.Add("5.2.2")
	f.Add("blocked using zen.spamhaus.org")
	f.Fuzz(func(t *testing.T, s string) {
		c := Classify(s)
		if c.Reason == "" {
			t.Fatalf("empty reason for %q", s)
		}
		if c.Status != "" && len(c.Status) < 5 {
			t.Fatalf("bad status %q", c.Status)
		}
		ClassifyStatus(s, s)
	})
}

func BenchmarkClassify(b *testing.B) {
	for _, s := range []string{
		"host mx1.example.com[192.0.2.10] said: 550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
		"250 2.0.0 Ok: queued as 4F1A2B3C4D",
	} {
		b.Run(s[:12], func(b *testing.B) {
			for b.Loop() {
				Classify(s)
			}
		})
	}
}

func TestParseCode(t *testing.T) {
	tests := []struct {
		text   string
		code   int
		status string
	}{
		{"550 5.1.1 <a@b>: user unknown", 550, "5.1.1"},
		{"550-5.7.26 Unauthenticated email", 550, "5.7.26"},
		{"host mx[192.0.2.10] said: 452 4.2.2 over quota", 452, "4.2.2"},
		{"connect to 10.5.1.1:25: timed out", 0, ""},
		{"Out: 250 2.1.5 Ok In: DATA Out: 451 4.3.0 try later", 451, "4.3.0"},
		{"(#5.5.0)", 0, "5.5.0"},
		{"version 2.4.5.1 here", 0, ""},
		{"status 5.1.1.", 0, "5.1.1"},
		{"421", 421, ""},
		{"5.2.2", 0, "5.2.2"},
		{"1550 x", 0, ""},
	}
	for _, tt := range tests {
		code, status := ParseCode(tt.text)
		if code != tt.code || status != tt.status {
			t.Errorf("ParseCode(%q) = %d %q, want %d %q", tt.text, code, status, tt.code, tt.status)
		}
	}
}

// TestParseCodeContext: a code or status counts only where a reply puts
// it, not in version numbers or counts of the surrounding prose.
func TestParseCodeContext(t *testing.T) {
	tests := []struct {
		text   string
		code   int
		status string
	}{
		{"550 Mailbox unavailable (Mailman v2.0.13)", 550, ""},
		{"built with wxPython 2.3.0", 0, ""},
		{"Size (in bytes): 222", 0, ""},
		{"X-Mailer: Apple Mail (2.753.1)", 0, ""},
		{"host mx[192.0.2.1] said: 550 5.1.1 unknown", 550, "5.1.1"},
		{"Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound'", 550, "5.1.1"},
		{"smtp; 5.1.0 - Unknown address error 550-'5.7.1 Access denied'", 550, "5.1.0"},
		{"Sorry, no mailbox here by that name. (#5.1.1)", 0, "5.1.1"},
		{"550: 5.1.1 <a@b.example>... User Unknown", 0, "5.1.1"},
		{"ERROR_CODE :550, ERROR_CODE :5.1.1", 0, "5.1.1"},
	}
	for _, tt := range tests {
		if code, st := ParseCode(tt.text); code != tt.code || st != tt.status {
			t.Errorf("ParseCode(%q) = %d %q, want %d %q", tt.text, code, st, tt.code, tt.status)
		}
	}
}
