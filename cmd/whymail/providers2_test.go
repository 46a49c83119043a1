package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The end-to-end tests of the Mailgun, SES, Loki, Elasticsearch and journal
// drivers: each runs a diagnosis twice, once with the evidence as files
// and once with the same evidence from the driver's in-process server, and
// wants the same verdicts; then greps every output for the key.

const liveKey = "e2e-live-secret-do-not-print"

// sameVerdicts runs fileArgs and liveArgs and fails unless they give the
// same exit code and verdicts, and want (cause: verdict) holds.
func sameVerdicts(t *testing.T, fileArgs, liveArgs []string, want map[string]string) outcome {
	t.Helper()
	files := diagnoseOutcome(t, fileArgs...)
	for id, v := range want {
		if files.verdicts[id] != v {
			t.Fatalf("the file run: %s is %s, want %s\n%s", id, files.verdicts[id], v, files.text)
		}
	}
	live := diagnoseOutcome(t, liveArgs...)
	if live.code != files.code || live.incomplete != files.incomplete {
		t.Errorf("exit %d (incomplete %v), files %d (incomplete %v)\n%s", live.code, live.incomplete, files.code, files.incomplete, live.text)
	}
	for id, v := range files.verdicts {
		if live.verdicts[id] != v {
			t.Errorf("%s: %s from the live source, %s from the files", id, live.verdicts[id], v)
		}
	}
	assertNoSecret(t, liveArgs, liveKey)
	return live
}

// assertNoSecret runs args in every output form, with --trace, and fails
// if secret appears in stdout or stderr.
func assertNoSecret(t *testing.T, args []string, secret string) {
	t.Helper()
	for _, form := range [][]string{{"--format", "json", "--trace"}, {"--format", "text", "--trace"}, {"--format", "markdown"}} {
		var out, errb bytes.Buffer
		Main(append(append([]string{}, args...), append(form, "--at", "2026-11-22T10:00:00Z")...), nil, &out, &errb)
		for _, s := range []string{out.String(), errb.String()} {
			if strings.Contains(s, secret) {
				t.Fatalf("%v: the secret is in the output:\n%s", form, s)
			}
		}
	}
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func jsonAnswer(w http.ResponseWriter, code int, s string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	io.WriteString(w, s)
}

// mailgunEvents is alice's reset as Mailgun's events API pages it:
// accepted, then bounced 5.1.1.
const mailgunEvents = `{"items": [
 {"event": "accepted", "id": "a1", "timestamp": 1795340400.1, "recipient": "alice@example.com",
  "message": {"headers": {"message-id": "reset-6@mg.example.com", "from": "noreply@mg.example.com", "to": "alice@example.com"}}},
 {"event": "failed", "id": "f1", "timestamp": 1795340405.5, "severity": "permanent", "reason": "bounce", "recipient": "alice@example.com",
  "delivery-status": {"code": 550, "message": "5.1.1 No such mailbox", "attempt-no": 1, "mx-host": "mx1.example.com"},
  "message": {"headers": {"message-id": "reset-6@mg.example.com"}}}],
 "paging": {"next": "https://api.mailgun.net/v3/mg.example.com/events/W3siYSI6IGZhbHNlfV0="}}`

// mailgunTicket answers as the pages cited in source/mailgun's tests
// document: alice on the bounces list, her events as mailgunEvents.
func mailgunTicket() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v3/mg.example.com/bounces/{address}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("address") == "alice@example.com" {
			jsonAnswer(w, 200, `{"address": "alice@example.com", "code": "550", "error": "No such mailbox", "created_at": "Fri, 20 Nov 2026 10:00:00 UTC"}`)
			return
		}
		jsonAnswer(w, 404, `{"message": "Address not found in bounces table"}`)
	})
	for _, l := range []string{"complaints", "unsubscribes"} {
		mux.HandleFunc("GET /v3/mg.example.com/"+l+"/{address}", func(w http.ResponseWriter, r *http.Request) {
			jsonAnswer(w, 404, `{"message": "Address not found in `+l+` table"}`)
		})
	}
	mux.HandleFunc("GET /v3/mg.example.com/events", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("recipient") != "alice@example.com" {
			jsonAnswer(w, 200, `{"items": [], "paging": {}}`)
			return
		}
		jsonAnswer(w, 200, strings.Replace(mailgunEvents, "https://api.mailgun.net", "http://"+r.Host, 1))
	})
	mux.HandleFunc("GET /v3/mg.example.com/events/{token}", func(w http.ResponseWriter, r *http.Request) {
		jsonAnswer(w, 200, `{"items": [], "paging": {"next": "http://`+r.Host+`/v3/mg.example.com/events/W3siYSI6IGZhbHNlfV0="}}`)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "api" || p != liveKey {
			w.WriteHeader(401)
			io.WriteString(w, "Forbidden")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// TestMailgunAPISameVerdicts: suppression_mailgun.txtar's bounces page and
// the reset's events, from the Mailgun API and from files.
func TestMailgunAPISameVerdicts(t *testing.T) {
	dir := ticketFiles(t, "suppression_mailgun.txtar")
	events := writeFile(t, dir, "events.json", mailgunEvents)
	base := []string{"diagnose", "alice@example.com", "--zone", filepath.Join(dir, "example.com.zone")}
	srv := httptest.NewServer(mailgunTicket())
	defer srv.Close()
	t.Setenv("MAILGUN_API_KEY", liveKey)
	t.Setenv("WHYMAIL_MAILGUN_URL", srv.URL)
	live := sameVerdicts(t,
		append(base, "--suppressions", filepath.Join(dir, "bounces.json"), "--log", events),
		append(base, "--suppressions", "mailgun:mg.example.com", "--log", "mailgun:mg.example.com"),
		map[string]string{"suppressed": "confirmed", "mailbox-unknown": "confirmed"})
	if !strings.Contains(live.text, "Mailgun bounces list of mg.example.com (API)") || !strings.Contains(live.text, "No such mailbox") {
		t.Errorf("evidence does not name the API list:\n%s", live.text)
	}
	// Down: the causes it settles are unknown, the run incomplete.
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jsonAnswer(w, 500, `{"message": "internal error `+liveKey+`"}`)
	}))
	defer down.Close()
	t.Setenv("WHYMAIL_MAILGUN_URL", down.URL)
	args := append(base, "--suppressions", "mailgun:mg.example.com", "--log", "mailgun:mg.example.com")
	got := diagnoseOutcome(t, args...)
	if got.code != ExitFailed || !got.incomplete || got.verdicts["suppressed"] != "unknown" || !strings.Contains(got.text, "HTTP 500") {
		t.Errorf("down: exit %d, suppressed %s\n%s", got.code, got.verdicts["suppressed"], got.text)
	}
	assertNoSecret(t, args, liveKey)
	var doc map[string]any
	if err := json.Unmarshal([]byte(got.text), &doc); err != nil {
		t.Error(err)
	}
}

// sesTicket answers GetSuppressedDestination as
// https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetSuppressedDestination.html
// documents: alice listed for a bounce, others NotFoundException.
func sesTicket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIAE2ETEST/") {
			w.Header().Set("X-Amzn-ErrorType", "UnrecognizedClientException")
			jsonAnswer(w, 403, `{"message":"The security token included in the request is invalid."}`)
			return
		}
		if r.URL.Path == "/v2/email/suppression/addresses/alice@example.com" {
			jsonAnswer(w, 200, `{"SuppressedDestination":{"EmailAddress":"alice@example.com","LastUpdateTime":1795168800,"Reason":"BOUNCE","Attributes":{"MessageId":"m1","FeedbackId":"f1"}}}`)
			return
		}
		w.Header().Set("X-Amzn-ErrorType", "NotFoundException")
		jsonAnswer(w, 404, `{"message":"Email address does not exist on your suppression list."}`)
	})
}

func awsEnv(t *testing.T, endpoint string) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAE2ETEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", liveKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL_SESV2", endpoint)
}

// TestSESAPISameVerdicts: suppression_ses.txtar's list from the SES v2 API.
func TestSESAPISameVerdicts(t *testing.T) {
	dir := ticketFiles(t, "suppression_ses.txtar")
	base := []string{"diagnose", "alice@example.com", "--zone", filepath.Join(dir, "example.com.zone")}
	srv := httptest.NewServer(sesTicket())
	defer srv.Close()
	awsEnv(t, srv.URL)
	live := sameVerdicts(t, append(base, "--suppressions", filepath.Join(dir, "ses.json")),
		append(base, "--suppressions", "ses:eu-west-1"), map[string]string{"suppressed": "confirmed"})
	if !strings.Contains(live.text, "Amazon SES account-level suppression list in eu-west-1 (API)") || !strings.Contains(live.text, "BOUNCE") {
		t.Errorf("evidence does not name the API list:\n%s", live.text)
	}
	// A refused key: unknown, incomplete, said.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAOTHER")
	args := append(base, "--suppressions", "ses:eu-west-1")
	got := diagnoseOutcome(t, args...)
	if got.code != ExitFailed || got.verdicts["suppressed"] != "unknown" || !strings.Contains(got.text, "HTTP 403") {
		t.Errorf("refused: exit %d, suppressed %s\n%s", got.code, got.verdicts["suppressed"], got.text)
	}
	assertNoSecret(t, args, liveKey)
}

// logLines are a syslog file's lines with their times (the year of the
// ticket, UTC), as a log store keeps them.
func logLines(t *testing.T, path string) (times []time.Time, lines []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		ts, err := time.Parse("Jan 2 15:04:05 2006", l[:15]+" 2026")
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		times, lines = append(times, ts), append(lines, l)
	}
	return times, lines
}

// lokiTicket answers query_range as
// https://grafana.com/docs/loki/latest/reference/loki-http-api/#query-logs-within-a-range-of-time
// documents, from the lines of a file in one stream {job="postfix"}: the
// query's |~ filter applied, start inclusive, end exclusive, oldest first.
func lokiTicket(t *testing.T, path string) http.Handler {
	times, lines := logLines(t, path)
	shape := regexp.MustCompile(`^\{job="postfix"\} \|~ (".*")$`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+liveKey {
			w.WriteHeader(401)
			io.WriteString(w, "Unauthorized\n")
			return
		}
		q := r.URL.Query()
		m := shape.FindStringSubmatch(q.Get("query"))
		pat, _ := strconv.Unquote(m[1])
		re := regexp.MustCompile(pat)
		start, _ := strconv.ParseInt(q.Get("start"), 10, 64)
		end, _ := strconv.ParseInt(q.Get("end"), 10, 64)
		values := [][]string{}
		for i, l := range lines {
			ns := times[i].UnixNano() + int64(i) // in file order within a second
			if ns >= start && ns < end && re.MatchString(l) {
				values = append(values, []string{strconv.FormatInt(ns, 10), l})
			}
		}
		b, _ := json.Marshal(map[string]any{"status": "success", "data": map[string]any{"resultType": "streams",
			"result": []map[string]any{{"stream": map[string]string{"job": "postfix"}, "values": values}}}})
		jsonAnswer(w, 200, string(b))
	})
}

// TestLokiSameVerdicts: maillog_bounced.txtar's log from Loki.
func TestLokiSameVerdicts(t *testing.T) {
	dir := ticketFiles(t, "maillog_bounced.txtar")
	base := []string{"diagnose", "alice@example.com", "--zone", filepath.Join(dir, "example.com.zone")}
	srv := httptest.NewServer(lokiTicket(t, filepath.Join(dir, "mail.log")))
	defer srv.Close()
	t.Setenv("LOKI_TOKEN", liveKey)
	spec := "loki://" + strings.TrimPrefix(srv.URL, "http://") + `?selector={job="postfix"}`
	live := sameVerdicts(t, append(base, "--log", filepath.Join(dir, "mail.log")), append(base, "--log", spec),
		map[string]string{"mailbox-unknown": "confirmed", "not-sent": "ruled-out"})
	if !strings.Contains(live.text, `Loki {job=\"postfix\"} at 127.0.0.1`) || !strings.Contains(live.text, "dsn=5.1.1") {
		t.Errorf("evidence does not name the store:\n%s", live.text)
	}
	t.Setenv("LOKI_TOKEN", "wrong")
	got := diagnoseOutcome(t, append(base, "--log", spec)...)
	if got.code != ExitFailed || got.verdicts["mailbox-unknown"] == "confirmed" || !strings.Contains(got.text, "HTTP 401") {
		t.Errorf("refused: exit %d, mailbox-unknown %s\n%s", got.code, got.verdicts["mailbox-unknown"], got.text)
	}
}

// esTicket answers _search as
// https://www.elastic.co/guide/en/elasticsearch/reference/current/search-search.html
// documents, from the lines of a file as documents {"message",
// "@timestamp"}: the match_phrase filters (on words, case folded), the
// range, sort by time then _doc, size and search_after.
func esTicket(t *testing.T, path string) http.Handler {
	times, lines := logLines(t, path)
	word := regexp.MustCompile(`[\p{L}\p{N}_]+(?:[.'][\p{L}\p{N}_]+)*`)
	phrase := func(text, p string) bool {
		return strings.Contains(" "+strings.Join(word.FindAllString(strings.ToLower(text), -1), " ")+" ",
			" "+strings.Join(word.FindAllString(strings.ToLower(p), -1), " ")+" ")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "ApiKey "+liveKey {
			jsonAnswer(w, 401, `{"error":{"type":"security_exception","reason":"unable to authenticate"},"status":401}`)
			return
		}
		if r.URL.Path != "/mail/_search" {
			jsonAnswer(w, 404, `{"error":{"type":"index_not_found_exception","reason":"no such index"},"status":404}`)
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
						} `json:"bool"`
						Range map[string]struct{ GTE, LTE string } `json:"range"`
					} `json:"filter"`
				} `json:"bool"`
			} `json:"query"`
			SearchAfter []int64 `json:"search_after"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		hits := []map[string]any{}
		for i, l := range lines {
			ok := true
			for _, f := range req.Query.Bool.Filter {
				if f.Bool != nil {
					any := false
					for _, s := range f.Bool.Should {
						any = any || phrase(l, s.MatchPhrase["message"])
					}
					ok = ok && any
				}
				if rg, has := f.Range["@timestamp"]; has {
					g, _ := time.Parse(time.RFC3339Nano, rg.GTE)
					e, _ := time.Parse(time.RFC3339Nano, rg.LTE)
					ok = ok && !times[i].Before(g) && !times[i].After(e)
				}
			}
			ms := times[i].UnixMilli()
			if sa := req.SearchAfter; ok && len(sa) == 2 && (ms < sa[0] || ms == sa[0] && int64(i) <= sa[1]) {
				ok = false
			}
			if ok && len(hits) < req.Size {
				hits = append(hits, map[string]any{"_index": "mail", "_id": fmt.Sprint(i), "_score": nil,
					"_source": map[string]any{"message": l, "@timestamp": times[i].Format(time.RFC3339)}, "sort": []int64{ms, int64(i)}})
			}
		}
		b, _ := json.Marshal(map[string]any{"took": 1, "timed_out": false, "_shards": map[string]int{"total": 1, "successful": 1, "failed": 0},
			"hits": map[string]any{"hits": hits}})
		jsonAnswer(w, 200, string(b))
	})
}

// TestElasticsearchSameVerdicts: maillog_bounced.txtar's log from an index.
func TestElasticsearchSameVerdicts(t *testing.T) {
	dir := ticketFiles(t, "maillog_bounced.txtar")
	base := []string{"diagnose", "alice@example.com", "--zone", filepath.Join(dir, "example.com.zone")}
	srv := httptest.NewServer(esTicket(t, filepath.Join(dir, "mail.log")))
	defer srv.Close()
	t.Setenv("ELASTICSEARCH_API_KEY", liveKey)
	spec := "elasticsearch://" + strings.TrimPrefix(srv.URL, "http://") + "/mail?field=message&time=@timestamp"
	live := sameVerdicts(t, append(base, "--log", filepath.Join(dir, "mail.log")), append(base, "--log", spec),
		map[string]string{"mailbox-unknown": "confirmed", "not-sent": "ruled-out"})
	if !strings.Contains(live.text, "Elasticsearch mail (message) at 127.0.0.1") || !strings.Contains(live.text, "dsn=5.1.1") {
		t.Errorf("evidence does not name the store:\n%s", live.text)
	}
	t.Setenv("ELASTICSEARCH_API_KEY", "wrong")
	got := diagnoseOutcome(t, append(base, "--log", spec)...)
	if got.code != ExitFailed || got.verdicts["mailbox-unknown"] == "confirmed" || !strings.Contains(got.text, "HTTP 401") {
		t.Errorf("refused: exit %d, mailbox-unknown %s\n%s", got.code, got.verdicts["mailbox-unknown"], got.text)
	}
}

// journalEntries writes a syslog file's lines as journalctl -o json
// entries (__REALTIME_TIMESTAMP in microseconds, _HOSTNAME,
// SYSLOG_IDENTIFIER, SYSLOG_PID, MESSAGE), a microsecond apart within a
// second, in file order.
func journalEntries(t *testing.T, path string) string {
	times, lines := logLines(t, path)
	re := regexp.MustCompile(`^\w{3} +\d+ [\d:]{8} (\S+) ([^\[:]+)\[(\d+)\]: (.*)$`)
	var b strings.Builder
	for i, l := range lines {
		m := re.FindStringSubmatch(l)
		e, _ := json.Marshal(map[string]string{"__REALTIME_TIMESTAMP": strconv.FormatInt(times[i].UnixMicro()+int64(i), 10),
			"_HOSTNAME": m[1], "SYSLOG_IDENTIFIER": m[2], "SYSLOG_PID": m[3], "_PID": m[3], "MESSAGE": m[4], "_SYSTEMD_UNIT": "postfix@-.service"})
		b.Write(append(e, '\n'))
	}
	return b.String()
}

// TestJournalSameVerdicts: maillog_bounced.txtar's log from the journal,
// through the fake journalctl of source/journal's tests on PATH.
func TestJournalSameVerdicts(t *testing.T) {
	dir := ticketFiles(t, "maillog_bounced.txtar")
	base := []string{"diagnose", "alice@example.com", "--zone", filepath.Join(dir, "example.com.zone")}
	bin, _ := filepath.Abs(filepath.Join("..", "..", "source", "journal", "testdata"))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_JOURNAL", writeFile(t, dir, "journal.json", journalEntries(t, filepath.Join(dir, "mail.log"))))
	live := sameVerdicts(t, append(base, "--log", filepath.Join(dir, "mail.log")), append(base, "--log", "journal:postfix@-.service"),
		map[string]string{"mailbox-unknown": "confirmed", "not-sent": "ruled-out"})
	if !strings.Contains(live.text, "systemd journal of postfix@-.service") || !strings.Contains(live.text, "dsn=5.1.1") {
		t.Errorf("evidence does not name the journal:\n%s", live.text)
	}
	t.Setenv("FAKE_JOURNAL_FAIL", "Failed to get journal access: Permission denied")
	got := diagnoseOutcome(t, append(base, "--log", "journal:postfix@-.service")...)
	if got.code != ExitFailed || got.verdicts["mailbox-unknown"] == "confirmed" || !strings.Contains(got.text, "Permission denied") {
		t.Errorf("failing: exit %d, mailbox-unknown %s\n%s", got.code, got.verdicts["mailbox-unknown"], got.text)
	}
}
