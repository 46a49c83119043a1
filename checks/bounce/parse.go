// Package bounce reads bounce messages: RFC 3464 delivery status
// notifications and the plain-text bounces of the common MTAs and mailbox
// providers, in .eml, mbox and Maildir form, and classifies each failed
// recipient with smtpreply. Its check reports what a bounce says about the
// ticket's address.
package bounce

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-message"

	"github.com/whymail/whymail/internal/smtpreply"
	"github.com/whymail/whymail/internal/textinput"
)

// Kind says what sort of message a parsed file is.
type Kind string

const (
	// DSN is an RFC 3464 multipart/report delivery status notification.
	DSN Kind = "dsn"
	// Text is a non-standard bounce recognised by its wording.
	Text Kind = "text"
	// Feedback is an RFC 5965 abuse / feedback-loop report (a complaint).
	Feedback Kind = "feedback"
	// AutoReply is an RFC 3834 automatic reply (vacation, out of office).
	AutoReply Kind = "autoreply"
)

// Bounce is one parsed bounce message.
type Bounce struct {
	Kind   Kind
	Format string // "rfc3464", "qmail", "exim", "gmail", "postfix", ...
	// Header fields of the bounce itself.
	From    string
	Subject string
	Date    time.Time
	// ReportingMTA and ArrivalDate are RFC 3464 §2.2 per-message fields.
	ReportingMTA string
	ArrivalDate  time.Time
	// FeedbackType is the RFC 5965 Feedback-Type of a Feedback report.
	FeedbackType string
	Recipients   []Recipient
	// Original holds the headers of the message that bounced, when attached.
	Original Original
}

// Original is the headers of the returned message.
type Original struct {
	MessageID string
	Subject   string
	From      string
	To        string
	Date      time.Time
}

// Recipient is one recipient the bounce speaks about (RFC 3464 §2.3).
type Recipient struct {
	Address           string // Final-Recipient, or the address found in the text
	OriginalRecipient string
	Action            Action
	Status            string // RFC 3463 status as given ("5.1.1")
	Diagnostic        string // Diagnostic-Code without its type, or the text's reply
	RemoteMTA         string
	LastAttempt       time.Time
	Class             smtpreply.Class
}

// Action is what a DSN says happened to a recipient (RFC 3464 §2.3.3).
type Action string

const (
	Failed    Action = "failed"    // not delivered, and no more attempts
	Delayed   Action = "delayed"   // not delivered yet; still being retried
	Delivered Action = "delivered" // delivered to the recipient's mailbox
	Relayed   Action = "relayed"   // handed to a system that sends no DSNs
	Expanded  Action = "expanded"  // delivered, and forwarded to other addresses
)

// parseAction reads an Action field, case-insensitively. Values outside
// RFC 3464 that senders use for the same thing are normalised
// ("deliverable", "failure", "error", "bounced", "deferred"); any other
// value, and an empty one, is "": no action said (actionOf decides).
func parseAction(s string) Action {
	f := strings.Fields(strings.ToLower(strings.Trim(s, " \t;:.")))
	if len(f) == 0 {
		return ""
	}
	switch a := Action(strings.Trim(f[0], ";:.,()")); a {
	case Failed, Delayed, Delivered, Relayed, Expanded:
		return a
	case "deliverable", "delivery", "success", "succeeded", "sent":
		return Delivered
	case "failure", "fail", "error", "errors", "bounce", "bounced", "undeliverable", "rejected", "permanent", "fatal":
		return Failed
	case "delay", "deferred", "defer", "retry", "retrying", "transient", "warning", "queued":
		return Delayed
	case "relay":
		return Relayed
	case "expand":
		return Expanded
	}
	return ""
}

// actionOf gives a recipient without an RFC 3464 action the one its status
// class means: 2.x.x delivered, 5.x.x failed, 4.x.x delayed when the text
// says the mail is still being retried and failed otherwise (a report sent
// about a 4.x.x without a retry is the last word on it).
func actionOf(status string, delayed bool) Action {
	switch st := strings.TrimSpace(status); {
	case strings.HasPrefix(st, "2."):
		return Delivered
	case strings.HasPrefix(st, "4.") && delayed:
		return Delayed
	}
	return Failed
}

// Failed reports whether the recipient's mail was not (yet) delivered.
func (r Recipient) Failed() bool {
	switch r.Action {
	case Delivered, Relayed, Expanded:
		return false
	}
	return r.Class.Reason != smtpreply.Delivered
}

// ErrNotMessage is returned (wrapped) for input that is not an email message.
var ErrNotMessage = errors.New("not an email message")

// maxMessage bounds one bounce message: bounces are a few KiB with the
// returned message attached; a larger input is an error, not read in part.
const maxMessage = 32 << 20

// Parse reads one message and returns what it says about its recipients. A
// message that is neither a DSN nor a bounce recognised by its text comes
// back with no Recipients; input that is not a message at all is an error
// wrapping ErrNotMessage, one over maxMessage a *textinput.LimitError.
func Parse(r io.Reader) (*Bounce, error) {
	data, err := textinput.ReadAll(r, maxMessage, "message")
	if err != nil {
		return nil, err
	}
	return parseBytes(data, 0)
}

func parseBytes(data []byte, depth int) (*Bounce, error) {
	// One line ending for the text scanners below: CRLF (RFC 5322) and
	// bare CR (old Mac mail) become LF.
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	if bytes.IndexByte(data, '\n') < 0 {
		data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
	}
	data = bytes.TrimLeft(data, "\r\n\t ")
	// An mbox "From " separator line may precede the headers.
	if bytes.HasPrefix(data, []byte("From ")) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	if len(data) > 0 && data[0] == '{' {
		// An Amazon SES notification as its JSON, raw or in an SNS
		// envelope (as SNS posts it, or as saved from a queue).
		p := &parser{b: &Bounce{}}
		if p.parseSES(string(data)) {
			return p.b, nil
		}
		return nil, fmt.Errorf("%w: JSON that is not an Amazon SES bounce, complaint or delivery notification", ErrNotMessage)
	}
	if !looksLikeHeader(data) {
		return nil, fmt.Errorf("%w: no header fields at the start", ErrNotMessage)
	}
	e, err := message.Read(bytes.NewReader(data))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, fmt.Errorf("%w: %v", ErrNotMessage, err)
	}
	p := &parser{b: &Bounce{}}
	p.b.From = headerText(e.Header, "From")
	p.b.Subject = headerText(e.Header, "Subject")
	p.b.Date, _ = parseDate(e.Header.Get("Date"))
	p.autoSubmitted = strings.ToLower(e.Header.Get("Auto-Submitted"))
	p.topHeader = e.Header
	p.walk(e, 0)
	if p.broken || !p.dsn && p.feedback == nil && (p.text.Len() == 0 || dsnFieldRE.Match(data)) {
		p.rawFallback(data)
	}
	p.finish()
	if len(p.b.Recipients) == 0 && p.nested != nil && depth < 3 {
		// A bounce forwarded as an attachment: read the attached message.
		if nb, err := parseBytes(p.nested, depth+1); err == nil && len(nb.Recipients) > 0 {
			return nb, nil
		}
	}
	return p.b, nil
}

// looksLikeHeader reports whether data starts with an RFC 5322 header field.
func looksLikeHeader(data []byte) bool {
	line := data
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range line[:i] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

func headerText(h message.Header, k string) string {
	v, err := h.Text(k)
	if err != nil {
		v = h.Get(k)
	}
	return strings.TrimSpace(v)
}

type parser struct {
	b             *Bounce
	topHeader     message.Header
	autoSubmitted string
	text          strings.Builder // human-readable text of the bounce
	dsn           bool
	feedback      map[string][]string
	broken        bool // the MIME structure could not be read to the end
	haveOriginal  bool
	listOwn       map[string]bool // the addresses of a returned list post that are the list's (listOwnAddrs)
	nested        []byte          // the first attached message, in case it is the bounce
}

const maxDepth = 8

func (p *parser) walk(e *message.Entity, depth int) {
	if depth > maxDepth {
		return
	}
	ct, params, _ := e.Header.ContentType()
	if ct == "" {
		ct = "text/plain"
	}
	switch {
	case strings.HasPrefix(ct, "multipart/"):
		mr := e.MultipartReader()
		if mr == nil {
			return
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil && (part == nil || !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
				p.broken = true
				return
			}
			p.walk(part, depth+1)
		}
	case ct == "message/delivery-status" || ct == "message/global-delivery-status":
		body, _ := io.ReadAll(io.LimitReader(e.Body, maxMessage))
		p.parseDeliveryStatus(body)
	case ct == "message/feedback-report":
		body, _ := io.ReadAll(io.LimitReader(e.Body, maxMessage))
		groups := fieldGroups(body)
		p.feedback = map[string][]string{}
		for _, g := range groups {
			for _, f := range g {
				p.feedback[f.name] = append(p.feedback[f.name], f.value)
			}
		}
	case ct == "message/rfc822" || ct == "text/rfc822-headers" || ct == "message/global" || ct == "message/global-headers" || ct == "message/partial":
		body, _ := io.ReadAll(io.LimitReader(e.Body, maxMessage))
		if p.nested == nil {
			p.nested = body
		}
		p.original(body)
	case ct == "text/plain" || ct == "text/html" || strings.HasPrefix(ct, "text/"):
		body, _ := io.ReadAll(io.LimitReader(e.Body, maxMessage))
		s := string(body)
		if ct == "text/html" {
			s = stripHTML(s)
		}
		_ = params
		if p.text.Len() > 0 {
			p.text.WriteString("\n")
		}
		p.text.WriteString(s)
	}
}

var (
	tagRE   = lazy(`(?s)<(?:style|script).*?</(?:style|script)>|<br\s*/?>|</?(?:p|div|tr|li|h[1-6])\b[^>]*>|<[^>]+>`)
	spaceRE = lazy(`[ \t]+`)
)

func stripHTML(s string) string {
	s = tagRE.ReplaceAllStringFunc(s, func(t string) string {
		l := strings.ToLower(t)
		if strings.HasPrefix(l, "<br") || strings.HasPrefix(l, "<p") || strings.HasPrefix(l, "</p") || strings.HasPrefix(l, "<div") || strings.HasPrefix(l, "</div") || strings.HasPrefix(l, "<tr") || strings.HasPrefix(l, "<li") || strings.HasPrefix(l, "<h") || strings.HasPrefix(l, "</h") {
			return "\n"
		}
		if strings.HasPrefix(l, "<style") || strings.HasPrefix(l, "<script") {
			return ""
		}
		return " "
	})
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&nbsp;", " ", "&quot;", `"`, "&#39;", "'")
	return spaceRE.ReplaceAllString(r.Replace(s), " ")
}

// original records the headers of the returned message.
func (p *parser) original(body []byte) {
	if p.haveOriginal {
		return
	}
	body = bytes.TrimLeft(body, "\r\n")
	if !looksLikeHeader(body) {
		return
	}
	e, err := message.Read(bytes.NewReader(body))
	if e == nil && err != nil {
		return
	}
	o := Original{
		MessageID: strings.Trim(strings.TrimSpace(e.Header.Get("Message-Id")), "<>"),
		Subject:   headerText(e.Header, "Subject"),
		From:      headerText(e.Header, "From"),
		To:        headerText(e.Header, "To"),
	}
	o.Date, _ = parseDate(e.Header.Get("Date"))
	p.listOwn = listOwnAddrs(e.Header)
	if o == (Original{}) {
		return
	}
	p.haveOriginal = true
	p.b.Original = o
}

// field is one "Name: value" of a DSN or feedback report block.
type field struct{ name, value string }

// fieldGroups splits an RFC 3464 §2.1 delivery-status body into its blocks
// of header-style fields (per-message, then one per recipient), unfolding
// continuation lines. It is lenient: lines that are not fields are skipped.
func fieldGroups(body []byte) [][]field {
	var groups [][]field
	var cur []field
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				groups = append(groups, cur)
				cur = nil
			}
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(cur) > 0 {
			cur[len(cur)-1].value += " " + strings.TrimSpace(line)
			continue
		}
		i := strings.IndexByte(line, ':')
		if i <= 0 || strings.ContainsAny(line[:i], " \t") {
			continue
		}
		name := strings.ToLower(line[:i])
		// Some MTAs leave out the blank line between recipients: a second
		// Final-Recipient (or Original-Recipient) starts a new block.
		if name == "final-recipient" || name == "original-recipient" {
			for _, f := range cur {
				if f.name == name {
					groups = append(groups, cur)
					cur = nil
					break
				}
			}
		}
		cur = append(cur, field{name, strings.TrimSpace(line[i+1:])})
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

// typed strips an RFC 3464 §2.1.2 type ("rfc822;", "smtp;", "dns;").
func typed(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 && i < 12 && !strings.ContainsAny(v[:i], " <@") {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

func cleanAddr(v string) string {
	v = stripAddrType(strings.TrimSpace(typed(v)))
	if strings.HasPrefix(v, `"`) && strings.Contains(v[1:], `"@`) {
		if f := strings.Fields(v); len(f) > 0 {
			return strings.TrimRight(strings.TrimPrefix(f[0], "<"), ">")
		}
	}
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			v = v[i+1 : i+j]
		}
	}
	v = strings.Trim(v, "<>\"' ,;:.()[]")
	if f := strings.Fields(v); len(f) > 0 {
		v = f[0]
	}
	return stripAddrType(v)
}

// addrTypeRE is an address type written before an address: RFC 3464's
// "rfc822;" (sometimes twice, or with a colon), Exchange's "SMTP:".
var addrTypeRE = lazy(`^(?i:(?:rfc-?822|smtp|x400|ex)[ \t]*[;:][ \t]*)+<?`)

// stripAddrType removes an address type from the front of v.
func stripAddrType(v string) string {
	if m := addrTypeRE.FindString(v); m != "" && strings.Contains(v[len(m):], "@") {
		v = strings.TrimSuffix(v[len(m):], ">")
	}
	return v
}

// parseDeliveryStatus reads the message/delivery-status part (RFC 3464 §2.2, §2.3).
func (p *parser) parseDeliveryStatus(body []byte) {
	groups := fieldGroups(body)
	for gi, g := range groups {
		get := func(n string) string {
			for _, f := range g {
				if f.name == n {
					return f.value
				}
			}
			return ""
		}
		if get("final-recipient") == "" && get("original-recipient") == "" {
			if gi == 0 || p.b.ReportingMTA == "" {
				if v := get("reporting-mta"); v != "" {
					p.b.ReportingMTA = typed(v)
				}
				if v := get("arrival-date"); v != "" {
					p.b.ArrivalDate, _ = parseDate(v)
				}
			}
			continue
		}
		p.dsn = true
		r := Recipient{
			Address:           cleanAddr(get("final-recipient")),
			OriginalRecipient: cleanAddr(get("original-recipient")),
			Action:            parseAction(get("action")),
			Status:            strings.TrimSpace(get("status")),
			Diagnostic:        decodeWords(typed(get("diagnostic-code"))),
			RemoteMTA:         typed(get("remote-mta")),
		}
		if !validAddr(r.Address) {
			// A pipe, a file or a source route: the address is elsewhere.
			switch {
			case validAddr(r.OriginalRecipient):
				r.Address = r.OriginalRecipient
			case validAddr(cleanAddr(get("x-actual-recipient"))):
				r.Address = cleanAddr(get("x-actual-recipient"))
			case addrRE.MatchString(r.Address) && !strings.HasPrefix(addrRE.FindString(r.Address), "@"):
				r.Address = addrRE.FindString(r.Address)
			default:
				r.Address = ""
			}
		}
		r.LastAttempt, _ = parseDate(get("last-attempt-date"))
		p.b.Recipients = append(p.b.Recipients, r)
	}
}

// validAddr reports whether a is a plain addr-spec: a local part, one @
// and a domain with a dot or a bracketed literal, and nothing else.
func validAddr(a string) bool {
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-1 && !strings.ContainsAny(a, " /|<>,;") && !strings.HasPrefix(a, "@")
}

func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

var (
	dsnFieldRE = lazy(`(?im)^(?:Final-Recipient|Original-Recipient)[ \t]*:`)
	qpSoftRE   = lazy(`=\r?\n`)
	qpHexRE    = lazy(`=([0-9A-F]{2})`)
)

// rawFallback reads a message whose MIME structure is broken (a boundary
// parameter on an unfolded line, a missing closing boundary) as plain text:
// the body becomes the bounce's text, and DSN fields found in it are read as
// a delivery-status part.
func (p *parser) rawFallback(data []byte) {
	body := data
	if i := bytes.Index(body, []byte("\n\n")); i >= 0 {
		body = body[i+2:]
	} else if i := bytes.Index(body, []byte("\r\n\r\n")); i >= 0 {
		body = body[i+4:]
	}
	text := qpSoftRE.ReplaceAllString(string(body), "")
	text = qpHexRE.ReplaceAllStringFunc(text, func(m string) string {
		var c byte
		fmt.Sscanf(m[1:], "%02X", &c)
		if c < 0x80 {
			return string(rune(c))
		}
		return m
	})
	if !p.dsn {
		if loc := dsnFieldRE.FindStringIndex(text); loc != nil {
			start := strings.LastIndex(text[:loc[0]], "\n\n")
			if start < 0 {
				start = loc[0]
			}
			seg := text[start:]
			if i := strings.Index(seg, "\n--"); i >= 0 {
				seg = seg[:i]
			}
			p.parseDeliveryStatus([]byte(seg))
		}
	}
	if p.text.Len() == 0 || p.broken {
		p.text.Reset()
		p.text.WriteString(stripMIMEHeaders(text))
	}
}

// stripMIMEHeaders drops MIME boundary and part-header lines from raw text.
func stripMIMEHeaders(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "--") && len(t) > 10 && !strings.Contains(t, " ") {
			continue
		}
		lt := strings.ToLower(t)
		if strings.HasPrefix(lt, "content-transfer-encoding:") || strings.HasPrefix(lt, "content-disposition:") {
			continue
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// parseDate is mail.ParseDate without the cost of its error for an absent
// field.
func parseDate(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	return mail.ParseDate(v)
}
