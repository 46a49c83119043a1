package maillog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/checks/mx"
	"github.com/whymail/whymail/internal/checktest"
)

var at = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// given hands the check the mx and account results a test chooses.
func given(md *mx.Domain, acct *account.Account) map[*checks.Check]any {
	return map[*checks.Check]any{mx.Check: checktest.Result(md), account.Check: checktest.Result(acct)}
}

func ticket(addr string, files ...string) *checks.Ticket {
	for i, f := range files {
		files[i] = filepath.Join("testdata", f)
	}
	return &checks.Ticket{Address: addr, Domain: addr[strings.LastIndexByte(addr, '@')+1:], At: at, Sources: checks.Sources{Logs: checktest.Streams(files...)}}
}

func readFile(t *testing.T, name string, watched ...string) *File {
	t.Helper()
	fh, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	f, err := Read(fh, name, at, watched...)
	if err != nil {
		t.Fatalf("Read %s: %v", name, err)
	}
	return f
}

func TestRead(t *testing.T) {
	type ev struct{ kind, source, dsn, reason, relay string }
	tests := []struct {
		file                               string
		format                             string
		lines, understood, irrelevant, bad int
		first, last                        string // RFC 3339, "" to skip
		events                             []ev
		messageID                          string // of the first event
	}{
		{"postfix.log", "postfix", 11, 6, 4, 1, "2025-12-31T23:59:58Z", "2026-11-22T09:30:05Z",
			[]ev{{"deferred", "postfix.log:6", "4.7.1", "greylisted", "mx2.example.com[192.0.2.11]:25"}}, "reset-1@app.example.net"},
		{"postfix_sent.log", "postfix", 5, 5, 0, 0, "2026-11-22T09:40:00.123456Z", "",
			[]ev{{"delivered", "postfix_sent.log:4", "2.0.0", "", "gmail-smtp-in.l.google.com[142.250.1.27]:25"}}, "reset-2@app.example.net"},
		{"postfix_bounce.log", "postfix", 5, 5, 0, 0, "", "",
			[]ev{{"bounced", "postfix_bounce.log:3", "5.1.1", "user-unknown", "mx1.example.com[192.0.2.10]:25"}}, "reset-3@app.example.net"},
		{"exim.log", "exim", 9, 7, 2, 0, "2026-11-22T09:30:00Z", "2026-11-22T09:42:00Z",
			[]ev{{"deferred", "exim.log:2", "4.2.2", "mailbox-full", "mx1.example.com"}, {"bounced", "exim.log:3", "5.2.2", "mailbox-full", "mx1.example.com"}}, "reset-4@app.example.net"},
		{"sendgrid.json", "sendgrid", 3, 3, 0, 0, "2026-11-22T09:30:00Z", "2026-11-22T09:30:06Z",
			[]ev{{"queued", "sendgrid.json:2", "", "", ""}, {"deferred", "sendgrid.json:3", "4.4.2", "network", ""}}, "reset-5@app.example.net"},
		{"sendgrid.ndjson", "sendgrid", 3, 3, 0, 0, "", "",
			[]ev{{"opened", "sendgrid.ndjson:3", "", "", ""}, {"queued", "sendgrid.ndjson:1", "", "", ""}, {"dropped", "sendgrid.ndjson:2", "", "suppressed", ""}}, ""},
		{"ses_sns.json", "ses", 1, 1, 0, 0, "2026-11-22T09:30:02.245Z", "",
			[]ev{{"bounced", "ses_sns.json:1", "5.1.1", "user-unknown", ""}}, ""},
		{"mailgun.json", "mailgun", 3, 3, 0, 0, "", "2026-11-22T09:40:00Z",
			[]ev{{"queued", "mailgun.json:1", "", "", ""}, {"deferred", "mailgun.json:1", "4.7.1", "greylisted", "mx.example.com"}, {"delivered", "mailgun.json:1", "", "", "mx.example.com"}}, "reset-6@mg.app.example.net"},
		{"mailgun_webhook.json", "mailgun", 1, 1, 0, 0, "", "",
			[]ev{{"bounced", "mailgun_webhook.json:1", "5.1.1", "user-unknown", "gmail-smtp-in.l.google.com"}}, ""},
		{"postmark.ndjson", "postmark", 3, 3, 0, 0, "2026-11-22T09:30:00Z", "2026-11-22T09:32:00Z",
			[]ev{{"bounced", "postmark.ndjson:2", "5.1.1", "user-unknown", ""}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := readFile(t, tt.file, "alice@example.com")
			c := f.Coverage
			if c.Format != tt.format || c.Lines != tt.lines || c.Understood != tt.understood || c.NotRelevant != tt.irrelevant || c.Unparsed != tt.bad {
				t.Errorf("coverage = %s %d lines, %d/%d/%d; want %s %d, %d/%d/%d\n%q", c.Format, c.Lines, c.Understood, c.NotRelevant, c.Unparsed,
					tt.format, tt.lines, tt.understood, tt.irrelevant, tt.bad, f.Unreadable)
			}
			if c.Understood+c.NotRelevant+c.Unparsed != c.Lines {
				t.Errorf("lines unaccounted: %+v", c)
			}
			if tt.first != "" && c.First.UTC().Format(time.RFC3339Nano) != tt.first {
				t.Errorf("first = %s, want %s", c.First.UTC().Format(time.RFC3339Nano), tt.first)
			}
			if tt.last != "" && c.Last.UTC().Format(time.RFC3339Nano) != tt.last {
				t.Errorf("last = %s, want %s", c.Last.UTC().Format(time.RFC3339Nano), tt.last)
			}
			if len(f.Events) != len(tt.events) {
				t.Fatalf("%d events, want %d: %+v", len(f.Events), len(tt.events), f.Events)
			}
			for i, w := range tt.events {
				e := f.Events[i]
				if e.Kind != Kind(w.kind) || e.Source != w.source || e.DSN != w.dsn || string(e.Reason) != w.reason || e.Relay != w.relay {
					t.Errorf("event %d = %s %s dsn=%s reason=%s relay=%s; want %+v", i, e.Kind, e.Source, e.DSN, e.Reason, e.Relay, w)
				}
			}
			if tt.messageID != "" && f.Events[0].MessageID != tt.messageID {
				t.Errorf("message-id = %q, want %q", f.Events[0].MessageID, tt.messageID)
			}
		})
	}
}

func TestGzipAndUnreadable(t *testing.T) {
	data, err := os.ReadFile("testdata/postfix.log")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	f, err := Read(&gz, "mail.log.gz", at, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if f.Coverage.Lines != 11 || len(f.Events) != 1 {
		t.Errorf("gzip: %d lines, %d events", f.Coverage.Lines, len(f.Events))
	}
	if len(f.Unreadable) != 1 || !strings.Contains(f.Unreadable[0], `mail.log.gz:9: "this line is not a log line at all"`) {
		t.Errorf("unreadable = %q", f.Unreadable)
	}
}

func TestYear(t *testing.T) {
	// A month after At's month is last year's; the same month is this year's.
	f, err := Read(strings.NewReader("Dec 01 10:00:00 h postfix/qmgr[1]: ABCDEF1234: removed\nJan  5 10:00:00 h postfix/qmgr[1]: ABCDEF1235: removed\n"),
		"m", time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Coverage.First.Format("2006-01-02"); got != "2026-12-01" {
		t.Errorf("first = %s, want 2026-12-01", got)
	}
	if got := f.Coverage.Last.Format("2006-01-02"); got != "2027-01-05" {
		t.Errorf("last = %s, want 2027-01-05", got)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name, data string
		line       int
		want       string
	}{
		{"broken.json", "[{\"event\":\"delivered\"},\n{\"event\": }]", 2, "bad JSON"},
		{"oneline.json", `[{"event":"delivered"},{"event": }]`, 1, "oneline.json:1: record 2: bad JSON: invalid character '}'"},
		{"pretty.json", "[\n  {\n    \"event\": \"delivered\",\n    \"email\": \"a\" \"b\"\n  }\n]", 4, "pretty.json:4: bad JSON: invalid character '\"' after object key:value pair"},
		{"cut.ndjson", "{\"event\":\"delivered\"}\n{\"event\": \"bounce\",\n", 2, "cut.ndjson:2: the JSON ends early (missing ] or })"},
		{"list.json", `[{"email":"a@b.example","created":1443651125,"reason":"x","status":"5.1.1"}]`, 1, "holds a SendGrid suppression list, not events"},
		{"long.log", strings.Repeat("x", maxLine+10), 1, "line longer"},
		{"users.csv", "id,email\nu1,alice@example.com\n", 0, `not a mail log: no line is a syslog (Postfix) or Exim main-log line, nor is it provider event JSON; first: 1: "id,email"`},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(tt.data), tt.name, at, "alice@example.com")
		var ie *checks.InputError
		if !errors.As(err, &ie) || ie.File != tt.name || ie.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want InputError at line %d with %q", tt.name, err, tt.line, tt.want)
		}
		var me *checks.MisplacedError
		if errors.As(err, &me) != strings.Contains(tt.want, "suppression list") || me != nil && me.Belongs != checks.InputSuppressions {
			t.Errorf("%s: misplaced = %+v, want it to belong with the suppressions exactly for a suppression list", tt.name, me)
		}
	}
}

func TestCheck(t *testing.T) {
	reset := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name     string
		ticket   *checks.Ticket
		md       *mx.Domain
		acct     *account.Account
		want     map[checks.CauseID]checks.Verdict
		outcome  Outcome
		messages []string
	}{
		{"greylisted", ticket("alice@example.com", "postfix.log"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.Delayed: checks.Confirmed, checks.NotSent: checks.RuledOut, checks.Suppressed: checks.RuledOut},
			OutcomeDeferred, []string{"greylisted", "postfix.log:6", "maximal_queue_lifetime (default 5 days)", "1 unreadable", `postfix.log:9: "this line`}},
		{"delivered to gmail", ticket("alice@example.com", "postfix_sent.log"), &mx.Domain{Domain: "example.com", Provider: "Gmail"}, nil,
			map[checks.CauseID]checks.Verdict{checks.NotSent: checks.RuledOut, checks.Delayed: checks.RuledOut, checks.MailboxUnknown: checks.RuledOut,
				checks.SpamFolder: checks.Possible, checks.Suppressed: checks.RuledOut},
			OutcomeDelivered, []string{"delivered to gmail-smtp-in.l.google.com", "not in the inbox", "not suppressed when it was sent"}},
		{"gateway by relay", ticket("alice@example.com", "postfix_gateway.log"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.CorporateFilter: checks.Likely, checks.SpamFolder: checks.Possible},
			OutcomeDelivered, []string{"Proofpoint", "quarantine"}},
		{"gateway by mx", ticket("alice@example.com", "postfix_sent.log"), &mx.Domain{Domain: "example.com", Gateway: "Mimecast"}, nil,
			map[checks.CauseID]checks.Verdict{checks.CorporateFilter: checks.Likely},
			OutcomeDelivered, []string{"the domain's MX is Mimecast"}},
		{"bounced", ticket("alice@example.com", "postfix_bounce.log"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.MailboxUnknown: checks.Confirmed, checks.NotSent: checks.RuledOut, checks.Delayed: checks.RuledOut,
				checks.Suppressed: checks.RuledOut, checks.RejectedByRecipient: ""},
			OutcomeBounced, []string{"postfix_bounce.log:3", "User unknown in virtual mailbox table"}},
		// A DMARC refusal is sender-auth, and the refusal it caused is a
		// rejection by the recipient that sender-auth explains.
		{"dmarc bounce", ticket("alice@example.com", "postfix_dmarc.log"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.SenderAuth: checks.Confirmed, checks.RejectedByRecipient: checks.Confirmed,
				checks.NotSent: checks.RuledOut, checks.Suppressed: checks.RuledOut},
			OutcomeBounced, []string{"refused the mail by policy", "5.7.26"}},
		{"expired", ticket("alice@example.com", "postfix_expired.log"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.DomainNoMail: checks.Likely, checks.Delayed: checks.RuledOut, checks.NotSent: checks.RuledOut},
			OutcomeBounced, []string{"gave up retrying", "postfix_expired.log:4", "could not be reached"}},
		{"exim mailbox full", ticket("alice@example.com", "exim.log"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.MailboxFull: checks.Confirmed, checks.MailboxUnknown: checks.RuledOut, checks.CorporateFilter: checks.RuledOut},
			OutcomeBounced, []string{"exim.log:3", "over quota"}},
		{"sendgrid dropped", ticket("alice@example.com", "sendgrid.ndjson"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.Suppressed: checks.Confirmed, checks.NotSent: checks.RuledOut, checks.RejectedByRecipient: ""},
			OutcomeBounced, []string{"Bounced Address", "handed the mail to the provider"}},
		{"sendgrid deferred", ticket("alice@example.com", "sendgrid.json"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.Delayed: checks.Confirmed},
			OutcomeDeferred, []string{"72 hours"}},
		{"ses bounce", ticket("alice@example.com", "ses_sns.json"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.MailboxUnknown: checks.Confirmed},
			OutcomeBounced, nil},
		{"mailgun delivered after greylisting", ticket("alice@example.com", "mailgun.json"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.Delayed: checks.RuledOut, checks.SpamFolder: checks.Possible},
			OutcomeDelivered, nil},
		{"postmark bounce", ticket("alice@example.com", "postmark.ndjson"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.MailboxUnknown: checks.Confirmed},
			OutcomeBounced, nil},
		{"nothing, covered", ticket("alice@example.com", "postfix_quiet.log"), nil, &account.Account{Found: true, Email: "alice@example.com", ResetSentAt: reset},
			map[checks.CauseID]checks.Verdict{checks.NotSent: checks.Likely},
			OutcomeNone, []string{"reset at 2026-11-22 09:30:00 UTC", "postfix_quiet.log: 2026-11-22 08:55:00 to 2026-11-22 10:05:00 UTC"}},
		{"nothing, last hour covered", ticket("alice@example.com", "postfix_quiet.log"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.NotSent: checks.Likely},
			OutcomeNone, []string{"the hour before 2026-11-22 10:00 UTC"}},
		{"nothing, not covered", ticket("zoe@example.com", "postfix_bounce.log"), nil, nil,
			map[checks.CauseID]checks.Verdict{checks.NotSent: checks.Unknown},
			OutcomeNone, []string{"do not cover the hour before", "postfix_bounce.log: 2026-11-22 09:50:00 to 2026-11-22 09:50:01 UTC"}},
		{"wrong inbox", ticket("alice@example.com", "postfix_quiet.log"), nil, &account.Account{Found: true, Email: "bob@example.org"},
			map[checks.CauseID]checks.Verdict{checks.WrongInbox: checks.Confirmed},
			OutcomeNone, []string{"went to bob@example.org, the address on the account"}},
		{"delivered, other address on file", ticket("alice@example.com", "postfix_sent.log"), nil, &account.Account{Found: true, Email: "alice.smith@example.com"},
			map[checks.CauseID]checks.Verdict{checks.WrongInbox: checks.Possible},
			OutcomeDelivered, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := checktest.RunGiven(t, nil, tt.ticket, given(tt.md, tt.acct), Check)
			for c, v := range tt.want {
				if got := checktest.Best(res, c); got != v {
					t.Errorf("%s = %q, want %q\n%s", c, got, v, strings.Join(checktest.Messages(res, "maillog"), "\n"))
				}
			}
			d, _ := res.Check("maillog").Result.(*Delivery)
			if d == nil {
				t.Fatalf("no *Delivery result (status %s: %s)", res.Check("maillog").Status, res.Check("maillog").Reason)
			}
			if d.Outcome != tt.outcome {
				t.Errorf("outcome = %s, want %s", d.Outcome, tt.outcome)
			}
			msgs := strings.Join(checktest.Messages(res, "maillog"), "\n")
			for _, m := range tt.messages {
				if !strings.Contains(msgs, m) {
					t.Errorf("messages lack %q:\n%s", m, msgs)
				}
			}
			for _, f := range res.Findings() {
				if f.Verdict == checks.Confirmed && f.Strength != checks.OfRecord {
					t.Errorf("confirmed with strength %v: %s", f.Strength, f.Message)
				}
			}
		})
	}
}

func TestSkip(t *testing.T) {
	res := checktest.RunGiven(t, nil, ticket("alice@example.com"), given(nil, nil), Check)
	if res.Check("maillog").Status != checks.StatusSkipped {
		t.Errorf("status = %s, want skipped", res.Check("maillog").Status)
	}
	for _, c := range []checks.CauseID{checks.NotSent, checks.Delayed, checks.MailboxUnknown} {
		if got := checktest.Best(res, c); got != checks.Unknown {
			t.Errorf("%s = %q, want unknown", c, got)
		}
	}
}
