// Package jsonpos streams the elements of a JSON export (an array, values
// one after another, or the arrays under chosen keys of one object) and
// tells for each the line it starts on and its index, in memory bounded by
// the largest element, so readers of provider exports can name file, line
// and record in their errors. An element, or the white space between two,
// longer than Options.MaxElement (DefaultMaxElement: 16 MiB) stops the
// read, so an endless or hostile input cannot exhaust memory.
package jsonpos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/whymail/whymail/source"
)

// Options says which shapes of input Read accepts.
type Options struct {
	// Sequence accepts values one after another (one a line as in NDJSON,
	// or pretty-printed back to back): each is an element, except that a
	// top-level array is streamed element by element. Without it the input
	// must be one array (or one object, with Keys) and nothing after it.
	Sequence bool
	// Keys, when set, accepts one top-level object and is called with each
	// of its keys in order: stream true streams the array under the key
	// (Element.Key names it), false skips the member. An error stops the
	// read, returned as an *Error at the key's line.
	Keys func(key string) (stream bool, err error)
	// Line is the line number of the first byte of the input (1 when 0),
	// for callers that consumed lines before it.
	Line int
	// MaxElement bounds the bytes of one element (and of the separators
	// before it); 0 means DefaultMaxElement. The read buffers about twice
	// this much at most.
	MaxElement int64
}

// DefaultMaxElement is the bound on one element when Options.MaxElement is
// 0: far above any provider's event or export record (a Mailgun events
// page of 300 events is under 1 MiB), far below what hurts.
const DefaultMaxElement = 16 << 20

// A LimitError is an element that passed Options.MaxElement.
type LimitError struct{ Limit int64 }

func (e *LimitError) Error() string {
	return fmt.Sprintf("a JSON record longer than %d MiB (or the JSON does not end)", e.Limit>>20)
}

// An Element is one element of the input, positioned but not yet decoded.
// It is valid only during the call of fn it is given to.
type Element struct {
	Line   int    // 1-based line the element starts on
	Index  int    // 0-based, counted over the whole input
	Offset int64  // byte offset of its first byte in the input
	Key    string // the top-level key whose array holds it (Options.Keys)
	// Alone is true when nothing but white space comes before the element
	// on its line, so the line alone locates it.
	Alone bool

	s       *stream
	decoded bool
}

// Decode decodes the element into v as json.Decoder.Decode does, with
// numbers as json.Number in interface values. Call it at most once; an
// element fn does not decode is skipped. An error in the JSON itself comes
// back as an *Error and ends the read (return it from fn); an error about
// v (a *json.UnmarshalTypeError, say) comes back as it is and the read may
// go on.
func (e *Element) Decode(v any) error {
	if e.decoded {
		return errors.New("jsonpos: element decoded twice")
	}
	e.decoded = true
	s := e.s
	if s.failed != nil {
		return s.failed
	}
	err := s.dec.Decode(v)
	if err == nil || s.dec.InputOffset() > e.Offset {
		// The value was read whole: any error is about v.
		return err
	}
	return s.fail(s.valueError(err, e))
}

// Peek returns the element's first byte ('{' for an object, '[' for an
// array, '"' for a string, ...) without decoding it.
func (e *Element) Peek() byte {
	if e.decoded {
		return 0
	}
	return e.s.p.next()
}

// Errorf returns an *Error at the element: its line, and its index when
// something comes before the element on its line.
func (e *Element) Errorf(format string, args ...any) *Error {
	return &Error{File: e.s.file, Line: e.Line, Index: e.Index, Err: fmt.Errorf(format, args...), named: !e.Alone}
}

// An Error is a problem at one place of a JSON input.
type Error struct {
	File  string
	Line  int // 1-based; 0 when not known
	Index int // 0-based index of the element it is in; -1 when in none
	Err   error
	named bool // the line alone does not locate the element
}

// Msg says what was wrong, naming the record (counted from 1: "record 3:
// ...") when something comes before it on its line, as in a one-line file.
func (e *Error) Msg() string {
	if e.named && e.Index >= 0 {
		return fmt.Sprintf("record %d: %v", e.Index+1, e.Err)
	}
	return e.Err.Error()
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg())
	}
	return e.File + ": " + e.Msg()
}

func (e *Error) Unwrap() error { return e.Err }

// Input returns the error as a *source.InputError with the same file,
// line and message.
func (e *Error) Input() *source.InputError {
	err := e.Err
	if e.named && e.Index >= 0 {
		err = fmt.Errorf("record %d: %w", e.Index+1, e.Err)
	}
	return &source.InputError{File: e.File, Line: e.Line, Err: err}
}

// Read calls fn with each element of r in order. It stops at the first
// error: a problem in the input is an *Error; an error from fn is
// returned as it is.
func Read(r io.Reader, file string, opt Options, fn func(*Element) error) error {
	first := opt.Line
	if first < 1 {
		first = 1
	}
	p := &posReader{r: r, lines: first - 1, max: opt.MaxElement}
	if p.max <= 0 {
		p.max = DefaultMaxElement
	}
	dec := json.NewDecoder(p)
	dec.UseNumber()
	p.consumed = dec.InputOffset
	s := &stream{p: p, dec: dec, file: file, opt: opt, fn: fn}
	return s.top()
}

type stream struct {
	p      *posReader
	dec    *json.Decoder
	file   string
	opt    Options
	fn     func(*Element) error
	index  int
	failed error
	nested bool    // inside an array
	el     Element // the one handed to fn, reused
}

func (s *stream) fail(err *Error) error {
	s.failed = err
	return err
}

func (s *stream) errAt(line, index int, err error) *Error {
	return &Error{File: s.file, Line: line, Index: index, Err: err}
}

// top reads the top-level values.
func (s *stream) top() error {
	n := 0
	var first byte
	for s.dec.More() {
		line, _ := s.p.advance(s.dec.InputOffset())
		c := s.p.next()
		if n > 0 && !s.opt.Sequence {
			if first == '{' {
				return s.errAt(line, -1, errors.New("unexpected data after the closing } of the object"))
			}
			return s.errAt(line, -1, errors.New("unexpected data after the closing ] of the array"))
		}
		n++
		first = c
		var err error
		switch {
		case c == '[':
			err = s.array("", false)
		case c == '{' && s.opt.Keys != nil:
			err = s.object()
		case s.opt.Sequence:
			err = s.element("")
		case s.opt.Keys != nil:
			err = s.errAt(line, -1, fmt.Errorf("want a JSON array or object, not %s", what(c)))
		default:
			err = s.errAt(line, -1, fmt.Errorf("want a JSON array, not %s", what(c)))
		}
		if err != nil {
			return err
		}
	}
	// More stops at the end, at a stray closing bracket and at errors.
	tok, err := s.dec.Token()
	if err == io.EOF {
		if n == 0 && !s.opt.Sequence {
			return s.errAt(0, -1, errors.New("no JSON in the file: want a JSON array"))
		}
		return nil
	}
	if err == nil {
		err = fmt.Errorf("unexpected closing %v", tok)
	}
	return s.tokenError(err)
}

func what(c byte) string {
	switch {
	case c == '{':
		return "an object"
	case c == '"':
		return "a string"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	case c == 't' || c == 'f':
		return "true or false"
	case c == 'n':
		return "null"
	}
	return fmt.Sprintf("%q", c)
}

// array streams the array the decoder stands before.
func (s *stream) array(key string, opened bool) error {
	if !opened {
		if _, err := s.dec.Token(); err != nil {
			return s.tokenError(err)
		}
	}
	s.nested = true
	defer func() { s.nested = false }()
	for s.dec.More() {
		if err := s.element(key); err != nil {
			return err
		}
	}
	if _, err := s.dec.Token(); err != nil {
		return s.tokenError(err)
	}
	return nil
}

// element hands the next value to fn, and skips it if fn did not decode it.
func (s *stream) element(key string) error {
	line, alone := s.p.advance(s.dec.InputOffset())
	if s.p.start == len(s.p.buf) {
		if le, ok := s.p.err.(*LimitError); ok {
			return s.fail(s.errAt(line, -1, le))
		}
		// A comma, then the end.
		return s.fail(s.errAt(line, -1, s.ends()))
	}
	s.el = Element{Line: line, Index: s.index, Offset: s.p.base, Key: key, Alone: alone, s: s}
	e := &s.el
	s.index++
	if err := s.fn(e); err != nil {
		return err
	}
	if s.failed != nil {
		return s.failed
	}
	if !e.decoded {
		var skip json.RawMessage
		if err := e.Decode(&skip); err != nil {
			return err
		}
	}
	return nil
}

// object reads a top-level object, streaming the arrays under the keys
// opt.Keys asks for.
func (s *stream) object() error {
	if _, err := s.dec.Token(); err != nil {
		return s.tokenError(err)
	}
	for s.dec.More() {
		tok, err := s.dec.Token()
		if err != nil {
			return s.tokenError(err)
		}
		key, _ := tok.(string)
		line, _ := s.p.advance(s.dec.InputOffset())
		stream, err := s.opt.Keys(key)
		if err != nil {
			return s.errAt(line, -1, err)
		}
		if !stream {
			var skip json.RawMessage
			if err := s.dec.Decode(&skip); err != nil {
				return s.valueError(err, &Element{Line: line, Index: -1, Offset: s.p.base, Alone: true})
			}
			continue
		}
		line, _ = s.p.advance(s.dec.InputOffset())
		c := s.p.next()
		if tok, err := s.dec.Token(); err != nil {
			return s.tokenError(err)
		} else if tok != json.Delim('[') {
			return s.errAt(line, -1, fmt.Errorf("want a JSON array under %q, not %s", key, what(c)))
		}
		if err := s.array(key, true); err != nil {
			return err
		}
	}
	if _, err := s.dec.Token(); err != nil {
		return s.tokenError(err)
	}
	return nil
}

// ends is the message for input that stops inside a value.
func (s *stream) ends() error {
	if s.nested {
		return errors.New("the JSON array ends early (missing ] or })")
	}
	return errors.New("the JSON ends early (missing ] or })")
}

// tokenError places an error of the decoder's Token or More: the decoder
// stands at the byte it could not take.
func (s *stream) tokenError(err error) *Error {
	off := s.dec.InputOffset()
	var se *json.SyntaxError
	var le *LimitError
	line := s.p.lineAt(off)
	switch {
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		err = s.ends()
	case errors.As(err, &se):
		err = fmt.Errorf("bad JSON: %w", se)
	case errors.As(err, &le):
		line = s.p.lines + 1 // where the long stretch started
	}
	e := s.errAt(line, -1, err)
	s.failed = e
	return e
}

// valueError places an error of reading the value at el.
func (s *stream) valueError(err error, el *Element) *Error {
	out := &Error{File: s.file, Line: el.Line, Index: el.Index, named: !el.Alone}
	var se *json.SyntaxError
	switch {
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		out.Err = s.ends()
	case errors.As(err, &se):
		// The decoder's offsets count only some bytes; read the value
		// again from its start to find the byte it stopped at.
		var raw json.RawMessage
		d := json.NewDecoder(bytes.NewReader(s.p.from(el.Offset)))
		if err2 := d.Decode(&raw); errors.As(err2, &se) {
			out.Line = s.p.lineAt(el.Offset + se.Offset - 1)
		} else {
			// The value is whole: what follows it is wrong.
			out.Line = s.p.lineAt(s.dec.InputOffset())
		}
		out.Err = fmt.Errorf("bad JSON: %w", se)
	default:
		out.Err = err
	}
	return out
}

// posReader passes bytes through to the decoder and keeps those from the
// last element start on, so offsets become lines in bounded memory. It
// may read ahead of the decoder to find where an element starts; those
// bytes go to the decoder later.
type posReader struct {
	r   io.Reader
	max int64 // bytes kept from base on, at most (about)
	// consumed is the decoder's offset: bytes before it are read and
	// need not be kept while the decoder reads on.
	consumed func() int64
	err      error  // from r, once read ahead
	buf      []byte // buf[start:] holds the bytes from offset base on
	start    int
	base     int64
	fed      int64 // bytes handed to the decoder
	lines    int   // newlines before base
	dirty    bool  // something but white space between the last newline and base
}

func (p *posReader) end() int64 { return p.base + int64(len(p.buf)-p.start) }

func (p *posReader) Read(b []byte) (int, error) {
	if p.fed < p.end() {
		n := copy(b, p.buf[p.start+int(p.fed-p.base):])
		p.fed += int64(n)
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	if p.end()-p.base >= p.max {
		// Forget what the decoder is done with (values skipped, white
		// space), then see whether the value it reads is too long.
		if p.consumed != nil {
			p.forget(p.consumed())
		}
		if p.end()-p.base >= p.max {
			p.err = &LimitError{Limit: p.max}
			return 0, p.err
		}
	}
	n, err := p.fill(b)
	p.fed += int64(n)
	p.err = err
	return n, err
}

// forget moves base on to off (not past what was fed), counting lines.
func (p *posReader) forget(off int64) {
	off = min(off, p.fed)
	if off <= p.base {
		return
	}
	p.commit(p.start + int(off-p.base))
}

// commit moves base to buf[k], counting the lines it passes.
func (p *posReader) commit(k int) {
	for _, c := range p.buf[p.start:k] {
		switch c {
		case '\n':
			p.lines++
			p.dirty = false
		case ' ', '\t', '\r':
		default:
			p.dirty = true
		}
	}
	p.base += int64(k - p.start)
	p.start = k
}

// fill reads from r into b and keeps what it read.
func (p *posReader) fill(b []byte) (int, error) {
	if p.start > 0 && p.start >= len(p.buf)/2 {
		// Forget the bytes consumed, at most once per doubling.
		p.buf = append(p.buf[:0], p.buf[p.start:]...)
		p.start = 0
	}
	n, err := p.r.Read(b)
	p.buf = append(p.buf, b[:n]...)
	return n, err
}

// next returns the byte at base, 0 when there is none.
func (p *posReader) next() byte {
	if p.start < len(p.buf) {
		return p.buf[p.start]
	}
	return 0
}

// from returns the bytes read from offset off on.
func (p *posReader) from(off int64) []byte {
	k := p.start + int(off-p.base)
	if k < p.start || k > len(p.buf) {
		return nil
	}
	return p.buf[k:]
}

// advance moves base to off and on past white space, commas and colons,
// to where the next value starts (reading ahead if need be), forgetting
// the bytes before it. It returns the line there and whether only white
// space precedes it on that line.
func (p *posReader) advance(off int64) (line int, alone bool) {
	k := p.start + int(off-p.base)
	if k < p.start || k > len(p.buf) {
		return p.lines + 1, !p.dirty
	}
	var chunk []byte
	for {
		for k < len(p.buf) {
			c := p.buf[k]
			if c != ',' && c != ':' && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				break
			}
			k++
		}
		if k < len(p.buf) || p.err != nil {
			break
		}
		if int64(len(p.buf)-p.start) >= p.max {
			// Separators without end: the decoder has not taken them,
			// so they cannot be forgotten.
			p.err = &LimitError{Limit: p.max}
			break
		}
		if chunk == nil {
			chunk = make([]byte, 4096)
		}
		k -= p.start
		_, p.err = p.fill(chunk)
		k += p.start
	}
	p.commit(k)
	return p.lines + 1, !p.dirty
}

// lineAt returns the line of the byte at offset off (at or after base)
// without forgetting anything.
func (p *posReader) lineAt(off int64) int {
	k := p.start + int(off-p.base)
	if k < p.start {
		return p.lines + 1
	}
	if k > len(p.buf) {
		k = len(p.buf)
	}
	return p.lines + 1 + bytes.Count(p.buf[p.start:k], []byte{'\n'})
}
