// Package clickhouse is the source driver for mail logs kept in a
// ClickHouse table of raw log lines, queried over ClickHouse's HTTP
// interface. A spec
//
//	clickhouse://HOST:PORT/DB?table=NAME[&time=COL][&line=COL][&tls=1]
//
// names a table with a DateTime column (default ts) and a String column
// holding the line as the MTA wrote it (default line). The store does the
// filtering: one SELECT for the lines naming a recipient (case folded) in
// the run's window, bound as query parameters ({r0:String}; never spliced
// into the SQL), and for Postfix a second by the queue IDs those lines
// carry, so that the from=, message-id=, bounce and removed lines, which
// do not name the recipient, are in the timeline as they would be in a
// file. The lines go through the maillog check's parsers.
//
// The user is CLICKHOUSE_USER (default "default") and the password
// CLICKHOUSE_PASSWORD (or the file CLICKHOUSE_PASSWORD_FILE names); a
// credential in the spec is refused, so a spec can be shown as it is.
package clickhouse

import (
	"bytes"
	"context"
	"encoding/json"
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

func init() { source.Register("clickhouse", Driver{}) }

// Environment variables the driver reads.
const (
	EnvUser     = "CLICKHOUSE_USER"
	EnvPassword = "CLICKHOUSE_PASSWORD"
)

// Driver opens clickhouse:// specs.
type Driver struct{}

var ident = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open returns the log table spec names.
func (Driver) Open(kind source.Kind, spec string) (source.Source, error) {
	if kind != source.KindLog {
		return nil, fmt.Errorf("a ClickHouse table gives mail logs, not %s", kind)
	}
	u, err := url.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("not a clickhouse:// URL")
	}
	if u.User != nil {
		return nil, fmt.Errorf("put no credentials in the spec: the user and password come from %s and %s", EnvUser, EnvPassword)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("clickhouse://HOST:PORT/DB?table=NAME: no host")
	}
	q := u.Query()
	l := &Log{
		DB:      strings.Trim(u.Path, "/"),
		Table:   q.Get("table"),
		TimeCol: q.Get("time"),
		LineCol: q.Get("line"),
		host:    u.Host,
	}
	if l.DB == "" {
		l.DB = "default"
	}
	if l.TimeCol == "" {
		l.TimeCol = "ts"
	}
	if l.LineCol == "" {
		l.LineCol = "line"
	}
	for what, v := range map[string]string{"database": l.DB, "table": l.Table, "time column": l.TimeCol, "line column": l.LineCol} {
		if !ident.MatchString(v) {
			return nil, fmt.Errorf("%s %q: want a plain name (letters, digits, _)", what, v)
		}
	}
	for k := range q {
		switch k {
		case "table", "time", "line", "tls":
		default:
			return nil, fmt.Errorf("unknown parameter %q (table, time, line, tls)", k)
		}
	}
	scheme := "http"
	if q.Get("tls") == "1" || q.Get("tls") == "true" {
		scheme = "https"
	}
	user := os.Getenv(EnvUser)
	if user == "" {
		user = "default"
	}
	pass, err := httpapi.Secret(EnvPassword)
	if err != nil {
		return nil, err
	}
	l.c = &httpapi.Client{
		Name: "ClickHouse at " + u.Host, Base: scheme + "://" + u.Host, Secrets: []string{pass}, KeyHint: EnvUser + " and " + EnvPassword,
		Auth: func(r *http.Request) { r.SetBasicAuth(user, pass) },
	}
	return l, nil
}

// Log is a ClickHouse table of log lines.
type Log struct {
	DB, Table, TimeCol, LineCol string

	host string
	c    *httpapi.Client
}

// Client is the HTTP client; tests shorten its timeout.
func (l *Log) Client() *httpapi.Client { return l.c }

func (l *Log) Describe() string {
	return fmt.Sprintf("ClickHouse %s.%s at %s", l.DB, l.Table, l.host)
}

// A Row is one line the store returned.
type Row struct {
	T    int64  `json:"t"`
	Line string `json:"line"`
}

// Open runs the queries for q and returns the lines in time order.
func (l *Log) Open(ctx context.Context, q source.Query) (io.ReadCloser, error) {
	if len(q.Recipients) == 0 {
		return nil, fmt.Errorf("no recipient to look up")
	}
	params := url.Values{}
	var terms []string
	for i, r := range q.Recipients {
		name := fmt.Sprintf("r%d", i)
		params.Set("param_"+name, param(r))
		terms = append(terms, fmt.Sprintf("positionCaseInsensitive(%s, {%s:String}) > 0", quote(l.LineCol), name))
	}
	since, until := q.Since, q.Until
	rows, err := l.query(ctx, "("+strings.Join(terms, " OR ")+")", params, since, until)
	if err != nil {
		return nil, err
	}
	// Postfix: the queue's other lines do not name the recipient.
	lines, err := logstore.WithQueues(asLines(rows), func(ids []string, since, until time.Time) ([]logstore.Line, error) {
		params := url.Values{}
		var terms []string
		for i, id := range ids {
			name := fmt.Sprintf("q%d", i)
			params.Set("param_"+name, param(id+":"))
			terms = append(terms, fmt.Sprintf("position(%s, {%s:String}) > 0", quote(l.LineCol), name))
		}
		more, err := l.query(ctx, "("+strings.Join(terms, " OR ")+")", params, since, until)
		return asLines(more), err
	})
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(logstore.Text(lines))), nil
}

// asLines turns rows (Unix seconds) into the lines logstore works on.
func asLines(rows []Row) []logstore.Line {
	out := make([]logstore.Line, len(rows))
	for i, r := range rows {
		out[i] = logstore.Line{T: time.Unix(r.T, 0), Text: r.Line}
	}
	return out
}

// query runs one SELECT with where and the window.
func (l *Log) query(ctx context.Context, where string, params url.Values, since, until time.Time) ([]Row, error) {
	ts := quote(l.TimeCol)
	if !since.IsZero() {
		params.Set("param_since", strconv.FormatInt(since.Unix(), 10))
		where += fmt.Sprintf(" AND %s >= toDateTime({since:UInt32})", ts)
	}
	if !until.IsZero() {
		params.Set("param_until", strconv.FormatInt(until.Unix(), 10))
		where += fmt.Sprintf(" AND %s <= toDateTime({until:UInt32})", ts)
	}
	sql := fmt.Sprintf("SELECT toUnixTimestamp(%s) AS t, %s AS line FROM %s.%s WHERE %s ORDER BY t LIMIT %d FORMAT JSONEachRow",
		ts, quote(l.LineCol), quote(l.DB), quote(l.Table), where, logstore.MaxLines+1)
	params.Set("database", l.DB)
	params.Set("readonly", "2")
	if dl, ok := ctx.Deadline(); ok {
		if s := int(time.Until(dl).Seconds()); s > 0 {
			params.Set("max_execution_time", strconv.Itoa(s))
		}
	}
	body, err := l.c.Do(ctx, http.MethodPost, "/", params, []byte(sql), "text/plain; charset=utf-8")
	if err == httpapi.ErrNotFound {
		// ClickHouse answers 404 for an unknown table or database.
		first, _, _ := strings.Cut(strings.ToValidUTF8(string(body), "?"), "\n")
		if len(first) > 300 {
			first = first[:300] + "..."
		}
		return nil, fmt.Errorf("%s answered HTTP 404: %q", l.c.Name, first)
	}
	if err != nil {
		return nil, err
	}
	rows, err := DecodeRows(body)
	if err != nil {
		return nil, fmt.Errorf("%s: the answer is not the JSONEachRow asked for: %v", l.c.Name, err)
	}
	if len(rows) > logstore.MaxLines {
		return nil, fmt.Errorf("%s: %w", l.c.Name, logstore.ErrTooMany)
	}
	return rows, nil
}

// DecodeRows reads a JSONEachRow answer: one object a line.
func DecodeRows(body []byte) ([]Row, error) {
	var rows []Row
	dec := json.NewDecoder(bytes.NewReader(body))
	for n := 1; ; n++ {
		var raw struct {
			T    json.Number `json:"t"`
			Line *string     `json:"line"`
		}
		err := dec.Decode(&raw)
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("row %d: %v", n, err)
		}
		if raw.Line == nil {
			return nil, fmt.Errorf("row %d has no line", n)
		}
		t, err := raw.T.Int64()
		if err != nil {
			// UInt32 and Int64 may come quoted (output_format_json_quote_64bit_integers).
			t, err = strconv.ParseInt(strings.Trim(string(raw.T), `"`), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("row %d: t %q is not a time", n, raw.T)
			}
		}
		if strings.ContainsAny(*raw.Line, "\r\n") {
			return nil, fmt.Errorf("row %d: a log line holding a line break", n)
		}
		rows = append(rows, Row{T: t, Line: *raw.Line})
	}
}

// quote quotes an identifier already checked to be a plain name.
func quote(name string) string { return "`" + name + "`" }

// param escapes a String query parameter: ClickHouse reads its value in
// the TabSeparated escaping, where a backslash starts an escape.
func param(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
	return r.Replace(s)
}
