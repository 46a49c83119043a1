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

// TestIsQueueID: the table-driven isQueueID says what the byte-by-byte
// reading of the rule says.
func TestIsQueueID(t *testing.T) {
	ref := func(s string) bool {
		if len(s) < 5 || len(s) > 32 {
			return false
		}
		hex, digit := true, false
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c >= '0' && c <= '9':
				digit = true
			case c >= 'A' && c <= 'F':
			case c >= 'a' && c <= 'z' || c >= 'G' && c <= 'Z':
				hex = false
			default:
				return false
			}
		}
		return hex || len(s) >= 10 && digit
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const chars = "0123456789ABCDEFGHXYZabfxyz-:@[ \x00\xff"
	for range 200000 {
		b := make([]byte, rng.IntN(36))
		for i := range b {
			b[i] = chars[rng.IntN(len(chars))]
			if rng.IntN(3) > 0 {
				b[i] = chars[rng.IntN(16)] // mostly hex
			}
		}
		if got, want := isQueueID(string(b)), ref(string(b)); got != want {
			t.Fatalf("isQueueID(%q) = %v, want %v", b, got, want)
		}
		n, all := queueIDEnd(string(b) + ":")
		if n <= maxQueueID && (n == len(b)) == (strings.IndexFunc(string(b), func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
		}) >= 0) {
			t.Fatalf("queueIDEnd(%q) = %d", b, n)
		}
		if n == len(b) && queueIDOf(n, all) != ref(string(b)) {
			t.Fatalf("queueIDOf(%q)", b)
		}
	}
}

// TestIsEximID: isEximID says what splitting at the dashes says.
func TestIsEximID(t *testing.T) {
	ref := func(s string) bool {
		p := strings.Split(s, "-")
		if len(p) != 3 {
			return false
		}
		for _, part := range p {
			for _, c := range part {
				if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
					return false
				}
			}
		}
		return len(p[0]) == 6 && (len(p[1]) == 6 && len(p[2]) == 2 || len(p[1]) == 11 && len(p[2]) == 4)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	const chars = "0123456789aZ-- :\xff"
	for _, s := range []string{"1abcDE-0001Ab-Cd", "1abcDE-000000005vi-0000", "1abcDE-0001Ab-C-", "1abcDE--001Ab-Cd", "1abcDE-0001Ab-C\xff"} {
		if isEximID(s) != ref(s) {
			t.Fatalf("isEximID(%q)", s)
		}
	}
	for range 300000 {
		b := []byte("1abcDE-0001Ab-Cd")
		if rng.IntN(2) == 0 {
			b = []byte("1abcDE-000000005vi-0000")
		}
		for range rng.IntN(3) {
			switch i := rng.IntN(len(b) + 1); rng.IntN(3) {
			case 0:
				if i < len(b) {
					b[i] = chars[rng.IntN(len(chars))]
				}
			case 1:
				b = append(b[:i], append([]byte{chars[rng.IntN(len(chars))]}, b[i:]...)...)
			default:
				if i < len(b) {
					b = append(b[:i], b[i+1:]...)
				}
			}
		}
		if got, want := isEximID(string(b)), ref(string(b)); got != want {
			t.Fatalf("isEximID(%q) = %v, want %v", b, got, want)
		}
	}
}
