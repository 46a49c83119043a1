package maillog

import (
	"slices"
)

// The queue table: what is kept about each queued message (Postfix queue
// ID, Exim message ID) until the log says it left the queue. Every queued
// message is in it, not only the recipient's: the lines that tie a message
// to the recipient (to=, =>) come after the ones that give its sender and
// Message-ID (cleanup, qmgr, <=), and those name only the queue ID.
//
// It stays small and out of the garbage collector's way: a hash table
// (qindex) from the ID to a slot of a slice of fixed-size records, which
// hold the ID as a fixed-size array and no pointer; the senders and
// Message-IDs are bytes of one shared buffer (text), compacted when it
// fills with those of messages gone. Only messages with an event of a watched recipient (tied) have
// more: the list of their events, in evs.

// qkey is a queue ID as a map key: its bytes, zero-padded. Queue IDs are
// letters, digits and dashes, at most 32 of them (isQueueID, isEximID).
type qkey [32]byte

const maxQueueID = len(qkey{})

// span is a string kept in the table's text.
type span struct{ off, n uint32 }

// queue is one queued message; a free slot is all zero.
type queue struct {
	key  qkey
	hash uint64 // of the ID, in index
	last int    // line last seen
	from span   // envelope sender
	mid  span   // Message-ID
	tied bool   // it has events (in evs)
}

type queueTable struct {
	index qindex // ID -> slot in recs
	recs  []queue
	free  []int32
	text  []byte
	spare []byte          // the text before the last compaction, for the next
	live  int             // bytes of text of the messages in the table
	evs   map[int32][]int // slot -> indexes of its events in the reader's events
}

func newQueueTable() queueTable {
	return queueTable{index: newQindex(), evs: map[int32][]int{}}
}

func keyOf(id string) (k qkey) {
	copy(k[:], id)
	return k
}

// get returns the slot of a queued message, creating it (a full table is
// swept first), and marks it seen on line n.
func (r *textReader) get(id string, n int) int32 {
	k := keyOf(id)
	t := &r.q
	h := t.index.hash(id)
	cell, s, ok := t.index.find(t.recs, &k, h)
	if !ok {
		if t.index.n >= maxQueues {
			r.sweep(n)
			cell, _, _ = t.index.find(t.recs, &k, h) // cells moved
		}
		if l := len(t.free); l > 0 {
			s = t.free[l-1]
			t.free = t.free[:l-1]
		} else {
			s = int32(len(t.recs))
			t.recs = append(t.recs, queue{})
		}
		t.recs[s] = queue{key: k, hash: h}
		t.index.add(t.recs, cell, s, h)
	}
	t.recs[s].last = n
	return s
}

// queued calls f for each message in the table (f may drop it).
func (t *queueTable) queued(f func(s int32)) {
	for s := range t.recs {
		if t.recs[s].key[0] != 0 {
			f(int32(s))
		}
	}
}

// str returns a string kept in the table.
func (t *queueTable) str(sp span) string {
	if sp.n == 0 {
		return ""
	}
	return string(t.text[sp.off : sp.off+sp.n])
}

// set replaces the string *sp of a message in the table by v, copying it
// into text.
func (t *queueTable) set(sp *span, v string) {
	t.live -= int(sp.n)
	*sp = span{}
	if v == "" {
		return
	}
	if len(t.text)+len(v) > cap(t.text) {
		t.compact(len(v)) // moves text, not recs: sp stays
	}
	*sp = span{uint32(len(t.text)), uint32(len(v))}
	t.text = append(t.text, v...)
	t.live += len(v)
}

// compact copies the strings of the messages in the table into a new text
// with room for need more bytes and for the table's messages to come:
// appending fills at least half of it before the next compaction, which
// keeps its cost, with the table's size, in proportion to the bytes kept.
func (t *queueTable) compact(need int) {
	size := max(2*(t.live+need), 64*len(t.recs), 64<<10)
	text := t.spare[:0]
	if cap(text) < size {
		text = make([]byte, 0, size)
	}
	move := func(sp *span) {
		if sp.n > 0 {
			off := len(text)
			text = append(text, t.text[sp.off:sp.off+sp.n]...)
			sp.off = uint32(off)
		}
	}
	t.queued(func(s int32) {
		move(&t.recs[s].from)
		move(&t.recs[s].mid)
	})
	t.text, t.spare = text, t.text
}

// drop forgets slot s.
func (t *queueTable) drop(s int32) {
	q := &t.recs[s]
	t.live -= int(q.from.n + q.mid.n)
	t.index.del(t.recs, s, q.hash)
	*q = queue{}
	delete(t.evs, s)
	t.free = append(t.free, s)
}

// remove flushes a message that left the queue and forgets it.
func (r *textReader) remove(s int32) {
	r.flush(s)
	r.q.drop(s)
}

// sweep forgets messages not seen for a long time, so that a log whose
// removals were lost still runs in bounded memory; messages with events
// of a watched recipient are kept.
func (r *textReader) sweep(n int) {
	t := &r.q
	t.queued(func(s int32) {
		if q := &t.recs[s]; n-q.last > staleLines && !q.tied {
			t.drop(s)
			r.evicted++
		}
	})
	if t.index.n < maxQueues {
		return
	}
	// Still full: forget the oldest of those without events, down to
	// half the table.
	var old []int32
	t.queued(func(s int32) {
		if q := &t.recs[s]; !q.tied && n-q.last > 0 {
			old = append(old, s)
		}
	})
	slices.SortFunc(old, func(a, b int32) int { return t.recs[a].last - t.recs[b].last })
	for _, s := range old {
		if t.index.n <= maxQueues/2 {
			break
		}
		t.drop(s)
		r.evicted++
	}
}

// flush copies a message's sender and Message-ID into its events that
// have none.
func (r *textReader) flush(s int32) {
	q := &r.q.recs[s]
	for _, i := range r.q.evs[s] {
		e := &r.events[i]
		if e.From == "" {
			e.From = r.q.str(q.from)
		}
		if e.MessageID == "" {
			e.MessageID = r.q.str(q.mid)
		}
	}
}

// finish flushes what is left in the queue table at the end of the file.
func (r *textReader) finish() {
	r.q.queued(func(s int32) {
		r.flush(s)
		r.q.drop(s)
	})
}

// addEvent adds an event, of the queued message in slot s (-1: none).
func (r *textReader) addEvent(s int32, e Event) {
	if s >= 0 {
		q := &r.q.recs[s]
		e.From, e.MessageID = r.q.str(q.from), r.q.str(q.mid)
		r.q.evs[s] = append(r.q.evs[s], len(r.events))
		q.tied = true
	}
	r.events = append(r.events, e)
}
