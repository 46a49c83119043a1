package bounce

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSplit feeds a file's bytes to the mbox/.eml splitter and to the
// whole Classify pipeline (through an in-memory open). The splitter keeps
// every line of the file except the "From " separators; Classify fails
// only with a *FileError naming the file.
func FuzzSplit(f *testing.F) {
	for _, name := range []string{"two.mbox", "postfix-dsn-userunknown.eml", "arf.eml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
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
		open := func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		recs, err := Classify(open, name)
		var fe *FileError
		if err != nil && (!errors.As(err, &fe) || !strings.HasPrefix(fe.File, name)) {
			t.Fatalf("Classify error %T %v, want a *FileError naming %s", err, err, name)
		}
		for _, r := range recs {
			if !strings.HasPrefix(r.File, name) || r.Reason == "" {
				t.Fatalf("record %+v", r)
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
