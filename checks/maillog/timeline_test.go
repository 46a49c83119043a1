package maillog

import (
	"bytes"
	"compress/gzip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/internal/checktest"
)

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// qmgr's "status=expired" concerns recipients still pending: a watched
// recipient already delivered in the same multi-recipient queue ID did
// not expire.
func TestExpiredSparesDeliveredRecipient(t *testing.T) {
	log := `Nov 22 09:00:00 mx postfix/smtp[1]: ABCDEF1234: to=<a@example.com>, relay=mx[1.2.3.4]:25, delay=1, dsn=2.0.0, status=sent (250 ok)
Nov 22 09:00:01 mx postfix/smtp[1]: ABCDEF1234: to=<b@other.example>, relay=mx2[1.2.3.5]:25, delay=1, dsn=4.0.0, status=deferred (try later)
Nov 22 09:30:00 mx postfix/qmgr[1]: ABCDEF1234: from=<app@example.net>, status=expired, returned to sender
`
	f, err := Read(strings.NewReader(log), "multi.log", at, "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range f.Events {
		if e.Kind == Expired {
			t.Errorf("a@example.com was delivered, yet got %+v", e)
		}
	}
	// Pending watched recipient does expire.
	log2 := strings.Replace(log, "status=sent (250 ok)", "status=deferred (451 later)", 1)
	log2 = strings.Replace(log2, "dsn=2.0.0", "dsn=4.0.0", 1)
	f, _ = Read(strings.NewReader(log2), "multi.log", at, "a@example.com")
	if n := len(f.Events); n == 0 || f.Events[n-1].Kind != Expired {
		t.Errorf("pending recipient: events %+v, want last expired", f.Events)
	}
}

// A reset recorded after --at lies outside what the diagnosis looks at
// (events after --at are left out), so the log cannot show the mail
// missing then: the window is the hour before --at instead.
func TestResetAfterAtNotLikelyNotSent(t *testing.T) {
	dir := t.TempDir()
	name := dir + "/p.log"
	log := "Nov 22 08:00:00 mx postfix/qmgr[1]: ABCDEF1234: removed\n" +
		"Nov 22 10:30:00 mx postfix/smtp[1]: ABCDEF1235: to=<alice@example.com>, relay=mx[1.2.3.4]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\n" +
		"Nov 22 11:00:00 mx postfix/qmgr[1]: ABCDEF1236: removed\n"
	if err := os.WriteFile(name, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	tk := &checks.Ticket{Address: "alice@example.com", Domain: "example.com", At: at, Sources: checks.Sources{Logs: checktest.Streams([]string{name}...)}}
	acct := &account.Account{Found: true, ID: "1", Email: "alice@example.com", ResetSentAt: at.Add(30 * time.Minute)}
	res := checktest.RunGiven(t, nil, tk, given(nil, acct), Check)
	for _, m := range checktest.Messages(res, "maillog") {
		if strings.Contains(m, "cover the reset at") {
			t.Errorf("claims the reset after --at had no mail, though its delivery is in the log: %s", m)
		}
	}
}
