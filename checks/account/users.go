package account

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/whymail/whymail/checks"
)

// A User is one user record of a --users file.
type User struct {
	Line        int // where the record starts in its file, 1-based
	ID          string
	Email       string
	Status      string // one of Statuses, lower-case
	LockedUntil time.Time
	ResetSentAt time.Time
}

// Statuses are the account states a users file may hold.
var Statuses = []string{"active", "inactive", "disabled", "locked", "pending"}

// Columns are the header names (CSV) or keys (JSON) of a users file. id,
// email and status are required; the times may be absent or empty.
var Columns = []string{"id", "email", "status", "locked_until", "reset_sent_at"}

// ReadUsers reads a users file, calling fn with each record in file order
// without holding the file in memory. The format is told by the first
// non-space byte: '[' starts a JSON array of objects, anything else a CSV
// file with a header. A UTF-8 byte order mark is skipped. Any malformed
// record stops the read with an *checks.InputError naming file and line;
// an error from fn is returned as it is.
func ReadUsers(r io.Reader, file string, fn func(User) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && string(b) == "\uFEFF" {
		br.Discard(3)
	}
	// Skip leading white space, counting lines so numbers stay true.
	line := 1
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return checks.Inputf(file, 0, "the file is empty: want a CSV header (%s) or a JSON array", strings.Join(Columns, ","))
		}
		if err != nil {
			return checks.Inputf(file, 0, "%v", err)
		}
		if c == '\n' {
			line++
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			br.UnreadByte()
			switch c {
			case '[':
				return readJSON(br, file, line, fn)
			case '{':
				return checks.Inputf(file, line, "a JSON users file must be an array of objects ([{\"id\": ...}, ...]), not one object")
			}
			return readCSV(br, file, line-1, fn)
		}
	}
}

// readCSV reads CSV; base is the number of lines skipped before r.
func readCSV(r io.Reader, file string, base int, fn func(User) error) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return csvError(file, base, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup && h != "" {
			return checks.Inputf(file, base+1, "column %q appears twice in the header", h)
		}
		col[h] = i
	}
	for _, req := range Columns[:3] {
		if _, ok := col[req]; !ok {
			return checks.Inputf(file, base+1, "the header has no %q column (want %s; found %s)",
				req, strings.Join(Columns, ","), strings.Join(header, ","))
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(file, base, err)
		}
		line, _ := cr.FieldPos(0)
		line += base
		u, err := parseUser(file, line, get(rec, "id"), get(rec, "email"), get(rec, "status"),
			get(rec, "locked_until"), get(rec, "reset_sent_at"))
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
	}
}

func csvError(file string, base int, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		line := pe.StartLine
		if line == 0 {
			line = pe.Line
		}
		msg := pe.Err.Error()
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			msg = "wrong number of fields: the row does not have as many as the header"
		}
		return checks.Inputf(file, line+base, "%s", msg)
	}
	if err == io.EOF {
		return checks.Inputf(file, base+1, "no header line")
	}
	return checks.Inputf(file, 0, "%v", err)
}

// jsonUser is one object of a JSON users file; unknown keys are ignored.
type jsonUser struct {
	ID          any     `json:"id"` // a string or a number
	Email       *string `json:"email"`
	Status      *string `json:"status"`
	LockedUntil *string `json:"locked_until"`
	ResetSentAt *string `json:"reset_sent_at"`
}

// readJSON reads a JSON array one object at a time; first is the line of
// the opening bracket.
func readJSON(r io.Reader, file string, first int, fn func(User) error) error {
	lc := &lineCounter{r: r, line: first}
	dec := json.NewDecoder(lc)
	if _, err := dec.Token(); err != nil { // the '[' seen already
		return jsonError(file, lc, dec, err)
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return jsonError(file, lc, dec, err)
		}
		line := lc.lineAt(dec.InputOffset() - int64(len(raw)))
		u, err := parseJSONUser(file, line, raw)
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		return jsonError(file, lc, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return checks.Inputf(file, lc.lineAt(dec.InputOffset()), "unexpected data after the closing ] of the array")
	}
	return nil
}

func parseJSONUser(file string, line int, raw json.RawMessage) (User, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return User{}, checks.Inputf(file, line, "array element is not an object: %.40s", raw)
	}
	var ju jsonUser
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&ju); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return User{}, checks.Inputf(file, line, "%q is a JSON %s; want a string", te.Field, te.Value)
		}
		return User{}, checks.Inputf(file, line, "%v", err)
	}
	var id string
	switch v := ju.ID.(type) {
	case nil:
	case string:
		id = v
	case json.Number:
		id = v.String()
	default:
		return User{}, checks.Inputf(file, line, "\"id\" must be a string or a number, not %T", v)
	}
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return strings.TrimSpace(*p)
	}
	return parseUser(file, line, strings.TrimSpace(id), s(ju.Email), s(ju.Status), s(ju.LockedUntil), s(ju.ResetSentAt))
}

func jsonError(file string, lc *lineCounter, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	off := dec.InputOffset()
	if errors.As(err, &se) {
		off = se.Offset
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return checks.Inputf(file, lc.lineAt(off), "the JSON array ends early (missing ] or })")
	}
	return checks.Inputf(file, lc.lineAt(off), "bad JSON: %v", err)
}

func parseUser(file string, line int, id, email, status, locked, reset string) (User, error) {
	u := User{Line: line, ID: id, Email: email, Status: strings.ToLower(status)}
	ok := false
	for _, s := range Statuses {
		ok = ok || u.Status == s
	}
	if !ok {
		return u, checks.Inputf(file, line, "status %q is not one of %s", status, strings.Join(Statuses, ", "))
	}
	var err error
	if u.LockedUntil, err = parseTime(file, line, "locked_until", locked); err != nil {
		return u, err
	}
	if u.ResetSentAt, err = parseTime(file, line, "reset_sent_at", reset); err != nil {
		return u, err
	}
	return u, nil
}

func parseTime(file string, line int, name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, checks.Inputf(file, line, "%s %q is not an RFC 3339 time (like 2026-11-22T10:00:00Z)", name, v)
	}
	return t, nil
}

// lineCounter passes bytes through and tells the line of a byte offset.
// Offsets asked for must not go backwards by more than what it keeps, which
// holds for a decoder reading forward: it keeps the newline offsets it has
// read past but not yet been asked about.
type lineCounter struct {
	r    io.Reader
	off  int64   // bytes read so far
	nl   []int64 // offsets of newlines not yet counted into line
	line int     // line of the first byte after the newlines counted
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			c.nl = append(c.nl, c.off+int64(i))
		}
	}
	c.off += int64(n)
	return n, err
}

// lineAt returns the 1-based line of the byte at offset off.
func (c *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(c.nl) && c.nl[i] < off {
		i++
	}
	c.line += i
	c.nl = c.nl[i:]
	if len(c.nl) == 0 {
		c.nl = nil
	}
	return c.line
}
