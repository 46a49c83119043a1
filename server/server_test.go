package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/checks/address"
	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/checks/mx"
	"github.com/whymail/whymail/checks/spf"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/report"
	"github.com/whymail/whymail/source"
	_ "github.com/whymail/whymail/source/file"
)

var demoDir = filepath.Join("..", "testdata", "demo")

// demoDesk is a desk on the demo data: zone-file DNS (or r), the demo's
// users and log, a small check set.
func demoDesk(t testing.TB, r lookup.Resolver) *Desk {
	t.Helper()
	if r == nil {
		zones, _ := filepath.Glob(filepath.Join(demoDir, "*.zone"))
		z, err := lookup.LoadZoneFiles(zones...)
		if err != nil {
			t.Fatal(err)
		}
		r = z
	}
	shared := lookup.NewShared(r, 0)
	users, err := source.OpenUsers(filepath.Join(demoDir, "users.csv"))
	if err != nil {
		t.Fatal(err)
	}
	logs, err := source.OpenStream(source.KindLog, filepath.Join(demoDir, "mail.log"))
	if err != nil {
		t.Fatal(err)
	}
	set := []*checks.Check{address.Check, address.Typo, mx.Check, account.Check, maillog.Check}
	return &Desk{
		DNS: func() *lookup.Cache { return lookup.NewCache(shared) },
		Ticket: checks.Ticket{Sender: "noreply@app.example", At: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
			Sources: checks.Sources{Users: users, Logs: []source.Stream{logs}}},
		Diagnose: set,
		Domain:   []*checks.Check{mx.Check, spf.Lint},
		Address: func(ctx context.Context, dns lookup.Resolver, a string) *report.AddressVerdict {
			v := report.NewAddressVerdict(a, "")
			if a == "" {
				v.Verdict = "invalid"
				return v
			}
			res, err := (&checks.Runner{DNS: dns}).Run(ctx, []*checks.Check{address.Check, address.Typo, mx.Check},
				&checks.Ticket{Mode: checks.Verify, Address: a, Domain: a[strings.LastIndex(a, "@")+1:]})
			if err != nil {
				v.Verdict = "unknown"
				return v
			}
			v.Summarize(res)
			return v
		},
		Catalog: report.English,
	}
}

func newTest(t testing.TB, d *Desk, opt Options) *Server {
	t.Helper()
	if d == nil {
		d = demoDesk(t, nil)
	}
	if opt.Log == nil {
		opt.Log = discardLog
	}
	s, err := New(d, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type response struct {
	*httptest.ResponseRecorder
}

func (r response) errorCode() string {
	var e struct {
		Error struct{ Code, Message, Field string }
	}
	json.Unmarshal(r.Body.Bytes(), &e)
	return e.Error.Code
}

func do(s *Server, method, target, body string, hdr ...string) response {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" && method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return response{w}
}

// diagnosis is the part of a whymail.diagnose/v1 document the tests read.
type diagnosis struct {
	Schema     string    `json:"schema"`
	Address    string    `json:"address"`
	At         time.Time `json:"at"`
	Sender     string    `json:"sender"`
	Incomplete bool      `json:"incomplete"`
	Causes     []struct {
		ID      checks.CauseID `json:"id"`
		Verdict string         `json:"verdict"`
	} `json:"causes"`
	Checks []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"checks"`
}

func (d *diagnosis) FailedChecks() []string {
	var out []string
	for _, c := range d.Checks {
		if c.Status == "failed" {
			out = append(out, c.Name)
		}
	}
	return out
}

func decodeDiagnosis(t *testing.T, b []byte) *diagnosis {
	t.Helper()
	var d diagnosis
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return &d
}

func TestDiagnose(t *testing.T) {
	s := newTest(t, nil, Options{})
	for _, c := range []struct{ body, top string }{
		{`{"address":"alice@gmial.com"}`, "address-typo"},
		{`{"address":"dave@example.org"}`, "account-locked"},
		{`{"address":"erin@example.org","user":"u5"}`, "wrong-inbox"},
		{`{"address":"nobody@example.org","at":"2026-11-22T10:00:00Z","sender":"app.example"}`, "no-account"},
	} {
		r := do(s, "POST", "/v1/diagnose", c.body)
		if r.Code != 200 || r.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %s", c.body, r.Code, r.Body)
		}
		d := decodeDiagnosis(t, r.Body.Bytes())
		if d.Schema != report.DiagnoseSchema || d.Incomplete {
			t.Errorf("%s: schema %q incomplete %v", c.body, d.Schema, d.Incomplete)
		}
		if d.Causes[0].ID != checks.CauseID(c.top) {
			t.Errorf("%s: top %s, want %s", c.body, d.Causes[0].ID, c.top)
		}
	}
	// The request's sender replaces the desk's; "at" the desk's time.
	d := decodeDiagnosis(t, do(s, "POST", "/v1/diagnose", `{"address":"a@example.org","sender":"x@other.example","at":"2026-01-02T03:04:05+01:00"}`).Body.Bytes())
	if d.Sender != "x@other.example" || !d.At.Equal(time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC)) {
		t.Errorf("sender %q at %v", d.Sender, d.At)
	}
}

// TestErrors: each error code, with the field it names.
func TestErrors(t *testing.T) {
	s := newTest(t, nil, Options{BodyLimit: 1024, MaxAddresses: 3})
	big := `{"address":"` + strings.Repeat("a", 2000) + `@example.org"}`
	for _, c := range []struct {
		method, path, body, ctype string
		status                    int
		code, field               string
	}{
		{"POST", "/v1/diagnose", `{"address":`, "", 400, CodeInvalidJSON, ""},
		{"POST", "/v1/diagnose", `not json`, "", 400, CodeInvalidJSON, ""},
		{"POST", "/v1/diagnose", ``, "application/json", 400, CodeInvalidJSON, ""},
		{"POST", "/v1/diagnose", `{"address":"a@b.example"} {}`, "", 400, CodeInvalidJSON, ""},
		{"POST", "/v1/diagnose", `["a@b.example"]`, "", 400, CodeInvalidField, ""},
		{"POST", "/v1/diagnose", `{"address":42}`, "", 400, CodeInvalidField, "address"},
		{"POST", "/v1/diagnose", `{}`, "", 400, CodeMissingField, "address"},
		{"POST", "/v1/diagnose", `{"address":"  "}`, "", 400, CodeMissingField, "address"},
		{"POST", "/v1/diagnose", `{"address":"a\u0000@b.example"}`, "", 400, CodeInvalidField, "address"},
		{"POST", "/v1/diagnose", `{"address":"a@b.example","at":"yesterday"}`, "", 400, CodeInvalidField, "at"},
		{"POST", "/v1/diagnose", `{"address":"a@b.example","sender":"not a sender"}`, "", 400, CodeInvalidField, "sender"},
		{"POST", "/v1/diagnose", `{"address":"a@b.example","user":"` + strings.Repeat("u", 300) + `"}`, "", 400, CodeInvalidField, "user"},
		// A request that names a file, a server, a DSN or a URL is refused.
		{"POST", "/v1/diagnose", `{"address":"a@b.example","users":"/etc/passwd"}`, "", 400, CodeUnknownField, "users"},
		{"POST", "/v1/diagnose", `{"address":"a@b.example","log":"/var/log/mail.log"}`, "", 400, CodeUnknownField, "log"},
		{"POST", "/v1/diagnose", `{"address":"a@b.example","dns":"10.0.0.1:53"}`, "", 400, CodeUnknownField, "dns"},
		{"POST", "/v1/diagnose", `{"address":"a@b.example","zone":"../../etc/hosts"}`, "", 400, CodeUnknownField, "zone"},
		{"POST", "/v1/diagnose", `{"address":"a@b.example","Users":"postgres://x"}`, "", 400, CodeUnknownField, "Users"},
		{"POST", "/v1/domain", `{"domain":"app.example","url":"http://169.254.169.254/"}`, "", 400, CodeUnknownField, "url"},
		{"POST", "/v1/diagnose", big, "", 413, CodeTooLarge, ""},
		{"POST", "/v1/diagnose", `address=a@b.example`, "application/x-www-form-urlencoded", 415, CodeUnsupportedMedia, ""},
		{"POST", "/v1/diagnose", `{"address":"a@b.example"}`, "text/plain", 415, CodeUnsupportedMedia, ""},
		{"POST", "/v1/domain", `{}`, "", 400, CodeMissingField, "domain"},
		{"POST", "/v1/domain", `{"domain":"no such/domain"}`, "", 400, CodeInvalidField, "domain"},
		{"POST", "/v1/domain", `{"domain":"a@b.example"}`, "", 400, CodeInvalidField, "domain"},
		{"POST", "/v1/address", `{"addresses":[]}`, "", 400, CodeMissingField, "addresses"},
		{"POST", "/v1/address", `{"addresses":["a@b.c","a@b.c","a@b.c","a@b.c"]}`, "", 400, CodeInvalidField, "addresses"},
		{"POST", "/v1/address", `{"addresses":"a@b.c"}`, "", 400, CodeInvalidField, "addresses"},
		{"POST", "/v1/bounce", ``, "message/rfc822", 400, CodeInvalidMessage, ""},
		{"POST", "/v1/bounce", `{}`, "application/json", 415, CodeUnsupportedMedia, ""},
		{"GET", "/v2/diagnose", ``, "", 404, CodeNotFound, ""},
		{"GET", "/v1/diagnose", ``, "", 405, CodeMethodNotAllowed, ""},
		{"DELETE", "/d", ``, "", 405, CodeMethodNotAllowed, ""},
		{"GET", "/d?address=a@b.example&zone=x", ``, "", 400, "", ""},
		{"GET", "/d?address=", ``, "", 400, "", ""},
	} {
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		if c.method == "POST" {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		r := response{w}
		if r.Code != c.status {
			t.Errorf("%s %s %.60s: status %d, want %d: %s", c.method, c.path, c.body, r.Code, c.status, r.Body)
			continue
		}
		if c.code == "" {
			continue
		}
		var e struct {
			Error struct{ Code, Message, Field string }
		}
		if err := json.Unmarshal(r.Body.Bytes(), &e); err != nil || r.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s %.60s: not a JSON error: %s", c.path, c.body, r.Body)
			continue
		}
		if e.Error.Code != c.code || e.Error.Field != c.field || e.Error.Message == "" {
			t.Errorf("%s %.60s: error %+v, want code %s field %q", c.path, c.body, e.Error, c.code, c.field)
		}
		if c.field != "" && !strings.Contains(e.Error.Message, `"`+c.field+`"`) {
			t.Errorf("%s %.60s: message %q does not name the field %q", c.path, c.body, e.Error.Message, c.field)
		}
	}
}

// TestPermalinkRefusesParameters: the page's query, like the API's body,
// names no file or server; with Accept: application/json the error is JSON.
func TestPermalinkRefusesParameters(t *testing.T) {
	s := newTest(t, nil, Options{})
	r := do(s, "GET", "/d?address=a@b.example&dns=10.0.0.1", "", "Accept", "application/json")
	if r.Code != 400 || r.errorCode() != CodeUnknownField {
		t.Errorf("%d %s", r.Code, r.Body)
	}
	r = do(s, "GET", "/d?address=a@b.example&users=/etc/passwd", "")
	if r.Code != 400 || !strings.Contains(r.Body.String(), "unknown parameter &#34;users&#34;") {
		t.Errorf("%d %s", r.Code, r.Body)
	}
}

func TestBodyLimit(t *testing.T) {
	s := newTest(t, nil, Options{BodyLimit: 100, BounceLimit: 200})
	ok := `{"address":"alice@gmial.com"}`
	if r := do(s, "POST", "/v1/diagnose", ok+strings.Repeat(" ", 100-len(ok))); r.Code != 200 {
		t.Errorf("at the limit: %d %s", r.Code, r.Body)
	}
	if r := do(s, "POST", "/v1/diagnose", ok+strings.Repeat(" ", 101-len(ok))); r.Code != 413 || r.errorCode() != CodeTooLarge {
		t.Errorf("over the limit: %d %s", r.Code, r.Body)
	}
	if r := do(s, "POST", "/v1/bounce", strings.Repeat("x", 201), "Content-Type", "message/rfc822"); r.Code != 413 {
		t.Errorf("bounce over the limit: %d %s", r.Code, r.Body)
	}
}

const token = "0123456789abcdef0123456789abcdef"

func TestAuth(t *testing.T) {
	s := newTest(t, nil, Options{Auth: Auth{Tokens: []string{"another-token-of-sixteen", token}, TrustedHeader: "X-Forwarded-User"}})
	body := `{"address":"alice@gmial.com"}`
	for _, c := range []struct {
		name   string
		hdr    []string
		status int
	}{
		{"missing", nil, 401},
		{"wrong bearer", []string{"Authorization", "Bearer wrong-wrong-wrong-wrong"}, 401},
		{"empty bearer", []string{"Authorization", "Bearer "}, 401},
		{"prefix of a token", []string{"Authorization", "Bearer " + token[:20]}, 401},
		{"right bearer", []string{"Authorization", "Bearer " + token}, 200},
		{"bearer any case", []string{"Authorization", "bearer " + token}, 200},
		{"basic right", []string{"Authorization", basic("agent", token)}, 200},
		{"basic wrong", []string{"Authorization", basic("agent", "nope-nope-nope-nope")}, 401},
		{"basic token as user", []string{"Authorization", basic(token, "")}, 401},
		{"trusted header", []string{"X-Forwarded-User", "alice@corp.example"}, 200},
		{"empty trusted header", []string{"X-Forwarded-User", " "}, 401},
	} {
		r := do(s, "POST", "/v1/diagnose", body, c.hdr...)
		if r.Code != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, r.Code, c.status, r.Body)
		}
		if c.status == 401 {
			if r.errorCode() != CodeUnauthorized || r.Header().Get("WWW-Authenticate") != `Basic realm="whymail", charset="UTF-8"` {
				t.Errorf("%s: %s, WWW-Authenticate %q", c.name, r.Body, r.Header().Get("WWW-Authenticate"))
			}
		}
	}
	// The page asks too; health does not (a load balancer probes it).
	if r := do(s, "GET", "/", ""); r.Code != 401 {
		t.Errorf("page without auth: %d", r.Code)
	}
	if r := do(s, "GET", "/metrics", ""); r.Code != 401 {
		t.Errorf("metrics without auth: %d", r.Code)
	}
	if r := do(s, "GET", "/healthz", ""); r.Code != 200 {
		t.Errorf("healthz: %d", r.Code)
	}
	// A trusted header alone: without it, no WWW-Authenticate (the proxy signs in).
	s2 := newTest(t, nil, Options{Auth: Auth{TrustedHeader: "X-Forwarded-Email"}})
	if r := do(s2, "GET", "/", ""); r.Code != 401 || r.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("header auth, none: %d %q", r.Code, r.Header().Get("WWW-Authenticate"))
	}
	if r := do(s2, "GET", "/", "", "X-Forwarded-Email", "bob@corp.example"); r.Code != 200 {
		t.Errorf("header auth: %d", r.Code)
	}
	if _, err := New(demoDesk(t, nil), Options{Auth: Auth{Tokens: []string{"short"}}}); err == nil {
		t.Error("a short token was accepted")
	}
}

func basic(user, pass string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func TestReadTokens(t *testing.T) {
	toks, err := ReadTokens(strings.NewReader("# tokens\n\n"+token+"\n  another-token-of-sixteen  \n"), "tokens")
	if err != nil || len(toks) != 2 || toks[1] != "another-token-of-sixteen" {
		t.Errorf("%q %v", toks, err)
	}
	if _, err := ReadTokens(strings.NewReader(token+"\nshort\n"), "tokens"); err == nil || !strings.Contains(err.Error(), "tokens:2:") {
		t.Errorf("short token: %v", err)
	}
	if _, err := ReadTokens(strings.NewReader("# none\n"), "tokens"); err == nil {
		t.Error("an empty file gave no error")
	}
}

func TestAuditLog(t *testing.T) {
	var buf syncBuffer
	s := newTest(t, nil, Options{Audit: &buf, Auth: Auth{Tokens: []string{token}}})
	do(s, "POST", "/v1/diagnose", `{"address":"alice@gmial.com","user":"u1"}`, "Authorization", basic("agent7", token))
	do(s, "POST", "/v1/diagnose", `{"address":"alice@gmial.com"}`)
	do(s, "GET", "/healthz", "")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d audit lines, want 2:\n%s", len(lines), buf.String())
	}
	var e auditEntry
	json.Unmarshal([]byte(lines[0]), &e)
	if e.Who != "token 1 (agent7)" || e.Address != "alice@gmial.com" || e.User != "u1" || e.Top != "address-typo" ||
		e.Status != 200 || e.Time.IsZero() || e.Path != "/v1/diagnose" {
		t.Errorf("audit line %s", lines[0])
	}
	json.Unmarshal([]byte(lines[1]), &e)
	if e.Status != 401 {
		t.Errorf("refused request's line %s", lines[1])
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stalled answers nothing until its ctx ends, or until release is closed.
type stalled struct {
	release chan struct{}
	started chan struct{}
	once    sync.Once
	next    lookup.Resolver
}

func (s *stalled) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	s.once.Do(func() { close(s.started) })
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.release:
		return s.next.Lookup(ctx, q)
	}
}

func newStalled(t *testing.T) *stalled {
	zones, _ := filepath.Glob(filepath.Join(demoDir, "*.zone"))
	z, err := lookup.LoadZoneFiles(zones...)
	if err != nil {
		t.Fatal(err)
	}
	return &stalled{release: make(chan struct{}), started: make(chan struct{}), next: z}
}

// TestDeadline: DNS that never answers; at the deadline the report comes
// back marked incomplete, 200, not an error.
func TestDeadline(t *testing.T) {
	st := newStalled(t)
	s := newTest(t, demoDesk(t, st), Options{Deadline: 300 * time.Millisecond})
	start := time.Now()
	r := do(s, "POST", "/v1/diagnose", `{"address":"alice@gmial.com"}`)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v with a 300ms deadline", took)
	}
	if r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	d := decodeDiagnosis(t, r.Body.Bytes())
	if !d.Incomplete || len(d.FailedChecks()) == 0 {
		t.Errorf("incomplete %v, failed %v", d.Incomplete, d.FailedChecks())
	}
	if m := do(s, "GET", "/metrics", ""); !strings.Contains(m.Body.String(), `whymail_reports_incomplete_total{kind="diagnose"} 1`) {
		t.Errorf("incomplete report not counted")
	}
}

// TestBusy: with one slot taken, the next diagnosis is 503 with
// Retry-After; once it is free, requests go through again.
func TestBusy(t *testing.T) {
	st := newStalled(t)
	s := newTest(t, demoDesk(t, st), Options{MaxInFlight: 1})
	done := make(chan response)
	go func() { done <- do(s, "POST", "/v1/diagnose", `{"address":"alice@gmial.com"}`) }()
	<-st.started
	for _, p := range []struct{ method, path, body string }{
		{"POST", "/v1/diagnose", `{"address":"bob@corp.example"}`},
		{"POST", "/v1/domain", `{"domain":"app.example"}`},
		{"POST", "/v1/address", `{"addresses":["a@b.example"]}`},
		{"GET", "/d?address=bob@corp.example", ""},
	} {
		r := do(s, p.method, p.path, p.body, "Accept", "application/json")
		if r.Code != 503 || r.Header().Get("Retry-After") == "" || r.errorCode() != CodeBusy {
			t.Errorf("%s: %d Retry-After %q: %s", p.path, r.Code, r.Header().Get("Retry-After"), r.Body)
		}
	}
	close(st.release)
	if r := <-done; r.Code != 200 {
		t.Errorf("the first request: %d", r.Code)
	}
	if r := do(s, "POST", "/v1/diagnose", `{"address":"bob@corp.example"}`); r.Code != 200 {
		t.Errorf("after: %d", r.Code)
	}
	if m := do(s, "GET", "/metrics", ""); !strings.Contains(m.Body.String(), "whymail_diagnoses_rejected_total 4") {
		t.Errorf("rejections not counted")
	}
}

func TestDomain(t *testing.T) {
	s := newTest(t, nil, Options{})
	r := do(s, "POST", "/v1/domain", `{"domain":"App.Example."}`)
	if r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	var l struct {
		Schema  string
		Domains []struct{ Domain string }
	}
	json.Unmarshal(r.Body.Bytes(), &l)
	if l.Schema != report.DomainSchema || len(l.Domains) != 1 || l.Domains[0].Domain != "app.example" {
		t.Errorf("%s", r.Body)
	}
}

func TestAddress(t *testing.T) {
	s := newTest(t, nil, Options{})
	r := do(s, "POST", "/v1/address", `{"addresses":["alice@gmial.com","bob@example.org","x",""]}`)
	if r.Code != 200 || r.Header().Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	lines := strings.Split(strings.TrimSpace(r.Body.String()), "\n")
	want := []struct{ addr, verdict string }{{"alice@gmial.com", "typo"}, {"bob@example.org", "ok"}, {"x", "invalid"}, {"", "invalid"}}
	if len(lines) != len(want) {
		t.Fatalf("%d lines: %s", len(lines), r.Body)
	}
	for i, l := range lines {
		var v struct{ Schema, Address, Verdict string }
		json.Unmarshal([]byte(l), &v)
		if v.Schema != report.AddressSchema || v.Address != want[i].addr || v.Verdict != want[i].verdict {
			t.Errorf("line %d: %s, want %s %s", i, l, want[i].addr, want[i].verdict)
		}
	}
}

func TestBounce(t *testing.T) {
	s := newTest(t, nil, Options{})
	msg, err := os.ReadFile(filepath.Join("..", "checks", "bounce", "testdata", "postfix-dsn-userunknown.eml"))
	if err != nil {
		t.Fatal(err)
	}
	r := do(s, "POST", "/v1/bounce", string(msg), "Content-Type", "message/rfc822")
	if r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	var line struct {
		Schema, Recipient, Reason, Cause string
	}
	if err := json.Unmarshal(bytes.SplitN(r.Body.Bytes(), []byte("\n"), 2)[0], &line); err != nil {
		t.Fatalf("%v: %s", err, r.Body)
	}
	if line.Schema != BounceSchema || line.Recipient == "" || line.Reason != "user-unknown" {
		t.Errorf("%s", r.Body)
	}
	notMail, _ := os.ReadFile(filepath.Join("..", "checks", "bounce", "testdata", "not-mail.txt"))
	if r := do(s, "POST", "/v1/bounce", string(notMail), "Content-Type", "message/rfc822"); r.Code != 400 || r.errorCode() != CodeInvalidMessage {
		t.Errorf("not mail: %d %s", r.Code, r.Body)
	}
}

// failingUsers is a users source that is down.
type failingUsers struct{}

func (failingUsers) Describe() string { return "users-db" }
func (failingUsers) Users(context.Context, source.UserQuery, func(source.User) error) (int, error) {
	return 0, errors.New("connection refused")
}

func TestMetrics(t *testing.T) {
	d := demoDesk(t, nil)
	d.Ticket.Sources.Users = failingUsers{}
	s := newTest(t, d, Options{})
	r := do(s, "POST", "/v1/diagnose", `{"address":"alice@gmial.com"}`)
	if !decodeDiagnosis(t, r.Body.Bytes()).Incomplete {
		t.Errorf("a failed source did not make the report incomplete")
	}
	do(s, "POST", "/v1/diagnose", `{}`)
	m := do(s, "GET", "/metrics", "")
	if ct := m.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{
		`whymail_http_requests_total{code="200",route="POST /v1/diagnose"} 1`,
		`whymail_http_requests_total{code="400",route="POST /v1/diagnose"} 1`,
		`whymail_http_request_duration_seconds_count{route="POST /v1/diagnose"} 2`,
		`whymail_source_errors_total{source="users-db"} 1`,
		`whymail_diagnoses_in_flight 0`,
	} {
		if !strings.Contains(m.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestHealthz(t *testing.T) {
	s := newTest(t, nil, Options{})
	r := do(s, "GET", "/healthz", "")
	if r.Code != 200 || !strings.Contains(r.Body.String(), `"status":"ok"`) {
		t.Errorf("%d %s", r.Code, r.Body)
	}
}

// TestServeLoopbackOnly: without auth, a listener on any other address
// is refused; with auth, it serves.
func TestServeLoopbackOnly(t *testing.T) {
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Skip(err)
	}
	defer ln.Close()
	s := newTest(t, nil, Options{})
	if err := s.Serve(context.Background(), ln); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("unauthenticated on 0.0.0.0: %v", err)
	}
	var logb syncBuffer
	s = newTest(t, nil, Options{Log: slogTo(&logb)})
	lo, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- s.Serve(ctx, lo) }()
	waitUp(t, "http://"+lo.Addr().String())
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if !strings.Contains(logb.String(), "UNAUTHENTICATED") {
		t.Errorf("no warning at start: %s", logb.String())
	}
}

func waitUp(t testing.TB, base string) {
	t.Helper()
	for range 100 {
		if r, err := http.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not come up", base)
}

// TestGracefulShutdown: a request in flight when shutdown begins is
// answered in full; Serve returns when it is done.
func TestGracefulShutdown(t *testing.T) {
	st := newStalled(t)
	s := newTest(t, demoDesk(t, st), Options{})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()
	waitUp(t, base)
	got := make(chan *http.Response, 1)
	go func() {
		r, err := http.Post(base+"/v1/diagnose", "application/json", strings.NewReader(`{"address":"alice@gmial.com"}`))
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	<-st.started
	cancel() // SIGTERM
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-errc:
		t.Fatalf("Serve returned with a request in flight: %v", err)
	default:
	}
	close(st.release)
	r := <-got
	if r == nil {
		t.Fatal("no response")
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || decodeDiagnosis(t, b).Incomplete {
		t.Errorf("in-flight request: %d %s", r.StatusCode, b)
	}
	if err := <-errc; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func TestWords(t *testing.T) {
	for _, in := range checks.Inputs {
		w := Words([]checks.Input{in})
		if w == "" || strings.Contains(w, "--") {
			t.Errorf("input %s worded %q", in, w)
		}
	}
}
