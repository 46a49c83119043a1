package suppression

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Provider names who wrote a list.
const (
	Generic  = "generic"
	SendGrid = "SendGrid"
	SES      = "Amazon SES"
	Postmark = "Postmark"
	Mailgun  = "Mailgun"
)

// An Entry is one suppressed address as a list states it.
type Entry struct {
	Line     int // 1-based line where the entry starts
	Provider string
	// List is the kind of list: bounces, blocks, spam_reports,
	// invalid_emails, unsubscribes, complaints, suppressed (SES), ...
	List    string
	Address string
	// Reason is the provider's own wording (SendGrid reason, SES BOUNCE,
	// Postmark HardBounce, Mailgun error).
	Reason  string
	Status  string // SendGrid status, Mailgun code, Postmark Origin
	Created time.Time
	// CreatedText is the date as written, when it did not parse.
	CreatedText string
}

// A Format is what Read detected a file to be.
type Format struct {
	Provider string
	List     string // kind of list, "" when each entry says
	Shape    string // "csv" or "json"
}

func (f Format) String() string {
	s := f.Provider
	if f.List != "" {
		s += " " + f.List
	}
	return s + " (" + f.Shape + ")"
}

// errFormat is returned when the content is none of the known formats.
var errFormat = errors.New("not a known suppression list: want a CSV with header email,reason,created_at, " +
	"a SendGrid suppression export (JSON or CSV), `aws sesv2 list-suppressed-destinations` JSON, " +
	"a Postmark suppressions dump or a Mailgun bounces/complaints/unsubscribes JSON")

// LineError is a problem at one line of a list.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Read detects the format of a list from its content (gzip is undone
// transparently) and calls fn for every entry, streaming: memory does not
// grow with the list. The base of name is used only as a hint for the kind
// of list when the content cannot tell (SendGrid bounces and blocks look alike).
func Read(r io.Reader, name string, fn func(Entry) error) (Format, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return Format{}, err
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	// Skip a UTF-8 byte order mark and leading white space.
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xef, 0xbb, 0xbf}) {
		br.Discard(3)
	}
	first := byte(0)
	for i := 1; ; i++ {
		b, err := br.Peek(i)
		if len(b) < i {
			if err == nil || err == io.EOF {
				return Format{}, errors.New("empty file: " + errFormat.Error())
			}
			return Format{}, err
		}
		if c := b[i-1]; c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			first = c
			break
		}
		if i >= 60<<10 {
			return Format{}, errFormat
		}
	}
	// Only the file's own name hints at the list, not the folders above it
	// (exports/bounces/spam_reports.json is a spam reports list).
	hint := strings.ToLower(filepath.Base(name))
	if first == '[' || first == '{' {
		return readJSON(br, hint, fn)
	}
	return readCSV(br, hint, fn)
}

// sendGridKind guesses the SendGrid list from the columns an entry has;
// bounces and blocks have the same columns, so the file name decides.
func sendGridKind(hasReason, hasStatus, hasIP bool, hint string) string {
	for _, k := range []string{"blocks", "bounces", "spam_reports", "invalid_emails", "unsubscribes"} {
		if strings.Contains(hint, strings.TrimSuffix(k, "s")) || strings.Contains(hint, strings.ReplaceAll(strings.TrimSuffix(k, "s"), "_", "")) {
			return k
		}
	}
	switch {
	case strings.Contains(hint, "spam"):
		return "spam_reports"
	case strings.Contains(hint, "invalid"):
		return "invalid_emails"
	case strings.Contains(hint, "unsub"):
		return "unsubscribes"
	case hasStatus:
		return "bounces"
	case hasIP:
		return "spam_reports"
	case hasReason:
		return "invalid_emails"
	}
	return "unsubscribes"
}

func readCSV(r io.Reader, hint string, fn func(Entry) error) (Format, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return Format{}, errFormat
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	_, hasEmail := col["email"]
	_, hasReason := col["reason"]
	_, hasCreatedAt := col["created_at"]
	_, hasCreated := col["created"]
	_, hasStatus := col["status"]
	_, hasIP := col["ip"]
	var f Format
	switch {
	case !hasEmail:
		return Format{}, errFormat
	case hasReason && hasCreatedAt && !hasStatus && !hasCreated && !hasIP:
		f = Format{Provider: Generic, List: "suppression", Shape: "csv"}
	case hasCreated || hasCreatedAt:
		f = Format{Provider: SendGrid, List: sendGridKind(hasReason, hasStatus, hasIP, hint), Shape: "csv"}
	default:
		return Format{}, errFormat
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return f, &LineError{Line: pe.Line, Err: pe.Err}
			}
			return f, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		e := Entry{Line: line, Provider: f.Provider, List: f.List, Address: get(rec, "email"),
			Reason: get(rec, "reason"), Status: get(rec, "status")}
		created := get(rec, "created_at")
		if created == "" {
			created = get(rec, "created")
		}
		e.Created, e.CreatedText = parseTime(created)
		if e.Address == "" {
			return f, &LineError{Line: line, Err: errors.New("empty email column")}
		}
		if err := fn(e); err != nil {
			return f, err
		}
	}
}

// parseTime reads the dates the providers write: RFC 3339, "2006-01-02
// 15:04:05", RFC 1123 (Mailgun), unix seconds (SendGrid API, the AWS CLI
// with numeric timestamps).
func parseTime(s string) (time.Time, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, ""
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n > 0 {
		sec := int64(n)
		if n > 1e12 { // milliseconds
			return time.UnixMilli(int64(n)).UTC(), ""
		}
		return time.Unix(sec, int64((n-float64(sec))*1e9)).UTC(), ""
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05 -0700",
		time.RFC1123, time.RFC1123Z, "Mon, 2 Jan 2006 15:04:05 MST", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, ""
		}
	}
	return time.Time{}, s
}

// lineReader remembers what was read since the last mark, so the JSON
// decoder's offsets can be turned into line numbers in bounded memory.
type lineReader struct {
	r     io.Reader
	buf   []byte // bytes from offset base on
	base  int64
	lines int // newlines before base
}

func (l *lineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.buf = append(l.buf, p[:n]...)
	return n, err
}

// line returns the 1-based line of offset off and forgets what lies before it.
func (l *lineReader) line(off int64) int {
	k := int(off - l.base)
	if k < 0 || k > len(l.buf) {
		return 0
	}
	// After the first element the decoder stands on the comma before the
	// next one; the element starts after it and any white space.
	for k < len(l.buf) && (l.buf[k] == ',' || l.buf[k] == ' ' || l.buf[k] == '\t' || l.buf[k] == '\r' || l.buf[k] == '\n') {
		k++
	}
	off = l.base + int64(k)
	l.lines += bytes.Count(l.buf[:k], []byte{'\n'})
	l.buf = append(l.buf[:0], l.buf[k:]...)
	l.base = off
	return l.lines + 1
}

// jsonEntry holds the fields of every provider's JSON entry. Field names
// differ per provider, so there is no clash in encoding/json's
// case-insensitive matching.
type jsonEntry struct {
	// SendGrid
	Email   string          `json:"email"`
	Created json.RawMessage `json:"created"`
	Reason  string          `json:"reason"`
	Status  json.RawMessage `json:"status"`
	IP      string          `json:"ip"`
	// SES
	EmailAddress   string          `json:"EmailAddress"`
	SESReason      string          `json:"Reason"`
	LastUpdateTime json.RawMessage `json:"LastUpdateTime"`
	// Postmark
	SuppressionReason string `json:"SuppressionReason"`
	Origin            string `json:"Origin"`
	CreatedAt         string `json:"CreatedAt"`
	// Mailgun
	Address string          `json:"address"`
	Code    json.RawMessage `json:"code"`
	Error   string          `json:"error"`
	Tags    json.RawMessage `json:"tags"`
	// Mailgun writes RFC 1123 dates ("Fri, 21 Oct 2011 11:02:55 GMT").
	MGCreatedAt string `json:"created_at"`
}

func rawText(m json.RawMessage) string {
	if len(m) == 0 || string(m) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(m, &s) == nil {
		return s
	}
	return string(m)
}

func readJSON(r io.Reader, hint string, fn func(Entry) error) (Format, error) {
	lr := &lineReader{r: r}
	dec := json.NewDecoder(lr)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return Format{}, &LineError{Line: lr.line(dec.InputOffset()), Err: fmt.Errorf("bad JSON: %v", err)}
	}
	var f Format
	// elements streams the array the decoder is at.
	elements := func() error {
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return &LineError{Line: lr.line(dec.InputOffset()), Err: fmt.Errorf("want a JSON array of entries")}
		}
		for dec.More() {
			line := lr.line(dec.InputOffset())
			var je jsonEntry
			if err := dec.Decode(&je); err != nil {
				return &LineError{Line: line, Err: fmt.Errorf("bad entry: %v", err)}
			}
			e, err := f.entry(je, hint)
			if err != nil {
				return &LineError{Line: line, Err: err}
			}
			e.Line = line
			if err := fn(e); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	}
	if tok == json.Delim('[') {
		// A SendGrid /v3/suppression/* answer: a bare array.
		f = Format{Provider: SendGrid, Shape: "json"}
		for dec.More() {
			line := lr.line(dec.InputOffset())
			var je jsonEntry
			if err := dec.Decode(&je); err != nil {
				return f, &LineError{Line: line, Err: fmt.Errorf("bad entry: %v", err)}
			}
			if je.Email == "" {
				if line == 1 || f.List == "" {
					return Format{}, errFormat
				}
				return f, &LineError{Line: line, Err: errors.New("entry without email")}
			}
			if f.List == "" {
				f.List = sendGridKind(je.Reason != "", len(je.Status) > 0, je.IP != "", hint)
			}
			e, _ := f.entry(je, hint)
			e.Line = line
			if err := fn(e); err != nil {
				return f, err
			}
		}
		if _, err := dec.Token(); err != nil {
			return f, &LineError{Line: lr.line(dec.InputOffset()), Err: fmt.Errorf("bad JSON: %v", err)}
		}
		return f, nil
	}
	if tok != json.Delim('{') {
		return Format{}, errFormat
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return f, &LineError{Line: lr.line(dec.InputOffset()), Err: fmt.Errorf("bad JSON: %v", err)}
		}
		key, _ := kt.(string)
		switch key {
		case "SuppressedDestinationSummaries":
			f = Format{Provider: SES, List: "account-level suppression", Shape: "json"}
		case "Suppressions":
			f = Format{Provider: Postmark, List: "suppressions", Shape: "json"}
		case "items":
			f = Format{Provider: Mailgun, Shape: "json"}
			switch {
			case strings.Contains(hint, "complaint"):
				f.List = "complaints"
			case strings.Contains(hint, "unsub"):
				f.List = "unsubscribes"
			case strings.Contains(hint, "bounce"):
				f.List = "bounces"
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return f, &LineError{Line: lr.line(dec.InputOffset()), Err: fmt.Errorf("bad JSON: %v", err)}
			}
			continue
		}
		if err := elements(); err != nil {
			var le *LineError
			if errors.As(err, &le) || errors.Is(err, errFormat) {
				return f, err
			}
			if _, ok := err.(*json.SyntaxError); ok {
				return f, &LineError{Line: lr.line(dec.InputOffset()), Err: fmt.Errorf("bad JSON: %v", err)}
			}
			return f, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return f, &LineError{Line: lr.line(dec.InputOffset()), Err: fmt.Errorf("bad JSON: %v", err)}
	}
	if f.Provider == "" {
		return Format{}, errFormat
	}
	return f, nil
}

// entry turns one decoded JSON element into an Entry for format f.
func (f *Format) entry(je jsonEntry, hint string) (Entry, error) {
	e := Entry{Provider: f.Provider, List: f.List}
	switch f.Provider {
	case SendGrid:
		e.Address, e.Reason, e.Status = je.Email, je.Reason, rawText(je.Status)
		e.Created, e.CreatedText = parseTime(rawText(je.Created))
	case SES:
		if je.EmailAddress == "" {
			return e, errors.New("entry without EmailAddress")
		}
		e.Address, e.Reason = je.EmailAddress, je.SESReason
		e.Created, e.CreatedText = parseTime(rawText(je.LastUpdateTime))
	case Postmark:
		if je.EmailAddress == "" {
			return e, errors.New("entry without EmailAddress")
		}
		e.Address, e.Reason, e.Status = je.EmailAddress, je.SuppressionReason, je.Origin
		e.Created, e.CreatedText = parseTime(je.CreatedAt)
	case Mailgun:
		if je.Address == "" {
			return e, errors.New("entry without address")
		}
		e.Address, e.Reason, e.Status = je.Address, je.Error, rawText(je.Code)
		e.Created, e.CreatedText = parseTime(je.MGCreatedAt)
		if e.List == "" {
			switch {
			case len(je.Code) > 0 || je.Error != "":
				e.List = "bounces"
			case len(je.Tags) > 0:
				e.List = "unsubscribes"
			default:
				e.List = "complaints"
			}
		}
	}
	return e, nil
}
