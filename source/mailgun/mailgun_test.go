package mailgun

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/checks/suppression"
	"github.com/whymail/whymail/internal/httpapi/apitest"
	"github.com/whymail/whymail/source"
)

const testKey = "key-mailgun-0123456789abcdef"

// reset is the time of the bounced reset in the fake's events.
var reset = time.Date(2026, 11, 22, 9, 50, 0, 0, time.UTC)

// fakeEvents are alice's events: 303 deliveries of older mail, then the
// reset accepted and bounced. Bob has one delivery.
func fakeEvents() []map[string]any {
	var evs []map[string]any
	for i := range 303 {
		evs = append(evs, map[string]any{"event": "delivered", "id": fmt.Sprintf("d%d", i), "timestamp": float64(reset.Add(-time.Duration(400-i) * time.Hour).Unix()),
			"log-level": "info", "recipient": "alice@example.com", "recipient-domain": "example.com",
			"delivery-status": map[string]any{"code": 250, "message": "OK", "attempt-no": 1, "mx-host": "mx1.example.com", "tls": true},
			"message":         map[string]any{"headers": map[string]any{"message-id": fmt.Sprintf("news-%d@mg.example.net", i), "from": "news@mg.example.net", "to": "alice@example.com"}, "size": 1234},
			"envelope":        map[string]any{"sender": "bounce@mg.example.net", "transport": "smtp", "targets": "alice@example.com"}, "tags": []string{}, "flags": map[string]any{"is-routed": false}})
	}
	evs = append(evs,
		map[string]any{"event": "accepted", "id": "acc1", "timestamp": float64(reset.Unix()) + 0.25, "log-level": "info", "recipient": "alice@example.com",
			"message": map[string]any{"headers": map[string]any{"message-id": "reset-9@mg.example.net", "from": "noreply@mg.example.net", "to": "alice@example.com", "subject": "Reset your password"}}},
		map[string]any{"event": "failed", "id": "fail1", "timestamp": float64(reset.Unix()) + 1.5, "log-level": "error", "severity": "permanent", "reason": "bounce", "recipient": "alice@example.com",
			"delivery-status": map[string]any{"code": 550, "message": "5.1.1 The email account that you tried to reach does not exist.", "description": "", "attempt-no": 1, "mx-host": "mx1.example.com"},
			"message":         map[string]any{"headers": map[string]any{"message-id": "reset-9@mg.example.net", "from": "noreply@mg.example.net"}}},
		map[string]any{"event": "delivered", "id": "b1", "timestamp": float64(reset.Unix()) + 2, "recipient": "bob@example.org",
			"delivery-status": map[string]any{"code": 250, "message": "OK"}},
	)
	return evs
}

// fakeMailgun answers as the Mailgun API documents, behind HTTP basic
// auth with the user "api" (a wrong key is 401 "Forbidden"):
//   - GET /v3/{domain}/bounces/{address}: {"address", "code", "error", "created_at"} (RFC 822 date),
//     404 {"message": "Address not found in bounces table"}
//     https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/bounces/get-v3--domainid--bounces--address-
//   - GET /v3/{domain}/complaints/{address}: {"address", "created_at"}
//     https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/complaints/get-v3--domainid--complaints--address-
//   - GET /v3/{domain}/unsubscribes/{address}: {"address", "tags", "created_at"}
//     https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/unsubscribe/get-v3--domainid--unsubscribes--address-
//   - GET /v3/{domain}/events?recipient=&begin=&end=&ascending=yes&limit=
//     {"items": [...], "paging": {"next": URL, ...}}; the next URL holds an
//     opaque token, and a page past the end is empty but still has a next
//     https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/events/get-v3-domain_name-events
//   - an unknown domain is 404 {"message": "Domain not found: DOMAIN"}
func fakeMailgun(t testing.TB) http.Handler {
	const domain = "mg.example.net"
	mux := http.NewServeMux()
	j := func(w http.ResponseWriter, code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	lookup := map[string]map[string]any{
		"bounces/alice@example.com":     {"address": "alice@example.com", "code": "550", "error": "5.1.1 The email account that you tried to reach does not exist.", "created_at": "Fri, 20 Nov 2026 10:02:00 UTC"},
		"complaints/alice@example.com":  {"address": "alice@example.com", "created_at": "Tue, 17 Nov 2026 10:00:00 UTC"},
		"unsubscribes/bob@example.org":  {"address": "bob@example.org", "tags": []string{"*"}, "created_at": "Tue, 17 Nov 2026 10:00:00 UTC"},
		"unsubscribes/carol@example.fr": {"address": "carol@example.fr", "tags": []string{"newsletter"}, "created_at": "Tue, 17 Nov 2026 10:00:00 UTC"},
	}
	for _, l := range []string{"bounces", "complaints", "unsubscribes"} {
		mux.HandleFunc("GET /v3/{domain}/"+l+"/{address}", func(w http.ResponseWriter, r *http.Request) {
			if r.PathValue("domain") != domain {
				j(w, 404, map[string]string{"message": "Domain not found: " + r.PathValue("domain")})
				return
			}
			if e, ok := lookup[l+"/"+r.PathValue("address")]; ok {
				j(w, 200, e)
				return
			}
			j(w, 404, map[string]string{"message": "Address not found in " + l + " table"})
		})
	}
	type cursor struct {
		Recipient  string
		Begin, End int64
		Limit, Off int
	}
	events := func(w http.ResponseWriter, r *http.Request, c cursor) {
		if r.PathValue("domain") != domain {
			j(w, 404, map[string]string{"message": "Domain not found: " + r.PathValue("domain")})
			return
		}
		var match []map[string]any
		for _, e := range fakeEvents() {
			ts := int64(e["timestamp"].(float64))
			if e["recipient"] != c.Recipient || c.Begin > 0 && ts < c.Begin || c.End > 0 && ts > c.End {
				continue
			}
			match = append(match, e)
		}
		page := []map[string]any{}
		for i := c.Off; i < len(match) && i < c.Off+c.Limit; i++ {
			page = append(page, match[i])
		}
		c.Off += len(page)
		tok, _ := json.Marshal(c)
		base := "http://" + r.Host + "/v3/" + domain + "/events/"
		j(w, 200, map[string]any{"items": page, "paging": map[string]string{
			"next":     base + base64.URLEncoding.EncodeToString(tok),
			"previous": base + "W3siYiI6IHRydWV9XQ==", "first": base + "first", "last": base + "last"}})
	}
	mux.HandleFunc("GET /v3/{domain}/events", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		c := cursor{Recipient: q.Get("recipient"), Limit: 100}
		if q.Get("ascending") != "yes" && q.Get("end") == "" {
			j(w, 400, map[string]string{"message": "ascending must be given when end is not"})
			return
		}
		if n, err := strconv.Atoi(q.Get("limit")); err == nil {
			if n > 300 {
				j(w, 400, map[string]string{"message": "limit is too large"})
				return
			}
			c.Limit = n
		}
		c.Begin, _ = strconv.ParseInt(q.Get("begin"), 10, 64)
		c.End, _ = strconv.ParseInt(q.Get("end"), 10, 64)
		events(w, r, c)
	})
	mux.HandleFunc("GET /v3/{domain}/events/{token}", func(w http.ResponseWriter, r *http.Request) {
		var c cursor
		b, err := base64.URLEncoding.DecodeString(r.PathValue("token"))
		if err != nil || json.Unmarshal(b, &c) != nil {
			j(w, 400, map[string]string{"message": "invalid page token"})
			return
		}
		events(w, r, c)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "api" || p != testKey {
			w.WriteHeader(401)
			io.WriteString(w, "Forbidden")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func serve(t *testing.T) string {
	srv := httptest.NewServer(fakeMailgun(t))
	t.Cleanup(srv.Close)
	t.Setenv(EnvKey, testKey)
	t.Setenv(EnvURL, srv.URL)
	return srv.URL
}

func readAll(ctx context.Context, spec string, kind source.Kind, q source.Query) (map[string]string, error) {
	sts, err := source.OpenStreams(kind, spec)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, st := range sts {
		rc, err := st.Open(ctx, q)
		if err != nil {
			return nil, err
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[st.Describe()] = string(b)
	}
	return out, nil
}

func TestSuppressions(t *testing.T) {
	serve(t)
	docs, err := readAll(context.Background(), "mailgun:mg.example.net", source.KindSuppressions,
		source.Query{Recipients: []string{"alice@example.com", "bob@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 {
		t.Fatalf("%d lists: %v", len(docs), docs)
	}
	want := map[string]string{ // list: address reason status
		"bounces":      "alice@example.com|5.1.1 The email account that you tried to reach does not exist.|550|2026-11-20",
		"complaints":   "alice@example.com|||2026-11-17",
		"unsubscribes": "bob@example.org|||2026-11-17",
	}
	for name, doc := range docs {
		var got []string
		f, err := suppression.Read(strings.NewReader(doc), name, func(e suppression.Entry) error {
			got = append(got, e.List+":"+e.Address+"|"+e.Reason+"|"+e.Status+"|"+e.Created.Format("2006-01-02"))
			return nil
		})
		if err != nil || f.Provider != suppression.Mailgun {
			t.Errorf("%s: %v %v\n%s", name, f, err, doc)
			continue
		}
		var list string
		for l := range want {
			if strings.Contains(name, " "+l+" ") {
				list = l
			}
		}
		if len(got) != 1 || got[0] != list+":"+want[list] {
			t.Errorf("%s: %q, want %s:%s", name, got, list, want[list])
		}
	}
	// Not listed anywhere: three empty pages, each still a Mailgun list.
	docs, err = readAll(context.Background(), "mailgun:mg.example.net", source.KindSuppressions, source.Query{Recipients: []string{"dan@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range docs {
		n := 0
		f, err := suppression.Read(strings.NewReader(doc), name, func(suppression.Entry) error { n++; return nil })
		if err != nil || n != 0 || f.Provider != suppression.Mailgun {
			t.Errorf("%s: %v %v %d", name, f, err, n)
		}
	}
	// A domain Mailgun does not know is an error, not "not listed".
	_, err = readAll(context.Background(), "mailgun:other.example.net", source.KindSuppressions, source.Query{Recipients: []string{"alice@example.com"}})
	if err == nil || !strings.Contains(err.Error(), "other.example.net is not known") {
		t.Errorf("unknown domain: %v", err)
	}
}

func TestEvents(t *testing.T) {
	serve(t)
	at := reset.Add(10 * time.Minute)
	q := source.Query{Recipients: []string{"alice@example.com"}, Since: reset.Add(-30 * 24 * time.Hour), Until: at}
	docs, err := readAll(context.Background(), "mailgun:mg.example.net", source.KindLog, q)
	if err != nil {
		t.Fatal(err)
	}
	doc := docs["Mailgun events of mg.example.net (API)"]
	f, err := maillog.Read(strings.NewReader(doc), "mg", at, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[maillog.Kind]int{}
	for _, e := range f.Events {
		kinds[e.Kind]++
	}
	// 305 events over two pages of 300 (and the empty third).
	if kinds[maillog.Delivered] != 303 || kinds[maillog.Queued] != 1 || kinds[maillog.Bounced] != 1 {
		t.Errorf("kinds %v", kinds)
	}
	last := f.Events[len(f.Events)-1]
	if last.Kind != maillog.Bounced || last.MessageID != "reset-9@mg.example.net" || !strings.Contains(last.Reply, "550 5.1.1") {
		t.Errorf("last event %+v", last)
	}
	// The window is pushed down.
	q.Since = at
	docs, err = readAll(context.Background(), "mailgun:mg.example.net", source.KindLog, q)
	if err != nil || docs["Mailgun events of mg.example.net (API)"] != "" {
		t.Errorf("after the window: %q %v", docs, err)
	}
}

func TestSpecs(t *testing.T) {
	t.Setenv(EnvKey, testKey)
	t.Setenv(EnvURL, "")
	for _, spec := range []string{"mailgun:", "mailgun:mg.example.net/x", "mailgun:mg.example.net?region=ap", "mailgun:mg.example.net?bogus=1", "mailgun:-x.example"} {
		if _, err := source.OpenStreams(source.KindLog, spec); err == nil {
			t.Errorf("%s: no error", spec)
		}
	}
	for spec, base := range map[string]string{"mailgun:mg.example.net": BaseUS, "mailgun:mg.example.net?region=eu": BaseEU, "mailgun:mg.example.net?region=us": BaseUS} {
		s, err := source.Open(source.KindLog, spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.(*Events).Client().Base; got != base {
			t.Errorf("%s: base %s, want %s", spec, got, base)
		}
		if d := s.Describe(); strings.Contains(d, testKey) || !strings.Contains(d, "Mailgun") {
			t.Errorf("Describe %q", d)
		}
	}
	t.Setenv(EnvURL, "http://127.0.0.1:1")
	if s, _ := source.Open(source.KindLog, "mailgun:mg.example.net?region=eu"); s.(*Events).Client().Base != "http://127.0.0.1:1" {
		t.Errorf("%s does not replace the region's base", EnvURL)
	}
	t.Setenv(EnvKey, "")
	if _, err := source.Open(source.KindLog, "mailgun:mg.example.net"); err == nil || !strings.Contains(err.Error(), EnvKey) {
		t.Errorf("no key: %v", err)
	}
}

// TestNextStaysOnBase: a paging.next naming another host is fetched from
// the configured base, so the key never goes elsewhere.
func TestNextStaysOnBase(t *testing.T) {
	base := serve(t)
	var hits int
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer evil.Close()
	s, _ := source.Open(source.KindLog, "mailgun:mg.example.net")
	path, _, err := s.(*Events).nextPage(evil.URL + "/v3/mg.example.net/events/abc")
	if err != nil || path != "/v3/mg.example.net/events/abc" {
		t.Errorf("%q %v", path, err)
	}
	if _, _, err := s.(*Events).nextPage(base + "/v3/other.example/events/abc"); err == nil {
		t.Error("another domain's page followed")
	}
	_ = hits
}

func TestFailures(t *testing.T) {
	for _, kind := range []source.Kind{source.KindSuppressions, source.KindLog} {
		t.Run(kind.String(), func(t *testing.T) {
			apitest.Failures(t, testKey, fakeMailgun(t), func(ctx context.Context, t *testing.T, base string) (string, error) {
				t.Setenv(EnvKey, testKey)
				t.Setenv(EnvURL, base)
				docs, err := readAll(ctx, "mailgun:mg.example.net", kind, source.Query{Recipients: []string{"alice@example.com"}})
				b, _ := json.Marshal(docs)
				return string(b), err
			})
		})
	}
}

func FuzzDecoders(f *testing.F) {
	f.Add([]byte(`{"address":"a@example.com","code":"550","error":"No such mailbox","created_at":"Fri, 20 Nov 2026 10:00:00 UTC"}`))
	f.Add([]byte(`{"address":"a@example.com","tags":["*"],"created_at":"x"}`))
	f.Add([]byte(`{"address":"a@example.com","code":550}`))
	f.Add([]byte(`{"items":[{"event":"failed","timestamp":1795339805.5,"severity":"temporary","recipient":"a@example.com","delivery-status":{"code":451,"message":"greylisted","attempt-no":1}}],"paging":{"next":"x"}}`))
	f.Add([]byte(`{"items":[{"event":"x","items":[{"address":"a"}],"event-data":{}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := DecodeEntry(b); err == nil {
			doc := ListPage([]Entry{e})
			for _, name := range []string{"Mailgun bounces list (API)", "Mailgun complaints list (API)", "Mailgun unsubscribes list (API)"} {
				if _, err := suppression.Read(strings.NewReader(string(doc)), name, func(suppression.Entry) error { return nil }); err != nil {
					t.Fatalf("%s: %v\n%s", name, err, doc)
				}
			}
		}
		if evs, _, err := DecodePage(b); err == nil {
			var buf strings.Builder
			for _, e := range evs {
				line, _ := json.Marshal(e)
				buf.Write(append(line, '\n'))
			}
			if _, err := maillog.Read(strings.NewReader(buf.String()), "mg", time.Now(), "a@example.com"); err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
		}
	})
}

// TestListWords: each list reads as itself whatever the domain's name.
func TestListWords(t *testing.T) {
	t.Setenv(EnvKey, testKey)
	for _, domain := range []string{"mg.example.net", "complaints.example.net", "unsubscribe.bounces.example.net"} {
		sts, err := source.OpenStreams(source.KindSuppressions, "mailgun:"+domain)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range sts {
			l := st.(*List)
			doc := ListPage([]Entry{{Address: "a@example.com", CreatedAt: "Tue, 17 Nov 2026 10:00:00 UTC"}})
			var got string
			suppression.Read(strings.NewReader(string(doc)), st.Describe(), func(e suppression.Entry) error { got = e.List; return nil })
			if got != l.Name {
				t.Errorf("%s: %s read as %s", domain, st.Describe(), got)
			}
		}
	}
}
