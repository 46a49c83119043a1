package file

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

// FuzzSplit feeds a file's bytes to the mbox/.eml splitter, which keeps
// every line of the file except the "From " separators.
func FuzzSplit(f *testing.F) {
	for _, name := range []string{"two.mbox", "postfix-dsn-userunknown.eml", "arf.eml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "checks", "bounce", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("From a\n\nFrom b\n>From c\n\n>>From d\nFrom e"))
	f.Add([]byte("From \r\nFrom: x@example.com\r\n\r\nbody\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.mbox"
		src, err := splitFile(name, data)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(data, []byte("From ")) {
			if src.Format != "eml" || len(src.Messages) != 1 || !bytes.Equal(src.Messages[0].Data, data) {
				t.Fatalf("not an mbox, yet split as %s into %d messages", src.Format, len(src.Messages))
			}
		} else {
			// Lines as bufio.ScanLines counts them.
			lines := bytes.Count(data, []byte("\n"))
			if len(data) > 0 && data[len(data)-1] != '\n' {
				lines++
			}
			kept := 0
			for i, m := range src.Messages {
				if len(m.Data) == 0 {
					t.Fatalf("message %d is empty", i+1)
				}
				if want := fmt.Sprintf("%s#%d", name, i+1); m.Name != want {
					t.Fatalf("message %d named %q, want %q", i+1, m.Name, want)
				}
				kept += bytes.Count(m.Data, []byte("\n"))
			}
			// Each message had one separator; one more may end the file.
			if sep := lines - kept; sep != len(src.Messages) && sep != len(src.Messages)+1 {
				t.Fatalf("%d lines, %d kept in %d messages: lines lost", lines, kept, len(src.Messages))
			}
		}
	})
}

// TestSplitLongLine: an mbox line longer than the scanner takes is an
// error naming the line, not a file silently cut there.
func TestSplitLongLine(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 130 MB")
	}
	data := []byte("From a\nSubject: x\n\n")
	data = append(data, bytes.Repeat([]byte("x"), 65<<20)...)
	data = append(data, "\n\nFrom b\nSubject: y\n\nlost\n"...)
	_, err := splitFile("big.mbox", data)
	if err == nil || !strings.Contains(err.Error(), "mbox line 4") {
		t.Fatalf("err = %v, want one naming mbox line 4", err)
	}
}

// TestReadFileEndless: a bounce file without end (/dev/zero, an mbox
// line or message that never ends) is an error saying which bound and
// where, read in memory bounded by the message bound, never truncated.
func TestReadFileEndless(t *testing.T) {
	for _, tt := range []struct {
		name  string
		src   *textinputtest.Endless
		err   string
		bound int64 // bytes it may read
	}{
		{name: "/dev/zero", src: textinputtest.Zeros(0), err: "message larger than 32 MiB", bound: MaxMessage + 1<<20},
		{name: "endless mbox line", src: &textinputtest.Endless{Prefix: "From a@b Mon Jan  1 00:00:00 2026\nSubject: x\n", Fill: 'a'},
			err: "mbox line 3: line longer than 1 MiB", bound: 2 * maxMboxLine},
		{name: "endless mbox message", src: &textinputtest.Endless{Prefix: "From a@b Mon Jan  1 00:00:00 2026\nSubject: x\n\n", Fill: 'a', Sep: '\n', Every: 1000},
			err: "message 1 is larger than 32 MiB", bound: MaxMessage + 1<<20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Max = 1 << 30
			open := func(string) (io.ReadCloser, error) { return io.NopCloser(tt.src), nil }
			var err error
			alloc := textinputtest.Alloc(func() { _, err = readMessageFile("b.eml", open) })
			if err == nil || !strings.Contains(err.Error(), tt.err) || errors.Is(err, textinputtest.ErrRanAway) {
				t.Errorf("err = %v, want %q", err, tt.err)
			}
			if tt.src.Count() > tt.bound || alloc > 5*MaxMessage {
				t.Errorf("read %d bytes, allocated %s", tt.src.Count(), textinputtest.MiB(alloc))
			}
		})
	}
}

// TestMboxBounds: an mbox of many messages larger than a message bound
// in all is read whole.
func TestMboxBounds(t *testing.T) {
	msg := "From a@b Mon Jan  1 00:00:00 2026\nSubject: x\n\n" + strings.Repeat("body line\n", 1000) + "\n"
	in := strings.Repeat(msg, 4000) // 40 MiB
	src, err := splitMbox("m", strings.NewReader(in))
	if err != nil || len(src.Messages) != 4000 || len(in) < MaxMessage {
		t.Fatalf("%d messages, %v; want 4000", len(src.Messages), err)
	}
}
