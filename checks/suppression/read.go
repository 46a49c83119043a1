package suppression

import (
	"bufio"
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

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/jsonpos"
	"github.com/whymail/whymail/internal/textinput"
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
	// Event is set when the "entry" is a provider event (SendGrid's
	// "bounce", "delivered", ...) in a file shaped like a list: the file
	// is an event stream, which belongs with the mail logs.
	Event string
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

// MaxRecord bounds one entry of a list, after gzip is undone: a CSV line
// or row, or a JSON element. Lists are streamed, so it bounds the memory a
// list (or a gzip of gigabytes of zeros) can take.
const MaxRecord = textinput.MaxRecord

// Read detects the format of a list from its content (gzip is undone
// transparently, a UTF-16 file with its byte order mark decoded) and
// calls fn for every entry, streaming: memory does not grow with the list.
// An entry over MaxRecord, or an address holding a control character, is
// a *LineError. The base of name is used only as a hint for the kind of
// list when the content cannot tell (SendGrid bounces and blocks look alike).
func Read(r io.Reader, name string, fn func(Entry) error) (Format, error) {
	var in io.Reader = bufio.NewReaderSize(r, 64<<10)
	if magic, _ := in.(*bufio.Reader).Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(in)
		if err != nil {
			return Format{}, err
		}
		defer zr.Close()
		in = zr
	}
	// Bounds apply to what gzip gives, not to the compressed bytes.
	in, _, err := textinput.Decode(in)
	if err != nil {
		return Format{}, err
	}
	lim := textinput.NewReader(in, 1, textinput.MaxLine)
	lim.MaxRecord = MaxRecord
	br := bufio.NewReaderSize(lim, 64<<10)
	// Skip leading white space.
	first := byte(0)
	for i := 1; ; i++ {
		b, err := br.Peek(i)
		if len(b) < i {
			if err == nil || err == io.EOF {
				return Format{}, errors.New("empty file: " + errFormat.Error())
			}
			return Format{}, limitError(err, 0)
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
		// JSON may be one line; jsonpos bounds each element.
		lim.MaxLine, lim.MaxRecord = 0, 0
		return readJSON(br, first, hint, fn)
	}
	return readCSV(br, lim, hint, fn)
}

// limitError turns a bound passed into a *LineError at its line; a row
// too long is placed at next, where it starts.
func limitError(err error, next int) error {
	var le *textinput.LimitError
	if !errors.As(err, &le) {
		return err
	}
	if le.What == "record" && next > 0 {
		return &LineError{Line: next, Err: le}
	}
	return &LineError{Line: le.Line, Err: le}
}

// checkAddress refuses an address holding a control character: compared
// as it is, a NUL would match nothing and rule out a suppression.
func checkAddress(line int, addr string) error {
	if c, _, bad := textinput.Control(addr); bad {
		return &LineError{Line: line, Err: textinput.ControlError("address", addr, c)}
	}
	return nil
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

func readCSV(r io.Reader, lim *textinput.Reader, hint string, fn func(Entry) error) (Format, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if le := limitError(err, 1); le != err {
		return Format{}, le
	}
	if err != nil {
		return Format{}, errFormat
	}
	next := nextLine(cr, head)
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
		lim.Mark()
		rec, err := cr.Read()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return f, &LineError{Line: pe.Line, Err: pe.Err}
			}
			return f, limitError(err, next)
		}
		line, _ := cr.FieldPos(0)
		next = nextLine(cr, rec)
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
		if err := checkAddress(line, e.Address); err != nil {
			return f, err
		}
		if err := fn(e); err != nil {
			return f, err
		}
	}
}

// nextLine returns the line after rec, the record cr just read.
func nextLine(cr *csv.Reader, rec []string) int {
	line, _ := cr.FieldPos(len(rec) - 1)
	return line + strings.Count(rec[len(rec)-1], "\n") + 1
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

	// Keys of provider events, which are no suppression list.
	Event            string          `json:"event"`
	SGEventID        string          `json:"sg_event_id"`
	NotificationType string          `json:"notificationType"`
	EventType        string          `json:"eventType"`
	TopicArn         string          `json:"TopicArn"`
	RecordType       string          `json:"RecordType"`
	EventData        json.RawMessage `json:"event-data"`
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

// eventKeys are top-level keys of provider event data, which belongs
// with the mail logs, not the suppression lists.
var eventKeys = map[string]string{
	"notificationType": "Amazon SES notifications",
	"eventType":        "Amazon SES events",
	"TopicArn":         "Amazon SNS notifications",
	"RecordType":       "Postmark webhook events",
	"event-data":       "Mailgun webhook events",
	"sg_event_id":      "SendGrid events",
	"event":            "provider events",
}

// errEvents says a file of events was given as a suppression list.
func errEvents(what string) error {
	return &checks.MisplacedError{Holds: what, Not: "a suppression list", Belongs: checks.InputLog}
}

// events names the provider events je is one of, "" when it is none.
func (je *jsonEntry) events(provider string) string {
	switch {
	case je.NotificationType != "" || je.EventType != "" || je.TopicArn != "":
		return "Amazon SES notifications"
	case je.RecordType != "":
		return "Postmark webhook events"
	case len(je.EventData) > 0:
		return "Mailgun webhook events"
	case je.Event != "" && provider == Mailgun:
		return "Mailgun events"
	case je.Event != "" && je.SGEventID != "":
		return "SendGrid events"
	case je.Event != "":
		return "provider events"
	}
	return ""
}

// readJSON reads a SendGrid array (first is '[') or an object holding the
// entries under a key that tells the provider.
func readJSON(r io.Reader, first byte, hint string, fn func(Entry) error) (Format, error) {
	var f Format
	if first == '[' {
		// A SendGrid /v3/suppression/* answer: a bare array.
		f = Format{Provider: SendGrid, Shape: "json"}
	}
	keys := func(key string) (bool, error) {
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
			if what, ok := eventKeys[key]; ok && f.Provider == "" {
				return false, errEvents(what)
			}
			return false, nil
		}
		return true, nil
	}
	events := false
	err := jsonpos.Read(r, "", jsonpos.Options{Keys: keys, MaxElement: MaxRecord}, func(el *jsonpos.Element) error {
		var je jsonEntry
		if err := el.Decode(&je); err != nil {
			if _, ok := err.(*jsonpos.Error); ok {
				return err
			}
			return &LineError{Line: el.Line, Err: fmt.Errorf("bad entry: %v", err)}
		}
		// SendGrid events have an email each and pass for a list; Read
		// marks them (Entry.Event) and the check refuses them.
		if what := je.events(f.Provider); what != "" && (el.Key != "" || je.Email == "") {
			events = true
			return &LineError{Line: el.Line, Err: errEvents(what)}
		}
		if el.Key == "" && je.Email == "" {
			if el.Index == 0 {
				return errFormat
			}
			return &LineError{Line: el.Line, Err: errors.New("entry without email")}
		}
		if el.Key == "" && f.List == "" {
			f.List = sendGridKind(je.Reason != "", len(je.Status) > 0, je.IP != "", hint)
		}
		e, err := f.entry(je, hint)
		if err != nil {
			return &LineError{Line: el.Line, Err: err}
		}
		e.Line, e.Event = el.Line, je.Event
		if err := checkAddress(el.Line, e.Address); err != nil {
			return err
		}
		return fn(e)
	})
	var pe *jsonpos.Error
	switch {
	case errors.Is(err, errFormat):
		return Format{}, errFormat
	case events:
		return Format{}, err
	case errors.As(err, &pe):
		var se *json.SyntaxError
		if pe.Index >= 0 && errors.As(pe.Err, &se) {
			// Broken inside an entry.
			return f, &LineError{Line: pe.Line, Err: fmt.Errorf("bad entry: %v", se)}
		}
		if f.Provider == "" && pe.Index < 0 {
			// An event key in an object that is no list.
			return Format{}, &LineError{Line: pe.Line, Err: pe.Err}
		}
		return f, &LineError{Line: pe.Line, Err: pe.Input().Err}
	case err != nil:
		return f, err
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
