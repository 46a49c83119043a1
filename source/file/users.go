package file

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/whymail/whymail/internal/jsonpos"
	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/source"
)

// Statuses are the account states a users file may hold.
var Statuses = []string{"active", "inactive", "disabled", "locked", "pending"}

// Columns are the header names (CSV) or keys (JSON) of a users file. id,
// email and status are required; the times may be absent or empty.
var Columns = []string{"id", "email", "status", "locked_until", "reset_sent_at"}

// Bounds of a users file, so that a hostile or wrong file (/dev/zero, a
// 200 MB header line) stops with an error in bounded memory: a CSV line
// or row, and a JSON array element, are at most MaxRecord bytes.
const MaxRecord = textinput.MaxRecord

// ReadUsers reads a users file, calling fn with each record in file order
// without holding the file in memory. The format is told by the first
// non-space byte: '[' starts a JSON array of objects, anything else a CSV
// file with a header. A UTF-8 byte order mark is skipped and UTF-16 (with
// its mark) decoded. Any malformed record, a record over MaxRecord, or an
// email holding a control character stops the read with an
// *source.InputError naming file and line; an error from fn is returned
// as it is.
func ReadUsers(r io.Reader, file string, fn func(source.User) error) error {
	each := fn
	fn = func(u source.User) error {
		u.Where = fmt.Sprintf("%s:%d", file, u.Line)
		return each(u)
	}
	dr, _, err := textinput.Decode(r)
	if err != nil {
		return source.Inputf(file, 0, "%v", err)
	}
	lim := textinput.NewReader(dr, 1, textinput.MaxLine)
	lim.MaxRecord = MaxRecord
	br := bufio.NewReaderSize(lim, 64<<10)
	// Skip leading white space, counting lines so numbers stay true.
	line := 1
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return source.Inputf(file, 0, "the file is empty: want a CSV header (%s) or a JSON array", strings.Join(Columns, ","))
		}
		if err != nil {
			return readError(file, err)
		}
		if c == '\n' {
			line++
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			br.UnreadByte()
			switch c {
			case '[':
				// JSON may be one line; jsonpos bounds each element.
				lim.MaxLine, lim.MaxRecord = 0, 0
				return readJSON(br, file, line, fn)
			case '{':
				return source.Inputf(file, line, "a JSON users file must be an array of objects ([{\"id\": ...}, ...]), not one object")
			}
			return readCSV(br, lim, file, line-1, fn)
		}
	}
}

// readError is a failure to read: a bound passed, or the reader's own.
func readError(file string, err error) error {
	var le *textinput.LimitError
	if errors.As(err, &le) {
		return source.Inputf(file, le.Line, "%v", le)
	}
	return source.Inputf(file, 0, "%v", err)
}

// readCSV reads CSV; base is the number of lines skipped before r. lim
// bounds the rows: it is marked at the start of each.
func readCSV(r io.Reader, lim *textinput.Reader, file string, base int, fn func(source.User) error) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return csvError(file, base, base+1, err)
	}
	next := nextLine(cr, header) + base // where the next row starts, about
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup && h != "" {
			return source.Inputf(file, base+1, "column %s appears twice in the header", textinput.Clip(h))
		}
		col[h] = i
	}
	for _, req := range Columns[:3] {
		if _, ok := col[req]; !ok {
			// The header is quoted clipped: it may be a binary file's
			// first megabyte, or a million columns.
			return source.Inputf(file, base+1, "the header has no %q column (want %s; found %s)",
				req, strings.Join(Columns, ","), textinput.Clip(strings.Join(header, ",")))
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for {
		lim.Mark()
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(file, base, next, err)
		}
		line, _ := cr.FieldPos(0)
		line += base
		next = nextLine(cr, rec) + base
		errf := func(format string, args ...any) error { return source.Inputf(file, line, format, args...) }
		u, err := parseUser(line, errf, get(rec, "id"), get(rec, "email"), get(rec, "status"),
			get(rec, "locked_until"), get(rec, "reset_sent_at"))
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
	}
}

// nextLine returns the line after rec, the record cr just read.
func nextLine(cr *csv.Reader, rec []string) int {
	line, _ := cr.FieldPos(len(rec) - 1)
	return line + strings.Count(rec[len(rec)-1], "\n") + 1
}

// csvError names the line of a CSV error; next is where the row being
// read started (blank lines aside), for a row too long.
func csvError(file string, base, next int, err error) error {
	var le *textinput.LimitError
	if errors.As(err, &le) {
		if le.What == "record" {
			return source.Inputf(file, next, "%v", le)
		}
		return source.Inputf(file, le.Line, "%v", le) // le counts lines itself
	}
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
		return source.Inputf(file, line+base, "%s", msg)
	}
	if err == io.EOF {
		return source.Inputf(file, base+1, "no header line")
	}
	return source.Inputf(file, 0, "%v", err)
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
func readJSON(r io.Reader, file string, first int, fn func(source.User) error) error {
	err := jsonpos.Read(r, file, jsonpos.Options{Line: first, MaxElement: MaxRecord}, func(e *jsonpos.Element) error {
		u, err := decodeUser(e)
		if err != nil {
			return err
		}
		return fn(u)
	})
	if pe, ok := err.(*jsonpos.Error); ok {
		return pe.Input()
	}
	return err
}

// decodeUser decodes one array element. Its errors name the line, and
// the record too when other records share the line (a one-line file).
func decodeUser(e *jsonpos.Element) (source.User, error) {
	errf := func(format string, args ...any) error { return e.Errorf(format, args...).Input() }
	if e.Peek() != '{' {
		var raw json.RawMessage
		if err := e.Decode(&raw); err != nil {
			return source.User{}, err
		}
		return source.User{}, errf("array element is not an object: %.40s", raw)
	}
	var ju jsonUser
	if err := e.Decode(&ju); err != nil {
		var te *json.UnmarshalTypeError
		var pe *jsonpos.Error
		switch {
		case errors.As(err, &pe):
			return source.User{}, err
		case errors.As(err, &te) && te.Field != "":
			return source.User{}, errf("%q is a JSON %s; want a string", te.Field, te.Value)
		}
		return source.User{}, errf("%v", err)
	}
	var id string
	switch v := ju.ID.(type) {
	case nil:
	case string:
		id = v
	case json.Number:
		id = v.String()
	default:
		return source.User{}, errf("\"id\" must be a string or a number, not %T", v)
	}
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return strings.TrimSpace(*p)
	}
	return parseUser(e.Line, errf, strings.TrimSpace(id), s(ju.Email), s(ju.Status), s(ju.LockedUntil), s(ju.ResetSentAt))
}

// parseUser checks one record's fields; errf makes an error at the record.
func parseUser(line int, errf func(string, ...any) error, id, email, status, locked, reset string) (source.User, error) {
	u := source.User{Line: line, ID: id, Email: email, Status: strings.ToLower(status)}
	if c, _, bad := textinput.Control(email); bad {
		// Compared as it is, it would match no ticket: a false no-account.
		return u, errf("%v", textinput.ControlError("email", email, c))
	}
	ok := false
	for _, s := range Statuses {
		ok = ok || u.Status == s
	}
	if !ok {
		return u, errf("status %s is not one of %s", textinput.Clip(status), strings.Join(Statuses, ", "))
	}
	var err error
	if u.LockedUntil, err = parseTime(errf, "locked_until", locked); err != nil {
		return u, err
	}
	if u.ResetSentAt, err = parseTime(errf, "reset_sent_at", reset); err != nil {
		return u, err
	}
	return u, nil
}

func parseTime(errf func(string, ...any) error, name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, errf("%s %s is not an RFC 3339 time (like 2026-11-22T10:00:00Z)", name, textinput.Clip(v))
	}
	return t, nil
}
