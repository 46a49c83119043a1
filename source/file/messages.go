package file

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

	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/source"
)

// messageFile is a file of messages as read: its form and its messages.
type messageFile struct {
	File     string
	Format   string // eml, mbox, maildir
	Messages []source.Message
}

// Bounds of what a file of messages holds (bounces, the sent message), so that /dev/zero or
// a wrong file stops with an error in bounded memory, never truncated:
// one message (an .eml file, a Maildir entry, a message of an mbox) up to
// MaxMessage; an mbox line up to maxMboxLine; all messages of one file or
// Maildir, held together, up to maxSource.
const (
	// MaxMessage is the largest message read.
	MaxMessage  = 32 << 20
	maxMboxLine = textinput.MaxLine
	maxSource   = 256 << 20
)

// ReadFile reads an .eml file, an mbox file (messages split on "From "
// lines) or a Maildir directory (cur/ and new/), through open for files.
// A directory is read from disk (os.ReadDir).
func readMessageFile(name string, open func(string) (io.ReadCloser, error)) (*messageFile, error) {
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
	data, err := textinput.ReadAll(br, MaxMessage, "message")
	if err != nil {
		return nil, err
	}
	return &messageFile{File: name, Format: "eml", Messages: []source.Message{{Name: name, Form: "eml", Data: data}}}, nil
}

// splitFile tells an mbox (first line "From ") from a single message.
func splitFile(name string, data []byte) (*messageFile, error) {
	if !bytes.HasPrefix(data, []byte("From ")) {
		return &messageFile{File: name, Format: "eml", Messages: []source.Message{{Name: name, Form: "eml", Data: data}}}, nil
	}
	return splitMbox(name, bytes.NewReader(data))
}

// splitMbox splits an mbox on its "From " lines, streaming. A line, a
// message or the whole file over its bound is an error naming the line,
// not the silent end of the mbox.
func splitMbox(name string, r io.Reader) (*messageFile, error) {
	src := &messageFile{File: name, Format: "mbox"}
	sc := bufio.NewScanner(textinput.NewReader(r, 1, maxMboxLine))
	sc.Buffer(make([]byte, 64<<10), maxMboxLine+64)
	var cur bytes.Buffer
	total := 0
	flush := func() {
		if cur.Len() > 0 {
			src.Messages = append(src.Messages, source.Message{Name: fmt.Sprintf("%s#%d", name, len(src.Messages)+1), Form: "mbox", Data: bytes.Clone(cur.Bytes())})
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
		if cur.Len()+len(line) >= MaxMessage {
			return nil, fmt.Errorf("mbox line %d: message %d is larger than %s", n, len(src.Messages)+1, textinput.Size(MaxMessage))
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

func readMaildir(dir string, open func(string) (io.ReadCloser, error)) (*messageFile, error) {
	src := &messageFile{File: dir, Format: "maildir"}
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
			data, err := textinput.ReadAll(f, MaxMessage, "message")
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if total += len(data); total > maxSource {
				return nil, &textinput.LimitError{What: "Maildir", Limit: maxSource}
			}
			src.Messages = append(src.Messages, source.Message{Name: p, Form: "maildir", Data: data})
		}
	}
	if !found {
		return nil, fmt.Errorf("directory is not a Maildir (no cur/ or new/)")
	}
	return src, nil
}
