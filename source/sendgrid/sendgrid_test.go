package sendgrid

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/checks/suppression"
	"github.com/whymail/whymail/internal/httpapi/apitest"
	"github.com/whymail/whymail/source"
)

const testKey = "SG.test-key-0123456789abcdef"

// fakeSendGrid answers as the v3 API documents:
//   - per-address suppression lookups return an array of entries
//     (https://www.twilio.com/docs/sendgrid/api-reference/bounces-api/retrieve-a-bounce,
//     .../blocks-api/retrieve-a-specific-block, .../spam-reports-api/retrieve-a-specific-spam-report,
//     .../invalid-e-mails-api/retrieve-a-specific-invalid-email), [] or 404 when not listed;
//   - the global unsubscribe lookup returns {"recipient_email": ...} or {}
//     (https://www.twilio.com/docs/sendgrid/api-reference/suppressions-global-suppressions/retrieve-a-global-suppression);
//   - GET /v3/messages?query=to_email="..."&limit=N returns {"messages": [...]}
//     (https://www.twilio.com/docs/sendgrid/api-reference/email-activity/filter-all-messages)
//     and GET /v3/messages/{msg_id} a message with its events
//     (https://www.twilio.com/docs/sendgrid/api-reference/email-activity/filter-messages-by-message-id);
//   - a missing or wrong key is 401 {"errors":[{"field":null,"message":"authorization required"}]}.
func fakeSendGrid(t testing.TB) http.Handler {
	mux := http.NewServeMux()
	j := func(w http.ResponseWriter, s string) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, s)
	}
	mux.HandleFunc("GET /v3/suppression/bounces/{email}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("email") == "alice@example.com" {
			j(w, `[{"created": 1795168920, "email": "alice@example.com", "reason": "550 5.1.1 The email account that you tried to reach does not exist.", "status": "5.1.1"}]`)
			return
		}
		j(w, `[]`)
	})
	mux.HandleFunc("GET /v3/suppression/blocks/{email}", func(w http.ResponseWriter, r *http.Request) { j(w, `[]`) })
	mux.HandleFunc("GET /v3/suppression/spam_reports/{email}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		j(w, `{"errors":[{"field":null,"message":"Email does not exist"}]}`)
	})
	mux.HandleFunc("GET /v3/suppression/invalid_emails/{email}", func(w http.ResponseWriter, r *http.Request) { j(w, `[]`) })
	mux.HandleFunc("GET /v3/asm/suppressions/global/{email}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("email") == "bob@example.com" {
			j(w, `{"recipient_email": "bob@example.com"}`)
			return
		}
		j(w, `{}`)
	})
	mux.HandleFunc("GET /v3/messages", func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query().Get("query"); q != `to_email="alice@example.com"` {
			t.Errorf("query %q", q)
		}
		j(w, `{"messages": [
 {"from_email": "noreply@app.example.net", "msg_id": "msg1.filter0001", "subject": "Reset your password", "to_email": "alice@example.com", "status": "not_delivered", "opens_count": 0, "clicks_count": 0, "last_event_time": "2026-11-22T09:31:00Z"},
 {"from_email": "noreply@app.example.net", "msg_id": "msg0.filter0001", "subject": "Welcome", "to_email": "alice@example.com", "status": "delivered", "opens_count": 1, "clicks_count": 0, "last_event_time": "2026-11-01T08:00:00Z"}
]}`)
	})
	mux.HandleFunc("GET /v3/messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "msg1.filter0001" {
			w.WriteHeader(404)
			j(w, `{"errors":[{"message":"message not found"}]}`)
			return
		}
		j(w, `{"from_email": "noreply@app.example.net", "msg_id": "msg1.filter0001", "subject": "Reset your password", "to_email": "alice@example.com", "status": "not_delivered", "template_id": "", "asm_group_id": 1, "teammate": "", "api_key_id": "", "events": [
 {"event_name": "processed", "processed": "2026-11-22T09:30:00.000Z", "reason": "", "attempt_num": 0, "url": "", "bounce_type": "", "http_user_agent": "", "mx_server": ""},
 {"event_name": "bounced", "processed": "2026-11-22T09:31:00.000Z", "reason": "550 5.1.1 The email account that you tried to reach does not exist.", "attempt_num": 1, "url": "", "bounce_type": "bounced", "http_user_agent": "", "mx_server": "mx.example.com"}
], "originating_ip": "192.0.2.1", "categories": ["reset"], "unique_args": "", "outbound_ip": "198.51.100.20", "outbound_ip_type": "dedicated"}`)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testKey {
			w.WriteHeader(401)
			j(w, `{"errors":[{"field":null,"message":"authorization required"}]}`)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func readAll(ctx context.Context, kind source.Kind, rcpt string) (map[string]string, error) {
	sts, err := source.OpenStreams(kind, "sendgrid:")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var first error
	for _, st := range sts {
		rc, err := st.Open(ctx, source.Query{Recipients: []string{rcpt}})
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[st.Describe()] = string(b)
	}
	return out, first
}

func serve(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Setenv(EnvKey, testKey)
	t.Setenv(EnvURL, srv.URL)
	return srv.URL
}

func TestSuppressions(t *testing.T) {
	serve(t, fakeSendGrid(t))
	docs, err := readAll(context.Background(), source.KindSuppressions, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 5 {
		t.Fatalf("%d lists: %v", len(docs), docs)
	}
	hits := map[string]suppression.Entry{}
	for name, doc := range docs {
		f, err := suppression.Read(strings.NewReader(doc), name, func(e suppression.Entry) error {
			hits[e.List] = e
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, doc)
		}
		if f.Provider != suppression.SendGrid {
			t.Errorf("%s: read as %s", name, f)
		}
	}
	e, ok := hits["bounces"]
	if !ok || len(hits) != 1 {
		t.Fatalf("hits %v", hits)
	}
	if e.Status != "5.1.1" || !strings.Contains(e.Reason, "does not exist") || e.Created.Format(time.RFC3339) != "2026-11-20T10:02:00Z" {
		t.Errorf("entry %+v", e)
	}

	docs, err = readAll(context.Background(), source.KindSuppressions, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	doc := docs["SendGrid global unsubscribes list (API)"]
	var lists []string
	if _, err := suppression.Read(strings.NewReader(doc), "SendGrid global unsubscribes list (API)", func(e suppression.Entry) error {
		lists = append(lists, e.List+" "+e.Address)
		return nil
	}); err != nil || len(lists) != 1 || lists[0] != "unsubscribes bob@example.com" {
		t.Errorf("global unsubscribes: %v %v from %s", lists, err, doc)
	}
}

func TestSuppressionsOneRoundTrip(t *testing.T) {
	// The five lists are fetched at once: reading them costs one answer's time.
	slow := fakeSendGrid(t)
	serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond)
		slow.ServeHTTP(w, r)
	}))
	start := time.Now()
	if _, err := readAll(context.Background(), source.KindSuppressions, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 350*time.Millisecond {
		t.Errorf("five lists took %s: fetched one after another?", d)
	}
}

func TestActivity(t *testing.T) {
	serve(t, fakeSendGrid(t))
	docs, err := readAll(context.Background(), source.KindLog, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	doc := docs["SendGrid email activity (API)"]
	f, err := maillog.Read(strings.NewReader(doc), "SendGrid email activity (API)", time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), "alice@example.com")
	if err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	var kinds []string
	for _, e := range f.Events {
		kinds = append(kinds, string(e.Kind))
	}
	if got := strings.Join(kinds, ","); got != "delivered,queued,bounced" {
		t.Errorf("events %s\n%s", got, doc)
	}
	if f.Coverage.Format != "sendgrid" {
		t.Errorf("format %q", f.Coverage.Format)
	}
}

func TestNoKey(t *testing.T) {
	t.Setenv(EnvKey, "")
	_, err := source.OpenStreams(source.KindSuppressions, "sendgrid:")
	if err == nil || !strings.Contains(err.Error(), EnvKey) {
		t.Errorf("err %v", err)
	}
}

func TestQueryRefusesQuotes(t *testing.T) {
	if _, err := Query(source.Query{Recipients: []string{`"a\" OR x"@example.com`}}); err == nil {
		t.Error("a quote went into the query")
	}
	q, err := Query(source.Query{Recipients: []string{"a@example.com", "b@example.com"},
		Since: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)})
	if err != nil || q != `(to_email="a@example.com" OR to_email="b@example.com") AND last_event_time BETWEEN TIMESTAMP "2026-11-22T00:00:00Z" AND TIMESTAMP "2026-11-23T00:00:00Z"` {
		t.Errorf("%q %v", q, err)
	}
}

func TestFailures(t *testing.T) {
	for _, kind := range []source.Kind{source.KindSuppressions, source.KindLog} {
		t.Run(kind.String(), func(t *testing.T) {
			apitest.Failures(t, testKey, fakeSendGrid(t), func(ctx context.Context, t *testing.T, base string) (string, error) {
				t.Setenv(EnvKey, testKey)
				t.Setenv(EnvURL, base)
				docs, err := readAll(ctx, kind, "alice@example.com")
				b, _ := json.Marshal(docs)
				return string(b), err
			})
		})
	}
}

func FuzzDecodeList(f *testing.F) {
	f.Add([]byte(`[{"created": 1795687320, "email": "a@example.com", "reason": "x", "status": "5.1.1"}]`), false)
	f.Add([]byte(`{"recipient_email": "a@example.com"}`), true)
	f.Add([]byte(`{}`), true)
	f.Add([]byte(`[{"created": 1.5e9, "email": "a@example.com", "ip": "10.0.0.1"}]`), false)
	f.Fuzz(func(t *testing.T, body []byte, global bool) {
		es, err := DecodeList(body, global)
		if err != nil {
			return
		}
		// What it decodes must read back as a SendGrid list.
		b, _ := json.Marshal(es)
		if len(es) == 0 {
			b = []byte("[]")
		}
		_, err = suppression.Read(strings.NewReader(string(b)), "SendGrid bounces list (API)", func(suppression.Entry) error { return nil })
		if err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
	})
}

func FuzzEvents(f *testing.F) {
	f.Add([]byte(`{"msg_id": "m", "to_email": "a@example.com", "events": [{"event_name": "bounced", "processed": "2026-11-22T09:31:00.000Z", "reason": "550", "attempt_num": 1, "bounce_type": "blocked"}]}`))
	f.Add([]byte(`{"events": [{"event_name": "delivered", "processed": "x"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var d Detail
		if json.Unmarshal(body, &d) != nil {
			return
		}
		evs, err := Events(Message{MsgID: "m", ToEmail: "a@example.com", LastEventTime: "2026-11-22T09:31:00Z"}, d)
		if err != nil {
			return
		}
		b, err := json.Marshal(evs)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			b = []byte("[]")
		}
		if _, err := maillog.Read(strings.NewReader(string(b)), "fuzz", time.Now(), "a@example.com"); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
	})
}
