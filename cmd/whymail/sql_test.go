package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/source/sql/sqltest"
)

// The users of account_locked.txtar, as a file and as rows.
const sqlUsersCSV = `id,email,status,locked_until,reset_sent_at
u1,alice@example.com,active,,2026-11-22T09:30:00Z
u2,bob@example.com,inactive,,
u3,carol@example.com,locked,2026-11-22T12:00:00Z,
u4,dave@example.com,active,,2026-11-20T08:00:00Z
u5,Erin.Smith@example.com,active,,
`

const sqlZone = `$ORIGIN example.com.
@   IN SOA ns1 hostmaster 1 7200 900 1209600 3600
@   IN MX  10 mx1
mx1 IN A   192.0.2.25
`

var sqlSchema = []string{
	`CREATE TABLE users (id text PRIMARY KEY, email text NOT NULL, status text NOT NULL,
		locked_until timestamptz, reset_sent_at timestamp, password_hash text)`,
	`INSERT INTO users VALUES
		('u1', 'alice@example.com', 'active', NULL, '2026-11-22 09:30:00', 'x'),
		('u2', 'bob@example.com', 'inactive', NULL, NULL, 'x'),
		('u3', 'carol@example.com', 'locked', '2026-11-22 13:00:00+01', NULL, 'x'),
		('u4', 'dave@example.com', 'active', NULL, '2026-11-20 08:00:00', 'x'),
		('u5', 'Erin.Smith@example.com', 'active', NULL, NULL, 'x')`,
	// An app's own shape, read with --users-query.
	`CREATE TABLE accounts (uid text, mail text, state text, lock_epoch bigint, reset_epoch bigint)`,
	`INSERT INTO accounts SELECT id, email, status, extract(epoch from locked_until)::bigint,
		extract(epoch from reset_sent_at AT TIME ZONE 'UTC')::bigint FROM users`,
}

const sqlQuery = `SELECT uid AS id, mail AS email, state AS status, lock_epoch AS locked_until, reset_epoch AS reset_sent_at
FROM accounts WHERE lower(mail) = lower($1) OR uid = $2`

// runMain runs whymail with args and returns its exit status and outputs.
func runMain(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// verdicts reads a diagnosis's causes as cause → verdict, and its top.
func verdicts(t *testing.T, out string) (map[string]string, string) {
	t.Helper()
	var d struct {
		Causes []struct{ ID, Verdict string }
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	m := map[string]string{}
	for _, c := range d.Causes {
		m[c.ID] = c.Verdict
	}
	if len(d.Causes) == 0 {
		t.Fatalf("no causes in %s", out)
	}
	return m, d.Causes[0].ID
}

// TestSQLUsers: a diagnosis whose account comes from PostgreSQL (a table,
// and an app's own shape through a query) gives the verdicts of the CSV
// file; with the database down the account causes are unknown, the run is
// incomplete (exit 3) and the DNS evidence still counts; no output of any
// run shows the password.
func TestSQLUsers(t *testing.T) {
	s := sqltest.Postgres(t)
	s.Exec(t, sqlSchema...)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	csv, zone := write("users.csv", sqlUsersCSV), write("example.com.zone", sqlZone)
	t.Setenv("WHYMAIL_USERS_PASSWORD", s.Password)
	base := []string{"--zone", zone, "--at", "2026-11-22T10:00:00Z", "--format", "json"}

	var outputs []string // every output, to grep for the password
	diagnose := func(t *testing.T, address string, extra ...string) (int, string) {
		t.Helper()
		code, out, errOut := runMain(append(append([]string{"diagnose", address}, base...), extra...)...)
		outputs = append(outputs, out, errOut)
		return code, out
	}
	tickets := [][]string{
		{"alice@example.com"}, {"bob@example.com"}, {"carol@example.com"}, {"dave@example.com"},
		{"erin.smith@example.com"}, {"nobody@example.com"}, {"alice@example.com", "--user", "u2"},
		{"carol@example.com", "--user", "u3"}, {"zed@example.com", "--user", "u9"},
	}
	for _, shape := range []struct {
		name string
		args []string
	}{
		{"table", []string{"--users", s.URL(false)}},
		{"query", []string{"--users", s.URL(false), "--users-query", sqlQuery}},
	} {
		t.Run(shape.name, func(t *testing.T) {
			for _, tk := range tickets {
				code, want := diagnose(t, tk[0], append([]string{"--users", csv}, tk[1:]...)...)
				if code != 0 {
					t.Fatalf("%v with the CSV: exit %d", tk, code)
				}
				code, got := diagnose(t, tk[0], append(shape.args, tk[1:]...)...)
				if code != 0 {
					t.Fatalf("%v from PostgreSQL: exit %d\n%s", tk, code, got)
				}
				wv, wtop := verdicts(t, want)
				gv, gtop := verdicts(t, got)
				if wtop != gtop {
					t.Errorf("%v: top cause %s from PostgreSQL, %s from the CSV", tk, gtop, wtop)
				}
				for c, v := range wv {
					if gv[c] != v {
						t.Errorf("%v: %s is %s from PostgreSQL, %s from the CSV", tk, c, gv[c], v)
					}
				}
				if !strings.Contains(got, "PostgreSQL ") {
					t.Errorf("%v: the evidence does not name the database:\n%s", tk, got)
				}
			}
		})
	}

	// The password in the config, from the environment, with --trace and
	// in text; then wrong, then the database down.
	t.Setenv("WHYMAIL_USERS_PASSWORD", "")
	// In a URL the password is percent-encoded.
	t.Setenv("DESK_DB_PASSWORD", url.PathEscape(s.Password))
	withPW := strings.Replace(s.URL(false), "whymail@", "whymail:${DESK_DB_PASSWORD}@", 1)
	cfg := write("desk.yaml", fmt.Sprintf("users: %q\nzone: [example.com.zone]\nat: 2026-11-22T10:00:00Z\n", withPW))
	code, out := diagnose(t, "carol@example.com", "--config", cfg, "--trace")
	if code != 0 {
		t.Fatalf("with the password from the config: exit %d\n%s", code, outputs[len(outputs)-1])
	}
	if v, _ := verdicts(t, out); code != 0 || v["account-locked"] != "confirmed" {
		t.Errorf("with the password from the config: exit %d, account-locked %s", code, v["account-locked"])
	}
	for _, format := range []string{"text", "markdown"} {
		code, out, errOut := runMain("diagnose", "carol@example.com", "--config", cfg, "--format", format, "--trace")
		outputs = append(outputs, out, errOut)
		if code != 0 || !strings.Contains(out, "is locked until") {
			t.Errorf("--format %s: exit %d\n%s%s", format, code, out, errOut)
		}
	}
	code, out, errOut := runMain("sources", "--config", cfg)
	outputs = append(outputs, out, errOut)
	if code != 0 || !strings.Contains(out, "PostgreSQL users table at "+s.Addr()+"/app") || !strings.Contains(out, "answered in") {
		t.Errorf("sources: exit %d\n%s%s", code, out, errOut)
	}

	t.Setenv("DESK_DB_PASSWORD", "wrong-"+url.PathEscape(s.Password))
	code, out = diagnose(t, "carol@example.com", "--config", cfg)
	if code != ExitFailed {
		t.Errorf("with a wrong password: exit %d, want 3\n%s", code, out)
	}

	// The password in a file named by WHYMAIL_USERS_PASSWORD_FILE.
	t.Setenv("WHYMAIL_USERS_PASSWORD_FILE", write("pw", s.Password+"\n"))
	code, out = diagnose(t, "carol@example.com", "--users", s.URL(false))
	if v, _ := verdicts(t, out); code != 0 || v["account-locked"] != "confirmed" {
		t.Errorf("with WHYMAIL_USERS_PASSWORD_FILE: exit %d, account-locked %s", code, v["account-locked"])
	}
	t.Setenv("DESK_DB_PASSWORD", url.PathEscape(s.Password))

	// A database slower than --source-timeout: unknown, exit 3, said.
	start := time.Now()
	code, out = diagnose(t, "carol@example.com", "--users", s.URL(false), "--source-timeout", "300ms", "--users-query",
		"SELECT id, email, status FROM users, pg_sleep(3) WHERE lower(email) = lower($1)")
	if v, _ := verdicts(t, out); code != ExitFailed || v["account-locked"] != "unknown" || !strings.Contains(out, "no answer within --source-timeout 300ms") {
		t.Errorf("slow database: exit %d, account-locked %s\n%s", code, v["account-locked"], out)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("slow database: took %s, want about 300ms", d)
	}

	s.Stop()
	start = time.Now()
	code, out = diagnose(t, "carol@example.com", "--users", s.URL(true), "--source-timeout", "2s")
	if code != ExitFailed {
		t.Fatalf("database down: exit %d, want 3\n%s", code, out)
	}
	if errOut := outputs[len(outputs)-1]; !strings.Contains(errOut, "warning: --users postgres://whymail:xxxxx@") {
		t.Errorf("a password on the command line: no warning in %q", errOut)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("database down: took %s", d)
	}
	v, _ := verdicts(t, out)
	for _, c := range []string{"no-account", "wrong-inbox", "account-inactive", "account-locked", "link-expired"} {
		if v[c] != "unknown" {
			t.Errorf("database down: %s is %s, want unknown", c, v[c])
		}
	}
	if v["domain-no-mail"] != "ruled-out" {
		t.Errorf("database down: domain-no-mail is %s, want ruled-out (DNS evidence still counts)", v["domain-no-mail"])
	}
	if !strings.Contains(out, `"incomplete": true`) || !strings.Contains(out, "could not be read") {
		t.Errorf("database down: not incomplete, or not said:\n%s", out)
	}
	code, out, errOut = runMain("sources", "--config", cfg, "--format", "json")
	outputs = append(outputs, out, errOut)
	if code != ExitFailed || !strings.Contains(out, `"ok": false`) {
		t.Errorf("sources with the database down: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runMain("diagnose", "carol@example.com", "--users", "postgres://whymail:"+s.Password+"@[::1/app")
	outputs = append(outputs, out, errOut)
	if code != ExitUsage {
		t.Errorf("bad spec: exit %d", code)
	}

	for _, o := range outputs {
		if strings.Contains(o, s.Password) || strings.Contains(o, url.PathEscape(s.Password)) {
			t.Fatalf("an output shows the password:\n%s", o)
		}
	}
	if len(outputs) < 40 {
		t.Errorf("only %d outputs checked", len(outputs))
	}
}

// TestSourcesCommand: whymail sources with files and SQLite, no server.
func TestSourcesCommand(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte(sqlUsersCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mail.log"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "desk.yaml")
	os.WriteFile(cfg, []byte("users: users.csv\nlog: [mail.log, missing.log]\n"), 0o644)
	code, out, errOut := runMain("sources", "--config", cfg)
	if code != ExitFailed || !strings.Contains(out, "2 of 3 sources answered") || !strings.Contains(out, "missing.log") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	os.WriteFile(cfg, []byte("users: sqlite:none.db\n"), 0o644)
	code, out, _ = runMain("sources", "--config", cfg, "--format", "json")
	if code != ExitFailed || !strings.Contains(out, `"schema": "whymail.sources/v1"`) || !strings.Contains(out, filepath.Join(dir, "none.db")) {
		t.Errorf("sqlite missing: exit %d\n%s", code, out)
	}
	if code, _, errOut := runMain("sources"); code != ExitUsage || !strings.Contains(errOut, "no source is configured") {
		t.Errorf("no sources: exit %d %s", code, errOut)
	}
	if code, _, errOut := runMain("diagnose", "a@b.example", "--users", filepath.Join(dir, "users.csv"), "--users-table", "x", "--zone", "/dev/null"); code != ExitUsage ||
		!strings.Contains(errOut, "apply to a database") {
		t.Errorf("--users-table with a file: exit %d %s", code, errOut)
	}
}

// TestConfigEnv: ${VAR} in config values, $$ and bare $ left alone, an
// unset variable an error, status-map as a mapping.
func TestConfigEnv(t *testing.T) {
	t.Setenv("WHYMAIL_TEST_PW", "s3cr3t")
	for in, want := range map[string]string{
		"postgres://u:${WHYMAIL_TEST_PW}@h/db": "postgres://u:s3cr3t@h/db",
		"WHERE a = $1 OR b = $2":               "WHERE a = $1 OR b = $2",
		"$${WHYMAIL_TEST_PW}":                  "${WHYMAIL_TEST_PW}",
		"no vars":                              "no vars",
	} {
		if got, err := expandEnv(in); err != nil || got != want {
			t.Errorf("expandEnv(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"${WHYMAIL_TEST_UNSET_VAR}", "${", "${1X}", "${A B}"} {
		if _, err := expandEnv(bad); err == nil {
			t.Errorf("expandEnv(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{
		"users.csv": "/c/users.csv", "sqlite:app.db": "sqlite:/c/app.db", "sqlite:///abs.db": "sqlite:///abs.db",
		"postgres://h/db": "postgres://h/db", "file:x.log": "file:/c/x.log", "-": "-", "/abs": "/abs",
	} {
		if got := configPath("/c", in); got != want {
			t.Errorf("configPath(%q) = %q, want %q", in, got, want)
		}
	}
}
