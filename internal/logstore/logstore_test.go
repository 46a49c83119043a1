package logstore

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestQueueIDsMerge(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 9, 50, 0, 0, time.UTC)
	a := []Line{
		{t0.Add(time.Second), "Nov 22 09:50:01 mail postfix/smtp[2004]: 9A8B7C6D5E: to=<alice@example.com>, status=bounced"},
		{t0.Add(2 * time.Second), "Nov 22 09:50:02 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from x: 554 <alice@example.com>"},
	}
	b := []Line{{t0, "Nov 22 09:50:00 mail postfix/qmgr[2003]: 9A8B7C6D5E: from=<n@app.example>"}, a[0]}
	if got := QueueIDs(a); !reflect.DeepEqual(got, []string{"9A8B7C6D5E"}) {
		t.Errorf("QueueIDs %v", got)
	}
	m := Merge(a, b)
	if len(m) != 3 || m[0].Text != b[0].Text || m[2].Text != a[1].Text {
		t.Errorf("Merge %v", m)
	}
	if s, e := QueueWindow(a); !s.Equal(t0.Add(time.Second-time.Hour)) || !e.Equal(t0.Add(2*time.Second+144*time.Hour)) {
		t.Errorf("QueueWindow %v %v", s, e)
	}
	if got := Clean("a\r\nb\n"); got != "a b" {
		t.Errorf("Clean %q", got)
	}
	if got := Chunks([]string{"a", "b", "c"}, 2); len(got) != 2 || len(got[1]) != 1 {
		t.Errorf("Chunks %v", got)
	}
}

// TestWithQueues: the queues' lines are asked for in chunks over the
// queue window, come first within one time (a store that keeps seconds
// only still gives a queue's lines in order), and a failed query fails.
func TestWithQueues(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 9, 50, 0, 0, time.UTC)
	var lines []Line
	for i := range QueueChunk + 5 {
		lines = append(lines, Line{T: t0, Text: fmt.Sprintf("mail postfix/smtp[1]: Q%08d: to=<alice@example.com>, status=sent", i)})
	}
	var calls [][]string
	got, err := WithQueues(lines, func(ids []string, since, until time.Time) ([]Line, error) {
		calls = append(calls, ids)
		if !since.Equal(t0.Add(-time.Hour)) || !until.Equal(t0.Add(6*24*time.Hour)) {
			t.Errorf("window %v to %v", since, until)
		}
		return []Line{{T: t0, Text: "mail postfix/qmgr[2]: " + ids[0] + ": from=<app@example.net>"}, lines[0]}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || len(calls[0]) != QueueChunk || len(calls[1]) != 5 {
		t.Fatalf("queries for %d chunks, want %d and 5 IDs", len(calls), QueueChunk)
	}
	if len(got) != len(lines)+2 || !strings.Contains(got[0].Text, "Q00000000: from=") || got[1] != lines[0] {
		t.Errorf("merged %d lines, first %q %q: want the queue's from= line first, the recipient's once", len(got), got[0].Text, got[1].Text)
	}
	if _, err := WithQueues(lines, func([]string, time.Time, time.Time) ([]Line, error) { return nil, errors.New("down") }); err == nil {
		t.Error("a failed query did not fail")
	}
	if got, _ := WithQueues([]Line{{T: t0, Text: "no queue here"}}, nil); len(got) != 1 {
		t.Error("lines without a queue ID changed")
	}
}
