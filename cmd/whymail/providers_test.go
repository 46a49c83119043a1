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
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"
)

const providerKey = "SG.e2e-secret-key-do-not-print"

// ticketFiles writes the files of a script scenario to a directory.
func ticketFiles(t testing.TB, script string) string {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", "script", script))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range ar.Files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sendGridTicket is the SendGrid API holding what the files of
// ticket_sendgrid_suppressed.txtar hold: carol on the bounces list since
// August, and today's reset processed and dropped. It answers as the
// pages cited in source/sendgrid's tests document. delay is added to
// every answer; fail, when not 0, is the status of every answer.
func sendGridTicket(delay time.Duration, fail int) http.Handler {
	mux := http.NewServeMux()
	j := func(w http.ResponseWriter, s string) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, s)
	}
	mux.HandleFunc("GET /v3/suppression/bounces/{email}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("email") == "carol@example.com" {
			j(w, `[{"created": 1786723331, "email": "carol@example.com", "reason": "550 5.1.1 <carol@example.com>: Recipient address rejected: User unknown in virtual mailbox table", "status": "5.1.1"}]`)
			return
		}
		j(w, `[]`)
	})
	for _, l := range []string{"blocks", "spam_reports", "invalid_emails"} {
		mux.HandleFunc("GET /v3/suppression/"+l+"/{email}", func(w http.ResponseWriter, r *http.Request) { j(w, `[]`) })
	}
	mux.HandleFunc("GET /v3/asm/suppressions/global/{email}", func(w http.ResponseWriter, r *http.Request) { j(w, `{}`) })
	mux.HandleFunc("GET /v3/messages", func(w http.ResponseWriter, r *http.Request) {
		j(w, `{"messages": [{"from_email": "noreply@app.example", "msg_id": "rst-5511.filterdrecv-1", "subject": "Reset your password", "to_email": "carol@example.com", "status": "not_delivered", "opens_count": 0, "clicks_count": 0, "last_event_time": "2026-11-22T09:41:12Z"}]}`)
	})
	mux.HandleFunc("GET /v3/messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		j(w, `{"from_email": "noreply@app.example", "msg_id": "rst-5511.filterdrecv-1", "to_email": "carol@example.com", "status": "not_delivered", "events": [
 {"event_name": "processed", "processed": "2026-11-22T09:41:12Z", "reason": "", "attempt_num": 0},
 {"event_name": "dropped", "processed": "2026-11-22T09:41:12Z", "reason": "Bounced Address", "attempt_num": 0}]}`)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		if fail != 0 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(fail)
			j(w, `{"errors":[{"message":"the server failed; key `+providerKey+`"}]}`)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+providerKey {
			w.WriteHeader(401)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func ticketArgs(dir string, evidence ...string) []string {
	p := func(n string) string { return filepath.Join(dir, n) }
	args := []string{"diagnose", "carol@example.com", "--zone", p("example.com.zone"), "--users", p("users.csv"),
		"--sender", "noreply@app.example", "--sending-ip", "203.0.113.10", "--dkim-selector", "s1", "--dnsbl", "zen.spamhaus.org",
		"--zone", p("app.example.zone"), "--zone", p("reverse.zone"), "--zone", p("sendgrid.zone"), "--zone", p("zen.zone")}
	for _, e := range evidence {
		if !strings.Contains(e, ":") && !strings.HasPrefix(e, "--") {
			e = p(e)
		}
		args = append(args, e)
	}
	return args
}

// TestSendGridAPISameVerdicts: the ticket's suppression list and event log
// from the SendGrid API give the verdicts their export files give.
func TestSendGridAPISameVerdicts(t *testing.T) {
	dir := ticketFiles(t, "ticket_sendgrid_suppressed.txtar")
	files := diagnoseOutcome(t, ticketArgs(dir, "--suppressions", "bounces.csv", "--log", "events.json")...)
	if files.code != 0 || files.verdicts["suppressed"] != "confirmed" {
		t.Fatalf("the file run: exit %d, suppressed %s", files.code, files.verdicts["suppressed"])
	}
	srv := httptest.NewServer(sendGridTicket(0, 0))
	defer srv.Close()
	t.Setenv("SENDGRID_API_KEY", providerKey)
	t.Setenv("WHYMAIL_SENDGRID_URL", srv.URL)
	api := diagnoseOutcome(t, ticketArgs(dir, "--suppressions", "sendgrid:", "--log", "sendgrid:")...)
	if api.code != files.code {
		t.Errorf("exit %d, files %d\n%s", api.code, files.code, api.text)
	}
	for id, v := range files.verdicts {
		if api.verdicts[id] != v {
			t.Errorf("%s: %s from the API, %s from the files", id, api.verdicts[id], v)
		}
	}
	if !strings.Contains(api.text, "SendGrid bounces list (API)") || !strings.Contains(api.text, "Bounced Address") {
		t.Errorf("evidence does not name the API list and event:\n%s", api.text)
	}
	assertNoKey(t, ticketArgs(dir, "--suppressions", "sendgrid:", "--log", "sendgrid:"))
}

// TestSendGridAPIDown: with every SendGrid call failing, the run is
// incomplete (exit 3), the causes those sources settle are unknown with the
// reason, and the other evidence (users, DNS) still gives its verdicts.
func TestSendGridAPIDown(t *testing.T) {
	dir := ticketFiles(t, "ticket_sendgrid_suppressed.txtar")
	base := diagnoseOutcome(t, ticketArgs(dir)...)
	for _, status := range []int{500, 401, 429} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := httptest.NewServer(sendGridTicket(0, status))
			defer srv.Close()
			t.Setenv("SENDGRID_API_KEY", providerKey)
			t.Setenv("WHYMAIL_SENDGRID_URL", srv.URL)
			args := ticketArgs(dir, "--suppressions", "sendgrid:", "--log", "sendgrid:")
			got := diagnoseOutcome(t, args...)
			if got.code != ExitFailed || !got.incomplete {
				t.Fatalf("exit %d, incomplete %v\n%s", got.code, got.incomplete, got.text)
			}
			for _, c := range []string{"suppressed", "not-sent"} {
				if got.verdicts[c] != "unknown" {
					t.Errorf("%s is %s with the source down", c, got.verdicts[c])
				}
			}
			if !strings.Contains(got.text, fmt.Sprintf("HTTP %d", status)) {
				t.Errorf("the reason is not said:\n%s", got.text)
			}
			// Evidence of the users file and DNS still counts.
			for id, v := range base.verdicts {
				if id == "suppressed" || got.verdicts[id] == v || got.verdicts[id] == "unknown" {
					continue
				}
				if v == "confirmed" || v == "ruled-out" || v == "likely" {
					t.Errorf("%s: %s without the API, %s with it down", id, v, got.verdicts[id])
				}
			}
			assertNoKey(t, args)
		})
	}
}

// assertNoKey runs args in every output form, with --trace, and fails if
// the key appears anywhere in stdout or stderr.
func assertNoKey(t *testing.T, args []string) {
	t.Helper()
	for _, form := range [][]string{{"--format", "json", "--trace"}, {"--format", "text", "--trace"}, {"--format", "markdown"}} {
		var out, errb bytes.Buffer
		Main(append(append([]string{}, args...), append(form, "--at", "2026-11-22T10:00:00Z")...), nil, &out, &errb)
		for _, s := range []string{out.String(), errb.String()} {
			if strings.Contains(s, providerKey) || strings.Contains(s, "e2e-secret") {
				t.Fatalf("%v: the key is in the output:\n%s", form, s)
			}
		}
		if form[0] == "--format" && form[1] == "json" && !json.Valid(out.Bytes()) {
			t.Errorf("not JSON: %s", out.String())
		}
	}
}

// BenchmarkDiagnoseLiveSources is the ticket's diagnosis with its
// suppressions (five SendGrid lists), its SendGrid activity log and a
// ClickHouse-shaped log store each answering after 50 ms: the sources are
// read concurrently, so a run should cost about one chain of answers (the
// activity's list then its messages: 100 ms), not the sum (350 ms and up).
func BenchmarkDiagnoseLiveSources(b *testing.B) {
	dir := ticketFiles(b, "ticket_sendgrid_suppressed.txtar")
	srv := httptest.NewServer(sendGridTicket(50*time.Millisecond, 0))
	defer srv.Close()
	b.Setenv("SENDGRID_API_KEY", providerKey)
	b.Setenv("WHYMAIL_SENDGRID_URL", srv.URL)
	ch := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(50 * time.Millisecond)
		w.Header().Set("Content-Type", "application/x-ndjson")
	}))
	defer ch.Close()
	args := append(ticketArgs(dir, "--suppressions", "sendgrid:", "--log", "sendgrid:", "--log",
		"clickhouse://"+strings.TrimPrefix(ch.URL, "http://")+"/mail?table=maillog"), "--at", "2026-11-22T10:00:00Z", "--format", "json")
	for b.Loop() {
		if code := Main(args, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
