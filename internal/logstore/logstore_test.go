package logstore

import (
	"reflect"
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
