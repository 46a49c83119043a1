package jsonpos

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// check reads in with the options mode picks and checks every element
// against the input itself: its line is one more than the newlines before
// its offset, its bytes are the input's there, and Alone is true when only
// white space precedes it on its line.
func check(t *testing.T, in []byte, mode byte) {
	opt := Options{Sequence: mode&1 != 0}
	if mode&2 != 0 {
		opt.Keys = keys("items", "more")
	}
	var r io.Reader = bytes.NewReader(in)
	if mode&4 != 0 {
		r = iotest.OneByteReader(r)
	}
	next := 0
	err := Read(r, "f", opt, func(e *Element) error {
		if e.Index != next {
			t.Fatalf("index %d, want %d", e.Index, next)
		}
		next++
		if e.Offset < 0 || e.Offset >= int64(len(in)) {
			t.Fatalf("offset %d out of %d bytes", e.Offset, len(in))
		}
		if want := 1 + bytes.Count(in[:e.Offset], []byte{'\n'}); e.Line != want {
			t.Fatalf("element %d at offset %d: line %d, want %d", e.Index, e.Offset, e.Line, want)
		}
		lineStart := bytes.LastIndexByte(in[:e.Offset], '\n') + 1
		if alone := len(bytes.Trim(in[lineStart:e.Offset], " \t\r")) == 0; e.Alone != alone {
			t.Fatalf("element %d: alone %v, want %v", e.Index, e.Alone, alone)
		}
		var raw json.RawMessage
		if err := e.Decode(&raw); err != nil {
			return err
		}
		if !bytes.HasPrefix(in[e.Offset:], raw) {
			t.Fatalf("element %d: %q is not the input at offset %d", e.Index, raw, e.Offset)
		}
		return nil
	})
	if err == nil {
		return
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is %T, want *Error", err, err)
	}
	if pe.File != "f" || pe.Line < 0 || pe.Line > 1+bytes.Count(in, []byte{'\n'}) {
		t.Fatalf("error %v: line out of the input", err)
	}
}

func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"[\n{\"a\": 1},\n{\"a\": 2}\n]", `[{"a":1},{"a":}]`, "{\"a\":1}\n{\"a\":2}\n", "[1,\n2]\n[3]\n4",
		"{\"paging\": {}, \"items\": [\n{\"a\": 1}]}", "[1\n2]", "[1,\n]", "{}\n]", "\ufeff[]", "[\"\\n\",\n\"x\"]",
	} {
		for mode := range byte(8) {
			f.Add([]byte(s), mode)
		}
	}
	f.Fuzz(check)
}

// FuzzLines builds arrays, sequences and keyed objects of values spread
// over lines as the fuzzer's bytes say, and checks that every element is
// read, at the line where it was written.
func FuzzLines(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, byte(0))
	f.Add([]byte("any bytes will do"), byte(1))
	f.Add([]byte{255, 254, 253, 0, 0, 17, 42}, byte(2))
	values := []string{`{"a": 1}`, "{\n  \"a\": [1,\n 2]\n}", `"x\ny"`, `"a\\nb"`, `42`, `null`, `[]`, "[\n]", `{"k": "v", "n": {"m": true}}`, `-1.5e3`}
	spaces := []string{"", " ", "\n", "\r\n", "\n\n  ", "\t"}
	f.Fuzz(func(t *testing.T, plan []byte, shape byte) {
		var b strings.Builder
		var lines []int
		line := 1
		write := func(s string) {
			b.WriteString(s)
			line += strings.Count(s, "\n")
		}
		opt := Options{}
		switch shape % 3 {
		case 1:
			opt.Sequence = true
		case 2:
			opt.Keys = keys("items")
			write(`{"skip": [1,` + "\n" + `2], "items":`)
		}
		if shape%3 != 1 {
			write("[")
		}
		for i, c := range plan {
			if i > 0 && shape%3 != 1 {
				write(spaces[int(c>>4)%len(spaces)] + ",")
			}
			write(spaces[int(c>>1)%len(spaces)])
			if shape%3 == 1 && i > 0 {
				write("\n")
			}
			v := values[int(c)%len(values)]
			if shape%3 == 1 && v[0] == '[' {
				v = "{}" // a top-level array is streamed, not one element
			}
			lines = append(lines, line)
			write(v)
		}
		if shape%3 != 1 {
			write("\n]")
		}
		if shape%3 == 2 {
			write("}")
		}
		in := b.String()
		var got []int
		err := Read(strings.NewReader(in), "f", opt, func(e *Element) error {
			got = append(got, e.Line)
			var v any
			return e.Decode(&v)
		})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if len(got) != len(lines) {
			t.Fatalf("%q: %d elements, want %d", in, len(got), len(lines))
		}
		for i := range got {
			if got[i] != lines[i] {
				t.Fatalf("%q: element %d on line %d, want %d", in, i, got[i], lines[i])
			}
		}
		check(t, []byte(in), []byte{0, 1, 2}[shape%3]|shape&4)
	})
}
