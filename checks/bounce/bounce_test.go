package bounce

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/smtpreply"
)

func TestParse(t *testing.T) {
	tests := []struct {
		file      string
		kind      Kind
		format    string
		rcpt      string
		action    string
		status    string
		reason    smtpreply.Reason
		cause     checks.CauseID
		permanent bool
		list      string
		messageID string
	}{
		{"postfix-dsn-userunknown.eml", DSN, "rfc3464", "alice@example.com", "failed", "5.1.1", smtpreply.UserUnknown, checks.MailboxUnknown, true, "", "reset-8842@app.example"},
		{"exchange-dsn-mailboxfull.eml", DSN, "rfc3464", "bob@example.com", "failed", "5.2.2", smtpreply.MailboxFull, checks.MailboxFull, true, "", "reset-9001@app.example"},
		{"dsn-delayed.eml", DSN, "rfc3464", "carol@example.org", "delayed", "4.2.0", smtpreply.Greylisted, checks.Delayed, false, "", ""},
		{"gmail-text.eml", Text, "gmail", "dave@example.net", "failed", "5.7.1", smtpreply.Blocklisted, checks.SenderBlocklisted, true, "zen.spamhaus.org", "CAxyz@mail.gmail.com"},
		{"qmail.eml", Text, "qmail", "erin@example.jp", "failed", "5.2.2", smtpreply.MailboxFull, checks.MailboxFull, true, "", "reset-77@app.example"},
		{"exim.eml", Text, "exim", "frank@example.com", "failed", "5.7.26", smtpreply.AuthFailure, checks.SenderAuth, true, "", "reset-55@app.example"},
		{"yahoo-text.eml", Text, "yahoo", "grace@yahoo.com", "failed", "", smtpreply.UserUnknown, checks.MailboxUnknown, true, "", ""},
		{"outlook-text.eml", Text, "outlook", "heidi@hotmail.com", "failed", "5.1.10", smtpreply.UserUnknown, checks.MailboxUnknown, true, "", ""},
		{"postfix-text-expired.eml", Text, "postfix", "ivan@example.net", "failed", "", smtpreply.Expired, checks.Delayed, true, "", ""},
		{"arf.eml", Feedback, "arf", "judy@example.com", "failed", "", smtpreply.Spam, "", false, "", "nl-1@app.example"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b, err := Parse(f)
			if err != nil {
				t.Fatal(err)
			}
			if b.Kind != tt.kind || b.Format != tt.format {
				t.Errorf("kind/format = %s/%s, want %s/%s", b.Kind, b.Format, tt.kind, tt.format)
			}
			if len(b.Recipients) != 1 {
				t.Fatalf("recipients = %+v, want one", b.Recipients)
			}
			r := b.Recipients[0]
			c := r.Class
			if r.Address != tt.rcpt || string(r.Action) != tt.action || c.Status != tt.status || c.Reason != tt.reason || c.Cause != tt.cause || c.Permanent != tt.permanent || c.List != tt.list {
				t.Errorf("got %s action=%s status=%s reason=%s cause=%s permanent=%v list=%q\nwant %s action=%s status=%s reason=%s cause=%s permanent=%v list=%q",
					r.Address, r.Action, c.Status, c.Reason, c.Cause, c.Permanent, c.List,
					tt.rcpt, tt.action, tt.status, tt.reason, tt.cause, tt.permanent, tt.list)
			}
			if b.Original.MessageID != tt.messageID {
				t.Errorf("original Message-ID = %q, want %q", b.Original.MessageID, tt.messageID)
			}
		})
	}
}

func TestParseDSNFields(t *testing.T) {
	f, _ := os.Open("testdata/postfix-dsn-userunknown.eml")
	defer f.Close()
	b, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	r := b.Recipients[0]
	if b.ReportingMTA != "mail.app.example" || r.RemoteMTA != "mx1.example.com" || r.OriginalRecipient != "alice@example.com" {
		t.Errorf("reporting %q remote %q original %q", b.ReportingMTA, r.RemoteMTA, r.OriginalRecipient)
	}
	if !strings.HasPrefix(r.Diagnostic, "550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown") {
		t.Errorf("diagnostic %q", r.Diagnostic)
	}
	if want := time.Date(2026, 11, 23, 9, 12, 3, 0, time.UTC); !r.LastAttempt.Equal(want) {
		t.Errorf("last attempt %v", r.LastAttempt)
	}
	if b.Original.Subject != "Reset your password" || b.Original.To != "alice@example.com" {
		t.Errorf("original %+v", b.Original)
	}
}

func TestNotBounce(t *testing.T) {
	f, _ := os.Open("testdata/ordinary.eml")
	defer f.Close()
	b, err := Parse(f)
	if err != nil || len(b.Recipients) != 0 {
		t.Fatalf("ordinary message: %+v, %v", b, err)
	}
	_, err = Parse(strings.NewReader("this is not an email\n"))
	if !errors.Is(err, ErrNotMessage) {
		t.Fatalf("err = %v, want ErrNotMessage", err)
	}
}

func TestClassifyFiles(t *testing.T) {
	recs, err := Classify(context.Background(), checktest.MessageFiles("testdata/two.mbox", "testdata/maildir", "testdata/arf.eml")...)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.File+" "+r.Recipient+" "+string(r.Reason)+" "+string(r.Cause))
	}
	want := []string{
		"testdata/two.mbox#1 alice@example.com user-unknown mailbox-unknown",
		"testdata/two.mbox#2 erin@example.jp mailbox-full mailbox-full",
		"testdata/maildir/cur/1700000001.M2P2.host:2,S grace@yahoo.com user-unknown mailbox-unknown",
		"testdata/maildir/new/1700000000.M1P1.host frank@example.com auth-failure sender-auth",
		"testdata/arf.eml judy@example.com complaint ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := Classify(context.Background(), checktest.MessageFiles("testdata/not-mail.txt")...); err == nil || !strings.Contains(err.Error(), "not-mail.txt") {
		t.Errorf("not mail: err = %v", err)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		address string
		files   []string
		cause   checks.CauseID
		verdict checks.Verdict
		status  checks.Status
	}{
		{"no input", "alice@example.com", nil, checks.MailboxUnknown, checks.Unknown, checks.StatusSkipped},
		{"user unknown", "Alice@EXAMPLE.com", []string{"testdata/postfix-dsn-userunknown.eml"}, checks.MailboxUnknown, checks.Confirmed, checks.StatusError},
		{"mailbox full", "bob@example.com", []string{"testdata/exchange-dsn-mailboxfull.eml"}, checks.MailboxFull, checks.Confirmed, checks.StatusError},
		{"greylisted", "carol@example.org", []string{"testdata/dsn-delayed.eml"}, checks.Delayed, checks.Confirmed, checks.StatusWarning},
		{"blocklisted", "dave@example.net", []string{"testdata/gmail-text.eml"}, checks.SenderBlocklisted, checks.Confirmed, checks.StatusError},
		{"dmarc", "frank@example.com", []string{"testdata/exim.eml"}, checks.SenderAuth, checks.Confirmed, checks.StatusError},
		{"other address", "zoe@example.com", []string{"testdata/postfix-dsn-userunknown.eml"}, checks.MailboxUnknown, checks.Unknown, checks.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := checktest.Run(t, nil, &checks.Ticket{Address: tt.address, Sources: checks.Sources{Bounces: checktest.MessageFiles(tt.files...)}}, Check)
			if got := checktest.Best(res, tt.cause); got != tt.verdict {
				t.Errorf("%s: verdict %q, want %q; findings %+v", tt.cause, got, tt.verdict, res.Findings())
			}
			if st := res.Check("bounce").Status; st != tt.status {
				t.Errorf("status %s, want %s", st, tt.status)
			}
			for _, f := range res.Findings() {
				if f.Verdict == checks.Confirmed && f.Strength != checks.OfRecord {
					t.Errorf("confirmed finding without OfRecord strength: %+v", f)
				}
			}
		})
	}
}

func TestCheckInputError(t *testing.T) {
	_, err := checktest.RunErr(nil, &checks.Ticket{Address: "a@example.com", Sources: checks.Sources{Bounces: checktest.MessageFiles([]string{"testdata/not-mail.txt"}...)}}, Check)
	var ie *checks.InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.File, "not-mail.txt") {
		t.Fatalf("err = %v, want InputError naming not-mail.txt", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"postfix-dsn-userunknown.eml", "gmail-text.eml", "qmail.eml", "arf.eml", "exim.eml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Parse(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for _, r := range b.Recipients {
			if r.Class.Reason == "" && b.Kind != Feedback && b.Kind != AutoReply {
				t.Fatalf("recipient %q without a reason", r.Address)
			}
		}
	})
}

func TestCheckCaseFolded(t *testing.T) {
	res := checktest.Run(t, nil, &checks.Ticket{Address: "Alice@example.com", Sources: checks.Sources{Bounces: checktest.MessageFiles([]string{"testdata/postfix-dsn-userunknown.eml"}...)}}, Check)
	msgs := strings.Join(checktest.Messages(res, "bounce"), "\n")
	if !strings.Contains(msgs, "only the case-folded local part matches Alice@example.com") {
		t.Errorf("no case note in %q", msgs)
	}
	res = checktest.Run(t, nil, &checks.Ticket{Address: "alice@EXAMPLE.COM", Sources: checks.Sources{Bounces: checktest.MessageFiles([]string{"testdata/postfix-dsn-userunknown.eml"}...)}}, Check)
	if msgs := strings.Join(checktest.Messages(res, "bounce"), "\n"); strings.Contains(msgs, "case-folded") {
		t.Errorf("case note for a domain-only difference: %q", msgs)
	}
}

// TestCheckAccountAddress: the user record has another address than the
// ticket's; the app sent there, so a bounce for it is the mail's.
func TestCheckAccountAddress(t *testing.T) {
	tk := func() *checks.Ticket {
		return &checks.Ticket{Address: "zoe@example.com", Sources: checks.Sources{Bounces: checktest.MessageFiles("testdata/postfix-dsn-userunknown.eml")}}
	}
	acct := &account.Account{Found: true, ID: "u2", Email: "alice@example.com", Status: "active"}
	res := checktest.RunGiven(t, nil, tk(), map[*checks.Check]any{account.Check: checktest.Result(acct)}, Check)
	msgs := strings.Join(checktest.Messages(res, "bounce"), "\n")
	if v := checktest.Best(res, checks.MailboxUnknown); v != checks.Confirmed {
		t.Errorf("a bounce for the account's address: mailbox-unknown %q, want confirmed\n%s", v, msgs)
	}
	if !strings.Contains(msgs, "mail to alice@example.com bounced") || !strings.Contains(msgs, "alice@example.com is the address on the account, where the app sends the mail, not to zoe@example.com") {
		t.Errorf("messages %s", msgs)
	}

	// Another address altogether: both named.
	acct.Email = "nina@example.com"
	res = checktest.RunGiven(t, nil, tk(), map[*checks.Check]any{account.Check: checktest.Result(acct)}, Check)
	msgs = strings.Join(checktest.Messages(res, "bounce"), "\n")
	if v := checktest.Best(res, checks.MailboxUnknown); v != checks.Unknown ||
		!strings.Contains(msgs, "not for zoe@example.com or nina@example.com (the address on the account)") {
		t.Errorf("a bounce for neither: %q\n%s", v, msgs)
	}
}
