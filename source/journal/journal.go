// Package journal is the source driver for mail logs in the systemd
// journal of the machine whymail runs on. A spec "journal:" reads every
// unit, "journal:UNIT" (postfix@-.service, exim4.service, a pattern) one.
// It runs
//
//	journalctl -o json --no-pager [-u UNIT] --since @T --until @T --grep RE --case-sensitive=false
//
// so that the journal does the filtering: the recipients as a pattern on
// the message, within the run's window; a journalctl built without
// pattern matching (or older than --grep) is run without it and its lines
// are filtered here. For Postfix a second run by the queue IDs those
// lines carry fetches the from=, message-id=, bounce and removed lines,
// which do not name the recipient. Each entry's MESSAGE is rebuilt as the
// syslog line the MTA would have written (RFC 3339 time in UTC, host,
// identifier[pid]: message) and goes through the maillog check's parsers.
//
// journalctl must be on PATH, and the user in the systemd-journal (or
// adm) group: one who sees only their own entries is an error, never a
// log that looks empty.
package journal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/whymail/whymail/internal/logstore"
	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/source"
)

func init() { source.Register("journal", Driver{}) }

// Command is the program run; tests put a fake of it on PATH.
const Command = "journalctl"

// DefaultSpan is the window asked for when the run gives no start.
const DefaultSpan = 30 * 24 * time.Hour

// maxRealtime is the year 10000 in microseconds: RFC 3339 ends before.
const maxRealtime = 253402300800 * 1000000

// maxEntry bounds one entry of journalctl's JSON.
const maxEntry = 1 << 20

// Driver opens "journal:" specs.
type Driver struct{}

var unitName = regexp.MustCompile(`^[A-Za-z0-9:_.@\\*?\[\]-]+$`)

// Open returns the journal, or one unit's part of it.
func (Driver) Open(kind source.Kind, spec string) (source.Source, error) {
	if kind != source.KindLog {
		return nil, fmt.Errorf("the systemd journal gives mail logs, not %s", kind)
	}
	unit := strings.TrimPrefix(spec, "journal:")
	if unit != "" && (!unitName.MatchString(unit) || strings.HasPrefix(unit, "-")) {
		return nil, fmt.Errorf("journal:UNIT: %q is not a unit name (journal:postfix@-.service)", unit)
	}
	return &Log{Unit: unit}, nil
}

// Log is the journal, or one unit's entries.
type Log struct {
	Unit string
}

func (l *Log) Describe() string {
	if l.Unit == "" {
		return "systemd journal"
	}
	return "systemd journal of " + l.Unit
}

// Open runs journalctl for q and returns the lines in time order.
func (l *Log) Open(ctx context.Context, q source.Query) (io.ReadCloser, error) {
	if len(q.Recipients) == 0 {
		return nil, fmt.Errorf("no recipient to look up")
	}
	since, until := logstore.Window(q.Since, q.Until, DefaultSpan)
	var alts, lower []string
	for _, r := range q.Recipients {
		alts = append(alts, regexp.QuoteMeta(r))
		lower = append(lower, strings.ToLower(r))
	}
	lines, err := l.run(ctx, "(?:"+strings.Join(alts, "|")+")", false, since, until, 0, func(msg string) bool {
		m := strings.ToLower(msg)
		for _, r := range lower {
			if strings.Contains(m, r) {
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	// Postfix: the queue's other lines do not name the recipient.
	lines, err = logstore.WithQueues(lines, func(ids []string, since, until time.Time) ([]logstore.Line, error) {
		return l.run(ctx, "(?:"+strings.Join(ids, "|")+"): ", true, since, until, len(lines), func(msg string) bool {
			for _, id := range ids {
				if strings.Contains(msg, id+": ") {
					return true
				}
			}
			return false
		})
	})
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(logstore.Text(lines))), nil
}

// errNoGrep is a journalctl that cannot --grep.
var errNoGrep = errors.New("no --grep")

// run runs journalctl over [since, until] with the pattern, or without it
// and keep as the filter when journalctl has no pattern matching.
func (l *Log) run(ctx context.Context, pattern string, caseSensitive bool, since, until time.Time, have int, keep func(string) bool) ([]logstore.Line, error) {
	lines, err := l.exec(ctx, pattern, caseSensitive, since, until, have, nil)
	if errors.Is(err, errNoGrep) {
		lines, err = l.exec(ctx, "", false, since, until, have, keep)
	}
	return lines, err
}

func (l *Log) exec(ctx context.Context, pattern string, caseSensitive bool, since, until time.Time, have int, keep func(string) bool) ([]logstore.Line, error) {
	args := []string{"-o", "json", "--no-pager"}
	if l.Unit != "" {
		args = append(args, "-u", l.Unit)
	}
	// @ is seconds since the epoch (systemd.time(7)); --until is
	// inclusive at second precision.
	args = append(args, "--since", "@"+strconv.FormatInt(since.Unix(), 10), "--until", "@"+strconv.FormatInt(until.Add(999*time.Millisecond).Unix(), 10))
	if pattern != "" {
		args = append(args, "--grep", pattern, "--case-sensitive="+strconv.FormatBool(caseSensitive))
	}
	cmd := exec.CommandContext(ctx, Command, args...)
	// A journalctl that is killed may leave a child holding its output
	// open: the pipes are closed shortly after.
	cmd.WaitDelay = 200 * time.Millisecond
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot run %s: %v", Command, err)
	}
	var werr error
	done := make(chan struct{})
	go func() {
		werr = cmd.Wait()
		pw.Close()
		close(done)
	}()
	lines, derr := Decode(pr, have, keep)
	if derr != nil {
		pr.CloseWithError(derr)
		cmd.Process.Kill()
	}
	<-done
	msg := strings.TrimSpace(stderr.String())
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s did not finish in time", Command)
	case pattern != "" && werr != nil && (strings.Contains(msg, "without pattern matching") || strings.Contains(msg, "unrecognized option") && strings.Contains(msg, "grep")):
		return nil, errNoGrep
	case derr != nil:
		return nil, fmt.Errorf("%s: %w", Command, derr)
	case werr != nil && pattern != "" && len(lines) == 0 && msg == "":
		// journalctl --grep exits 1 when nothing matched.
		return nil, nil
	case werr != nil:
		return nil, fmt.Errorf("%s failed (%v): %s", Command, werr, textinput.Clip(firstLine(msg)))
	case strings.Contains(msg, "not seeing messages from other users"):
		return nil, fmt.Errorf("%s cannot read the system journal as this user: add it to the systemd-journal group", Command)
	}
	return lines, nil
}

// An Entry is the part of a journal entry a syslog line is rebuilt from.
// MESSAGE is a string, an array of bytes (not UTF-8) or null.
type Entry struct {
	Realtime   string          `json:"__REALTIME_TIMESTAMP"`
	Hostname   string          `json:"_HOSTNAME"`
	Identifier string          `json:"SYSLOG_IDENTIFIER"`
	Comm       string          `json:"_COMM"`
	SyslogPID  string          `json:"SYSLOG_PID"`
	PID        string          `json:"_PID"`
	Message    json.RawMessage `json:"MESSAGE"`
}

// Decode reads journalctl -o json (one entry a line) into syslog lines,
// keeping those keep accepts (all when nil).
func Decode(r io.Reader, have int, keep func(string) bool) ([]logstore.Line, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxEntry)
	var out []logstore.Line
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("entry %d is not JSON: %v", n, err)
		}
		line, ok, err := e.Line()
		if err != nil {
			return nil, fmt.Errorf("entry %d: %v", n, err)
		}
		if !ok || keep != nil && !keep(line.Text) {
			continue
		}
		if out = append(out, line); have+len(out) > logstore.MaxLines {
			return nil, logstore.ErrTooMany
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("an entry larger than %s", textinput.Size(maxEntry))
		}
		return nil, err
	}
	return logstore.Merge(out), nil
}

// Line is the entry as a syslog line: "2026-11-22T09:50:01.123456Z mail
// postfix/smtp[2004]: 9A8B7C6D5E: to=<...>". An entry without a message
// gives no line.
func (e Entry) Line() (logstore.Line, bool, error) {
	msg, ok := message(e.Message)
	if !ok {
		return logstore.Line{}, false, errors.New("MESSAGE is not a string or bytes")
	}
	if msg == "" {
		return logstore.Line{}, false, nil
	}
	us, err := strconv.ParseInt(e.Realtime, 10, 64)
	if err != nil || us < 0 || us >= maxRealtime {
		return logstore.Line{}, false, fmt.Errorf("__REALTIME_TIMESTAMP %q is not microseconds", e.Realtime)
	}
	t := time.UnixMicro(us).UTC()
	host := field(e.Hostname, "localhost")
	ident := field(e.Identifier, field(e.Comm, "unknown"))
	pid := field(e.SyslogPID, e.PID)
	var b strings.Builder
	b.WriteString(t.Format("2006-01-02T15:04:05.000000Z07:00"))
	b.WriteString(" " + host + " " + ident)
	if pid != "" {
		b.WriteString("[" + pid + "]")
	}
	b.WriteString(": " + msg)
	return logstore.Line{T: t, Text: logstore.Clean(b.String())}, true, nil
}

// message reads MESSAGE: a string, bytes (journalctl's form for a message
// that is not UTF-8 or holds control characters), or null.
func message(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var bs []byte
	var nums []int
	if json.Unmarshal(raw, &nums) != nil {
		return "", false
	}
	for _, n := range nums {
		if n < 0 || n > 255 {
			return "", false
		}
		bs = append(bs, byte(n))
	}
	return strings.ToValidUTF8(string(bs), "\uFFFD"), true
}

// field is a journal field fit for a syslog line's host or tag: no
// space or control character, def when empty.
func field(s, def string) string {
	s = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f || r == '[' || r == ']' || r == ':' {
			return '_'
		}
		return r
	}, s)
	if s == "" {
		return def
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// limitedBuffer keeps the first 64 KiB written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := 64<<10 - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
