// Package textinput is what every reader of outside input shares, so that
// a hostile or odd file meets the same rules everywhere:
//
//   - Decode handles a byte order mark: UTF-8's is skipped, UTF-16
//     (what spreadsheet programs export as "Unicode text") is decoded to
//     UTF-8, UTF-32 and UTF-16 without a mark are refused by name.
//   - Reader bounds line length and record size while passing bytes
//     through, so encoding/csv and line scanners stop in bounded memory.
//   - ReadAll reads a whole file up to a bound, and fails past it instead
//     of truncating silently.
//   - Clip quotes input in an error message, one line, at most a few
//     dozen bytes, whatever the input holds.
//   - Control finds a control character (a NUL, say) in a field that
//     must not hold one.
//
// The bounds themselves are the readers' (each names and documents its
// own); MaxLine and MaxRecord are the defaults of line and record files.
package textinput

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode"
	"unicode/utf8"

	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

const (
	// MaxLine bounds a line of a line-oriented input (address lists, CSV
	// files): no real line is near it, and a reader holds at most one.
	MaxLine = 1 << 20
	// MaxRecord bounds one record of a user or suppression file (a CSV
	// row, quoted fields and all, or one JSON array element).
	MaxRecord = 1 << 20
)

// A LimitError says an input passed one of its bounds.
type LimitError struct {
	What  string // "line", "record", "file", "message", ...
	Limit int64
	Line  int // 1-based line where reading stopped; 0 when not counted
}

func (e *LimitError) Error() string {
	switch e.What {
	case "line":
		return fmt.Sprintf("line longer than %s: not a text file of this kind", Size(e.Limit))
	case "record":
		return fmt.Sprintf("record longer than %s (a quoted field that never ends?)", Size(e.Limit))
	}
	return fmt.Sprintf("%s larger than %s", e.What, Size(e.Limit))
}

// Size writes n bytes the way the documentation states bounds: "1 MiB",
// and "1.5 MiB" for sizes between.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// An EncodingError is input in an encoding the readers do not take.
type EncodingError struct{ Encoding string }

func (e *EncodingError) Error() string {
	if e.Encoding == "UTF-16 without a byte order mark" {
		return "the file looks like UTF-16 without a byte order mark (a NUL every other byte): save it as UTF-8"
	}
	return "the file is " + e.Encoding + ": save it as UTF-8"
}

// Decode returns r ready to read as UTF-8 text, and the encoding it was
// found in: "" for plain bytes, "UTF-8" when a UTF-8 byte order mark was
// skipped, "UTF-16LE" or "UTF-16BE" when r starts with that byte order
// mark and is decoded. UTF-32 and what looks like UTF-16 without a mark
// are an *EncodingError. Decoding keeps line breaks, so line numbers stay
// those of the file.
func Decode(r io.Reader) (io.Reader, string, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	b, err := br.Peek(4)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return br, "", err
	}
	switch {
	case bytes.HasPrefix(b, []byte{0, 0, 0xfe, 0xff}):
		return br, "", &EncodingError{"UTF-32BE"}
	case bytes.HasPrefix(b, []byte{0xff, 0xfe, 0, 0}):
		return br, "", &EncodingError{"UTF-32LE"}
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		br.Discard(3)
		return br, "UTF-8", nil
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}), bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		enc := "UTF-16LE"
		if b[0] == 0xfe {
			enc = "UTF-16BE"
		}
		// UseBOM reads the mark, drops it and picks the byte order.
		dec := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewDecoder()
		return transform.NewReader(br, dec), enc, nil
	case len(b) == 4 && (b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0 || b[0] == 0 && b[1] != 0 && b[2] == 0 && b[3] != 0):
		// ASCII text in UTF-16 without a mark: "a\0b\0". Read as bytes it
		// would be NULs everywhere, every line wrong for no stated reason.
		return br, "", &EncodingError{"UTF-16 without a byte order mark"}
	}
	return br, "", nil
}

// A Reader passes the bytes of an input through, counting lines, and
// fails with a *LimitError once a line is longer than MaxLine or, when
// MaxRecord is set, once more than MaxRecord bytes passed since the last
// Mark. Buffers downstream (a bufio.Reader, encoding/csv) read ahead a
// little, so a record bound holds to within their size.
type Reader struct {
	MaxLine   int   // 0: lines are not bounded
	MaxRecord int64 // 0: records are not bounded

	r    io.Reader
	line int   // 1-based line of the next byte
	run  int   // bytes since the last newline
	n    int64 // bytes passed
	mark int64
	err  error
}

// NewReader returns a Reader of r bounding lines to maxLine bytes; line
// is the number of the first line of r (1 for a whole file).
func NewReader(r io.Reader, line, maxLine int) *Reader {
	if line < 1 {
		line = 1
	}
	return &Reader{r: r, line: line, MaxLine: maxLine}
}

// Line returns the line of the byte last passed, where a limit stopped.
func (r *Reader) Line() int { return r.line }

// Exceeded returns the bound the input passed, or nil: for callers whose
// parser does not hand the reader's error back as it is.
func (r *Reader) Exceeded() *LimitError {
	le, _ := r.err.(*LimitError)
	return le
}

// Mark says a record starts here: MaxRecord counts from it.
func (r *Reader) Mark() { r.mark = r.n }

func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		seg := n - i
		if j >= 0 {
			seg = j
		}
		if r.MaxLine > 0 && r.run+seg > r.MaxLine {
			// Hand over what is within the bound, then the error.
			k := i + r.MaxLine - r.run
			r.n += int64(k - i)
			r.err = &LimitError{What: "line", Limit: int64(r.MaxLine), Line: r.line}
			return k, r.err
		}
		if j < 0 {
			r.run += seg
			r.n += int64(seg)
			break
		}
		r.run = 0
		r.line++
		r.n += int64(j + 1)
		i += j + 1
	}
	if r.MaxRecord > 0 && r.n-r.mark > r.MaxRecord {
		r.err = &LimitError{What: "record", Limit: r.MaxRecord, Line: r.line}
		return n, r.err
	}
	return n, err
}

// ReadAll reads r to its end, failing with a *LimitError (What is what)
// when it holds more than max bytes: memory stays within max, and a file
// cut short is never read as if it were whole.
func ReadAll(r io.Reader, max int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, &LimitError{What: what, Limit: max}
	}
	return data, nil
}

// clipLen is how much input an error message quotes.
const clipLen = 60

// Clip quotes s for a one-line error message: Go-quoted, so control
// characters and invalid UTF-8 show as escapes, and cut after clipLen
// bytes, so a huge header line or a binary file cannot flood the
// terminal.
func Clip(s string) string {
	if len(s) <= clipLen {
		return strconv.Quote(s)
	}
	cut := clipLen
	for cut > clipLen-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut-- // do not split a character
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf("... (%s in all)", Size(int64(len(s))))
}

// Control returns the first control character in s (C0, DEL or C1: a
// NUL, a tab, a line break ...) and its byte offset, or ok false when s
// has none. Addresses and IDs never hold one; a file that puts one there
// is broken, and comparing the field as it is would silently match
// nothing.
func Control(s string) (c rune, at int, ok bool) {
	for i, r := range s {
		if unicode.IsControl(r) {
			return r, i, true
		}
	}
	return 0, 0, false
}

// ControlError says field holds control character c, quoting value.
func ControlError(field, value string, c rune) error {
	return fmt.Errorf("%s %s holds a control character (U+%04X): the file is damaged or not text", field, Clip(value), c)
}
