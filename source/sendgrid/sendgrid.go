// Package sendgrid is the source driver for the SendGrid v3 API. A spec
// "sendgrid:" gives, as suppressions, the bounces, blocks, spam reports,
// invalid emails and global unsubscribes lists looked up for the
// recipient (one source each, so evidence names the list), and as a log
// the recipient's email activity (the Email Activity add-on). The answers
// are written as the SendGrid suppression export and event webhook JSON
// that the suppression and maillog checks read from files.
//
// The key comes from SENDGRID_API_KEY (or the file SENDGRID_API_KEY_FILE
// names); WHYMAIL_SENDGRID_URL replaces https://api.sendgrid.com (the EU
// region's https://api.eu.sendgrid.com, a proxy, a test server).
package sendgrid

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/whymail/whymail/internal/httpapi"
	"github.com/whymail/whymail/source"
)

func init() { source.Register("sendgrid", Driver{}) }

// Driver opens "sendgrid:" specs.
type Driver struct{}

// Env are the environment variables the driver reads.
const (
	EnvKey = "SENDGRID_API_KEY"
	EnvURL = "WHYMAIL_SENDGRID_URL"
)

// A list is one suppression list and its per-address endpoint.
type list struct {
	name   string // the export's word: bounces, blocks, ...
	words  string // for Describe
	path   string // before the escaped address
	global bool   // answers {"recipient_email": ...}, not an array
}

var lists = []list{
	// https://www.twilio.com/docs/sendgrid/api-reference/bounces-api/retrieve-a-bounce
	{name: "bounces", words: "bounces", path: "/v3/suppression/bounces/"},
	// https://www.twilio.com/docs/sendgrid/api-reference/blocks-api/retrieve-a-specific-block
	{name: "blocks", words: "blocks", path: "/v3/suppression/blocks/"},
	// https://www.twilio.com/docs/sendgrid/api-reference/spam-reports-api/retrieve-a-specific-spam-report
	{name: "spam_reports", words: "spam reports", path: "/v3/suppression/spam_reports/"},
	// https://www.twilio.com/docs/sendgrid/api-reference/invalid-e-mails-api/retrieve-a-specific-invalid-email
	{name: "invalid_emails", words: "invalid emails", path: "/v3/suppression/invalid_emails/"},
	// https://www.twilio.com/docs/sendgrid/api-reference/suppressions-global-suppressions/retrieve-a-global-suppression
	{name: "unsubscribes", words: "global unsubscribes", path: "/v3/asm/suppressions/global/", global: true},
}

// Open returns the suppression lists (a source.Group) or the email
// activity for spec "sendgrid:".
func (Driver) Open(kind source.Kind, spec string) (source.Source, error) {
	rest := strings.TrimPrefix(spec, "sendgrid:")
	c, err := client()
	if err != nil {
		return nil, err
	}
	switch kind {
	case source.KindSuppressions:
		want := lists
		if rest != "" {
			want = nil
			for _, w := range strings.Split(rest, ",") {
				found := false
				for _, l := range lists {
					if w == l.name {
						want, found = append(want, l), true
					}
				}
				if !found {
					return nil, fmt.Errorf("sendgrid:%s: no list %q (bounces, blocks, spam_reports, invalid_emails, unsubscribes)", rest, w)
				}
			}
		}
		g := &Suppressions{c: c, cache: map[string]*fetch{}}
		for _, l := range want {
			g.lists = append(g.lists, &List{g: g, l: l})
		}
		return g, nil
	case source.KindLog:
		if rest != "" {
			return nil, fmt.Errorf("sendgrid:%s: the email activity takes no argument; give sendgrid:", rest)
		}
		return &Activity{c: c, MaxMessages: 100}, nil
	}
	return nil, fmt.Errorf("SendGrid cannot give %s", kind)
}

func client() (*httpapi.Client, error) {
	key, err := httpapi.Secret(EnvKey)
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, fmt.Errorf("%s is not set: the SendGrid API needs a key (read access to suppressions, and Email Activity for the log)", EnvKey)
	}
	base, err := httpapi.BaseURL(EnvURL, "https://api.sendgrid.com")
	if err != nil {
		return nil, err
	}
	return &httpapi.Client{
		Name: "SendGrid API", Base: base, Secrets: []string{key}, KeyHint: EnvKey,
		Auth: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+key) },
	}, nil
}

// Suppressions are the lists behind one "sendgrid:" spec. The first list
// read fetches them all at once, so five lists cost one round trip's time.
type Suppressions struct {
	c     *httpapi.Client
	lists []*List
	mu    sync.Mutex
	cache map[string]*fetch
}

type fetch struct {
	once sync.Once
	docs map[string][]byte
	errs map[string]error
}

func (g *Suppressions) Describe() string { return "SendGrid suppression lists (API)" }

// Members are the lists, each a source.Stream.
func (g *Suppressions) Members() []source.Source {
	out := make([]source.Source, len(g.lists))
	for i, l := range g.lists {
		out[i] = l
	}
	return out
}

// Client is the HTTP client the lists use; tests shorten its timeout.
func (g *Suppressions) Client() *httpapi.Client { return g.c }

func (g *Suppressions) fetch(ctx context.Context, q source.Query) *fetch {
	key := strings.Join(q.Recipients, "\x00")
	g.mu.Lock()
	f := g.cache[key]
	if f == nil {
		f = &fetch{}
		g.cache[key] = f
	}
	g.mu.Unlock()
	f.once.Do(func() {
		f.docs, f.errs = map[string][]byte{}, map[string]error{}
		var mu sync.Mutex
		httpapi.Each(len(g.lists), len(g.lists), func(i int) error {
			l := g.lists[i].l
			doc, err := lookupList(ctx, g.c, l, q.Recipients)
			mu.Lock()
			f.docs[l.name], f.errs[l.name] = doc, err
			mu.Unlock()
			return nil
		})
	})
	return f
}

// A List is one SendGrid suppression list, looked up per address.
type List struct {
	g *Suppressions
	l list
}

// Describe names the list; its words are what tells the suppression
// check which list the answer is (bounces and blocks look alike).
func (l *List) Describe() string { return "SendGrid " + l.l.words + " list (API)" }

// Open looks q's recipients up in the list and returns the entries as the
// JSON array the list's export is.
func (l *List) Open(ctx context.Context, q source.Query) (io.ReadCloser, error) {
	f := l.g.fetch(ctx, q)
	if err := f.errs[l.l.name]; err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(f.docs[l.l.name])), nil
}

// Entry is one entry of a SendGrid suppression list as the API and the
// export write it.
type Entry struct {
	Created int64  `json:"created,omitempty"`
	Email   string `json:"email"`
	Reason  string `json:"reason,omitempty"`
	Status  string `json:"status,omitempty"`
	IP      string `json:"ip,omitempty"`
}

func lookupList(ctx context.Context, c *httpapi.Client, l list, rcpts []string) ([]byte, error) {
	var all []Entry
	for _, addr := range rcpts {
		body, err := c.Get(ctx, l.path+httpapi.Seg(addr), nil)
		if err == httpapi.ErrNotFound {
			continue // not on the list
		}
		if err != nil {
			return nil, fmt.Errorf("%s list: %w", l.words, err)
		}
		es, err := DecodeList(body, l.global)
		if err != nil {
			return nil, fmt.Errorf("%s: %s list: the answer is not the JSON it documents: %v", c.Name, l.words, err)
		}
		all = append(all, es...)
	}
	if all == nil {
		all = []Entry{}
	}
	return json.Marshal(all)
}

// DecodeList reads the answer of a per-address list endpoint: an array of
// entries, or for the global unsubscribes {"recipient_email": ...}, {}
// when the address is not on it.
func DecodeList(body []byte, global bool) ([]Entry, error) {
	if global {
		var g struct {
			RecipientEmail *string `json:"recipient_email"`
		}
		if err := json.Unmarshal(body, &g); err != nil {
			return nil, err
		}
		if g.RecipientEmail == nil || *g.RecipientEmail == "" {
			return nil, nil
		}
		if strings.ContainsFunc(*g.RecipientEmail, unicode.IsControl) {
			return nil, fmt.Errorf("recipient_email %q holds a control character", *g.RecipientEmail)
		}
		return []Entry{{Email: *g.RecipientEmail}}, nil
	}
	var raw []struct {
		Created json.Number `json:"created"`
		Email   string      `json:"email"`
		Reason  string      `json:"reason"`
		Status  string      `json:"status"`
		IP      string      `json:"ip"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(raw))
	for _, r := range raw {
		if r.Email == "" || strings.ContainsFunc(r.Email, unicode.IsControl) {
			return nil, fmt.Errorf("an entry without a readable email")
		}
		e := Entry{Email: r.Email, Reason: r.Reason, Status: r.Status, IP: r.IP}
		if r.Created != "" {
			n, err := r.Created.Float64()
			if err != nil {
				return nil, fmt.Errorf("created %q is not a time", r.Created)
			}
			e.Created = int64(n)
		}
		out = append(out, e)
	}
	return out, nil
}

// Activity is the recipient's email activity: the messages to it (Filter
// all messages) and each one's events (Filter messages by message ID),
// written as SendGrid event webhook events.
type Activity struct {
	c *httpapi.Client
	// MaxMessages bounds the messages whose events are fetched, newest first.
	MaxMessages int
}

// Client is the HTTP client; tests shorten its timeout.
func (a *Activity) Client() *httpapi.Client { return a.c }

func (a *Activity) Describe() string { return "SendGrid email activity (API)" }

// Message is a message of a Filter all messages answer.
// https://www.twilio.com/docs/sendgrid/api-reference/email-activity/filter-all-messages
type Message struct {
	FromEmail     string `json:"from_email"`
	MsgID         string `json:"msg_id"`
	Subject       string `json:"subject"`
	ToEmail       string `json:"to_email"`
	Status        string `json:"status"`
	LastEventTime string `json:"last_event_time"`
}

// Detail is a Filter messages by message ID answer.
// https://www.twilio.com/docs/sendgrid/api-reference/email-activity/filter-messages-by-message-id
type Detail struct {
	FromEmail string `json:"from_email"`
	MsgID     string `json:"msg_id"`
	ToEmail   string `json:"to_email"`
	Status    string `json:"status"`
	Events    []struct {
		EventName  string          `json:"event_name"`
		Processed  string          `json:"processed"`
		Reason     string          `json:"reason"`
		AttemptNum json.Number     `json:"attempt_num"`
		BounceType string          `json:"bounce_type"`
		MXServer   string          `json:"mx_server"`
		URL        json.RawMessage `json:"url"`
	} `json:"events"`
}

// Event is a SendGrid event webhook event, as the maillog check reads it.
type Event struct {
	Email       string `json:"email"`
	Timestamp   int64  `json:"timestamp"`
	Event       string `json:"event"`
	SGMessageID string `json:"sg_message_id"`
	SGEventID   string `json:"sg_event_id"`
	Response    string `json:"response,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Attempt     string `json:"attempt,omitempty"`
	Type        string `json:"type,omitempty"`
	From        string `json:"from,omitempty"`
	MXServer    string `json:"mx_server,omitempty"`
}

// queryValue quotes an address for the activity query language, which
// has no escape: an address holding a quote or a backslash is refused,
// never spliced in.
func queryValue(addr string) (string, error) {
	if strings.ContainsAny(addr, "\"\\") || strings.ContainsFunc(addr, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", fmt.Errorf("the address %q cannot be put in an Email Activity query", addr)
	}
	return `"` + addr + `"`, nil
}

// Query is the Email Activity query for q: the recipients, and the window.
func Query(q source.Query) (string, error) {
	var terms []string
	for _, r := range q.Recipients {
		v, err := queryValue(r)
		if err != nil {
			return "", err
		}
		terms = append(terms, "to_email="+v)
	}
	if len(terms) == 0 {
		return "", fmt.Errorf("no recipient to look up")
	}
	s := strings.Join(terms, " OR ")
	if len(terms) > 1 {
		s = "(" + s + ")"
	}
	if !q.Since.IsZero() || !q.Until.IsZero() {
		since, until := q.Since, q.Until
		if since.IsZero() {
			since = time.Unix(0, 0)
		}
		if until.IsZero() {
			until = time.Now().Add(24 * time.Hour)
		}
		s += fmt.Sprintf(` AND last_event_time BETWEEN TIMESTAMP "%s" AND TIMESTAMP "%s"`,
			since.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
	}
	return s, nil
}

// Open fetches the activity for q's recipients.
func (a *Activity) Open(ctx context.Context, q source.Query) (io.ReadCloser, error) {
	query, err := Query(q)
	if err != nil {
		return nil, err
	}
	var list struct {
		Messages *[]Message `json:"messages"`
	}
	limit := a.MaxMessages
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	if err := a.c.GetJSON(ctx, "/v3/messages", url.Values{"query": {query}, "limit": {fmt.Sprint(limit)}}, &list); err != nil {
		return nil, err
	}
	if list.Messages == nil {
		return nil, fmt.Errorf("%s: the answer to Filter all messages has no \"messages\"", a.c.Name)
	}
	msgs := *list.Messages
	details := make([][]Event, len(msgs))
	err = httpapi.Each(len(msgs), 4, func(i int) error {
		m := msgs[i]
		if m.MsgID == "" {
			return fmt.Errorf("%s: a message without msg_id", a.c.Name)
		}
		body, err := a.c.Get(ctx, "/v3/messages/"+httpapi.Seg(m.MsgID), nil)
		if err == httpapi.ErrNotFound {
			details[i] = Summary(m)
			return nil
		}
		if err != nil {
			return err
		}
		var d Detail
		if err := a.c.Decode(body, &d); err != nil {
			return err
		}
		evs, err := Events(m, d)
		if err != nil {
			return fmt.Errorf("%s: message %s: %v", a.c.Name, m.MsgID, err)
		}
		details[i] = evs
		return nil
	})
	if err != nil {
		return nil, err
	}
	all := []Event{}
	for _, d := range details {
		all = append(all, d...)
	}
	b, err := json.Marshal(all)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// eventNames maps the activity's event names to the event webhook's.
var eventNames = map[string]string{
	"processed": "processed", "delivered": "delivered", "deferred": "deferred",
	"bounced": "bounce", "bounce": "bounce", "blocked": "blocked", "dropped": "dropped",
	"opened": "open", "open": "open", "clicked": "click", "click": "click",
	"spam_report": "spamreport", "spamreport": "spamreport",
	"unsubscribe": "unsubscribe", "group_unsubscribe": "group_unsubscribe",
}

// Events turns one message's activity into event webhook events.
func Events(m Message, d Detail) ([]Event, error) {
	to := d.ToEmail
	if to == "" {
		to = m.ToEmail
	}
	var out []Event
	for i, e := range d.Events {
		name, ok := eventNames[e.EventName]
		if !ok {
			continue // group_resubscribe and events to come
		}
		t, err := time.Parse(time.RFC3339Nano, e.Processed)
		if err != nil {
			return nil, fmt.Errorf("event %d: processed %q is not a time", i+1, e.Processed)
		}
		ev := Event{Email: to, Timestamp: t.Unix(), Event: name, SGMessageID: m.MsgID,
			SGEventID: fmt.Sprintf("%s-%d", m.MsgID, i+1), From: d.FromEmail, MXServer: e.MXServer}
		switch name {
		case "delivered", "deferred":
			ev.Response = e.Reason
		case "bounce", "blocked", "dropped":
			ev.Reason = e.Reason
		}
		if e.BounceType == "blocked" || e.BounceType == "block" {
			ev.Type = "blocked"
		}
		if a := e.AttemptNum.String(); a != "" && a != "0" {
			ev.Attempt = a
		}
		out = append(out, ev)
	}
	if len(out) == 0 {
		return Summary(m), nil
	}
	return out, nil
}

// Summary is what the message list alone says, for a message whose
// events are gone: that it was processed (or delivered), at its last event.
func Summary(m Message) []Event {
	t, err := time.Parse(time.RFC3339Nano, m.LastEventTime)
	if err != nil {
		return nil
	}
	ev := Event{Email: m.ToEmail, Timestamp: t.Unix(), Event: "processed", SGMessageID: m.MsgID,
		SGEventID: m.MsgID + "-summary", From: m.FromEmail}
	if m.Status == "delivered" {
		ev.Event = "delivered"
	}
	return []Event{ev}
}
