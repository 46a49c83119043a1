// Package logstore is what the log store drivers (Loki, Elasticsearch,
// the systemd journal) share: the lines a store returned, in time order
// without duplicates, and the Postfix queue IDs they name, for the second
// query that fetches the queue's other lines (cleanup's message-id=,
// qmgr's from= and removed, bounce's notification), which do not name the
// recipient. The lines go through the maillog check's parsers as a file's
// would.
package logstore

import (
	"bytes"
	"errors"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Bounds of what one diagnosis asks a store for.
const (
	MaxLines    = 100000 // lines all queries together return
	MaxQueueIDs = 500    // queue IDs the second query looks for
)

// ErrTooMany is more than MaxLines lines.
var ErrTooMany = errors.New("more than 100000 lines for this recipient: give a narrower time")

// A Line is one log line as a store keeps it.
type Line struct {
	T    time.Time
	Text string
}

// postfixID finds the queue ID of a Postfix line: "postfix/smtp[123]: 4F3A21C0D: ...".
var postfixID = regexp.MustCompile(`postfix(?:/[\w.-]+)+\[\d+\]: ([0-9A-Za-z]{6,20}): `)

// QueueIDs are the Postfix queue IDs the lines name, in order, at most
// MaxQueueIDs.
func QueueIDs(lines []Line) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lines {
		m := postfixID.FindStringSubmatch(l.Text)
		if m == nil || seen[m[1]] || m[1] == "NOQUEUE" {
			continue
		}
		seen[m[1]] = true
		if out = append(out, m[1]); len(out) == MaxQueueIDs {
			break
		}
	}
	return out
}

// QueueWindow is when the lines of queue IDs first seen in lines can be:
// from an hour before the first (a message may be picked up before its
// recipient's line) to Postfix's maximal_queue_lifetime (5 days) and a
// day after the last.
func QueueWindow(lines []Line) (time.Time, time.Time) {
	first, last := lines[0].T, lines[0].T
	for _, l := range lines {
		if l.T.Before(first) {
			first = l.T
		}
		if l.T.After(last) {
			last = l.T
		}
	}
	return first.Add(-time.Hour), last.Add(6 * 24 * time.Hour)
}

// Merge joins line sets, drops duplicates (the same time and text), and
// sorts them by time, keeping the stores' order within one time.
func Merge(sets ...[]Line) []Line {
	type key struct {
		t    int64
		text string
	}
	seen := map[key]bool{}
	var out []Line
	for _, s := range sets {
		for _, l := range s {
			k := key{l.T.UnixNano(), l.Text}
			if !seen[k] {
				seen[k] = true
				out = append(out, l)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].T.Before(out[j].T) })
	return out
}

// Clean makes a stored message one line: a trailing line break (a
// shipper's) goes, one inside becomes a space, so that a line can never
// pass for two.
func Clean(s string) string {
	s = strings.TrimRight(s, "\r\n")
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	}
	return s
}

// Text writes the lines, one a line, as a log file holds them.
func Text(lines []Line) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Chunks splits ids into groups of at most n, for queries of bounded size.
func Chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// QueueChunk is how many queue IDs one query of WithQueues asks for.
const QueueChunk = 100

// WithQueues completes the recipient's lines with the other lines of the
// Postfix queue IDs they name (from=, message-id=, bounce and removed
// lines do not name the recipient): query asks the store for the lines of
// ids in [since, until], QueueChunk IDs at a time. The queues' lines come
// first within one time, as the store keeps them, so that a store that
// keeps times to the second still gives a queue's lines in their order.
func WithQueues(lines []Line, query func(ids []string, since, until time.Time) ([]Line, error)) ([]Line, error) {
	ids := QueueIDs(lines)
	if len(ids) == 0 {
		return lines, nil
	}
	since, until := QueueWindow(lines)
	var sets [][]Line
	for _, chunk := range Chunks(ids, QueueChunk) {
		more, err := query(chunk, since, until)
		if err != nil {
			return nil, err
		}
		sets = append(sets, more)
	}
	return Merge(append(sets, lines)...), nil
}

// Window is since and until with the zero ones filled in, for a store that
// must be asked a bounded range (Loki, the journal): until now, and since
// span before until.
func Window(since, until time.Time, span time.Duration) (time.Time, time.Time) {
	if until.IsZero() {
		until = time.Now()
	}
	if since.IsZero() {
		since = until.Add(-span)
	}
	return since, until
}
