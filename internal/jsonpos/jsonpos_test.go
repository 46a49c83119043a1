package jsonpos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// collect reads in and describes each element as "line:index[key][!]=raw",
// ! marking an element that does not begin its line.
func collect(r io.Reader, opt Options) (string, error) {
	var parts []string
	err := Read(r, "f.json", opt, func(e *Element) error {
		var raw json.RawMessage
		if err := e.Decode(&raw); err != nil {
			return err
		}
		s := fmt.Sprintf("%d:%d", e.Line, e.Index)
		if e.Key != "" {
			s += e.Key
		}
		if !e.Alone {
			s += "!"
		}
		parts = append(parts, s+"="+string(raw))
		return nil
	})
	return strings.Join(parts, " "), err
}

func keys(names ...string) func(string) (bool, error) {
	return func(k string) (bool, error) {
		if k == "bad" {
			return false, errors.New("key bad is not allowed")
		}
		for _, n := range names {
			if n == k {
				return true, nil
			}
		}
		return false, nil
	}
}

func TestRead(t *testing.T) {
	seq := Options{Sequence: true}
	obj := Options{Keys: keys("items", "more")}
	tests := []struct {
		name string
		in   string
		opt  Options
		want string
		err  string // the whole error message
	}{
		{"array", "[\n  {\"a\": 1},\n  {\"a\": 2}\n]\n", Options{}, `2:0={"a": 1} 3:1={"a": 2}`, ""},
		{"one line", `[{"a":1},{"a":2}, 3 ,"x"]`, Options{}, `1:0!={"a":1} 1:1!={"a":2} 1:2!=3 1:3!="x"`, ""},
		{"pretty elements", "[{\n\"a\": 1\n}, {\n\"b\":\n2}]", Options{}, "1:0!={\n\"a\": 1\n} 3:1!={\n\"b\":\n2}", ""},
		{"comma first", "[ 1\n, 2\n, 3]", Options{}, "1:0!=1 2:1!=2 3:2!=3", ""},
		{"crlf", "[\r\n1,\r\n2\r\n]", Options{}, "2:0=1 3:1=2", ""},
		{"empty array", " [ ] ", Options{}, "", ""},
		{"first line", "[\n1]", Options{Line: 5}, "6:0=1", ""},
		{"ndjson", "{\"a\":1}\n{\"a\":2}\n\n{\"a\":3}\n", seq, `1:0={"a":1} 2:1={"a":2} 4:2={"a":3}`, ""},
		{"pretty sequence", "{\n \"a\": 1\n}\n{\n \"a\": 2\n}", seq, "1:0={\n \"a\": 1\n} 4:1={\n \"a\": 2\n}", ""},
		{"arrays in a sequence", "[1,\n2]\n[3]\n4", seq, "1:0!=1 2:1=2 3:2!=3 4:3=4", ""},
		{"empty sequence", "  \n", seq, "", ""},
		{"object keys", "{\"paging\": {\"x\": [1]},\n \"items\": [\n  {\"a\": 1},\n  {\"a\": 2}],\n \"more\": [5]}", obj,
			`3:0items={"a": 1} 4:1items={"a": 2} 5:2more!=5`, ""},
		{"object without the keys", `{"x": 1}`, obj, "", ""},
		{"data after an object", "{\"x\": 1}\n{}", obj, "", "f.json:2: unexpected data after the closing } of the object"},
		{"array with keys", "[1]", obj, "1:0!=1", ""},

		{"empty", "", Options{}, "", "f.json: no JSON in the file: want a JSON array"},
		{"object not wanted", "\n{\"a\": 1}", Options{}, "", "f.json:2: want a JSON array, not an object"},
		{"trailing data", "[1]\n\n[2]", Options{}, "1:0!=1", "f.json:3: unexpected data after the closing ] of the array"},
		{"syntax error in element", "[\n{\"a\": 1},\n{\"a\": 1\n \"b\": 2}]", Options{}, `2:0={"a": 1}`,
			`f.json:4: bad JSON: invalid character '"' after object key:value pair`},
		{"syntax error on a shared line", `[{"a":1},{"a":}]`, Options{}, `1:0!={"a":1}`,
			`f.json:1: record 2: bad JSON: invalid character '}' looking for beginning of value`},
		{"missing comma", "[1\n2]", Options{}, "1:0!=1", "f.json:2: bad JSON: expected comma after array element"},
		{"trailing comma", "[1,\n]", Options{}, "1:0!=1", "f.json:2: bad JSON: invalid character ']' looking for beginning of value"},
		{"truncated array", "[\n{\"a\": 1},\n{\"a\":\n", Options{}, `2:0={"a": 1}`, "f.json:3: the JSON array ends early (missing ] or })"},
		{"unclosed array", "[1,\n2\n", Options{}, "1:0!=1 2:1=2", "f.json:2: the JSON array ends early (missing ] or })"},
		{"truncated value", "{\"a\": 1}\n{\"a\"", seq, `1:0={"a": 1}`, "f.json:2: the JSON ends early (missing ] or })"},
		{"stray bracket", "{}\n]", seq, "1:0={}", "f.json:2: bad JSON: invalid character ']' looking for beginning of value"},
		{"bad top-level value", "{}\nnope", seq, "1:0={}", "f.json:2: bad JSON: invalid character 'o' in literal null (expecting 'u')"},
		{"not an array under a key", "{\n\"items\": {\"a\": 1}}", obj, "", `f.json:2: want a JSON array under "items", not an object`},
		{"refused key", "{\n\"bad\": []}", obj, "", "f.json:2: key bad is not allowed"},
		{"bad object", "{\"items\" [1]}", obj, "", `f.json:1: bad JSON: invalid character '[' after object key`},
		{"scalar for keys", "42", obj, "", "f.json:1: want a JSON array or object, not a number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// One byte at a time too, so that elements straddle reads.
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				got, err := collect(r, tc.opt)
				if got != tc.want {
					t.Errorf("elements\n  %s\nwant\n  %s", got, tc.want)
				}
				if tc.err == "" {
					if err != nil {
						t.Errorf("error %v", err)
					}
					continue
				}
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("error %v (%T), want *Error %q", err, err, tc.err)
				}
				if err.Error() != tc.err {
					t.Errorf("error\n  %s\nwant\n  %s", err, tc.err)
				}
				if ie := pe.Input(); ie.Error() != tc.err {
					t.Errorf("as InputError %q", ie)
				}
			}
		})
	}
}

// TestDecode: a type error leaves the read going; an element fn does not
// decode is skipped; an error from fn comes back as it is; Errorf names
// the record only when its line holds others.
func TestDecode(t *testing.T) {
	var got []string
	err := Read(strings.NewReader("[{\"n\": \"x\"}, {\"n\": 2},\n{\"n\": 3}]"), "f.json", Options{}, func(e *Element) error {
		if c := e.Peek(); c != '{' {
			t.Errorf("element %d starts with %q", e.Index, c)
		}
		if e.Index == 1 {
			return nil // skipped
		}
		var v struct{ N int }
		err := e.Decode(&v)
		var te *json.UnmarshalTypeError
		if e.Index == 0 && !errors.As(err, &te) {
			t.Errorf("element 0: %v, want a type error", err)
		}
		got = append(got, fmt.Sprint(e.Line, v.N))
		return nil
	})
	if err != nil || strings.Join(got, ",") != "1 0,2 3" {
		t.Errorf("got %v, %v", got, err)
	}
	stop := errors.New("stop")
	err = Read(strings.NewReader(`[1, 2]`), "f.json", Options{}, func(e *Element) error { return stop })
	if err != stop {
		t.Errorf("fn error came back as %v", err)
	}
	var msgs []string
	Read(strings.NewReader("[1, 2,\n3]"), "f.json", Options{}, func(e *Element) error {
		msgs = append(msgs, e.Errorf("bad").Error())
		return nil
	})
	if want := "f.json:1: record 1: bad|f.json:1: record 2: bad|f.json:2: bad"; strings.Join(msgs, "|") != want {
		t.Errorf("messages %q, want %q", msgs, want)
	}
}

// TestBoundedMemory: reading many elements keeps only about one element
// and a read's worth of bytes.
func TestBoundedMemory(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("[")
	for i := range 20000 {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"id": %d, "pad": "%s"}`, i, strings.Repeat("x", 100))
	}
	b.WriteString("]")
	maxBuf := 0
	n := 0
	err := Read(&b, "f.json", Options{}, func(e *Element) error {
		n++
		if c := cap(e.s.p.buf); c > maxBuf {
			maxBuf = c
		}
		if e.Line != e.Index+1 {
			t.Fatalf("element %d on line %d", e.Index, e.Line)
		}
		return nil
	})
	if err != nil || n != 20000 {
		t.Fatalf("%d elements, %v", n, err)
	}
	if maxBuf > 64<<10 {
		t.Errorf("kept up to %d bytes for a 2 MB input", maxBuf)
	}
}
