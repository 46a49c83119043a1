package maillog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/internal/checktest"
)

// logTicket writes log to a file and returns a ticket for alice that reads it.
func logTicket(t *testing.T, log string) *checks.Ticket {
	t.Helper()
	name := filepath.Join(t.TempDir(), "mail.log")
	if err := os.WriteFile(name, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	return &checks.Ticket{Address: "alice@example.com", Domain: "example.com", At: at, LogZone: time.UTC,
		Sources: checks.Sources{Logs: checktest.Streams(name)}}
}

const bounced511 = `Nov 22 09:30:00 mail postfix/qmgr[2003]: 9A8B7C6D5E: from=<noreply@app.example.net>, size=2345, nrcpt=1 (queue active)
Nov 22 09:30:01 mail postfix/smtp[2004]: 9A8B7C6D5E: to=<alice@example.com>, relay=mx1.example.com[192.0.2.10]:25, delay=0.4, delays=0.01/0/0.2/0.2, dsn=5.1.1, status=bounced (host mx1.example.com[192.0.2.10] said: 550 5.1.1 <alice@example.com>: User unknown (in reply to RCPT TO command))
Nov 22 09:30:01 mail postfix/qmgr[2003]: 9A8B7C6D5E: removed
`

// A later delivery line for the recipient that cannot be read must not
// leave the earlier bounce confirmed: it is unreadable, counted, quoted,
// and mailbox-unknown is at most likely, saying why.
func TestLostLineWeakensOutcome(t *testing.T) {
	const later = "Nov 22 09:50:00 mail postfix/qmgr[2003]: 1B2C3D4E5F: from=<noreply@app.example.net>, size=2345, nrcpt=1 (queue active)\n"
	delivered := "to=<alice@example.com>, relay=mx2.example.com[192.0.2.11]:25, delay=0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 77)"
	tests := []struct{ name, line string }{
		{"garbled queue id", "Nov 22 09:50:01 mail postfix/smtp[2005]: 1B2C3#4E5F: " + delivered},
		{"missing colon after program", "Nov 22 09:50:01 mail postfix/smtp[2005] 1B2C3D4E5F: " + delivered},
		{"missing colon after queue id", "Nov 22 09:50:01 mail postfix/smtp[2005]: 1B2C3D4E5F " + delivered},
		{"missing host", "Nov 22 09:50:01 postfix/smtp[2005]: 1B2C3D4E5F: " + delivered},
		{"cut before status", "Nov 22 09:50:01 mail postfix/smtp[2005]: 1B2C3D4E5F: to=<alice@example.com>, relay=mx2.example.com[192.0.2.11]:25, delay=0.5, dsn=2.0"},
		{"cut in to=", "Nov 22 09:50:01 mail postfix/smtp[2005]: 1B2C3D4E5F: to=<alice@example.com"},
		{"unknown status word", "Nov 22 09:50:01 mail postfix/smtp[2005]: 1B2C3D4E5F: to=<alice@example.com>, relay=mx2.example.com[192.0.2.11]:25, delay=0.5, dsn=2.0.0, status=frobbed (250 ok)"},
		{"no timestamp", "garbage 1B2C3D4E5F: to=<ALICE@example.com>, status=sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := checktest.RunGiven(t, nil, logTicket(t, bounced511+later+tt.line+"\n"), given(nil, nil), Check)
			msgs := strings.Join(checktest.Messages(res, "maillog"), "\n")
			if got := checktest.Best(res, checks.MailboxUnknown); got != checks.Likely {
				t.Errorf("mailbox-unknown = %q, want likely\n%s", got, msgs)
			}
			if !strings.Contains(msgs, "could not be read") || !strings.Contains(msgs, "mail.log:5") {
				t.Errorf("the lost line is not quoted:\n%s", msgs)
			}
			if !strings.Contains(msgs, "1 of them name the recipient") {
				t.Errorf("the lost line is not counted as naming the recipient:\n%s", msgs)
			}
			d := res.Check("maillog").Result.(*Delivery)
			if d.Doubt == "" {
				t.Errorf("Delivery.Doubt is empty")
			}
			for _, f := range res.Findings() {
				if f.Cause == checks.CorporateFilter && f.Verdict == checks.RuledOut && f.Strength > checks.Indirect {
					t.Errorf("corporate-filter ruled out of record though a lost line could overturn it: %s", f.Message)
				}
			}
			if c := d.Files[0]; c.Unparsed != 1 || c.Understood+c.NotRelevant+c.Unparsed != c.Lines {
				t.Errorf("coverage %+v, want 1 unreadable", c)
			}
			for _, e := range d.Events {
				switch e.Kind {
				case Queued, Delivered, Deferred, Bounced, Expired, Dropped, Rejected, Complaint, Opened, Clicked, Unsubscribed, Verified:
				default:
					t.Errorf("event of kind %q outside the set", e.Kind)
				}
			}
		})
	}
	// A lost line before the bounce cannot overturn it; nor can a line of
	// another recipient, or a dovecot line naming alice.
	for _, log := range []string{
		"Nov 22 09:20:00 mail postfix/smtp[2005]: 1B2C3#4E5F: " + delivered + "\n" + bounced511,
		bounced511 + "Nov 22 09:50:01 mail postfix/smtp[2005]: 1B2C3#4E5F: to=<bob@example.com>, status=sent\n",
		bounced511 + "Nov 22 09:50:01 mail dovecot: imap-login: Login: user=<alice@example.com>\n",
	} {
		res := checktest.RunGiven(t, nil, logTicket(t, log), given(nil, nil), Check)
		if got := checktest.Best(res, checks.MailboxUnknown); got != checks.Confirmed {
			t.Errorf("mailbox-unknown = %q, want confirmed\n%s\n%s", got, log, strings.Join(checktest.Messages(res, "maillog"), "\n"))
		}
	}
}

// A lost line when nothing else is logged: not-sent is at most possible.
func TestLostLineWeakensNothingLogged(t *testing.T) {
	log := "Nov 22 09:00:00 mail postfix/qmgr[1]: ABCDEF1234: removed\n" +
		"Nov 22 09:30:01 mail postfix/smtp[2005]: 1B2C3#4E5F: to=<alice@example.com>, relay=mx2[192.0.2.11]:25, status=sent (250 ok)\n" +
		"Nov 22 10:00:00 mail postfix/qmgr[1]: ABCDEF1235: removed\n"
	res := checktest.RunGiven(t, nil, logTicket(t, log), given(nil, nil), Check)
	if got := checktest.Best(res, checks.NotSent); got != checks.Possible {
		t.Errorf("not-sent = %q, want possible\n%s", got, strings.Join(checktest.Messages(res, "maillog"), "\n"))
	}
}

// Mail of another sender to the same address is not the app's email: an
// inbound NOQUEUE reject of someone else's mail decides nothing when the
// sender is known.
func TestOtherSendersMail(t *testing.T) {
	log := "Nov 22 09:00:00 mail postfix/qmgr[1]: ABCDEF1234: removed\n" +
		"Nov 22 09:30:00 mail postfix/smtpd[77]: NOQUEUE: reject: RCPT from mx.other.example[198.51.100.9]: 550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown in local recipient table; from=<news@other.example> to=<alice@example.com> proto=ESMTP helo=<mx.other.example>\n" +
		"Nov 22 09:40:00 mail postfix/qmgr[1]: 5A5A5A5A5A: from=<billing@other.example>, size=2345, nrcpt=1 (queue active)\n" +
		"Nov 22 09:40:01 mail postfix/smtp[2]: 5A5A5A5A5A: to=<alice@example.com>, relay=mx1.example.com[192.0.2.10]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\n" +
		"Nov 22 10:00:00 mail postfix/qmgr[1]: ABCDEF1235: removed\n"
	for _, sender := range []string{"noreply@app.example.net", "app.example.net"} {
		tk := logTicket(t, log)
		tk.Sender = sender
		res := checktest.RunGiven(t, nil, tk, given(nil, nil), Check)
		msgs := strings.Join(checktest.Messages(res, "maillog"), "\n")
		if got := checktest.Best(res, checks.MailboxUnknown); got != "" {
			t.Errorf("sender %s: mailbox-unknown = %q from another sender's mail\n%s", sender, got, msgs)
		}
		if got := checktest.Best(res, checks.NotSent); got != checks.Likely {
			t.Errorf("sender %s: not-sent = %q, want likely (nothing of the app's)\n%s", sender, got, msgs)
		}
		if !strings.Contains(msgs, "2 log events for the recipient are of mail from other senders") {
			t.Errorf("sender %s: the left-out events are not said:\n%s", sender, msgs)
		}
	}
	// The app's own mail (a subdomain's bounce address too) stays evidence.
	tk := logTicket(t, strings.ReplaceAll(log, "other.example", "bounces.app.example.net"))
	tk.Sender = "noreply@app.example.net"
	res := checktest.RunGiven(t, nil, tk, given(nil, nil), Check)
	if got := checktest.Best(res, checks.NotSent); got != checks.RuledOut {
		t.Errorf("app's mail: not-sent = %q, want ruled-out", got)
	}
	// Without a sender, nothing is left out.
	res = checktest.RunGiven(t, nil, logTicket(t, log), given(nil, nil), Check)
	if got := checktest.Best(res, checks.NotSent); got != checks.RuledOut {
		t.Errorf("no sender: not-sent = %q, want ruled-out", got)
	}
}

// Exim's forms: "addr: reason" (no space before the colon) on ** and ==,
// => and -> deliveries, *> suppressed by -N (nothing sent).
func TestEximForms(t *testing.T) {
	const id = "1vAbCd-000000001Ab-0000"
	head := "2026-11-22 09:30:00 " + id + " <= noreply@app.example.net U=www P=local S=1234\n"
	tests := []struct {
		line  string
		kind  Kind // "" for no event
		cause checks.CauseID
	}{
		{"2026-11-22 09:30:01 " + id + " ** alice@example.com: Unrouteable address", Bounced, ""},
		{"2026-11-22 09:30:01 " + id + " ** alice@example.com <alice@example.com>: Unrouteable address", Bounced, ""},
		{"2026-11-22 09:30:01 " + id + " == alice@example.com: retry time not reached", Deferred, checks.Delayed},
		{"2026-11-22 09:30:01 " + id + " => alice@example.com R=dnslookup T=remote_smtp H=mx1.example.com [192.0.2.10] C=\"250 OK\"", Delivered, ""},
		{"2026-11-22 09:30:01 " + id + " -> alice@example.com R=dnslookup T=remote_smtp H=mx1.example.com [192.0.2.10] C=\"250 OK\"", Delivered, ""},
		{"2026-11-22 09:30:01 " + id + " *> alice@example.com R=dnslookup T=remote_smtp", "", ""},
		{"2026-11-22 09:30:01 " + id + " => /var/mail/alice (alice@example.com) <info@example.com> R=redirect T=appendfile", Delivered, ""},
		{"2026-11-22 09:30:01 " + id + " => |/usr/bin/procmail -d alice <alice@example.com> R=procmail T=pipe", Delivered, ""},
	}
	for _, tt := range tests {
		f, err := Read(strings.NewReader(head+tt.line+"\n"), "exim.log", at, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if f.Coverage.Unparsed != 0 {
			t.Errorf("%s: %d unreadable: %q", tt.line, f.Coverage.Unparsed, f.Unreadable)
		}
		switch {
		case tt.kind == "" && len(f.Events) != 0:
			t.Errorf("%s: events %+v, want none", tt.line, f.Events)
		case tt.kind != "" && (len(f.Events) != 1 || f.Events[0].Kind != tt.kind || f.Events[0].Recipient != "alice@example.com"):
			t.Errorf("%s: events %+v, want one %s for alice@example.com", tt.line, f.Events, tt.kind)
		case tt.kind == Bounced && f.Events[0].Reply != "Unrouteable address":
			t.Errorf("%s: reply %q", tt.line, f.Events[0].Reply)
		}
	}
	// Addresses that merely contain alice's are not hers.
	for _, other := range []string{"page+alice@example.com", "alice@example.com.evil", "xalice@example.com"} {
		f, _ := Read(strings.NewReader(head+"2026-11-22 09:30:01 1vAbCd-0000#0001Ab-0000 => "+other+" R=x\n"), "exim.log", at, "alice@example.com")
		if f.Lost.Lines != 0 || f.Coverage.Unparsed != 0 {
			t.Errorf("%s: lost %+v, %d unreadable", other, f.Lost, f.Coverage.Unparsed)
		}
	}
	// An Exim delivery entry naming alice that cannot be read is lost.
	f, _ := Read(strings.NewReader(head+"2026-11-22 09:30:01 1vAbCd-0000#0001Ab-0000 => alice@example.com R=x\n"), "exim.log", at, "alice@example.com")
	if f.Lost.Lines != 1 {
		t.Errorf("garbled Exim id: lost %+v", f.Lost)
	}
}

// Traditional syslog times carry no zone: they are read in the log's
// zone, and the evidence says which.
func TestLogZone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no zoneinfo:", err)
	}
	// Written in Paris time: 10:30 there is 09:30 UTC, before --at (10:00 UTC).
	log := "Nov 22 10:00:00 mail postfix/qmgr[1]: ABCDEF1234: removed\n" +
		"Nov 22 10:30:01 mail postfix/smtp[2]: 5A5A5A5A5A: to=<alice@example.com>, relay=mx1.example.com[192.0.2.10]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\n" +
		"Nov 22 10:59:00 mail postfix/qmgr[1]: ABCDEF1235: removed\n"
	tk := logTicket(t, log)
	tk.LogZone = paris
	res := checktest.RunGiven(t, nil, tk, given(nil, nil), Check)
	msgs := strings.Join(checktest.Messages(res, "maillog"), "\n")
	if got := checktest.Best(res, checks.NotSent); got != checks.RuledOut {
		t.Errorf("not-sent = %q, want ruled-out\n%s", got, msgs)
	}
	if !strings.Contains(msgs, "read as Europe/Paris") || !strings.Contains(msgs, "09:30:01 UTC") {
		t.Errorf("the zone assumed is not said:\n%s", msgs)
	}
	// In UTC the same lines are after --at and left out.
	tk.LogZone = time.UTC
	res = checktest.RunGiven(t, nil, tk, given(nil, nil), Check)
	if got := checktest.Best(res, checks.NotSent); got == checks.RuledOut {
		t.Errorf("UTC: not-sent = %q", got)
	}
	// A log of its own zone (ZonedLog) is read in it, whatever the
	// ticket's zone is.
	tk.Sources.Logs[0] = &checks.ZonedLog{Stream: tk.Sources.Logs[0], Zone: paris}
	res = checktest.RunGiven(t, nil, tk, given(nil, nil), Check)
	if got := checktest.Best(res, checks.NotSent); got != checks.RuledOut ||
		!strings.Contains(strings.Join(checktest.Messages(res, "maillog"), "\n"), "read as Europe/Paris") {
		t.Errorf("a log in Paris time, the ticket's zone UTC: not-sent = %q\n%v", got, checktest.Messages(res, "maillog"))
	}
	// A zone in the timestamp wins; nothing is said about a zone.
	f, err := ReadIn(strings.NewReader("2026-11-22T10:30:01+01:00 mail postfix/qmgr[1]: ABCDEF1234: removed\n"), "x.log", at, paris, "alice@example.com")
	if err != nil || f.Coverage.Zone != nil {
		t.Errorf("RFC 3339 stamps: zone %v, err %v", f.Coverage.Zone, err)
	}
}

// With an account whose email is not the ticket's, a delivery to the
// account's address rules out not-sent.
func TestSentToAccountAddress(t *testing.T) {
	log := "Nov 22 09:00:00 mail postfix/qmgr[1]: ABCDEF1234: removed\n" +
		"Nov 22 09:30:01 mail postfix/smtp[2]: 5A5A5A5A5A: to=<bob@example.com>, relay=mx1.example.com[192.0.2.10]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\n" +
		"Nov 22 10:00:00 mail postfix/qmgr[1]: ABCDEF1235: removed\n"
	acct := &account.Account{Found: true, ID: "u2", Email: "bob@example.com", Status: "active"}
	res := checktest.RunGiven(t, nil, logTicket(t, log), given(nil, acct), Check)
	msgs := strings.Join(checktest.Messages(res, "maillog"), "\n")
	if v := checktest.Verdicts(res)[checks.NotSent]; len(v) != 1 || v[0] != checks.RuledOut {
		t.Errorf("not-sent = %v, want ruled-out only\n%s", v, msgs)
	}
	if got := checktest.Best(res, checks.WrongInbox); got != checks.Confirmed {
		t.Errorf("wrong-inbox = %q", got)
	}
}

// An expired link shown by the records: the reset was sent longer ago
// than a link lives, its delivery is logged and nothing newer.
func TestExpiredLinkDelivered(t *testing.T) {
	log := "Nov 20 07:59:00 mail postfix/qmgr[1]: ABCDEF1234: removed\n" +
		"Nov 20 08:00:05 mail postfix/smtp[2]: 5A5A5A5A5A: to=<alice@example.com>, relay=mx1.example.com[192.0.2.10]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\n" +
		"Nov 22 10:00:00 mail postfix/qmgr[1]: ABCDEF1235: removed\n"
	reset := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	acct := &account.Account{Found: true, ID: "u4", Email: "alice@example.com", Status: "active", ResetSentAt: reset}
	res := checktest.RunGiven(t, nil, logTicket(t, log), given(nil, acct), Check)
	if got := checktest.Best(res, checks.LinkExpired); got != checks.Likely {
		t.Errorf("link-expired = %q, want likely\n%s", got, strings.Join(checktest.Messages(res, "maillog"), "\n"))
	}
	// A longer lifetime: not expired; nothing said.
	tk := logTicket(t, log)
	tk.LinkTTL = 72 * time.Hour
	res = checktest.RunGiven(t, nil, tk, given(nil, acct), Check)
	if got := checktest.Best(res, checks.LinkExpired); got != "" {
		t.Errorf("72h link: link-expired = %q", got)
	}
	// The delivery logged is older than the reset: not the reset's.
	acct2 := *acct
	acct2.ResetSentAt = reset.Add(24 * time.Hour)
	res = checktest.RunGiven(t, nil, logTicket(t, log), given(nil, &acct2), Check)
	if got := checktest.Best(res, checks.LinkExpired); got != "" {
		t.Errorf("delivery before the reset: link-expired = %q", got)
	}
}
