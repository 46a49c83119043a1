package textinput_test

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

func TestDecode(t *testing.T) {
	text := "email\nalice@example.com\nbjörn@example.org\n"
	for _, tt := range []struct {
		name, enc, want, err string
		in                   []byte
	}{
		{name: "plain", in: []byte(text), want: text},
		{name: "utf-8 bom", in: append([]byte("\xef\xbb\xbf"), text...), enc: "UTF-8", want: text},
		{name: "utf-16le", in: textinputtest.UTF16(text, false), enc: "UTF-16LE", want: text},
		{name: "utf-16be", in: textinputtest.UTF16(text, true), enc: "UTF-16BE", want: text},
		{name: "utf-16 no bom", in: textinputtest.UTF16(text, false)[2:], err: "UTF-16 without a byte order mark"},
		{name: "utf-32le", in: []byte("\xff\xfe\x00\x00e\x00\x00\x00"), err: "UTF-32LE"},
		{name: "empty", in: nil, want: ""},
		{name: "one byte", in: []byte("a"), want: "a"},
		{name: "zeros are bytes, not UTF-16", in: make([]byte, 8), want: string(make([]byte, 8))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, enc, err := textinput.Decode(strings.NewReader(string(tt.in)))
			if tt.err != "" {
				var ee *textinput.EncodingError
				if !errors.As(err, &ee) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want an EncodingError naming %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || string(got) != tt.want || enc != tt.enc {
				t.Errorf("got %q, %q, %v; want %q, %q", got, enc, err, tt.want, tt.enc)
			}
		})
	}
}

func TestReaderLimits(t *testing.T) {
	for _, tt := range []struct {
		name      string
		in        string
		maxLine   int
		maxRecord int64
		what      string
		line      int
	}{
		{name: "short lines pass", in: "ab\ncd\nef", maxLine: 2},
		{name: "long line", in: "ab\ncdef\ngh\n", maxLine: 3, what: "line", line: 2},
		{name: "long last line", in: "ab\ncd\nefgh", maxLine: 3, what: "line", line: 3},
		{name: "record", in: "a\nb\nc\nd\ne\n", maxLine: 5, maxRecord: 6, what: "record", line: 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time and all at once must agree; a record's
			// line is where reading stopped, so only exact byte by byte.
			for _, oneByte := range []bool{true, false} {
				var src io.Reader = strings.NewReader(tt.in)
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				r := textinput.NewReader(src, 1, tt.maxLine)
				r.MaxRecord = tt.maxRecord
				got, err := io.ReadAll(r)
				var le *textinput.LimitError
				if tt.what == "" {
					if err != nil || string(got) != tt.in {
						t.Errorf("one byte %v: %q, %v; want all of it", oneByte, got, err)
					}
					continue
				}
				if !errors.As(err, &le) || le.What != tt.what || (oneByte || tt.what == "line") && le.Line != tt.line {
					t.Errorf("one byte %v: err = %#v, want %s at line %d", oneByte, err, tt.what, tt.line)
				}
			}
		})
	}
}

func TestReaderEndless(t *testing.T) {
	src := textinputtest.Zeros(1 << 30)
	var err error
	alloc := textinputtest.Alloc(func() {
		sc := bufio.NewScanner(textinput.NewReader(src, 1, textinput.MaxLine))
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
		}
		err = sc.Err()
	})
	var le *textinput.LimitError
	if !errors.As(err, &le) || le.Line != 1 || !strings.Contains(err.Error(), "line longer than 1 MiB") {
		t.Errorf("err = %v, want line 1 longer than 1 MiB", err)
	}
	if src.Count() > 2*textinput.MaxLine || alloc > 16<<20 {
		t.Errorf("read %d bytes, allocated %s: not bounded", src.Count(), textinputtest.MiB(alloc))
	}
}

func TestReadAll(t *testing.T) {
	src := textinputtest.Zeros(1 << 30)
	var err error
	alloc := textinputtest.Alloc(func() { _, err = textinput.ReadAll(src, 1<<20, "config") })
	if err == nil || err.Error() != "config larger than 1 MiB" {
		t.Errorf("err = %v", err)
	}
	if alloc > 8<<20 {
		t.Errorf("allocated %s", textinputtest.MiB(alloc))
	}
	if b, err := textinput.ReadAll(strings.NewReader("abc"), 3, "file"); err != nil || string(b) != "abc" {
		t.Errorf("exactly at the bound: %q, %v", b, err)
	}
}

func TestClip(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"short", `"short"`},
		{"a\x00b", `"a\x00b"`},
		{strings.Repeat("x", 200<<20), `"` + strings.Repeat("x", 60) + `"... (200 MiB in all)`},
		{strings.Repeat("x", 59) + "é" + strings.Repeat("y", 10), `"` + strings.Repeat("x", 59) + `"... (71 bytes in all)`},
		{strings.Repeat("x", 3<<19), `"` + strings.Repeat("x", 60) + `"... (1.5 MiB in all)`},
	} {
		if got := textinput.Clip(tt.in); got != tt.want {
			t.Errorf("Clip(%.20q) = %.100s, want %.100s", tt.in, got, tt.want)
		}
	}
}

func TestControl(t *testing.T) {
	for _, tt := range []struct {
		in string
		c  rune
		at int
		ok bool
	}{
		{"alice@example.com", 0, 0, false},
		{"björn@example.org", 0, 0, false},
		{"alice\x00@example.com", 0, 5, true},
		{"a\tb@x", '\t', 1, true},
		{"a\u0085b@x", 0x85, 1, true},
		{"a\x7f@x", 0x7f, 1, true},
	} {
		c, at, ok := textinput.Control(tt.in)
		if c != tt.c || at != tt.at || ok != tt.ok {
			t.Errorf("Control(%q) = %U %d %v, want %U %d %v", tt.in, c, at, ok, tt.c, tt.at, tt.ok)
		}
	}
}

// TestEndlessPattern checks the test helper itself: prefix, then the fill
// with a separator every Every bytes, whatever the read sizes.
func TestEndlessPattern(t *testing.T) {
	e := &textinputtest.Endless{Prefix: "ab", Fill: 'x', Sep: '\n', Every: 3, Max: 14}
	got, err := io.ReadAll(iotest.HalfReader(e))
	if string(got) != "abxx\nxx\nxx\nxx\n" || !errors.Is(err, textinputtest.ErrRanAway) {
		t.Errorf("got %q, %v", got, err)
	}
}
