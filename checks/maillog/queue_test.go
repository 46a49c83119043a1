package maillog

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestQueueTableBounded: a log whose messages never leave the queue runs
// in a bounded table. When it is full the oldest messages are forgotten,
// down to half, and counted; a message with an event of the recipient is
// kept, sender and Message-ID with it.
func TestQueueTableBounded(t *testing.T) {
	var buf bytes.Buffer
	line := func(format string, a ...any) { fmt.Fprintf(&buf, "Nov 22 09:50:00 mail "+format+"\n", a...) }
	id := func(i int) string { return fmt.Sprintf("%010X", 0x1000000+i) }
	message := func(i int) {
		line("postfix/cleanup[1]: %s: message-id=<m%d@app.example>", id(i), i)
		line("postfix/qmgr[2]: %s: from=<s%d@app.example>, size=1, nrcpt=1 (queue active)", id(i), i)
	}
	to := func(i int, status string) {
		line("postfix/smtp[3]: %s: to=<alice@example.com>, relay=mx[192.0.2.1]:25, delay=1, dsn=4.0.0, status=%s", id(i), status)
	}
	const orphans = maxQueues + 1000
	message(0)
	to(0, "deferred (451 later)")
	for i := 1; i <= orphans; i++ {
		message(i)
	}
	to(0, "sent (250 ok)")
	to(1, "sent (250 ok)")       // the oldest orphan: forgotten
	to(orphans, "sent (250 ok)") // the newest: kept
	f, err := Read(bytes.NewReader(buf.Bytes()), "q.log", at, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if f.Evicted != maxQueues/2 {
		t.Errorf("evicted %d, want %d", f.Evicted, maxQueues/2)
	}
	var got []string
	for _, e := range f.Events {
		got = append(got, fmt.Sprintf("%s %s %s %s", e.QueueID, e.Kind, e.From, e.MessageID))
	}
	want := []string{
		id(0) + " deferred s0@app.example m0@app.example",
		id(0) + " delivered s0@app.example m0@app.example",
		id(1) + " delivered  ",
		fmt.Sprintf("%s delivered s%d@app.example m%d@app.example", id(orphans), orphans, orphans),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events:\n%q\nwant:\n%q", got, want)
	}
	diffRead(t, buf.Bytes(), time.UTC, "alice@example.com")
}

// TestQueueTableText: senders and Message-IDs of many messages, coming
// and going while others wait, stay each their own message's as the
// table's text is compacted.
func TestQueueTableText(t *testing.T) {
	var buf bytes.Buffer
	line := func(format string, a ...any) { fmt.Fprintf(&buf, "Nov 22 09:50:00 mail "+format+"\n", a...) }
	id := func(i int) string { return fmt.Sprintf("%010X", 0x2000000+i) }
	const n, every, wait = 50000, 97, 300
	for i := 0; i < n+wait; i++ {
		if i < n {
			line("postfix/cleanup[1]: %s: message-id=<%d.%s@app.example>", id(i), i, bytes.Repeat([]byte("x"), i%50))
			line("postfix/qmgr[2]: %s: from=<s%d@app.example>, size=1, nrcpt=1 (queue active)", id(i), i%7)
		}
		// Each message leaves the queue wait messages later.
		if j := i - wait; j >= 0 {
			rcpt := "bob@example.org"
			if j%every == 0 {
				rcpt = "alice@example.com"
			}
			line("postfix/smtp[3]: %s: to=<%s>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)", id(j), rcpt)
			line("postfix/qmgr[2]: %s: removed", id(j))
		}
	}
	f, err := Read(bytes.NewReader(buf.Bytes()), "q.log", at, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Events) != (n+every-1)/every {
		t.Fatalf("%d events", len(f.Events))
	}
	for k, e := range f.Events {
		j := k * every
		if e.QueueID != id(j) || e.From != fmt.Sprintf("s%d@app.example", j%7) ||
			e.MessageID != fmt.Sprintf("%d.%s@app.example", j, bytes.Repeat([]byte("x"), j%50)) {
			t.Fatalf("event %d: %s from %q, Message-ID %q", k, e.QueueID, e.From, e.MessageID)
		}
	}
	if f.Evicted != 0 {
		t.Errorf("evicted %d", f.Evicted)
	}
}

// TestQindex: the hash table finds what a map would, through inserts,
// growth and deletions that move entries back around its end.
func TestQindex(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	r := newTextReader(&fileState{at: at, zone: time.UTC, cov: &Coverage{}})
	model := map[string]int32{}
	var ids []string
	for step := range 300000 {
		if len(ids) > 0 && rng.IntN(2) == 0 {
			// Drop one, mostly.
			i := rng.IntN(len(ids))
			id := ids[i]
			ids[i] = ids[len(ids)-1]
			ids = ids[:len(ids)-1]
			r.q.drop(model[id])
			delete(model, id)
			k := keyOf(id)
			if _, _, ok := r.q.index.find(r.q.recs, &k, r.q.index.hash(id)); ok {
				t.Fatalf("step %d: %s found after its drop", step, id)
			}
		} else {
			id := fmt.Sprintf("%05X", rng.IntN(1<<20))
			s := r.get(id, step)
			if old, ok := model[id]; ok && old != s {
				t.Fatalf("%s: slot %d, was %d", id, s, old)
			} else if !ok {
				model[id] = s
				ids = append(ids, id)
			}
		}
		if step%1000 == 0 || len(ids) < 50 {
			n := 0
			r.q.queued(func(int32) { n++ })
			if n != len(model) || r.q.index.n != len(model) {
				t.Fatalf("step %d: %d queued, %d indexed, want %d", step, n, r.q.index.n, len(model))
			}
			for id, s := range model {
				k := keyOf(id)
				if _, got, ok := r.q.index.find(r.q.recs, &k, r.q.index.hash(id)); !ok || got != s {
					t.Fatalf("step %d: %s not found (%d, %v)", step, id, got, ok)
				}
			}
		}
		if step == 150000 {
			// Empty it down, to small again.
			for _, id := range ids {
				r.q.drop(model[id])
				delete(model, id)
			}
			ids = ids[:0]
		}
	}
}
