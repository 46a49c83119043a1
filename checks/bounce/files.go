package bounce

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/smtpreply"
	"github.com/whymail/whymail/internal/textinput"
)

// A Message is one message read from a bounce file.
type Message struct {
	Name string // file, "file#N" for the Nth message of an mbox, or the Maildir entry
	Data []byte
}

// Source is a file as read: its form and its messages.
type Source struct {
	File     string
	Format   string // eml, mbox, maildir
	Messages []Message
}

// Bounds of what --bounce and `whymail bounce` read, so that /dev/zero or
// a wrong file stops with an error in bounded memory, never truncated:
// one message (an .eml file, a Maildir entry, a message of an mbox) up to
// maxMessage; an mbox line up to maxMboxLine; all messages of one file or
// Maildir, held together, up to maxSource.
const (
	maxMboxLine = textinput.MaxLine
	maxSource   = 256 << 20
)

// ReadFile reads an .eml file, an mbox file (messages split on "From "
// lines) or a Maildir directory (cur/ and new/), through open for files.
// A directory is read from disk (os.ReadDir).
func ReadFile(name string, open func(string) (io.ReadCloser, error)) (*Source, error) {
	if fi, err := os.Stat(name); err == nil && fi.IsDir() {
		return readMaildir(name, open)
	}
	f, err := open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	if b, _ := br.Peek(5); string(b) == "From " {
		return splitMbox(name, br)
	}
	data, err := textinput.ReadAll(br, maxMessage, "message")
	if err != nil {
		return nil, err
	}
	return &Source{File: name, Format: "eml", Messages: []Message{{Name: name, Data: data}}}, nil
}

// splitFile tells an mbox (first line "From ") from a single message.
func splitFile(name string, data []byte) (*Source, error) {
	if !bytes.HasPrefix(data, []byte("From ")) {
		return &Source{File: name, Format: "eml", Messages: []Message{{Name: name, Data: data}}}, nil
	}
	return splitMbox(name, bytes.NewReader(data))
}

// splitMbox splits an mbox on its "From " lines, streaming. A line, a
// message or the whole file over its bound is an error naming the line,
// not the silent end of the mbox.
func splitMbox(name string, r io.Reader) (*Source, error) {
	src := &Source{File: name, Format: "mbox"}
	sc := bufio.NewScanner(textinput.NewReader(r, 1, maxMboxLine))
	sc.Buffer(make([]byte, 64<<10), maxMboxLine+64)
	var cur bytes.Buffer
	total := 0
	flush := func() {
		if cur.Len() > 0 {
			src.Messages = append(src.Messages, Message{Name: fmt.Sprintf("%s#%d", name, len(src.Messages)+1), Data: bytes.Clone(cur.Bytes())})
			cur.Reset()
		}
	}
	prevBlank := true
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if total += len(line) + 1; total > maxSource {
			return nil, fmt.Errorf("mbox line %d: %v", n, &textinput.LimitError{What: "mbox", Limit: maxSource})
		}
		if cur.Len()+len(line) >= maxMessage {
			return nil, fmt.Errorf("mbox line %d: message %d is larger than %s", n, len(src.Messages)+1, textinput.Size(maxMessage))
		}
		// mboxrd/mboxo: a message starts at "From " after a blank line
		// (or at the top); ">From " inside a message is unquoted.
		if bytes.HasPrefix(line, []byte("From ")) && prevBlank {
			flush()
			prevBlank = false
			continue
		}
		if bytes.HasPrefix(line, []byte(">")) && bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
			line = line[1:]
		}
		cur.Write(line)
		cur.WriteByte('\n')
		prevBlank = len(bytes.TrimSpace(line)) == 0
	}
	if err := sc.Err(); err != nil {
		if le := (*textinput.LimitError)(nil); errors.As(err, &le) {
			return nil, fmt.Errorf("mbox line %d: %v", le.Line, le)
		}
		return nil, fmt.Errorf("mbox line %d: %v", n+1, err)
	}
	flush()
	return src, nil
}

func readMaildir(dir string, open func(string) (io.ReadCloser, error)) (*Source, error) {
	src := &Source{File: dir, Format: "maildir"}
	found := false
	total := 0
	for _, sub := range []string{"cur", "new"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found = true
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(dir, sub, e.Name())
			f, err := open(p)
			if err != nil {
				return nil, err
			}
			data, err := textinput.ReadAll(f, maxMessage, "message")
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if total += len(data); total > maxSource {
				return nil, &textinput.LimitError{What: "Maildir", Limit: maxSource}
			}
			src.Messages = append(src.Messages, Message{Name: p, Data: data})
		}
	}
	if !found {
		return nil, fmt.Errorf("directory is not a Maildir (no cur/ or new/)")
	}
	return src, nil
}

// Record is one recipient of one parsed bounce, flat: the check's result
// holds those about the ticket's address, and the `whymail bounce` command
// prints every one (one JSON object per recipient).
type Record struct {
	// File is the file, with the message's position for mbox and Maildir ("x.mbox#3").
	File      string `json:"file"`
	Kind      Kind   `json:"kind"`
	Format    string `json:"format"` // rfc3464, qmail, exim, gmail, postfix, sendmail, ...
	Recipient string `json:"recipient"`
	Action    Action `json:"action"`
	Status    string `json:"status"` // RFC 3463 status
	Code      int    `json:"code,omitempty"`
	// Reason is smtpreply's reason (user-unknown, mailbox-full, ...), or
	// complaint or auto-reply; Cause its catalog cause, "" for deliveries,
	// auto-replies and complaints.
	Reason     smtpreply.Reason `json:"reason"`
	Cause      checks.CauseID   `json:"cause"`
	Permanent  bool             `json:"permanent"`
	List       string           `json:"list,omitempty"` // blocklist named in the reply
	Diagnostic string           `json:"diagnostic"`
	RemoteMTA  string           `json:"remote_mta"`
	// At is the Last-Attempt-Date, else the bounce's Date.
	At time.Time `json:"-"`
	// The returned message, when the bounce carried its headers.
	MessageID string `json:"message_id,omitempty"`
	Subject   string `json:"subject,omitempty"`
}

// The reasons of records that are not failures.
const (
	ReasonComplaint smtpreply.Reason = "complaint"
	ReasonAutoReply smtpreply.Reason = "auto-reply"
)

// Classify reads each file (.eml, mbox or Maildir) and returns one Record
// per recipient of every bounce in it, in file order. A message that is not
// a bounce yields no record; a file holding something that is not an email
// message at all is an error naming it. open may be nil (os.Open).
func Classify(open func(string) (io.ReadCloser, error), files ...string) ([]Record, error) {
	if open == nil {
		open = func(n string) (io.ReadCloser, error) { return os.Open(n) }
	}
	var out []Record
	for _, file := range files {
		src, err := ReadFile(file, open)
		if err != nil {
			return out, &FileError{File: file, Err: err}
		}
		for _, m := range src.Messages {
			b, err := parseBytes(m.Data, 0)
			if err != nil {
				return out, &FileError{File: m.Name, Err: err}
			}
			for _, r := range b.Recipients {
				out = append(out, record(m.Name, b, r))
			}
		}
	}
	return out, nil
}

// FileError is a bounce file that could not be read or is not mail.
type FileError struct {
	File string
	Err  error
}

func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// record flattens one recipient of bounce b, read from name.
func record(name string, b *Bounce, r Recipient) Record {
	at := r.LastAttempt
	if at.IsZero() {
		at = b.Date
	}
	rec := Record{
		File: name, Kind: b.Kind, Format: b.Format, Recipient: r.Address,
		Action: r.Action, Status: firstField(r.Status), Code: r.Class.Code,
		Reason: r.Class.Reason, Cause: r.Class.Cause, Permanent: r.Class.Permanent,
		List: r.Class.List, Diagnostic: r.Diagnostic, RemoteMTA: r.RemoteMTA, At: at,
		MessageID: b.Original.MessageID, Subject: b.Original.Subject,
	}
	if rec.Status == "" {
		rec.Status = r.Class.Status
	}
	switch b.Kind {
	case Feedback:
		rec.Reason, rec.Cause = ReasonComplaint, ""
	case AutoReply:
		rec.Reason, rec.Cause = ReasonAutoReply, ""
	}
	return rec
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
