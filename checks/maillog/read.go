package maillog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unsafe"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/jsonpos"
	"github.com/whymail/whymail/internal/mailaddr"
	"github.com/whymail/whymail/internal/smtpreply"
	"github.com/whymail/whymail/internal/textinput"
)

// maxLine is the longest line of a text log (after gzip is undone);
// longer ones are an input error. It is above textinput.MaxLine because
// some MTAs log a whole header or an SMTP transcript on one line. Event
// JSON is bounded per record instead (jsonpos.DefaultMaxElement, 16 MiB).
const maxLine = 4 << 20

// maxQuoted is how many unreadable lines a file quotes.
const maxQuoted = 5

// A File is what reading one log file gave.
type File struct {
	Coverage Coverage
	// Events for the watched addresses, in file order.
	Events []Event
	// Unreadable quotes the first lines that could not be read ("file:line: text").
	Unreadable []string
	// Evicted counts queued messages forgotten because the log never
	// said they left the queue and the table was full.
	Evicted int
	// Lost are the unreadable lines that name a watched address: what
	// they said about the recipient is not in Events.
	Lost Lost
}

// Lost sums up the lines that name a watched address and could not be
// read. They are counted among the unreadable lines too.
type Lost struct {
	Lines int
	// Quoted quotes the first of them ("file:line: text").
	Quoted []string
	// Untimed counts those whose time could not be read; Latest is the
	// latest time read of the others no later than the diagnosis time,
	// and LatestSource its file:line.
	Untimed      int
	Latest       time.Time
	LatestSource string
}

// Since reports whether a lost line could be later than t (or its time is
// unknown): such a line could say something newer than an event at t.
func (l *Lost) Since(t time.Time) bool {
	return l.Untimed > 0 || !l.Latest.IsZero() && !l.Latest.Before(t)
}

// fileState is shared by the readers of one file.
type fileState struct {
	name    string
	at      time.Time
	watched []string
	cov     *Coverage
	events  []Event
	quoted  []string
	// zone is the time zone of timestamps that carry none.
	zone  *time.Location
	lower []string // watched, lower-case, for names
	lost  Lost
	// lostAt is the line last marked lost, so count quotes it as such.
	lostAt int
	// maybe is false while a line is read that the prefilter found names
	// no watched address: names and watch then say no without looking.
	maybe bool
	// slow turns the prefilter off (every line may name one): the fuzz
	// target compares both ways.
	slow    bool
	needles []needle
}

// names reports whether s names a watched address anywhere (a byte
// search, case-insensitive), read or not.
func (fs *fileState) names(s string) bool {
	if !fs.maybe {
		return false
	}
	if fs.lower == nil {
		fs.lower = make([]string, 0, len(fs.watched))
		for _, w := range fs.watched {
			if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
				fs.lower = append(fs.lower, w)
			}
		}
	}
	for _, w := range fs.lower {
		if containsFold(s, w) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the address lower (lower-case
// ASCII) as a whole address, ignoring ASCII case, without allocating:
// "page+userx@test.ex" and "userx@test.example" do not name userx@test.ex.
func containsFold(s, lower string) bool {
	n := len(lower)
	if n == 0 || len(s) < n {
		return false
	}
	c0 := lower[0]
	for i := 0; i+n <= len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c == c0 && strings.EqualFold(s[i:i+n], lower) &&
			(i == 0 || !localChar(s[i-1])) && (i+n == len(s) || !domainChar(s, i+n)) {
			return true
		}
	}
	return false
}

// localChar reports whether c can be part of an address's local part
// (RFC 5322 atext and the dot).
func localChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0
}

// domainChar reports whether the domain goes on at s[i]: a letter, digit
// or hyphen, or a dot followed by one.
func domainChar(s string, i int) bool {
	c := s[i]
	if c == '.' {
		return i+1 < len(s) && domainChar(s, i+1) && s[i+1] != '.'
	}
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

// lostLine marks line n, of time t (zero when unknown), as naming a
// watched address and unreadable.
func (fs *fileState) lostLine(n int, t time.Time) {
	if fs.lostAt == n {
		return
	}
	fs.lostAt = n
	fs.lost.Lines++
	switch {
	case t.IsZero():
		fs.lost.Untimed++
	case !t.After(fs.at) && !t.Before(fs.lost.Latest):
		fs.lost.Latest, fs.lost.LatestSource = t, fs.source(n)
	}
}

func (fs *fileState) source(n int) string { return fmt.Sprintf("%s:%d", fs.name, n) }

// seen widens the time the file covers.
func (fs *fileState) seen(t time.Time) {
	if t.IsZero() {
		return
	}
	if fs.cov.First.IsZero() || t.Before(fs.cov.First) {
		fs.cov.First = t
	}
	if t.After(fs.cov.Last) {
		fs.cov.Last = t
	}
}

// watch reports whether addr is one of the addresses looked for.
func (fs *fileState) watch(addr string) bool {
	if addr == "" || !fs.maybe {
		return false
	}
	for _, w := range fs.watched {
		if ok, _ := mailaddr.Match(addr, w); ok {
			return true
		}
	}
	return false
}

func (fs *fileState) count(n int, kind int, text string) {
	switch kind {
	case understood:
		fs.cov.Understood++
	case notRelevant:
		fs.cov.NotRelevant++
	default:
		fs.cov.Unparsed++
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		q := fmt.Sprintf("%s:%d: %q", fs.name, n, text)
		if len(fs.quoted) < maxQuoted {
			fs.quoted = append(fs.quoted, q)
		}
		if fs.lostAt == n && len(fs.lost.Quoted) < maxQuoted {
			fs.lost.Quoted = append(fs.lost.Quoted, q)
		}
	}
}

// classified fills the reply class (RFC 3463 status first, then the text).
func (fs *fileState) classified(e Event, status string) Event {
	switch e.Kind {
	case Delivered, Queued, Opened, Clicked, Complaint, Unsubscribed, Verified:
		return e
	}
	if e.Reply == "" && status == "" {
		return e
	}
	c := smtpreply.ClassifyStatus(status, e.Reply)
	e.Reason, e.Cause, e.Permanent = c.Reason, c.Cause, c.Permanent
	if e.DSN == "" {
		e.DSN = c.Status
	}
	switch e.Kind {
	case Deferred:
		e.Permanent = false
		if e.Cause == "" {
			e.Cause = checks.Delayed
		}
	case Bounced, Rejected, Expired:
		e.Permanent = true
		if e.Cause == "" || e.Cause == checks.Delayed && e.Kind != Expired {
			e.Cause = checks.RejectedByRecipient
		}
	}
	return e
}

// Read reads one log file: gzip is undone by its magic bytes, the format
// (Postfix or Exim text lines, or provider event JSON) is told from the
// content, and only events for the watched addresses are kept, so memory
// stays bounded however long the file is. Traditional syslog timestamps
// take their year from at. A line too long or JSON that does not parse
// stops the read with a *checks.InputError.
func Read(rd io.Reader, name string, at time.Time, watched ...string) (*File, error) {
	if at.IsZero() {
		at = time.Now()
	}
	return ReadIn(rd, name, at, at.Location(), watched...)
}

// ReadIn is Read with the time zone of the timestamps that carry none
// (traditional syslog, Exim without log_timezone); nil is the local zone
// of this machine.
func ReadIn(rd io.Reader, name string, at time.Time, zone *time.Location, watched ...string) (*File, error) {
	return readIn(rd, name, at, zone, false, watched...)
}

// readIn is ReadIn, with the prefilter turned off when slow is set.
func readIn(rd io.Reader, name string, at time.Time, zone *time.Location, slow bool, watched ...string) (*File, error) {
	if at.IsZero() {
		at = time.Now()
	}
	if zone == nil {
		zone = time.Local
	}
	br := bufio.NewReaderSize(rd, 256<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, checks.Inputf(name, 0, "bad gzip data: %v", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 256<<10)
	}
	// UTF-16 (with its byte order mark) is decoded, after gzip.
	dr, _, err := textinput.Decode(br)
	if err != nil {
		return nil, checks.Inputf(name, 0, "%v", err)
	}
	if dr != io.Reader(br) {
		br = bufio.NewReaderSize(dr, 256<<10)
	}
	f := &File{Coverage: Coverage{File: name}}
	fs := &fileState{name: name, at: at, watched: watched, cov: &f.Coverage, zone: zone, maybe: true, slow: slow}
	first, err := firstByte(br)
	if err != nil {
		return nil, checks.Inputf(name, 0, "%v", err)
	}
	// A text log may start with a '[' or '{' line; it is JSON only when
	// its first value reads as JSON.
	var jsonErr error
	if first == '[' || first == '{' {
		jsonErr = jsonStart(br, name)
	}
	if (first == '[' || first == '{') && jsonErr == nil {
		er := &eventReader{fileState: fs}
		if err := er.read(br); err != nil {
			return nil, err
		}
		f.Coverage.Format = strings.Join(er.formats(), "+")
	} else {
		tr := newTextReader(fs)
		lr := newLineReader(br, fs)
		n := 0
		for {
			b, maybe, ok := lr.next()
			if !ok {
				break
			}
			n++
			var line string
			if fs.maybe = maybe; fs.maybe {
				line = string(b)
			} else {
				// A line that names no watched address is read in place:
				// what the reader keeps of it (queue IDs, senders,
				// Message-IDs) it copies (see queueTable.set).
				line = unsafe.String(unsafe.SliceData(b), len(b))
			}
			kind, ok := 0, false
			if !fs.maybe {
				kind, ok = tr.fastLine(n, line)
			}
			if !ok {
				kind = tr.line(n, line)
			}
			fs.count(n, kind, line)
		}
		fs.maybe = true
		if err := lr.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				return nil, checks.Inputf(name, n+1, "line longer than %s: not a mail log", textinput.Size(maxLine))
			}
			return nil, &checks.InputError{File: name, Line: n + 1, Err: err}
		}
		tr.finish()
		if jsonErr != nil && tr.syslog == 0 && tr.exim == 0 {
			// Neither text nor JSON: say what was wrong with the JSON.
			return nil, jsonErr
		}
		if tr.syslog == 0 && tr.exim == 0 && fs.cov.Unparsed > 0 {
			// Not one line a mail system wrote: the wrong file, not a log
			// with a few bad lines.
			return nil, checks.Inputf(name, 0, "not a mail log: no line is a syslog (Postfix) or Exim main-log line, nor is it provider event JSON; first: %s",
				strings.TrimPrefix(fs.quoted[0], name+":"))
		}
		f.Coverage.Lines = n
		f.Evicted = tr.evicted
		if tr.zoneless {
			f.Coverage.Zone = zone
		}
		f.Coverage.Format = strings.Join(tr.formats(), "+")
	}
	f.Events = fs.events
	f.Unreadable = fs.quoted
	f.Lost = fs.lost
	sort.SliceStable(f.Events, func(i, j int) bool { return f.Events[i].Time.Before(f.Events[j].Time) })
	return f, nil
}

// jsonStart reports whether the input br stands at reads as JSON: nil
// when its first value is whole and valid in what br buffers (or runs on
// past it), else the JSON's error, as the JSON reader words it.
func jsonStart(br *bufio.Reader, name string) error {
	buf, _ := br.Peek(br.Size())
	var raw json.RawMessage
	err := json.NewDecoder(bytes.NewReader(buf)).Decode(&raw)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return nil // whole, or cut off by the buffer's end: JSON
	}
	// The error lies within buf: reading buf alone finds it as reading
	// the file would, naming line and record.
	err = jsonpos.Read(bytes.NewReader(buf), name, jsonpos.Options{Sequence: true}, func(e *jsonpos.Element) error {
		var raw json.RawMessage
		return e.Decode(&raw)
	})
	if pe, ok := err.(*jsonpos.Error); ok {
		return pe.Input()
	}
	return checks.Inputf(name, 0, "bad JSON: %v", se)
}

// firstByte skips a byte order mark and white space and returns the first
// byte of the content (0 for an empty file).
func firstByte(br *bufio.Reader) (byte, error) {
	if bom, _ := br.Peek(3); len(bom) == 3 && bom[0] == 0xef && bom[1] == 0xbb && bom[2] == 0xbf {
		br.Discard(3)
	}
	for i := 1; i <= 64<<10; i++ {
		b, err := br.Peek(i)
		if len(b) < i {
			if err == io.EOF || err == nil || errors.Is(err, bufio.ErrBufferFull) {
				return 0, nil
			}
			return 0, err
		}
		if c := b[i-1]; c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c, nil
		}
	}
	return 0, nil
}
