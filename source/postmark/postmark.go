// Package postmark is the source driver for the Postmark API. A spec
// "postmark:" (or "postmark:STREAM,STREAM", default the "outbound"
// stream) gives, as suppressions, each message stream's suppression list
// looked up for the recipient, and as a log the recipient's bounces and
// outbound messages' events. The answers are written as the suppressions
// dump and the webhook records that the suppression and maillog checks
// read from files.
//
// The server token comes from POSTMARK_SERVER_TOKEN (or the file
// POSTMARK_SERVER_TOKEN_FILE names); WHYMAIL_POSTMARK_URL replaces
// https://api.postmarkapp.com.
package postmark

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/whymail/whymail/internal/httpapi"
	"github.com/whymail/whymail/source"
)

func init() { source.Register("postmark", Driver{}) }

// Environment variables the driver reads.
const (
	EnvToken = "POSTMARK_SERVER_TOKEN"
	EnvURL   = "WHYMAIL_POSTMARK_URL"
)

// Bounds of the paged lists: Postmark pages by count (at most 500) and
// offset, count+offset at most 10,000.
const (
	pageSize   = 500
	maxRecords = 10000
	maxDetails = 50 // messages whose events are fetched
)

// Driver opens "postmark:" specs.
type Driver struct{}

// Open returns the stream suppression lists (a source.Group) or the log.
func (Driver) Open(kind source.Kind, spec string) (source.Source, error) {
	rest := strings.TrimPrefix(spec, "postmark:")
	streams := []string{"outbound"}
	if rest != "" {
		streams = strings.Split(rest, ",")
	}
	for _, s := range streams {
		if s == "" || strings.ContainsAny(s, "/?#% ") {
			return nil, fmt.Errorf("postmark:%s: %q is not a message stream ID", rest, s)
		}
	}
	token, err := httpapi.Secret(EnvToken)
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, fmt.Errorf("%s is not set: the Postmark API needs a server token", EnvToken)
	}
	base, err := httpapi.BaseURL(EnvURL, "https://api.postmarkapp.com")
	if err != nil {
		return nil, err
	}
	c := &httpapi.Client{Name: "Postmark API", Base: base, Secrets: []string{token}, KeyHint: EnvToken,
		Auth: func(r *http.Request) { r.Header.Set("X-Postmark-Server-Token", token) }}
	switch kind {
	case source.KindSuppressions:
		g := &Suppressions{}
		for _, s := range streams {
			g.members = append(g.members, &StreamList{c: c, Stream: s})
		}
		return g, nil
	case source.KindLog:
		return &Log{c: c, Streams: streams}, nil
	}
	return nil, fmt.Errorf("Postmark cannot give %s", kind)
}

// Suppressions are the suppression lists of the spec's message streams.
type Suppressions struct{ members []*StreamList }

func (g *Suppressions) Describe() string { return "Postmark suppression lists (API)" }

// Members are the streams' lists.
func (g *Suppressions) Members() []source.Source {
	out := make([]source.Source, len(g.members))
	for i, m := range g.members {
		out[i] = m
	}
	return out
}

// StreamList is one message stream's suppression list.
type StreamList struct {
	c      *httpapi.Client
	Stream string
}

func (s *StreamList) Describe() string { return "Postmark " + s.Stream + " stream suppressions (API)" }

// Suppression is one entry of a suppressions dump.
// https://postmarkapp.com/developer/api/suppressions-api#suppression-dump
type Suppression struct {
	EmailAddress      string `json:"EmailAddress"`
	SuppressionReason string `json:"SuppressionReason"`
	Origin            string `json:"Origin"`
	CreatedAt         string `json:"CreatedAt"`
}

// DecodeDump reads a suppressions dump answer.
func DecodeDump(body []byte) ([]Suppression, error) {
	var d struct {
		Suppressions *[]Suppression `json:"Suppressions"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, err
	}
	if d.Suppressions == nil {
		return nil, fmt.Errorf("no Suppressions in the answer")
	}
	for _, s := range *d.Suppressions {
		if s.EmailAddress == "" || strings.ContainsFunc(s.EmailAddress, unicode.IsControl) {
			return nil, fmt.Errorf("an entry without a readable EmailAddress")
		}
	}
	return *d.Suppressions, nil
}

// Open looks q's recipients up in the stream's list.
func (s *StreamList) Open(ctx context.Context, q source.Query) (io.ReadCloser, error) {
	all := []Suppression{}
	for _, r := range q.Recipients {
		body, err := s.c.Get(ctx, "/message-streams/"+httpapi.Seg(s.Stream)+"/suppressions/dump", url.Values{"emailaddress": {r}})
		if err != nil {
			return nil, fmt.Errorf("%s stream: %w", s.Stream, err)
		}
		ss, err := DecodeDump(body)
		if err != nil {
			return nil, fmt.Errorf("%s: %s stream suppressions: the answer is not the JSON it documents: %v", s.c.Name, s.Stream, err)
		}
		all = append(all, ss...)
	}
	b, _ := json.Marshal(map[string]any{"Suppressions": all})
	return io.NopCloser(bytes.NewReader(b)), nil
}

// Log is the recipient's bounces and outbound messages' events.
type Log struct {
	c       *httpapi.Client
	Streams []string
}

// Client is the HTTP client; tests shorten its timeout.
func (l *Log) Client() *httpapi.Client { return l.c }

func (l *Log) Describe() string { return "Postmark bounces and message events (API)" }

// Bounce is a bounce as GET /bounces lists it.
// https://postmarkapp.com/developer/api/bounce-api#bounces
type Bounce struct {
	ID            json.Number `json:"ID"`
	Type          string      `json:"Type"`
	TypeCode      json.Number `json:"TypeCode"`
	Name          string      `json:"Name"`
	MessageID     string      `json:"MessageID"`
	MessageStream string      `json:"MessageStream"`
	Description   string      `json:"Description"`
	Details       string      `json:"Details"`
	Email         string      `json:"Email"`
	From          string      `json:"From"`
	BouncedAt     string      `json:"BouncedAt"`
	Inactive      bool        `json:"Inactive"`
	Subject       string      `json:"Subject"`
}

// Outbound is a message as GET /messages/outbound lists it.
// https://postmarkapp.com/developer/api/messages-api#outbound-message-search
type Outbound struct {
	MessageID     string   `json:"MessageID"`
	MessageStream string   `json:"MessageStream"`
	Recipients    []string `json:"Recipients"`
	ReceivedAt    string   `json:"ReceivedAt"`
	From          string   `json:"From"`
	Status        string   `json:"Status"`
}

// Details is GET /messages/outbound/{id}/details.
// https://postmarkapp.com/developer/api/messages-api#outbound-message-details
type Details struct {
	MessageID     string `json:"MessageID"`
	MessageStream string `json:"MessageStream"`
	From          string `json:"From"`
	MessageEvents []struct {
		Recipient  string         `json:"Recipient"`
		Type       string         `json:"Type"`
		ReceivedAt string         `json:"ReceivedAt"`
		Details    map[string]any `json:"Details"`
	} `json:"MessageEvents"`
}

// page fetches a paged list: {"TotalCount": n, key: [...]}.
func page[T any](ctx context.Context, c *httpapi.Client, path, key string, q url.Values) ([]T, error) {
	var out []T
	for offset := 0; offset < maxRecords; offset += pageSize {
		q.Set("count", strconv.Itoa(pageSize))
		q.Set("offset", strconv.Itoa(offset))
		body, err := c.Get(ctx, path, q)
		if err != nil {
			return nil, err
		}
		items, total, err := DecodePage[T](body, key)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: the answer is not the JSON it documents: %v", c.Name, path, err)
		}
		out = append(out, items...)
		if len(items) < pageSize || offset+pageSize >= total {
			break
		}
	}
	return out, nil
}

// DecodePage reads one page of a Postmark list.
func DecodePage[T any](body []byte, key string) ([]T, int, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, 0, err
	}
	var total int
	if err := json.Unmarshal(m["TotalCount"], &total); err != nil {
		return nil, 0, fmt.Errorf("TotalCount: %v", err)
	}
	raw, ok := m[key]
	if !ok {
		return nil, 0, fmt.Errorf("no %s", key)
	}
	var items []T
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, 0, err
	}
	return items, total, nil
}

// Open fetches the recipient's bounces and messages and writes them as
// webhook records, one a line.
func (l *Log) Open(ctx context.Context, q source.Query) (io.ReadCloser, error) {
	var recs []map[string]any
	for _, r := range q.Recipients {
		for _, stream := range l.Streams {
			bq := url.Values{"emailFilter": {r}, "messagestream": {stream}}
			if !q.Since.IsZero() {
				bq.Set("fromdate", q.Since.UTC().Format("2006-01-02T15:04:05"))
			}
			if !q.Until.IsZero() {
				bq.Set("todate", q.Until.UTC().Format("2006-01-02T15:04:05"))
			}
			bounces, err := page[Bounce](ctx, l.c, "/bounces", "Bounces", bq)
			if err != nil {
				return nil, err
			}
			for _, b := range bounces {
				recs = append(recs, BounceRecord(b))
			}
			mq := url.Values{"recipient": {r}, "messagestream": {stream}}
			if !q.Since.IsZero() {
				mq.Set("fromdate", q.Since.UTC().Format("2006-01-02T15:04:05"))
			}
			if !q.Until.IsZero() {
				mq.Set("todate", q.Until.UTC().Format("2006-01-02T15:04:05"))
			}
			msgs, err := page[Outbound](ctx, l.c, "/messages/outbound", "Messages", mq)
			if err != nil {
				return nil, err
			}
			if len(msgs) > maxDetails {
				msgs = msgs[:maxDetails] // newest first
			}
			got := make([][]map[string]any, len(msgs))
			err = httpapi.Each(len(msgs), 4, func(i int) error {
				var d Details
				if err := l.c.GetJSON(ctx, "/messages/outbound/"+httpapi.Seg(msgs[i].MessageID)+"/details", nil, &d); err != nil {
					if err == httpapi.ErrNotFound {
						return nil
					}
					return err
				}
				got[i] = EventRecords(d)
				return nil
			})
			if err != nil {
				return nil, err
			}
			for _, g := range got {
				recs = append(recs, g...)
			}
		}
	}
	var b bytes.Buffer
	for _, r := range recs {
		line, _ := json.Marshal(r)
		b.Write(append(line, '\n'))
	}
	return io.NopCloser(&b), nil
}

// BounceRecord is a bounce as the bounce (or spam complaint) webhook writes it.
// https://postmarkapp.com/developer/webhooks/bounce-webhook
func BounceRecord(b Bounce) map[string]any {
	rt := "Bounce"
	if b.Type == "SpamComplaint" {
		rt = "SpamComplaint"
	}
	return map[string]any{"RecordType": rt, "ID": b.ID, "Type": b.Type, "TypeCode": b.TypeCode, "Name": b.Name,
		"MessageID": b.MessageID, "MessageStream": b.MessageStream, "Description": b.Description, "Details": b.Details,
		"Email": b.Email, "From": b.From, "BouncedAt": b.BouncedAt, "Inactive": b.Inactive, "Subject": b.Subject}
}

// EventRecords are a message's events as the delivery, open, click and
// subscription change webhooks write them; its bounces come from the
// bounces list, which has their details.
// https://postmarkapp.com/developer/webhooks/delivery-webhook
func EventRecords(d Details) []map[string]any {
	var out []map[string]any
	for _, e := range d.MessageEvents {
		base := map[string]any{"MessageID": d.MessageID, "MessageStream": d.MessageStream, "Recipient": e.Recipient}
		switch e.Type {
		case "Delivered":
			base["RecordType"], base["DeliveredAt"], base["Details"] = "Delivery", e.ReceivedAt, detail(e.Details, "DeliveryMessage")
		case "Transient":
			base["RecordType"], base["Type"], base["Email"], base["BouncedAt"] = "Bounce", "Transient", e.Recipient, e.ReceivedAt
			base["Details"] = detail(e.Details, "Summary")
		case "Opened":
			base["RecordType"], base["ReceivedAt"] = "Open", e.ReceivedAt
		case "LinkClicked":
			base["RecordType"], base["ReceivedAt"] = "Click", e.ReceivedAt
		case "SubscriptionChanged":
			base["RecordType"], base["ChangedAt"] = "SubscriptionChange", e.ReceivedAt
			base["SuppressSending"] = detail(e.Details, "SuppressSending") == "True" || detail(e.Details, "SuppressSending") == "true"
			base["SuppressionReason"] = detail(e.Details, "Origin")
		default:
			continue
		}
		out = append(out, base)
	}
	return out
}

func detail(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}
