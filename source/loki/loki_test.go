package loki

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/internal/httpapi/apitest"
	"github.com/whymail/whymail/internal/logstore/logstoretest"
	"github.com/whymail/whymail/source"
)

const postfixLog = logstoretest.PostfixLog

const (
	testUser = "mail-reader"
	testPass = "loki-s3cret-password"
	testOrg  = "mail"
)

type entry struct {
	ns   int64
	line string
}

type stream struct {
	labels  map[string]string
	entries []entry
}

// streams are the store: the Postfix log in {job="postfix"} (each line
// stamped with its syslog time, the lines of a second in order a
// microsecond apart), and a line naming alice in {job="nginx"}.
func streams() []stream {
	pf := stream{labels: map[string]string{"job": "postfix", "host": "mail", "filename": "/var/log/mail.log"}}
	var prev int64
	for _, l := range strings.Split(strings.TrimSpace(postfixLog), "\n") {
		t, _ := time.Parse("Jan 2 15:04:05 2006", l[:15]+" 2026")
		ns := t.UnixNano()
		if ns <= prev {
			ns = prev + 1000
		}
		prev = ns
		pf.entries = append(pf.entries, entry{ns, l})
	}
	web := stream{labels: map[string]string{"job": "nginx"}, entries: []entry{{pf.entries[2].ns, `192.0.2.9 - - "GET /reset?email=alice@example.com HTTP/1.1" 200`}}}
	return []stream{pf, web}
}

var (
	queryShape = regexp.MustCompile(`^(\{[^}]*\}) \|~ (".*")$`)
	matcher    = regexp.MustCompile(`([A-Za-z_]\w*)\s*=\s*"((?:[^"\\]|\\.)*)"`)
)

// fakeLoki answers GET /loki/api/v1/query_range as Loki documents
// (https://grafana.com/docs/loki/latest/reference/loki-http-api/#query-logs-within-a-range-of-time):
// query is LogQL, start (inclusive) and end (exclusive) are nanosecond
// epochs, limit bounds the entries (at most max_entries_limit_per_query,
// 5000), direction=forward returns the oldest first; the answer is
// {"status": "success", "data": {"resultType": "streams", "result":
// [{"stream": {labels}, "values": [["<ns>", "<line>"], ...]}], "stats": {...}}}.
// Errors are plain text: 400 for a query that does not parse, 401 "no org
// id" without X-Scope-OrgID on a multi-tenant Loki. It evaluates the
// driver's query shape, a selector of = matchers and one |~ filter.
func fakeLoki(t testing.TB, data []stream) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != testUser || p != testPass {
			w.WriteHeader(401)
			io.WriteString(w, "Unauthorized\n")
			return
		}
		if r.Header.Get("X-Scope-OrgID") != testOrg {
			w.WriteHeader(401)
			io.WriteString(w, "no org id\n")
			return
		}
		if r.URL.Path != "/loki/api/v1/query_range" {
			w.WriteHeader(404)
			io.WriteString(w, "404 page not found\n")
			return
		}
		q := r.URL.Query()
		m := queryShape.FindStringSubmatch(q.Get("query"))
		var re *regexp.Regexp
		if m != nil {
			if pat, err := strconv.Unquote(m[2]); err == nil {
				re, _ = regexp.Compile(pat)
			}
		}
		if re == nil {
			w.WriteHeader(400)
			fmt.Fprintf(w, "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER in %q\n", q.Get("query"))
			return
		}
		want := map[string]string{}
		for _, mm := range matcher.FindAllStringSubmatch(m[1], -1) {
			want[mm[1]] = mm[2]
		}
		start, err1 := strconv.ParseInt(q.Get("start"), 10, 64)
		end, err2 := strconv.ParseInt(q.Get("end"), 10, 64)
		limit, err3 := strconv.Atoi(q.Get("limit"))
		if err1 != nil || err2 != nil || err3 != nil || q.Get("direction") != "forward" {
			w.WriteHeader(400)
			io.WriteString(w, "invalid parameters\n")
			return
		}
		if limit > 5000 {
			w.WriteHeader(400)
			fmt.Fprintf(w, "max entries limit per query exceeded, limit > max_entries_limit_per_query (%d > 5000)\n", limit)
			return
		}
		type hit struct {
			s int
			e entry
		}
		var hits []hit
		for i, s := range data {
			ok := true
			for k, v := range want {
				if s.labels[k] != v {
					ok = false
				}
			}
			if !ok {
				continue
			}
			for _, e := range s.entries {
				if e.ns >= start && e.ns < end && re.MatchString(e.line) {
					hits = append(hits, hit{i, e})
				}
			}
		}
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].e.ns < hits[j].e.ns })
		if len(hits) > limit {
			hits = hits[:limit]
		}
		byStream := map[int][][]string{}
		var order []int
		for _, h := range hits {
			if _, ok := byStream[h.s]; !ok {
				order = append(order, h.s)
			}
			byStream[h.s] = append(byStream[h.s], []string{strconv.FormatInt(h.e.ns, 10), h.e.line})
		}
		result := []map[string]any{}
		for _, i := range order {
			result = append(result, map[string]any{"stream": data[i].labels, "values": byStream[i]})
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "streams", "result": result,
			"stats": map[string]any{"summary": map[string]any{"bytesProcessedPerSecond": 1000, "linesProcessedPerSecond": 10, "totalEntriesReturned": len(hits), "execTime": 0.001}}}})
	})
}

func open(t testing.TB, base string) *Log {
	t.Helper()
	s, err := source.OpenStream(source.KindLog, "loki://"+strings.TrimPrefix(base, "http://")+`?selector={job="postfix"}&org=`+testOrg)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Log)
}

func env(t *testing.T) {
	t.Setenv(EnvUser, testUser)
	t.Setenv(EnvPassword, testPass)
	t.Setenv(EnvToken, "")
}

var at = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestQueueLines(t *testing.T) {
	env(t)
	var calls atomic.Int32
	inner := fakeLoki(t, streams())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1); inner.ServeHTTP(w, r) }))
	defer srv.Close()
	l := open(t, srv.URL)
	if got := l.Describe(); !strings.HasPrefix(got, `Loki {job="postfix"} at 127.0.0.1:`) || !strings.HasSuffix(got, "(tenant mail)") {
		t.Errorf("Describe %q", got)
	}
	want := strings.Join(strings.Split(postfixLog, "\n")[:5], "\n") + "\n"
	for _, limit := range []int{0, 2, 1} {
		l.Limit = limit
		calls.Store(0)
		got, err := logstoretest.Read(context.Background(), l, source.Query{Recipients: []string{"alice@example.com"}, Since: at.Add(-24 * time.Hour), Until: at})
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("limit %d: lines\n%s\nwant\n%s", limit, got, want)
		}
		if limit == 2 && calls.Load() < 3 {
			t.Errorf("limit 2: %d calls, so no paging", calls.Load())
		}
	}
	// The same timeline as the file gives.
	got, err := logstoretest.Read(context.Background(), l, source.Query{Recipients: []string{"alice@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	logstoretest.SameTimeline(t, got, at)
	// The window is pushed down.
	got, err = logstoretest.Read(context.Background(), l, source.Query{Recipients: []string{"alice@example.com"}, Since: at, Until: at.Add(time.Hour)})
	if err != nil || got != "" {
		t.Errorf("after the window: %q %v", got, err)
	}
}

// TestQuoting: an address is a literal in the line filter, never LogQL
// or a pattern.
func TestQuoting(t *testing.T) {
	env(t)
	var queries []string
	inner := fakeLoki(t, streams())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.Query().Get("query"))
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	for _, evil := range []string{`a"} |= "x`, `.*@example.com`, `a\@example.com`} {
		got, err := logstoretest.Read(context.Background(), open(t, srv.URL), source.Query{Recipients: []string{evil}})
		if err != nil || got != "" {
			t.Errorf("%s: %q %v", evil, got, err)
		}
	}
	for _, q := range queries {
		if !strings.HasPrefix(q, `{job="postfix"} |~ "(?i)(?:`) {
			t.Errorf("query %s", q)
		}
	}
}

func TestSpecs(t *testing.T) {
	for _, spec := range []string{
		"loki://u:p@h:3100?selector={job=\"postfix\"}",
		"loki://h:3100",
		"loki://h:3100?selector=job",
		"loki://h:3100?selector={job=\"postfix\"} |= \"x\"",
		"loki://h:3100?selector={job=\"postfix\"}&bogus=1",
		"loki://?selector={job=\"postfix\"}",
	} {
		if _, err := source.OpenStream(source.KindLog, spec); err == nil {
			t.Errorf("%s: no error", spec)
		}
	}
	for _, spec := range []string{`loki://h:3100?selector={job="postfix"}`, "loki://h:3100/loki-gw?selector={job=~\"postfix|exim\",host!=\"x\"}&tls=1"} {
		if _, err := source.OpenStream(source.KindLog, spec); err != nil {
			t.Errorf("%s: %v", spec, err)
		}
	}
	if _, err := source.OpenStream(source.KindSuppressions, `loki://h:3100?selector={job="postfix"}`); err == nil {
		t.Error("a log store opened as suppressions")
	}
	t.Setenv(EnvToken, "tok-secret")
	s, _ := source.OpenStream(source.KindLog, `loki://h:3100/gw/?selector={job="postfix"}&tls=1`)
	if c := s.(*Log).Client(); c.Base != "https://h:3100/gw" || strings.Contains(s.Describe(), "tok-secret") {
		t.Errorf("base %s, Describe %s", c.Base, s.Describe())
	}
}

func TestFailures(t *testing.T) {
	env(t)
	apitest.Failures(t, testPass, fakeLoki(t, streams()), func(ctx context.Context, t *testing.T, base string) (string, error) {
		return logstoretest.Read(ctx, open(t, base), source.Query{Recipients: []string{"alice@example.com"}})
	})
	t.Run("no tenant", func(t *testing.T) {
		srv := httptest.NewServer(fakeLoki(t, streams()))
		defer srv.Close()
		s, _ := source.OpenStream(source.KindLog, "loki://"+strings.TrimPrefix(srv.URL, "http://")+`?selector={job="postfix"}`)
		_, err := logstoretest.Read(context.Background(), s.(*Log), source.Query{Recipients: []string{"alice@example.com"}})
		if err == nil || !strings.Contains(err.Error(), "no org id") || strings.Contains(err.Error(), testPass) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("not a Loki", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		defer srv.Close()
		_, err := logstoretest.Read(context.Background(), open(t, srv.URL), source.Query{Recipients: []string{"alice@example.com"}})
		if err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("no paging", func(t *testing.T) {
		// A server that ignores start: the driver stops, not loops.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[["1795339800000000000","a"],["1795339801000000000","b"]]}]}}`)
		}))
		defer srv.Close()
		l := open(t, srv.URL)
		l.Limit = 2
		_, err := logstoretest.Read(context.Background(), l, source.Query{Recipients: []string{"alice@example.com"}})
		if err == nil || !strings.Contains(err.Error(), "does not page") {
			t.Errorf("err %v", err)
		}
	})
}

func FuzzDecodeRange(f *testing.F) {
	f.Add([]byte(`{"status":"success","data":{"resultType":"streams","result":[{"stream":{"job":"postfix"},"values":[["1795339800000000000","Nov 22 09:50:00 mail postfix/qmgr[1]: ABCDEF: removed"]]}]}}`))
	f.Add([]byte(`{"status":"success","data":{"resultType":"matrix","result":[]}}`))
	f.Add([]byte(`{"status":"success","data":{"resultType":"streams","result":[{"values":[["1","a\nb",{"x":"y"}]]}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := DecodeRange(b)
		if err != nil {
			return
		}
		var text strings.Builder
		// A mail log with the decoded lines in it: the parser takes them,
		// whatever they are.
		text.WriteString("Nov 22 09:00:00 mail postfix/qmgr[1]: ABCDEF0123: removed\n")
		for _, l := range lines {
			if strings.ContainsAny(l.Text, "\r\n") {
				t.Fatalf("a line break in %q", l.Text)
			}
			text.WriteString(l.Text + "\n")
		}
		if _, err := maillog.Read(strings.NewReader(text.String()), "loki", at, "alice@example.com"); err != nil {
			t.Fatalf("%v\n%s", err, text.String())
		}
	})
}
