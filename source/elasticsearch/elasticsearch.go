// Package elasticsearch is the source driver for mail logs kept in
// Elasticsearch or OpenSearch. A spec
//
//	elasticsearch://HOST:PORT/INDEX?field=message&time=@timestamp[&tls=1]
//	opensearch://HOST:PORT/INDEX?...
//
// names an index (or pattern, mail-*) whose documents hold one log line
// as the MTA wrote it in a text field (default message) and its time in a
// date field (default @timestamp). The store does the filtering: a _search
// with a match_phrase on the field for each recipient and a range on the
// time, sorted by time and paged with search_after; and for Postfix a
// second search by the queue IDs those lines carry, so that the from=,
// message-id=, bounce and removed lines, which do not name the recipient,
// are in the timeline as they would be in a file. Partial results (a
// shard failed, the search timed out) are an error, never a shorter log.
// The lines go through the maillog check's parsers.
//
// The line field must be analyzed text (match_phrase on a keyword field
// matches only the whole value); the sort's tiebreaker is _doc, which
// needs no point in time and is unique within a shard.
//
// Credentials come from the environment: ELASTICSEARCH_API_KEY (sent as
// "ApiKey ..."), or ELASTICSEARCH_USER and ELASTICSEARCH_PASSWORD (basic
// auth); each secret has a _FILE variant.
package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/whymail/whymail/internal/httpapi"
	"github.com/whymail/whymail/internal/logstore"
	"github.com/whymail/whymail/source"
)

func init() {
	source.Register("elasticsearch", Driver{Product: "Elasticsearch"})
	source.Register("opensearch", Driver{Product: "OpenSearch"})
}

// Environment variables the driver reads.
const (
	EnvAPIKey   = "ELASTICSEARCH_API_KEY"
	EnvUser     = "ELASTICSEARCH_USER"
	EnvPassword = "ELASTICSEARCH_PASSWORD"
)

// PageSize is the hits one search asks for.
const PageSize = 1000

// Driver opens elasticsearch:// and opensearch:// specs.
type Driver struct{ Product string }

var (
	indexName = regexp.MustCompile(`^[a-z0-9*][a-z0-9*,._+-]*$`)
	fieldName = regexp.MustCompile(`^[A-Za-z_@][A-Za-z0-9_.@-]*$`)
)

// Open returns the index spec names.
func (d Driver) Open(kind source.Kind, spec string) (source.Source, error) {
	if kind != source.KindLog {
		return nil, fmt.Errorf("an %s index gives mail logs, not %s", d.Product, kind)
	}
	u, err := url.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %v", err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("put no credentials in the spec: they come from %s, or %s and %s", EnvAPIKey, EnvUser, EnvPassword)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s://HOST:PORT/INDEX: no host", u.Scheme)
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "field", "time", "tls":
		default:
			return nil, fmt.Errorf("unknown parameter %q (field, time, tls)", k)
		}
	}
	l := &Log{Product: d.Product, Index: strings.Trim(u.Path, "/"), Field: q.Get("field"), Time: q.Get("time"), host: u.Host}
	if l.Field == "" {
		l.Field = "message"
	}
	if l.Time == "" {
		l.Time = "@timestamp"
	}
	if !indexName.MatchString(l.Index) {
		return nil, fmt.Errorf("%s://HOST:PORT/INDEX: index %q: want an index name or pattern (mail-*)", u.Scheme, l.Index)
	}
	for what, v := range map[string]string{"field": l.Field, "time": l.Time} {
		if !fieldName.MatchString(v) {
			return nil, fmt.Errorf("%s %q: want a field name (letters, digits, _ . @ -)", what, v)
		}
	}
	scheme := "http"
	if q.Get("tls") == "1" || q.Get("tls") == "true" {
		scheme = "https"
	}
	apiKey, err := httpapi.Secret(EnvAPIKey)
	if err != nil {
		return nil, err
	}
	user := os.Getenv(EnvUser)
	pass, err := httpapi.Secret(EnvPassword)
	if err != nil {
		return nil, err
	}
	l.c = &httpapi.Client{
		Name: d.Product + " at " + u.Host, Base: scheme + "://" + u.Host,
		Secrets: []string{apiKey, pass}, KeyHint: EnvAPIKey + " or " + EnvUser + "/" + EnvPassword,
		Auth: func(r *http.Request) {
			switch {
			case apiKey != "":
				r.Header.Set("Authorization", "ApiKey "+apiKey)
			case user != "" || pass != "":
				r.SetBasicAuth(user, pass)
			}
		},
	}
	return l, nil
}

// Log is an index of log lines.
type Log struct {
	Product            string // Elasticsearch or OpenSearch
	Index, Field, Time string
	// Limit is the hits one search asks for; 0 is PageSize.
	Limit int

	host string
	c    *httpapi.Client
}

// Client is the HTTP client; tests shorten its timeout.
func (l *Log) Client() *httpapi.Client { return l.c }

func (l *Log) Describe() string {
	return fmt.Sprintf("%s %s (%s) at %s", l.Product, l.Index, l.Field, l.host)
}

// Open runs the searches for q and returns the lines in time order.
func (l *Log) Open(ctx context.Context, q source.Query) (io.ReadCloser, error) {
	if len(q.Recipients) == 0 {
		return nil, fmt.Errorf("no recipient to look up")
	}
	lines, err := l.search(ctx, q.Recipients, q.Since, q.Until, 0)
	if err != nil {
		return nil, err
	}
	// Postfix: the queue's other lines do not name the recipient.
	lines, err = logstore.WithQueues(lines, func(ids []string, since, until time.Time) ([]logstore.Line, error) {
		return l.search(ctx, ids, since, until, len(lines))
	})
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(logstore.Text(lines))), nil
}

// Body is the search for phrases in [since, until], after the sort
// values of the last hit read (nil for the first page).
func (l *Log) Body(phrases []string, since, until time.Time, size int, after json.RawMessage) []byte {
	var should []any
	for _, p := range phrases {
		should = append(should, map[string]any{"match_phrase": map[string]any{l.Field: p}})
	}
	filter := []any{map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}}}
	rng := map[string]any{"format": "strict_date_optional_time"}
	if !since.IsZero() {
		rng["gte"] = since.UTC().Format(time.RFC3339Nano)
	}
	if !until.IsZero() {
		rng["lte"] = until.UTC().Format(time.RFC3339Nano)
	}
	if len(rng) > 1 {
		filter = append(filter, map[string]any{"range": map[string]any{l.Time: rng}})
	}
	body := map[string]any{
		"size":             size,
		"track_total_hits": false,
		"_source":          []string{l.Field, l.Time},
		"sort":             []any{map[string]any{l.Time: map[string]any{"order": "asc"}}, map[string]any{"_doc": map[string]any{"order": "asc"}}},
		"query":            map[string]any{"bool": map[string]any{"filter": filter}},
	}
	if after != nil {
		body["search_after"] = after
	}
	b, _ := json.Marshal(body)
	return b
}

// search pages through the hits for phrases; have is how many lines were
// read already, for the bound.
func (l *Log) search(ctx context.Context, phrases []string, since, until time.Time, have int) ([]logstore.Line, error) {
	size := l.Limit
	if size <= 0 {
		size = PageSize
	}
	var (
		all   []logstore.Line
		after json.RawMessage
	)
	params := url.Values{"allow_partial_search_results": {"false"}}
	for {
		body, err := l.c.Do(ctx, http.MethodPost, "/"+l.Index+"/_search", params, l.Body(phrases, since, until, size, after), "application/json")
		if err == httpapi.ErrNotFound {
			return nil, fmt.Errorf("%s answered HTTP 404: %s", l.c.Name, reason(body))
		}
		if err != nil {
			return nil, err
		}
		page, last, err := DecodeHits(body, l.Field, l.Time)
		if err != nil {
			return nil, fmt.Errorf("%s: the answer is not the JSON it documents: %v", l.c.Name, err)
		}
		all = append(all, page...)
		if have+len(all) > logstore.MaxLines {
			return nil, fmt.Errorf("%s: %w", l.c.Name, logstore.ErrTooMany)
		}
		if len(page) < size {
			return logstore.Merge(all), nil
		}
		if last == nil || bytes.Equal(last, after) {
			return nil, fmt.Errorf("%s: a full page without new sort values to search after", l.c.Name)
		}
		after = last
	}
}

// reason is an error answer's error.reason ("no such index [mail]").
func reason(body []byte) string {
	var e struct {
		Error struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Reason == "" {
		return "no such index or path"
	}
	return strconv.Quote(e.Error.Type + ": " + e.Error.Reason)
}

// DecodeHits reads a _search answer: each hit's line (the field) and time
// (the time field, or the first sort value as epoch milliseconds), and the
// last hit's sort values for search_after. A timed out search or a failed
// shard is an error: the lines would be a part of the log that looks whole.
// https://www.elastic.co/guide/en/elasticsearch/reference/current/search-search.html
func DecodeHits(body []byte, field, timeField string) ([]logstore.Line, json.RawMessage, error) {
	var a struct {
		TimedOut bool `json:"timed_out"`
		Shards   struct {
			Total  int `json:"total"`
			Failed int `json:"failed"`
		} `json:"_shards"`
		Hits *struct {
			Hits []struct {
				Source map[string]any    `json:"_source"`
				Sort   []json.RawMessage `json:"sort"`
			} `json:"hits"`
		} `json:"hits"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&a); err != nil {
		return nil, nil, err
	}
	if a.TimedOut {
		return nil, nil, errors.New("the search timed out (partial results)")
	}
	if a.Shards.Failed > 0 {
		return nil, nil, fmt.Errorf("%d of %d shards failed (partial results)", a.Shards.Failed, a.Shards.Total)
	}
	if a.Hits == nil {
		return nil, nil, errors.New("no hits")
	}
	var out []logstore.Line
	var last json.RawMessage
	for i, h := range a.Hits.Hits {
		text, ok := path(h.Source, field).(string)
		if !ok {
			return nil, nil, fmt.Errorf("hit %d has no text field %s", i+1, field)
		}
		t, ok := when(path(h.Source, timeField))
		if !ok && len(h.Sort) > 0 {
			t, ok = when(json.Number(strings.Trim(string(h.Sort[0]), `"`)))
		}
		if !ok {
			return nil, nil, fmt.Errorf("hit %d has no time in %s", i+1, timeField)
		}
		out = append(out, logstore.Line{T: t, Text: logstore.Clean(text)})
		if len(h.Sort) > 0 {
			last, _ = json.Marshal(h.Sort)
		} else {
			last = nil
		}
	}
	return out, last, nil
}

// path finds a field in a _source: "log.original" is {"log.original": ...}
// or {"log": {"original": ...}}.
func path(src map[string]any, name string) any {
	if v, ok := src[name]; ok {
		return v
	}
	for i := 0; i < len(name); i++ {
		if name[i] != '.' {
			continue
		}
		if sub, ok := src[name[:i]].(map[string]any); ok {
			if v := path(sub, name[i+1:]); v != nil {
				return v
			}
		}
	}
	return nil
}

// when reads a date field's value: an ISO 8601 string or epoch milliseconds.
func when(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), true
			}
		}
		if ms, err := strconv.ParseInt(x, 10, 64); err == nil {
			return time.UnixMilli(ms).UTC(), true
		}
	case json.Number:
		if ms, err := x.Int64(); err == nil {
			return time.UnixMilli(ms).UTC(), true
		}
		if f, err := x.Float64(); err == nil && f > -1e15 && f < 1e15 {
			return time.UnixMilli(int64(f)).UTC(), true
		}
	}
	return time.Time{}, false
}
