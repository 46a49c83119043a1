// Package logstoretest holds what the tests of the log store drivers
// share: a Postfix log in which the recipient's line alone names her, and
// the check that what a store returns gives the timeline the file gives.
package logstoretest

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/source"
)

// PostfixLog is a Postfix log: alice's reset bounced (its cleanup, qmgr,
// bounce and removed lines do not name her: a store finds them by queue
// ID), bob's mail was delivered.
const PostfixLog = `Nov 22 09:50:00 mail postfix/cleanup[2002]: 9A8B7C6D5E: message-id=<reset-3@app.example.net>
Nov 22 09:50:00 mail postfix/qmgr[2003]: 9A8B7C6D5E: from=<noreply@app.example.net>, size=2345, nrcpt=1 (queue active)
Nov 22 09:50:01 mail postfix/smtp[2004]: 9A8B7C6D5E: to=<Alice@Example.com>, relay=mx1.example.com[192.0.2.10]:25, delay=0.4, delays=0.01/0/0.2/0.2, dsn=5.1.1, status=bounced (host mx1.example.com[192.0.2.10] said: 550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))
Nov 22 09:50:01 mail postfix/bounce[2006]: 9A8B7C6D5E: sender non-delivery notification: 1C2D3E4F50
Nov 22 09:50:01 mail postfix/qmgr[2003]: 9A8B7C6D5E: removed
Nov 22 09:51:00 mail postfix/cleanup[2002]: 7B7B7B7B7B: message-id=<x@app.example.net>
Nov 22 09:51:01 mail postfix/smtp[2004]: 7B7B7B7B7B: to=<bob@example.org>, relay=mx.example.org[192.0.2.30]:25, delay=0.4, dsn=2.0.0, status=sent (250 OK)
Nov 22 09:51:01 mail postfix/qmgr[2003]: 7B7B7B7B7B: removed
`

// SameTimeline fails t unless the lines a store returned for
// alice@example.com (got) give the events that the whole of PostfixLog
// gives, as of at. A store may keep times to the second only.
func SameTimeline(t testing.TB, got string, at time.Time) {
	t.Helper()
	fromStore, err := maillog.Read(strings.NewReader(got), "store", at, "alice@example.com")
	if err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	fromFile, err := maillog.Read(strings.NewReader(PostfixLog), "file", at, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(fromStore.Events) != len(fromFile.Events) || len(fromStore.Events) == 0 {
		t.Fatalf("%d events from the store, %d from the file\n%s", len(fromStore.Events), len(fromFile.Events), got)
	}
	for i := range fromFile.Events {
		a, b := fromStore.Events[i], fromFile.Events[i]
		sameTime := a.Time.Equal(b.Time) || a.Time.Equal(b.Time.Truncate(time.Second))
		if a.Kind != b.Kind || a.MessageID != b.MessageID || a.From != b.From || a.Reply != b.Reply || !sameTime {
			t.Errorf("event %d: store %+v\nfile %+v", i, a, b)
		}
	}
}

// Read is the whole of what s returns for q.
func Read(ctx context.Context, s source.Stream, q source.Query) (string, error) {
	rc, err := s.Open(ctx, q)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}
