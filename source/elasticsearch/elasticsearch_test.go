package elasticsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
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

const testAPIKey = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="

type doc struct {
	t      time.Time
	source map[string]any
}

// docs are the index: each line a document, the ECS way ({"message",
// "@timestamp", "log": {"original"}}) so that nested fields are tried too.
func docs() []doc {
	var out []doc
	for _, l := range strings.Split(strings.TrimSpace(postfixLog), "\n") {
		t, _ := time.Parse("Jan 2 15:04:05 2006", l[:15]+" 2026")
		out = append(out, doc{t, map[string]any{"message": l, "@timestamp": t.Format("2006-01-02T15:04:05.000Z"),
			"log": map[string]any{"original": l}, "host": map[string]any{"name": "mail"}}})
	}
	return out
}

var word = regexp.MustCompile(`[\p{L}\p{N}_]+(?:[.'][\p{L}\p{N}_]+)*`)

// tokens is the standard analyzer, near enough: words (example.com is one)
// lower-cased.
func tokens(s string) []string {
	ws := word.FindAllString(strings.ToLower(s), -1)
	return ws
}

func phrase(text, p string) bool {
	tt, pt := tokens(text), tokens(p)
	for i := 0; i+len(pt) <= len(tt) && len(pt) > 0; i++ {
		ok := true
		for j := range pt {
			if tt[i+j] != pt[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// fakeES answers POST /{index}/_search as Elasticsearch documents
// (https://www.elastic.co/guide/en/elasticsearch/reference/current/search-search.html):
// a bool query of filters (match_phrase on an analyzed text field, range
// on a date field with gte and lte), sort by the date then _doc, size, and
// search_after with the sort values of the last hit
// (https://www.elastic.co/guide/en/elasticsearch/reference/current/paginate-search-results.html#search-after);
// the answer is {"took", "timed_out", "_shards", "hits": {"hits": [{"_index",
// "_id", "_score": null, "_source", "sort": [epoch ms, doc]}]}}. An unknown
// index is 404 index_not_found_exception, a missing or wrong key 401
// security_exception.
func fakeES(t testing.TB, data []doc, shardFailed int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j := func(code int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
			w.WriteHeader(code)
			json.NewEncoder(w).Encode(v)
		}
		if r.Header.Get("Authorization") != "ApiKey "+testAPIKey {
			j(401, map[string]any{"error": map[string]any{"type": "security_exception", "reason": "unable to authenticate with provided credentials and anonymous access is not allowed for this request"}, "status": 401})
			return
		}
		index, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/_search")
		if r.Method != "POST" || !ok {
			j(405, map[string]any{"error": "Incorrect HTTP method", "status": 405})
			return
		}
		if index != "mail-*" && index != "mail-2026.11" {
			j(404, map[string]any{"error": map[string]any{"type": "index_not_found_exception", "reason": "no such index [" + index + "]", "index": index}, "status": 404})
			return
		}
		var req struct {
			Size  int `json:"size"`
			Query struct {
				Bool struct {
					Filter []struct {
						Bool *struct {
							Should []struct {
								MatchPhrase map[string]string `json:"match_phrase"`
							} `json:"should"`
							MinimumShouldMatch int `json:"minimum_should_match"`
						} `json:"bool"`
						Range map[string]struct {
							GTE    string `json:"gte"`
							LTE    string `json:"lte"`
							Format string `json:"format"`
						} `json:"range"`
					} `json:"filter"`
				} `json:"bool"`
			} `json:"query"`
			Sort        []map[string]map[string]string `json:"sort"`
			SearchAfter []int64                        `json:"search_after"`
			Source      []string                       `json:"_source"`
			TrackTotal  *bool                          `json:"track_total_hits"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || len(req.Sort) != 2 || req.Sort[0]["@timestamp"]["order"] != "asc" || req.Sort[1]["_doc"] == nil {
			j(400, map[string]any{"error": map[string]any{"type": "parsing_exception", "reason": fmt.Sprintf("unknown query shape: %v", err)}, "status": 400})
			return
		}
		if req.Size > 10000 {
			j(400, map[string]any{"error": map[string]any{"type": "illegal_argument_exception", "reason": "Result window is too large"}, "status": 400})
			return
		}
		type hit struct {
			ms, doc int64
			d       doc
		}
		var hits []hit
		for i, d := range data {
			ok := true
			for _, f := range req.Query.Bool.Filter {
				if f.Bool != nil {
					any := false
					for _, s := range f.Bool.Should {
						for field, p := range s.MatchPhrase {
							if text, _ := path(d.source, field).(string); phrase(text, p) {
								any = true
							}
						}
					}
					ok = ok && any
				}
				for field, rg := range f.Range {
					ts, _ := time.Parse(time.RFC3339Nano, path(d.source, field).(string))
					if g, err := time.Parse(time.RFC3339Nano, rg.GTE); err == nil && ts.Before(g) {
						ok = false
					}
					if l, err := time.Parse(time.RFC3339Nano, rg.LTE); err == nil && ts.After(l) {
						ok = false
					}
				}
			}
			if ok {
				hits = append(hits, hit{d.t.UnixMilli(), int64(i), d})
			}
		}
		sort.SliceStable(hits, func(a, b int) bool {
			return hits[a].ms < hits[b].ms || hits[a].ms == hits[b].ms && hits[a].doc < hits[b].doc
		})
		if sa := req.SearchAfter; len(sa) == 2 {
			var rest []hit
			for _, h := range hits {
				if h.ms > sa[0] || h.ms == sa[0] && h.doc > sa[1] {
					rest = append(rest, h)
				}
			}
			hits = rest
		}
		if len(hits) > req.Size {
			hits = hits[:req.Size]
		}
		out := []map[string]any{}
		for _, h := range hits {
			src := map[string]any{}
			for _, f := range req.Source {
				if strings.Contains(f, ".") {
					src[strings.Split(f, ".")[0]] = h.d.source[strings.Split(f, ".")[0]]
				} else {
					src[f] = h.d.source[f]
				}
			}
			out = append(out, map[string]any{"_index": "mail-2026.11", "_id": fmt.Sprintf("id%d", h.doc), "_score": nil, "_source": src, "sort": []int64{h.ms, h.doc}})
		}
		j(200, map[string]any{"took": 3, "timed_out": false, "_shards": map[string]int{"total": 2, "successful": 2 - shardFailed, "skipped": 0, "failed": shardFailed},
			"hits": map[string]any{"max_score": nil, "hits": out}})
	})
}

func open(t testing.TB, base, rest string) *Log {
	t.Helper()
	s, err := source.OpenStream(source.KindLog, "elasticsearch://"+strings.TrimPrefix(base, "http://")+rest)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Log)
}

func env(t *testing.T) {
	t.Setenv(EnvAPIKey, testAPIKey)
	t.Setenv(EnvUser, "")
	t.Setenv(EnvPassword, "")
}

var at = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestQueueLines(t *testing.T) {
	env(t)
	var calls atomic.Int32
	inner := fakeES(t, docs(), 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1); inner.ServeHTTP(w, r) }))
	defer srv.Close()
	want := strings.Join(strings.Split(postfixLog, "\n")[:5], "\n") + "\n"
	for _, rest := range []string{"/mail-*", "/mail-2026.11?field=log.original&time=@timestamp"} {
		l := open(t, srv.URL, rest)
		for _, limit := range []int{0, 2, 1} {
			l.Limit = limit
			calls.Store(0)
			got, err := logstoretest.Read(context.Background(), l, source.Query{Recipients: []string{"alice@example.com"}, Since: at.Add(-24 * time.Hour), Until: at})
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s limit %d: lines\n%s\nwant\n%s", rest, limit, got, want)
			}
			if limit == 1 && calls.Load() < 6 {
				t.Errorf("limit 1: %d calls, so no paging", calls.Load())
			}
		}
	}
	l := open(t, srv.URL, "/mail-*")
	if got := l.Describe(); !strings.HasPrefix(got, "Elasticsearch mail-* (message) at 127.0.0.1:") {
		t.Errorf("Describe %q", got)
	}
	got, err := logstoretest.Read(context.Background(), l, source.Query{Recipients: []string{"alice@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	logstoretest.SameTimeline(t, got, at)
	got, err = logstoretest.Read(context.Background(), l, source.Query{Recipients: []string{"alice@example.com"}, Since: at})
	if err != nil || got != "" {
		t.Errorf("after the window: %q %v", got, err)
	}
}

func TestSpecs(t *testing.T) {
	for _, spec := range []string{
		"elasticsearch://u:p@h:9200/mail",
		"elasticsearch://h:9200",
		"elasticsearch://h:9200/Mail",
		"elasticsearch://h:9200/mail/_doc",
		"elasticsearch://h:9200/mail?field=a b",
		"elasticsearch://h:9200/mail?bogus=1",
	} {
		if _, err := source.OpenStream(source.KindLog, spec); err == nil {
			t.Errorf("%s: no error", spec)
		}
	}
	s, err := source.OpenStream(source.KindLog, "opensearch://h:9200/logs-mail-*?tls=1&field=log.original")
	if err != nil || s.Describe() != "OpenSearch logs-mail-* (log.original) at h:9200" || s.(*Log).Client().Base != "https://h:9200" {
		t.Errorf("%v %v", s, err)
	}
	if _, err := source.OpenStream(source.KindSuppressions, "elasticsearch://h:9200/mail"); err == nil {
		t.Error("an index opened as suppressions")
	}
}

func TestFailures(t *testing.T) {
	env(t)
	apitest.Failures(t, testAPIKey, fakeES(t, docs(), 0), func(ctx context.Context, t *testing.T, base string) (string, error) {
		return logstoretest.Read(ctx, open(t, base, "/mail-*"), source.Query{Recipients: []string{"alice@example.com"}})
	})
	for name, tc := range map[string]struct {
		h    http.Handler
		rest string
		want string
	}{
		"unknown index": {fakeES(t, docs(), 0), "/other", "index_not_found_exception: no such index [other]"},
		"shard failed":  {fakeES(t, docs(), 1), "/mail-*", "1 of 2 shards failed"},
		"timed out": {http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"took":30000,"timed_out":true,"_shards":{"total":1,"successful":1,"failed":0},"hits":{"hits":[]}}`)
		}), "/mail-*", "timed out"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			_, err := logstoretest.Read(context.Background(), open(t, srv.URL, tc.rest), source.Query{Recipients: []string{"alice@example.com"}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v", err)
			}
		})
	}
}

func FuzzDecodeHits(f *testing.F) {
	f.Add([]byte(`{"took":1,"timed_out":false,"_shards":{"total":1,"failed":0},"hits":{"hits":[{"_source":{"message":"Nov 22 09:50:00 mail postfix/qmgr[1]: ABCDEF: removed","@timestamp":"2026-11-22T09:50:00.000Z"},"sort":[1795339800000,0]}]}}`))
	f.Add([]byte(`{"hits":{"hits":[{"_source":{"log":{"original":"a\nb"}},"sort":["1795339800000",1]}]}}`))
	f.Add([]byte(`{"hits":{"hits":[{"_source":{"message":"x","@timestamp":1795339800000}}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, field := range []string{"message", "log.original"} {
			lines, _, err := DecodeHits(b, field, "@timestamp")
			if err != nil {
				continue
			}
			var text strings.Builder
			text.WriteString("Nov 22 09:00:00 mail postfix/qmgr[1]: ABCDEF0123: removed\n")
			for _, l := range lines {
				if strings.ContainsAny(l.Text, "\r\n") {
					t.Fatalf("a line break in %q", l.Text)
				}
				text.WriteString(l.Text + "\n")
			}
			if _, err := maillog.Read(strings.NewReader(text.String()), "es", at, "alice@example.com"); err != nil {
				t.Fatalf("%v\n%s", err, text.String())
			}
		}
	})
}
