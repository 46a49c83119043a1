// Package file is the source driver for evidence in files, the one a spec
// that is a path picks: user records as CSV or JSON, suppression exports
// and mail logs as text (their checks read the formats), and messages as
// .eml, mbox or Maildir. "-" is standard input. It registers itself as the
// "file" scheme; a program links it in with
//
//	import _ "github.com/whymail/whymail/source/file"
package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/whymail/whymail/source"
)

func init() { source.Register("file", Driver{}) }

// Driver opens files. A spec is a path, "file:PATH", or "-" for standard
// input.
type Driver struct{}

// Open returns the source of kind in the file named by spec.
func (Driver) Open(kind source.Kind, spec string) (source.Source, error) {
	path := strings.TrimPrefix(spec, "file:")
	if path == "" {
		return nil, fmt.Errorf("empty path for %s", kind)
	}
	switch kind {
	case source.KindUsers:
		return Users{Path: path}, nil
	case source.KindSuppressions, source.KindLog:
		return Stream{Path: path}, nil
	case source.KindBounces, source.KindMessage:
		return Messages{Path: path}, nil
	}
	return nil, fmt.Errorf("files cannot give %s", kind)
}

// Stdin is what "-" reads; tests replace it.
var Stdin io.Reader = os.Stdin

// stdinOnce guards standard input: it can be read once in a run.
var stdinOnce sync.Mutex

// open opens path, "-" being standard input. A failure is an InputError
// naming the path, with the reason alone (not Go's "open PATH:" prefix).
func open(path string) (io.ReadCloser, error) {
	if path == "-" {
		if !stdinOnce.TryLock() {
			return nil, source.Inputf("-", 0, "standard input can be given for one input only, and read once")
		}
		return io.NopCloser(Stdin), nil
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, source.Inputf(path, 0, "cannot read: %v", err)
	}
	return f, nil
}

// Users are user records in a CSV or JSON file (ReadUsers).
type Users struct{ Path string }

func (u Users) Describe() string { return u.Path }

// Users calls fn with every record of the file: a file cannot filter.
func (u Users) Users(ctx context.Context, _ source.UserQuery, fn func(source.User) error) (int, error) {
	f, err := open(u.Path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	err = ReadUsers(f, u.Path, func(r source.User) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n++
		return fn(r)
	})
	return n, err
}

// Stream is a file read as text: a mail log, a suppression export.
type Stream struct{ Path string }

func (s Stream) Describe() string { return s.Path }

// Open opens the file whole: the check filters what it reads.
func (s Stream) Open(context.Context, source.Query) (io.ReadCloser, error) { return open(s.Path) }

// Messages are the messages of an .eml file, an mbox file or a Maildir.
type Messages struct{ Path string }

func (m Messages) Describe() string { return m.Path }

// Messages reads the file, or the Maildir directory, and calls fn with
// each message. A file that cannot be split into messages is an
// InputError naming it.
func (m Messages) Messages(ctx context.Context, fn func(source.Message) error) error {
	mf, err := readMessageFile(m.Path, open)
	if err != nil {
		if source.IsInputError(err) {
			return err
		}
		return source.Inputf(m.Path, 0, "cannot read messages: %v", err)
	}
	for _, msg := range mf.Messages {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(msg); err != nil {
			return err
		}
	}
	return nil
}
