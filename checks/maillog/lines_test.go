package maillog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// scanLines reads data as readIn did before lineReader: bufio.Scanner,
// ScanLines, lines up to maxLine.
func scanLines(rd io.Reader) ([]string, error) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var out []string
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out, sc.Err()
}

// readLines reads data with lineReader and checks each line's prefilter
// answer against mayName's.
func readLines(t *testing.T, rd io.Reader, fs *fileState) ([]string, error) {
	t.Helper()
	lr := newLineReader(rd, fs)
	var out []string
	for {
		b, maybe, ok := lr.next()
		if !ok {
			break
		}
		if want := fs.mayName(b); maybe != want {
			t.Fatalf("line %d %q: maybe %v, mayName %v", len(out)+1, b, maybe, want)
		}
		out = append(out, string(b))
	}
	return out, lr.Err()
}

var errRead = errors.New("read failed")

// readers are the ways an input can come: all at once, a byte at a time,
// halves, its data with io.EOF, an error after some of it.
var readers = []struct {
	name string
	new  func([]byte) io.Reader
}{
	{"bytes", func(b []byte) io.Reader { return bytes.NewReader(b) }},
	{"one byte", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
	{"half", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
	{"data with EOF", func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) }},
	{"error midway", func(b []byte) io.Reader {
		return io.MultiReader(bytes.NewReader(b[:len(b)/2]), iotest.ErrReader(errRead))
	}},
}

func diffLines(t *testing.T, data []byte, fs *fileState, readerNames ...string) {
	t.Helper()
	for _, r := range readers {
		if len(readerNames) > 0 && !strings.Contains(strings.Join(readerNames, ","), r.name) {
			continue
		}
		want, werr := scanLines(r.new(data))
		got, gerr := readLines(t, r.new(data), fs)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Fatalf("%s, %d bytes: error %v, bufio.Scanner's %v", r.name, len(data), gerr, werr)
		}
		if len(got) != len(want) {
			t.Fatalf("%s, %d bytes: %d lines, bufio.Scanner %d", r.name, len(data), len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: line %d is %q, bufio.Scanner's %q", r.name, i+1, got[i], want[i])
			}
		}
	}
}

func TestLineReader(t *testing.T) {
	fs := func() *fileState { return &fileState{watched: prefilterWatched} }
	for _, s := range []string{"", "\n", "\n\n", "a", "a\n", "a\r\n", "a\r", "\r", "\r\n\r\n", "a\nb", "a\r\nb\r", "\x00\n\xff\n"} {
		diffLines(t, []byte(s), fs())
	}
	// Lines about the bound: a line and its newline in maxLine bytes is
	// one; a line of maxLine bytes is too long, newline or not.
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, s := range []string{
		long(maxLine-1) + "\n" + "next\n",
		long(maxLine-2) + "\r\n",
		long(maxLine) + "\n",
		"first\n" + long(maxLine+10),
		"first\n" + long(maxLine-1),
		long(3*readBuf+5) + "\nalice@example.com\n",
	} {
		diffLines(t, []byte(s), fs(), "bytes", "half", "error midway")
	}
	// Random lines: some name watched addresses, some hold bytes outside
	// ASCII, CRs and empty lines, across every buffer size.
	rng := rand.New(rand.NewPCG(1, 2))
	parts := []string{"Nov 22 09:50:01 mail postfix/smtp[4000]: 9A8B7C6D5E: to=<", "alice@example.com", "ALICE@ex",
		"ample.com", "bob@example.org", "postmaster", "bücher", "\u212Aate@example.com", "@example.com", ">, status=sent",
		"\r", "\n", "\n", "\n", "@", "x", "Alice@", " ", "sſs@example.com", "\xff"}
	for _, size := range []int{10, 1000, firstBuf - 3, firstBuf + 7, 3 * readBuf} {
		var b bytes.Buffer
		for b.Len() < size {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		if size < readBuf {
			diffLines(t, b.Bytes(), fs())
		} else {
			diffLines(t, b.Bytes(), fs(), "bytes", "data with EOF", "error midway")
		}
		for _, w := range prefilterWatched {
			diffLines(t, b.Bytes(), &fileState{watched: []string{w}}, "bytes", "half")
		}
		diffLines(t, b.Bytes(), &fileState{watched: nil}, "bytes")
		diffLines(t, b.Bytes(), &fileState{watched: prefilterWatched, slow: true}, "bytes")
	}
}

func FuzzLineReader(f *testing.F) {
	for _, l := range prefilterLines {
		f.Add([]byte(l+l), uint8(0))
	}
	f.Add([]byte("a\r\n\r\nb\rc\n\xff alice@example.com\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, w uint8) {
		diffLines(t, data, &fileState{watched: []string{prefilterWatched[int(w)%len(prefilterWatched)]}})
		diffLines(t, data, &fileState{watched: prefilterWatched})
	})
}
