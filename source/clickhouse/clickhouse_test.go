package clickhouse

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/internal/httpapi/apitest"
	"github.com/whymail/whymail/internal/logstore/logstoretest"
	"github.com/whymail/whymail/source"
)

const postfixLog = logstoretest.PostfixLog

type row struct {
	ts   time.Time
	line string
}

func table() []row {
	var rows []row
	for _, l := range strings.Split(strings.TrimSpace(postfixLog), "\n") {
		t, _ := time.Parse("Jan 2 15:04:05 2006", l[:15]+" 2026")
		rows = append(rows, row{t, l})
	}
	return rows
}

var placeholder = regexp.MustCompile(`(positionCaseInsensitive|position)\(` + "`line`" + `, \{(\w+):String\}\) > 0`)

// unescape reads a parameter value as ClickHouse does: TabSeparated escaping.
func unescape(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n", `\r`, "\r").Replace(s)
}

// fakeClickHouse answers as ClickHouse's HTTP interface documents
// (https://clickhouse.com/docs/en/interfaces/http): the query is the POST
// body, query parameters come as param_NAME URL parameters and fill
// {NAME:Type} placeholders (https://clickhouse.com/docs/en/sql-reference/syntax#defining-and-using-query-parameters),
// FORMAT JSONEachRow is one JSON object a line
// (https://clickhouse.com/docs/en/interfaces/formats#jsoneachrow), and an
// error is a non-200 status with "Code: N. DB::Exception: ..." as the body.
// It evaluates the driver's own WHERE shapes over an in-memory table.
func fakeClickHouse(t testing.TB, rows []row) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		if user != "default" || pass != "s3cret-ch" {
			w.WriteHeader(516)
			io.WriteString(w, "Code: 516. DB::Exception: default: Authentication failed: password is incorrect. (AUTHENTICATION_FAILED)\n")
			return
		}
		body, _ := io.ReadAll(r.Body)
		sql := string(body)
		q := r.URL.Query()
		if !strings.HasPrefix(sql, "SELECT ") || !strings.HasSuffix(sql, "FORMAT JSONEachRow") || q.Get("readonly") != "2" {
			w.WriteHeader(400)
			fmt.Fprintf(w, "Code: 62. DB::Exception: Syntax error: %q\n", sql)
			return
		}
		if !strings.Contains(sql, "FROM `mail`.`maillog`") {
			w.WriteHeader(404)
			io.WriteString(w, "Code: 60. DB::Exception: Table mail.x does not exist. (UNKNOWN_TABLE)\n")
			return
		}
		type term struct {
			fold bool
			s    string
		}
		var terms []term
		for _, m := range placeholder.FindAllStringSubmatch(sql, -1) {
			v, ok := q["param_"+m[2]]
			if !ok {
				w.WriteHeader(400)
				fmt.Fprintf(w, "Code: 456. DB::Exception: Substitution `%s` is not set. (UNKNOWN_QUERY_PARAMETER)\n", m[2])
				return
			}
			terms = append(terms, term{m[1] == "positionCaseInsensitive", unescape(v[0])})
		}
		since, _ := strconv.ParseInt(q.Get("param_since"), 10, 64)
		until, _ := strconv.ParseInt(q.Get("param_until"), 10, 64)
		w.Header().Set("Content-Type", "application/x-ndjson; charset=UTF-8")
		w.Header().Set("X-ClickHouse-Format", "JSONEachRow")
		for _, rw := range rows {
			if since > 0 && rw.ts.Unix() < since || until > 0 && rw.ts.Unix() > until {
				continue
			}
			hit := false
			for _, tm := range terms {
				if tm.fold && strings.Contains(strings.ToLower(rw.line), strings.ToLower(tm.s)) || !tm.fold && strings.Contains(rw.line, tm.s) {
					hit = true
				}
			}
			if hit {
				b, _ := json.Marshal(map[string]any{"t": rw.ts.Unix(), "line": rw.line})
				w.Write(append(b, '\n'))
			}
		}
	})
}

func open(t testing.TB, base string) *Log {
	t.Helper()
	u := strings.TrimPrefix(base, "http://")
	os.Setenv(EnvPassword, "s3cret-ch")
	s, err := source.OpenStream(source.KindLog, "clickhouse://"+u+"/mail?table=maillog")
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Log)
}

func TestQueueLines(t *testing.T) {
	t.Setenv(EnvPassword, "s3cret-ch")
	srv := httptest.NewServer(fakeClickHouse(t, table()))
	defer srv.Close()
	l := open(t, srv.URL)
	if got := l.Describe(); !strings.HasPrefix(got, "ClickHouse mail.maillog at 127.0.0.1:") {
		t.Errorf("Describe %q", got)
	}
	got, err := logstoretest.Read(context.Background(), l, source.Query{Recipients: []string{"alice@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(strings.Split(postfixLog, "\n")[:5], "\n") + "\n"
	if got != want {
		t.Errorf("lines\n%s\nwant\n%s", got, want)
	}
	// The same timeline as the file gives.
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	logstoretest.SameTimeline(t, got, at)
	// The window is pushed down.
	got, err = logstoretest.Read(context.Background(), l, source.Query{Recipients: []string{"alice@example.com"}, Since: at})
	if err != nil || got != "" {
		t.Errorf("after the window: %q %v", got, err)
	}
}

func TestParamsNotSpliced(t *testing.T) {
	t.Setenv(EnvPassword, "s3cret-ch")
	var sqls []string
	inner := fakeClickHouse(t, table())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sqls = append(sqls, string(b))
		r.Body = io.NopCloser(bytes.NewReader(b))
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	evil := `x') OR 1=1 --\@example.com`
	got, err := logstoretest.Read(context.Background(), open(t, srv.URL), source.Query{Recipients: []string{evil}})
	if err != nil || got != "" {
		t.Errorf("%q %v", got, err)
	}
	for _, s := range sqls {
		if strings.Contains(s, "OR 1=1") || strings.Contains(s, "example.com") {
			t.Errorf("the address is in the SQL: %s", s)
		}
	}
}

func TestSpecs(t *testing.T) {
	for _, spec := range []string{
		"clickhouse://u:p@h:8123/db?table=t",
		"clickhouse://h:8123/db?table=t;drop",
		"clickhouse://h:8123/db",
		"clickhouse://h:8123/db?table=t&time=ts`",
		"clickhouse://h:8123/db?table=t&bogus=1",
	} {
		if _, err := source.OpenStream(source.KindLog, spec); err == nil {
			t.Errorf("%s: no error", spec)
		}
	}
	if _, err := source.OpenStream(source.KindSuppressions, "clickhouse://h:8123/db?table=t"); err == nil {
		t.Error("a log table opened as suppressions")
	}
}

func TestFailures(t *testing.T) {
	t.Setenv(EnvPassword, "s3cret-ch")
	apitest.Failures(t, "s3cret-ch", fakeClickHouse(t, table()), func(ctx context.Context, t *testing.T, base string) (string, error) {
		return logstoretest.Read(ctx, open(t, base), source.Query{Recipients: []string{"alice@example.com"}})
	})
	t.Run("unknown table", func(t *testing.T) {
		srv := httptest.NewServer(fakeClickHouse(t, table()))
		defer srv.Close()
		s, _ := source.OpenStream(source.KindLog, "clickhouse://"+strings.TrimPrefix(srv.URL, "http://")+"/mail?table=x")
		_, err := logstoretest.Read(context.Background(), s.(*Log), source.Query{Recipients: []string{"a@example.com"}})
		if err == nil || !strings.Contains(err.Error(), "UNKNOWN_TABLE") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		srv := httptest.NewServer(fakeClickHouse(t, table()))
		defer srv.Close()
		l := open(t, srv.URL)
		t.Setenv(EnvPassword, "wrong")
		l2, _ := source.OpenStream(source.KindLog, "clickhouse://"+strings.TrimPrefix(srv.URL, "http://")+"/mail?table=maillog")
		_, err := logstoretest.Read(context.Background(), l2.(*Log), source.Query{Recipients: []string{"a@example.com"}})
		if err == nil || !strings.Contains(err.Error(), "516") || strings.Contains(err.Error(), "wrong") {
			t.Errorf("err %v", err)
		}
		_ = l
	})
}

func FuzzDecodeRows(f *testing.F) {
	f.Add([]byte(`{"t":1795339800,"line":"Nov 22 09:50:00 mail postfix/qmgr[1]: ABCDEF: removed"}` + "\n"))
	f.Add([]byte(`{"t":"1795339800","line":"x"}`))
	f.Add([]byte(`{"line":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := DecodeRows(b)
		if err != nil {
			return
		}
		for _, r := range rows {
			if strings.ContainsAny(r.Line, "\r\n") {
				t.Fatalf("a line break in %q", r.Line)
			}
		}
	})
}

// TestRealServer runs the queries against a ClickHouse server started in a
// temporary directory on loopback ports, when one is installed.
func TestRealServer(t *testing.T) {
	bin, args := "", []string(nil)
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		bin = p
	} else if _, err := os.Stat("/usr/sbin/clickhouse-server"); err == nil {
		bin = "/usr/sbin/clickhouse-server"
	} else if p, err := exec.LookPath("clickhouse"); err == nil {
		bin, args = p, []string{"server"}
	}
	if bin == "" {
		t.Skip("no clickhouse-server installed (Debian: apt-get install clickhouse-server); tested against the in-process server only")
	}
	if testing.Short() {
		t.Skip("starts a server")
	}
	dir := t.TempDir()
	port := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	httpPort, tcpPort := port(), port()
	cfg := fmt.Sprintf(`<yandex><logger><level>warning</level><console>1</console></logger>
<http_port>%d</http_port><tcp_port>%d</tcp_port><listen_host>127.0.0.1</listen_host>
<path>%s/data/</path><tmp_path>%s/tmp/</tmp_path><users_config>%s/users.xml</users_config>
<mark_cache_size>536870912</mark_cache_size><default_profile>default</default_profile><default_database>default</default_database></yandex>`,
		httpPort, tcpPort, dir, dir, dir)
	users := `<yandex><profiles><default></default></profiles><quotas><default></default></quotas>
<users><default><password>s3cret-ch</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users></yandex>`
	os.WriteFile(filepath.Join(dir, "config.xml"), []byte(cfg), 0o644)
	os.WriteFile(filepath.Join(dir, "users.xml"), []byte(users), 0o644)
	cmd := exec.Command(bin, append(args, "--config-file="+filepath.Join(dir, "config.xml"))...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	exec1 := func(sql string) (string, error) {
		req, _ := http.NewRequest("POST", base+"/", strings.NewReader(sql))
		req.SetBasicAuth("default", "s3cret-ch")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
		}
		return string(b), nil
	}
	var version string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		v, err := exec1("SELECT version()")
		if err == nil {
			version = strings.TrimSpace(v)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("clickhouse-server did not start: %v\n%s", err, log.String())
		}
	}
	req, _ := http.NewRequest("POST", base+"/?param_x=1", strings.NewReader("SELECT {x:UInt8}"))
	req.SetBasicAuth("default", "s3cret-ch")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Skipf("ClickHouse %s has no query parameters ({name:Type}, added in the 19.x releases; Debian bookworm packages 18.16): "+
			"the driver never splices the address into SQL, so it needs a newer server; tested against the in-process server only", version)
	}
	for _, sql := range []string{"CREATE DATABASE mail",
		"CREATE TABLE mail.maillog (ts DateTime, line String) ENGINE = MergeTree ORDER BY ts"} {
		if _, err := exec1(sql); err != nil {
			t.Fatal(err)
		}
	}
	var ins strings.Builder
	ins.WriteString("INSERT INTO mail.maillog FORMAT JSONEachRow\n")
	for _, r := range table() {
		b, _ := json.Marshal(map[string]any{"ts": r.ts.Unix(), "line": r.line})
		ins.Write(append(b, '\n'))
	}
	if _, err := exec1(ins.String()); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvPassword, "s3cret-ch")
	got, err := logstoretest.Read(context.Background(), open(t, base), source.Query{Recipients: []string{"alice@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(strings.Split(postfixLog, "\n")[:5], "\n") + "\n"; got != want {
		t.Errorf("lines\n%s\nwant\n%s", got, want)
	}
}
