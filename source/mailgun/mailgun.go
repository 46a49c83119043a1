// Package mailgun is the source driver for the Mailgun API. A spec
// "mailgun:DOMAIN" (or "mailgun:DOMAIN?region=eu") gives, as
// suppressions, the domain's bounces, complaints and unsubscribes lists
// looked up for the recipient (one source each, so evidence names the
// list), and as a log the domain's events for the recipient in the run's
// window. The answers are written as the suppression pages and events API
// pages that the suppression and maillog checks read from files.
//
// The key comes from MAILGUN_API_KEY (or the file MAILGUN_API_KEY_FILE
// names), sent as HTTP basic auth with the user "api". The base URL is
// https://api.mailgun.net, https://api.eu.mailgun.net with region=eu, and
// WHYMAIL_MAILGUN_URL replaces either (a proxy, a test server).
package mailgun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/whymail/whymail/internal/httpapi"
	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/source"
)

func init() { source.Register("mailgun", Driver{}) }

// Environment variables the driver reads.
const (
	EnvKey = "MAILGUN_API_KEY"
	EnvURL = "WHYMAIL_MAILGUN_URL"
)

// Base URLs of the regions.
const (
	BaseUS = "https://api.mailgun.net"
	BaseEU = "https://api.eu.mailgun.net"
)

// Bounds of the events log: Mailgun pages hold at most 300 events.
const (
	pageSize = 300
	maxPages = 50
)

// Driver opens "mailgun:DOMAIN" specs.
type Driver struct{}

var domainName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$`)

// A list is one suppression list and its per-address endpoint.
type list struct {
	name string // the API's and the export's word
	doc  string // the page documenting its lookup
}

var lists = []list{
	{"bounces", "https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/bounces/get-v3--domainid--bounces--address-"},
	{"complaints", "https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/complaints/get-v3--domainid--complaints--address-"},
	{"unsubscribes", "https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/unsubscribe/get-v3--domainid--unsubscribes--address-"},
}

// Open returns the suppression lists (a source.Group) or the events log.
func (Driver) Open(kind source.Kind, spec string) (source.Source, error) {
	rest := strings.TrimPrefix(spec, "mailgun:")
	domain, query, _ := strings.Cut(rest, "?")
	if !domainName.MatchString(domain) {
		return nil, fmt.Errorf("mailgun:DOMAIN: %q is not a sending domain (mailgun:mg.example.com)", domain)
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("mailgun:%s: %v", rest, err)
	}
	def := BaseUS
	for k, v := range params {
		switch {
		case k == "region" && len(v) == 1 && strings.EqualFold(v[0], "eu"):
			def = BaseEU
		case k == "region" && len(v) == 1 && strings.EqualFold(v[0], "us"):
		case k == "region":
			return nil, fmt.Errorf("mailgun:%s: region %q: want us or eu", rest, strings.Join(v, ","))
		default:
			return nil, fmt.Errorf("mailgun:%s: unknown parameter %q (region)", rest, k)
		}
	}
	key, err := httpapi.Secret(EnvKey)
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, fmt.Errorf("%s is not set: the Mailgun API needs a key", EnvKey)
	}
	base, err := httpapi.BaseURL(EnvURL, def)
	if err != nil {
		return nil, err
	}
	c := &httpapi.Client{Name: "Mailgun API", Base: base, Secrets: []string{key}, KeyHint: EnvKey,
		Auth: func(r *http.Request) { r.SetBasicAuth("api", key) }}
	switch kind {
	case source.KindSuppressions:
		g := &Suppressions{Domain: domain}
		for _, l := range lists {
			g.lists = append(g.lists, &List{c: c, Domain: domain, Name: l.name})
		}
		return g, nil
	case source.KindLog:
		return &Events{c: c, Domain: domain}, nil
	}
	return nil, fmt.Errorf("Mailgun cannot give %s", kind)
}

// Suppressions are the domain's three suppression lists.
type Suppressions struct {
	Domain string
	lists  []*List
}

func (g *Suppressions) Describe() string {
	return "Mailgun suppression lists of " + g.Domain + " (API)"
}

// Members are the lists, each a source.Stream.
func (g *Suppressions) Members() []source.Source {
	out := make([]source.Source, len(g.lists))
	for i, l := range g.lists {
		out[i] = l
	}
	return out
}

// A List is one Mailgun suppression list of a domain, looked up per address.
type List struct {
	c      *httpapi.Client
	Domain string
	Name   string // bounces, complaints, unsubscribes
}

// Client is the HTTP client; tests shorten its timeout.
func (l *List) Client() *httpapi.Client { return l.c }

// Describe names the list; its word is what tells the suppression check
// which list the answer is, so a domain holding another list's word
// (bounces.example.com) is left out.
func (l *List) Describe() string {
	d := strings.ToLower(l.Domain)
	if strings.Contains(d, "bounce") || strings.Contains(d, "complaint") || strings.Contains(d, "unsub") {
		return "Mailgun " + l.Name + " list (API)"
	}
	return "Mailgun " + l.Name + " list of " + l.Domain + " (API)"
}

// Entry is one entry of a Mailgun suppression list as the lookup answers
// it and a list page holds it: bounces have code and error, unsubscribes
// tags, complaints only the address and date.
type Entry struct {
	Address   string          `json:"address"`
	Code      json.RawMessage `json:"code,omitempty"`
	Error     string          `json:"error,omitempty"`
	Tags      []string        `json:"tags,omitempty"`
	CreatedAt string          `json:"created_at"`
}

// DecodeEntry reads a lookup's answer: one entry.
func DecodeEntry(body []byte) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(body, &e); err != nil {
		return e, err
	}
	if e.Address == "" {
		return e, errors.New("no address in the answer")
	}
	if c, _, bad := textinput.Control(e.Address); bad {
		return e, textinput.ControlError("address", e.Address, c)
	}
	switch code := strings.TrimSpace(string(e.Code)); {
	case code == "" || code == "null":
		e.Code = nil
	case code[0] == '"':
		var s string
		if json.Unmarshal(e.Code, &s) != nil {
			return e, errors.New("code is not a string or number")
		}
	default:
		if _, err := strconv.ParseFloat(code, 64); err != nil {
			return e, errors.New("code is not a string or number")
		}
	}
	return e, nil
}

// notListed tells a 404 for an address not on the list ("Address not
// found in bounces table") from one for a domain Mailgun does not know.
func notListed(body []byte) bool {
	var m struct {
		Message string `json:"message"`
	}
	json.Unmarshal(body, &m)
	return !strings.Contains(strings.ToLower(m.Message), "domain not found")
}

// Open looks q's recipients up in the list and returns the entries as a
// page of the list ({"items": [...]}).
func (l *List) Open(ctx context.Context, q source.Query) (io.ReadCloser, error) {
	items := []Entry{}
	for _, r := range q.Recipients {
		path := "/v3/" + httpapi.Seg(l.Domain) + "/" + l.Name + "/" + httpapi.Seg(r)
		body, err := l.c.Get(ctx, path, nil)
		if err == httpapi.ErrNotFound {
			if notListed(body) {
				continue
			}
			return nil, fmt.Errorf("%s: the domain %s is not known to the key's account (HTTP 404)", l.c.Name, l.Domain)
		}
		if err != nil {
			return nil, fmt.Errorf("%s list: %w", l.Name, err)
		}
		e, err := DecodeEntry(body)
		if err != nil {
			return nil, fmt.Errorf("%s: %s list: the answer is not the JSON it documents: %v", l.c.Name, l.Name, err)
		}
		items = append(items, e)
	}
	return io.NopCloser(bytes.NewReader(ListPage(items))), nil
}

// ListPage writes entries as a page of a list, the shape of an export.
func ListPage(items []Entry) []byte {
	b, _ := json.Marshal(map[string]any{"items": items, "paging": map[string]string{}})
	return b
}

// Events is the domain's events API, read for the recipient.
type Events struct {
	c      *httpapi.Client
	Domain string
}

// Client is the HTTP client; tests shorten its timeout.
func (e *Events) Client() *httpapi.Client { return e.c }

func (e *Events) Describe() string { return "Mailgun events of " + e.Domain + " (API)" }

// Event is an event as the events API gives it, with the fields the
// maillog check reads.
// https://documentation.mailgun.com/docs/mailgun/user-manual/events/event-structure
type Event struct {
	Event          string          `json:"event"`
	ID             string          `json:"id,omitempty"`
	Timestamp      float64         `json:"timestamp"`
	Severity       string          `json:"severity,omitempty"`
	Reason         string          `json:"reason,omitempty"`
	Recipient      string          `json:"recipient"`
	LogLevel       string          `json:"log-level,omitempty"`
	DeliveryStatus *DeliveryStatus `json:"delivery-status,omitempty"`
	Message        *struct {
		Headers struct {
			MessageID string `json:"message-id,omitempty"`
			From      string `json:"from,omitempty"`
			To        string `json:"to,omitempty"`
			Subject   string `json:"subject,omitempty"`
		} `json:"headers"`
	} `json:"message,omitempty"`
	Reject *struct {
		Reason      string `json:"reason,omitempty"`
		Description string `json:"description,omitempty"`
	} `json:"reject,omitempty"`
}

// DeliveryStatus is an event's SMTP outcome.
type DeliveryStatus struct {
	Code        json.Number `json:"code,omitempty"`
	Message     string      `json:"message,omitempty"`
	Description string      `json:"description,omitempty"`
	MXHost      string      `json:"mx-host,omitempty"`
	AttemptNo   json.Number `json:"attempt-no,omitempty"`
}

// DecodePage reads one events page: its events and the URL of the next.
func DecodePage(body []byte) ([]Event, string, error) {
	var p struct {
		Items  *[]json.RawMessage `json:"items"`
		Paging struct {
			Next string `json:"next"`
		} `json:"paging"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, "", err
	}
	if p.Items == nil {
		return nil, "", errors.New("no items in the answer")
	}
	out := make([]Event, 0, len(*p.Items))
	for i, raw := range *p.Items {
		var e Event
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, "", fmt.Errorf("item %d: %v", i+1, err)
		}
		if e.Event == "" {
			return nil, "", fmt.Errorf("item %d has no event", i+1)
		}
		out = append(out, e)
	}
	return out, p.Paging.Next, nil
}

// Open fetches the recipients' events in q's window, oldest first,
// following paging.next until a page is empty, and writes them one a line.
func (e *Events) Open(ctx context.Context, q source.Query) (io.ReadCloser, error) {
	var b bytes.Buffer
	for _, r := range q.Recipients {
		v := url.Values{"recipient": {r}, "ascending": {"yes"}, "limit": {strconv.Itoa(pageSize)}}
		if !q.Since.IsZero() {
			v.Set("begin", strconv.FormatInt(q.Since.Unix(), 10))
		}
		if !q.Until.IsZero() {
			v.Set("end", strconv.FormatInt(q.Until.Unix(), 10))
		}
		path := "/v3/" + httpapi.Seg(e.Domain) + "/events"
		for page := 0; ; page++ {
			if page == maxPages {
				return nil, fmt.Errorf("%s: more than %d events for this recipient: give a narrower time", e.c.Name, maxPages*pageSize)
			}
			body, err := e.c.Get(ctx, path, v)
			if err == httpapi.ErrNotFound {
				return nil, fmt.Errorf("%s: the domain %s is not known to the key's account (HTTP 404)", e.c.Name, e.Domain)
			}
			if err != nil {
				return nil, err
			}
			evs, next, err := DecodePage(body)
			if err != nil {
				return nil, fmt.Errorf("%s: events: the answer is not the JSON it documents: %v", e.c.Name, err)
			}
			for _, ev := range evs {
				line, _ := json.Marshal(ev)
				b.Write(append(line, '\n'))
			}
			if len(evs) == 0 || next == "" {
				break
			}
			if path, v, err = e.nextPage(next); err != nil {
				return nil, err
			}
		}
	}
	return io.NopCloser(&b), nil
}

// nextPage turns paging.next into a path and query on the client's own
// base, so that the key is never sent to a host the answer names.
func (e *Events) nextPage(next string) (string, url.Values, error) {
	u, err := url.Parse(next)
	if err != nil {
		return "", nil, fmt.Errorf("%s: paging.next %q is not a URL", e.c.Name, next)
	}
	p := u.EscapedPath()
	i := strings.Index(p, "/v3/")
	if i < 0 || !strings.HasPrefix(p[i:], "/v3/"+httpapi.Seg(e.Domain)+"/events") {
		return "", nil, fmt.Errorf("%s: paging.next %q is not this domain's events", e.c.Name, next)
	}
	return p[i:], u.Query(), nil
}
