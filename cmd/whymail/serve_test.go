package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/whymail/whymail/server"
)

var demoConfig = filepath.Join("..", "..", "testdata", "demo", "whymail.yaml")

// demoServer is `whymail serve --config testdata/demo/whymail.yaml ARGS`
// as an http.Handler, built the way the command builds it.
func demoServer(t testing.TB, args ...string) *server.Server {
	t.Helper()
	o := &serveOptions{}
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	cmd := serveCommand(e, o)
	if err := cmd.ParseFlags(append([]string{"--config", demoConfig}, args...)); err != nil {
		t.Fatal(err)
	}
	if err := applyConfig(cmd, o.diag.config); err != nil {
		t.Fatal(err)
	}
	desk, err := o.diag.desk(o.cacheSize)
	if err != nil {
		t.Fatal(err)
	}
	opt, closeAll, err := o.options(e)
	t.Cleanup(closeAll)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(desk, opt)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// shape is what must agree between the CLI's document and the server's:
// everything but the timings and the words naming inputs (flags there,
// fields and config settings here).
func shape(t *testing.T, b []byte) string {
	t.Helper()
	var doc struct {
		Schema, Address, Sender string
		At                      time.Time
		Incomplete              bool
		Causes                  []struct {
			ID, Verdict, Strength, Title string
			UserReply                    string   `json:"user_reply"`
			ExplainedBy                  string   `json:"explained_by"`
			AgentSteps                   []string `json:"agent_steps"`
			Evidence                     []struct{ Check, Verdict, Symptom string }
			Needs                        []string
		}
		Checks []struct {
			Name, Status string
			Findings     []struct{ Check, Severity, Cause, Verdict, Record string }
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	out, _ := json.MarshalIndent(doc, "", " ")
	return string(out)
}

// TestServeSameDocuments: for every demo ticket the API answers the
// document the CLI prints.
func TestServeSameDocuments(t *testing.T) {
	srv := demoServer(t)
	for _, tk := range []struct{ address, user string }{
		{"alice@gmial.com", ""}, {"bob@corp.example", ""}, {"carol@example.org", ""}, {"dave@example.org", ""},
		{"nobody@example.org", ""}, {"someone@nomail.example.org", ""}, {"erin@example.org", "u5"}, {"frank@example.org", ""},
	} {
		args := []string{"diagnose", "--config", demoConfig, tk.address, "--format", "json"}
		if tk.user != "" {
			args = append(args, "--user", tk.user)
		}
		var cli, errb bytes.Buffer
		if code := Main(args, nil, &cli, &errb); code != 0 {
			t.Fatalf("%s: exit %d: %s", tk.address, code, errb.String())
		}
		body, _ := json.Marshal(map[string]string{"address": tk.address, "user": tk.user})
		req := httptest.NewRequest("POST", "/v1/diagnose", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, req)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", tk.address, w.Code, w.Body)
		}
		if a, b := shape(t, cli.Bytes()), shape(t, w.Body.Bytes()); a != b {
			t.Errorf("%s: the server's document differs from the CLI's\nCLI: %.2000s\nAPI: %.2000s", tk.address, a, b)
		}
		if strings.Contains(w.Body.String(), "--") {
			t.Errorf("%s: the server's document speaks of flags", tk.address)
		}
	}
}

// TestServeLanguage: --lang (or lang: in the config) is the desk's
// language, the document diagnose --lang prints; a request's "lang" asks
// for another; an unknown language stops serve naming those there are.
func TestServeLanguage(t *testing.T) {
	srv := demoServer(t, "--lang", "fr")
	var cli, errb bytes.Buffer
	if code := Main([]string{"diagnose", "--config", demoConfig, "alice@gmial.com", "--lang", "fr", "--format", "json"}, nil, &cli, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	post := func(body string) []byte {
		req := httptest.NewRequest("POST", "/v1/diagnose", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, req)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", body, w.Code, w.Body)
		}
		return w.Body.Bytes()
	}
	if a, b := shape(t, cli.Bytes()), shape(t, post(`{"address":"alice@gmial.com"}`)); a != b {
		t.Errorf("serve --lang fr differs from diagnose --lang fr\nCLI: %.2000s\nAPI: %.2000s", a, b)
	}
	cli.Reset()
	if code := Main([]string{"diagnose", "--config", demoConfig, "alice@gmial.com", "--format", "json"}, nil, &cli, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if a, b := shape(t, cli.Bytes()), shape(t, post(`{"address":"alice@gmial.com","lang":"en"}`)); a != b {
		t.Errorf("a French desk asked for English differs from diagnose\nCLI: %.2000s\nAPI: %.2000s", a, b)
	}

	dir := t.TempDir()
	config := filepath.Join(dir, "desk.yaml")
	os.WriteFile(config, []byte("lang: de\n"), 0o600)
	for _, args := range [][]string{
		{"serve", "--config", demoConfig, "--lang", "xx"},
		{"serve", "--config", config},
	} {
		errb.Reset()
		if code := Main(args, nil, io.Discard, &errb); code != ExitUsage || !strings.Contains(errb.String(), "the languages are en, fr") {
			t.Errorf("%q: exit %d: %s", args, code, errb.String())
		}
	}
}

// TestServeRefusesUnauthenticated: on an address that is not loopback,
// no auth means no server.
func TestServeRefusesUnauthenticated(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main([]string{"serve", "--config", demoConfig, "--listen", "0.0.0.0:0"}, nil, &out, &errb)
	if code != ExitUsage || !strings.Contains(errb.String(), "serves only on a loopback address") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	tokens := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(tokens, []byte("short\n"), 0o600)
	errb.Reset()
	code = Main([]string{"serve", "--config", demoConfig, "--tokens", tokens}, nil, &out, &errb)
	if code != ExitUsage || !strings.Contains(errb.String(), "tokens:1: a token is one word of at least 16 characters") {
		t.Errorf("short token: exit %d: %s", code, errb.String())
	}
}

// TestServeTokens: a configured server refuses a request without its token.
func TestServeTokens(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(tokens, []byte("# the desk\n0123456789abcdef0123\n"), 0o600)
	srv := demoServer(t, "--tokens", tokens)
	req := httptest.NewRequest("GET", "/d?address=alice@gmial.com", nil)
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, req)
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("no token: %d", w.Code)
	}
	req.SetBasicAuth("agent", "0123456789abcdef0123")
	w = httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, req)
	if w.Code != 200 {
		t.Errorf("token: %d", w.Code)
	}
}

// startDemo serves the demo desk on loopback and returns its base URL.
func startDemo(t testing.TB, args ...string) string {
	t.Helper()
	srv := demoServer(t, args...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// TestServeBrowser loads the page in a real browser (Debian's chromium,
// headless), submits an address through the form's URL, and reads the
// rendered page: the top cause and the reply, with JavaScript on and off.
// A screenshot of the result is written to a temp dir and its path logged.
func TestServeBrowser(t *testing.T) {
	chromium := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		t.Skip("chromium is not installed (apt-get install -y chromium; .ci/run installs it): the browser test is skipped")
	}
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	base := startDemo(t)
	dir := t.TempDir()
	// A second profile blocks JavaScript by content setting. (With
	// --blink-settings=scriptEnabled=false, chromium 156's headless mode
	// prints no DOM and writes no screenshot: it works through script.)
	noJS := filepath.Join(dir, "nojs")
	os.MkdirAll(filepath.Join(noJS, "Default"), 0o755)
	os.WriteFile(filepath.Join(noJS, "Default", "Preferences"),
		[]byte(`{"profile":{"default_content_setting_values":{"javascript":2}}}`), 0o644)
	run := func(profile string, extra ...string) string {
		t.Helper()
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
			"--user-data-dir=" + profile}, extra...)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, chromium, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
		}
		return stdout.String()
	}
	// The form as a browser sees it: a GET form to /d.
	profile := filepath.Join(dir, "profile")
	index := run(profile, "--dump-dom", base+"/")
	if !strings.Contains(index, `action="/d"`) || !strings.Contains(index, `<label for="address">`) {
		t.Fatalf("the index page has no form:\n%.2000s", index)
	}
	// Submitting the form is loading its URL with the fields as the query.
	result := base + "/d?" + url.Values{"address": {"alice@gmial.com"}, "user": {""}}.Encode()
	for _, mode := range []struct {
		name    string
		profile string
		js      bool
	}{
		{"javascript", profile, true},
		{"no javascript", noJS, false},
	} {
		dom := run(mode.profile, "--dump-dom", result)
		for _, want := range []string{
			`id="top-cause">The address is probably misspelled`,
			"gmial.com looks like a typo of gmail.com",
			"Reply to the user",
			"gmail.com",
		} {
			if !strings.Contains(dom, want) {
				t.Errorf("%s: the rendered page lacks %q:\n%.3000s", mode.name, want, dom)
			}
		}
		reply := between(dom, `id="reply-text"`, "</textarea>")
		if !strings.Contains(reply, "typo") || !strings.Contains(reply, "confirm your correct email address") {
			t.Errorf("%s: the reply is not the typo cause's: %q", mode.name, reply)
		}
		// The copy buttons appear only when JavaScript runs.
		copyShown := strings.Contains(dom, `data-copy="reply-text">`) && !strings.Contains(dom, `data-copy="reply-text" hidden`)
		if copyShown != mode.js {
			t.Errorf("%s: copy button shown %v", mode.name, copyShown)
		}
	}
	shot := filepath.Join(dir, "serve-screenshot.png")
	run(profile, "--screenshot="+shot, "--window-size=1200,1600", "--hide-scrollbars", result)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 1000 {
		t.Fatalf("no screenshot at %s: %v", shot, err)
	}
	shotNoJS := filepath.Join(dir, "serve-screenshot-nojs.png")
	run(noJS, "--screenshot="+shotNoJS, "--window-size=1200,1600", result)
	if fi, err := os.Stat(shotNoJS); err != nil || fi.Size() < 1000 {
		t.Errorf("no screenshot without JavaScript at %s: %v", shotNoJS, err)
	}
	if out := os.Getenv("WHYMAIL_SCREENSHOT"); out != "" {
		b, _ := os.ReadFile(shot)
		os.WriteFile(out, b, 0o644)
		shot = out
	}
	t.Logf("screenshot of the result page: %s", shot)
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// TestServeLoad is the load benchmark: concurrent clients diagnosing the
// demo tickets over loopback against zone-file DNS, bounded in count and
// time. It logs requests per second, p50 and p99 latency and peak memory,
// and checks that goroutines and open files return to their level before.
func TestServeLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no load test")
	}
	clients, total := 16, 800
	if raceEnabled {
		total = 200
	}
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	runtime.GC()
	goroutines, fds := runtime.NumGoroutine(), openFiles()
	var baseMem runtime.MemStats
	runtime.ReadMemStats(&baseMem)
	func() {
		base := startDemoNoCleanup(t, "--max-in-flight", "64")
		defer base.stop()
		addrs := []string{"alice@gmial.com", "bob@corp.example", "carol@example.org", "dave@example.org",
			"nobody@example.org", "someone@nomail.example.org", "frank@example.org"}
		var peak uint64
		stopPeak := make(chan struct{})
		var peakWG sync.WaitGroup
		peakWG.Go(func() {
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
				select {
				case <-stopPeak:
					return
				case <-tick.C:
				}
			}
		})
		lat := make([]time.Duration, total)
		next := make(chan int)
		var wg sync.WaitGroup
		var failures sync.Map
		deadline := time.Now().Add(60 * time.Second)
		start := time.Now()
		for range clients {
			wg.Go(func() {
				for i := range next {
					body := fmt.Sprintf(`{"address":%q}`, addrs[i%len(addrs)])
					t0 := time.Now()
					r, err := client.Post(base.url+"/v1/diagnose", "application/json", strings.NewReader(body))
					if err != nil {
						failures.Store(i, err.Error())
						continue
					}
					b, _ := io.ReadAll(r.Body)
					r.Body.Close()
					lat[i] = time.Since(t0)
					if r.StatusCode != 200 || !bytes.Contains(b, []byte(`"incomplete": false`)) {
						failures.Store(i, fmt.Sprintf("%d %.200s", r.StatusCode, b))
					}
				}
			})
		}
		n := 0
		for ; n < total && time.Now().Before(deadline); n++ {
			next <- n
		}
		close(next)
		wg.Wait()
		elapsed := time.Since(start)
		close(stopPeak)
		peakWG.Wait()
		failed := 0
		failures.Range(func(k, v any) bool {
			if failed < 3 {
				t.Errorf("request %v: %v", k, v)
			}
			failed++
			return true
		})
		lat = slices.DeleteFunc(lat[:n], func(d time.Duration) bool { return d == 0 })
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		if len(lat) == 0 {
			t.Fatal("no request succeeded")
		}
		p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
		t.Logf("load: %d requests, %d clients, %d failed, %.0f req/s, p50 %v, p99 %v, peak heap in use %.1f MiB (before %.1f MiB), GOMAXPROCS %d, race %v",
			n, clients, failed, float64(n)/elapsed.Seconds(), p(.50).Round(time.Microsecond), p(.99).Round(time.Microsecond),
			float64(peak)/(1<<20), float64(baseMem.HeapInuse)/(1<<20), runtime.GOMAXPROCS(0), raceEnabled)
	}()
	tr.CloseIdleConnections()
	var g, f int
	for range 100 {
		g, f = runtime.NumGoroutine(), openFiles()
		if g <= goroutines && (fds < 0 || f <= fds) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if g > goroutines {
		t.Errorf("goroutines: %d after, %d before", g, goroutines)
	}
	if fds >= 0 && f > fds {
		t.Errorf("open files: %d after, %d before", f, fds)
	}
	t.Logf("goroutines %d before, %d after; open files %d before, %d after", goroutines, g, fds, f)
}

type demoBase struct {
	url  string
	stop func()
}

func startDemoNoCleanup(t testing.TB, args ...string) demoBase {
	srv := demoServer(t, args...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, ln) }()
	return demoBase{url: "http://" + ln.Addr().String(), stop: func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}}
}

// openFiles counts this process's open file descriptors, or -1.
func openFiles() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// TestServeSIGTERM runs the command in this process and sends it SIGTERM:
// it shuts down and exits 0, having said it was unauthenticated.
func TestServeSIGTERM(t *testing.T) {
	var errb syncWriter
	done := make(chan int, 1)
	go func() {
		done <- Main([]string{"serve", "--config", demoConfig, "--listen", "127.0.0.1:0"}, nil, io.Discard, &errb)
	}()
	var base string
	for range 200 {
		if _, after, ok := strings.Cut(errb.String(), "url=http://"); ok {
			base = "http://" + strings.Fields(after)[0]
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if base == "" {
		t.Fatalf("the server did not say where it serves: %s", errb.String())
	}
	r, err := http.Post(base+"v1/diagnose", "application/json", strings.NewReader(`{"address":"alice@gmial.com"}`))
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("%v %v", r, err)
	}
	r.Body.Close()
	// The handler is installed before the server starts: the signal
	// reaches it, not the default action.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown after SIGTERM")
	}
	for _, want := range []string{"UNAUTHENTICATED", "shutting down"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q: %s", want, errb.String())
		}
	}
}

type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
