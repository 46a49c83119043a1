// Package loki is the source driver for mail logs kept in Grafana Loki. A
// spec
//
//	loki://HOST:PORT[/PREFIX]?selector={job="postfix"}[&org=TENANT][&tls=1]
//
// names the streams (a LogQL stream selector; encode a "+" or "&" in it as
// %2B or %26) that hold the lines as the MTA wrote them. The store does
// the filtering: GET /loki/api/v1/query_range with the selector and a
// case-insensitive line filter for the recipients, over the run's window,
// oldest first, paged by the limit on the last timestamp returned; and
// for Postfix a second query by the queue IDs those lines carry, so that
// the from=, message-id=, bounce and removed lines, which do not name the
// recipient, are in the timeline as they would be in a file. The lines go
// through the maillog check's parsers.
//
// Credentials come from the environment: LOKI_USER and LOKI_PASSWORD
// (basic auth, as Grafana Cloud and most proxies take), or LOKI_TOKEN (a
// bearer token); each has a _FILE variant. org sets X-Scope-OrgID for a
// multi-tenant Loki.
package loki

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
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/whymail/whymail/internal/httpapi"
	"github.com/whymail/whymail/internal/logstore"
	"github.com/whymail/whymail/source"
)

func init() { source.Register("loki", Driver{}) }

// Environment variables the driver reads.
const (
	EnvUser     = "LOKI_USER"
	EnvPassword = "LOKI_PASSWORD"
	EnvToken    = "LOKI_TOKEN"
)

// PageSize is the limit of one query: Loki's default
// max_entries_limit_per_query.
const PageSize = 5000

// DefaultSpan is the window asked for when the run gives no start.
const DefaultSpan = 30 * 24 * time.Hour

// Driver opens loki:// specs.
type Driver struct{}

// Open returns the streams spec names.
func (Driver) Open(kind source.Kind, spec string) (source.Source, error) {
	if kind != source.KindLog {
		return nil, fmt.Errorf("a Loki store gives mail logs, not %s", kind)
	}
	u, err := url.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("not a loki:// URL: %v", err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("put no credentials in the spec: they come from %s and %s, or %s", EnvUser, EnvPassword, EnvToken)
	}
	if u.Host == "" {
		return nil, fmt.Errorf(`loki://HOST:PORT?selector={job="postfix"}: no host`)
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "selector", "org", "tls":
		default:
			return nil, fmt.Errorf("unknown parameter %q (selector, org, tls)", k)
		}
	}
	sel := strings.TrimSpace(q.Get("selector"))
	if err := checkSelector(sel); err != nil {
		return nil, err
	}
	scheme := "http"
	if q.Get("tls") == "1" || q.Get("tls") == "true" {
		scheme = "https"
	}
	user := os.Getenv(EnvUser)
	pass, err := httpapi.Secret(EnvPassword)
	if err != nil {
		return nil, err
	}
	token, err := httpapi.Secret(EnvToken)
	if err != nil {
		return nil, err
	}
	org := q.Get("org")
	l := &Log{Selector: sel, Org: org, host: u.Host}
	l.c = &httpapi.Client{
		Name: "Loki at " + u.Host, Base: scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"),
		Secrets: []string{pass, token}, KeyHint: EnvUser + "/" + EnvPassword + " or " + EnvToken,
		Auth: func(r *http.Request) {
			switch {
			case token != "":
				r.Header.Set("Authorization", "Bearer "+token)
			case user != "" || pass != "":
				r.SetBasicAuth(user, pass)
			}
			if org != "" {
				r.Header.Set("X-Scope-OrgID", org)
			}
		},
	}
	return l, nil
}

// checkSelector accepts a LogQL stream selector: {label op "value", ...}.
// Loki parses it; this catches what is not one at all, and a pipeline,
// which would change what the line filter means.
func checkSelector(sel string) error {
	if sel == "" {
		return fmt.Errorf(`loki:// needs a stream selector: ?selector={job="postfix"}`)
	}
	if !strings.HasPrefix(sel, "{") || !strings.HasSuffix(sel, "}") || strings.Count(sel, "{") != 1 {
		return fmt.Errorf("selector %q: want a LogQL stream selector such as {job=\"postfix\"}, without a pipeline", sel)
	}
	if !labelMatcher.MatchString(sel) {
		return fmt.Errorf("selector %q: want label matchers such as {job=\"postfix\"} (a + in it is written %%2B)", sel)
	}
	return nil
}

var labelMatcher = regexp.MustCompile(`^\{\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*("([^"\\]|\\.)*"|` + "`[^`]*`" + `)\s*(,\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*("([^"\\]|\\.)*"|` + "`[^`]*`" + `)\s*)*,?\s*\}$`)

// Log is the streams of one selector in a Loki.
type Log struct {
	Selector string
	Org      string
	// Limit is the lines one query asks for; 0 is PageSize.
	Limit int

	host string
	c    *httpapi.Client
}

// Client is the HTTP client; tests shorten its timeout.
func (l *Log) Client() *httpapi.Client { return l.c }

func (l *Log) Describe() string {
	s := "Loki " + l.Selector + " at " + l.host
	if l.Org != "" {
		s += " (tenant " + l.Org + ")"
	}
	return s
}

// Open runs the queries for q and returns the lines in time order.
func (l *Log) Open(ctx context.Context, q source.Query) (io.ReadCloser, error) {
	if len(q.Recipients) == 0 {
		return nil, fmt.Errorf("no recipient to look up")
	}
	var alts []string
	for _, r := range q.Recipients {
		alts = append(alts, regexp.QuoteMeta(r))
	}
	start, end := logstore.Window(q.Since, q.Until, DefaultSpan)
	lines, err := l.query(ctx, l.Selector+" |~ "+strconv.Quote("(?i)(?:"+strings.Join(alts, "|")+")"), start, end, 0)
	if err != nil {
		return nil, err
	}
	// Postfix: the queue's other lines do not name the recipient.
	lines, err = logstore.WithQueues(lines, func(ids []string, since, until time.Time) ([]logstore.Line, error) {
		return l.query(ctx, l.Selector+" |~ "+strconv.Quote("(?:"+strings.Join(ids, "|")+"): "), since, until, len(lines))
	})
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(logstore.Text(lines))), nil
}

// query runs one LogQL query over [start, end], following the limit: a
// full page is followed by one starting at its last timestamp (Loki's
// start is inclusive, so that time's lines come again and are merged).
// have is how many lines were read already, for the bound.
func (l *Log) query(ctx context.Context, logql string, start, end time.Time, have int) ([]logstore.Line, error) {
	var all []logstore.Line
	limit := l.Limit
	if limit <= 0 {
		limit = PageSize
	}
	from := start.UnixNano()
	for {
		// end is exclusive: one nanosecond past the window's end.
		v := url.Values{"query": {logql}, "start": {strconv.FormatInt(from, 10)}, "end": {strconv.FormatInt(end.UnixNano()+1, 10)},
			"limit": {strconv.Itoa(limit)}, "direction": {"forward"}}
		body, err := l.c.Get(ctx, "/loki/api/v1/query_range", v)
		if err == httpapi.ErrNotFound {
			return nil, fmt.Errorf("%s answered HTTP 404 for /loki/api/v1/query_range: is it a Loki (or its path prefix in the spec)?", l.c.Name)
		}
		if err != nil {
			return nil, err
		}
		page, err := DecodeRange(body)
		if err != nil {
			return nil, fmt.Errorf("%s: the answer is not the JSON it documents: %v", l.c.Name, err)
		}
		before := len(all)
		all = logstore.Merge(all, page)
		if have+len(all) > logstore.MaxLines {
			return nil, fmt.Errorf("%s: %w", l.c.Name, logstore.ErrTooMany)
		}
		if len(page) < limit {
			return all, nil
		}
		switch last := page[len(page)-1].T.UnixNano(); {
		case last < from:
			return nil, fmt.Errorf("%s: a page from %s ended before it: the server does not page by start", l.c.Name, time.Unix(0, from).UTC().Format(time.RFC3339Nano))
		case len(all) == before || last == from:
			// Nothing new, or a whole page at one nanosecond: step past it.
			from = last + 1
		default:
			from = last
		}
	}
}

// DecodeRange reads a query_range answer of resultType "streams": the
// lines of every stream, in time order.
// https://grafana.com/docs/loki/latest/reference/loki-http-api/#query-logs-within-a-range-of-time
func DecodeRange(body []byte) ([]logstore.Line, error) {
	var a struct {
		Status string `json:"status"`
		Data   *struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Values [][]json.RawMessage `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, err
	}
	if a.Status != "success" {
		return nil, fmt.Errorf("status %q", a.Status)
	}
	if a.Data == nil {
		return nil, errors.New("no data")
	}
	if a.Data.ResultType != "streams" {
		return nil, fmt.Errorf("resultType %q, not streams: is the selector a log query?", a.Data.ResultType)
	}
	var out []logstore.Line
	for _, s := range a.Data.Result {
		for _, v := range s.Values {
			if len(v) < 2 {
				return nil, errors.New("a value without [timestamp, line]")
			}
			var ts, line string
			if json.Unmarshal(v[0], &ts) != nil || json.Unmarshal(v[1], &line) != nil {
				return nil, errors.New("a value that is not [\"timestamp\", \"line\"]")
			}
			ns, err := strconv.ParseInt(ts, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("timestamp %q is not nanoseconds", ts)
			}
			out = append(out, logstore.Line{T: time.Unix(0, ns).UTC(), Text: logstore.Clean(line)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].T.Before(out[j].T) })
	return out, nil
}
