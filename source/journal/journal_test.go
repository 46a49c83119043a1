package journal

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/internal/logstore/logstoretest"
	"github.com/whymail/whymail/source"
)

const postfixLog = logstoretest.PostfixLog

var syslogLine = regexp.MustCompile(`^(\w{3} +\d+ [\d:]{8}) (\S+) ([^\[:]+)\[(\d+)\]: (.*)$`)

// Entries writes syslog lines as journalctl -o json writes their entries
// (https://www.freedesktop.org/software/systemd/man/latest/systemd.journal-fields.html):
// __REALTIME_TIMESTAMP in microseconds as a string, _HOSTNAME,
// SYSLOG_IDENTIFIER, SYSLOG_PID, MESSAGE, and the trusted fields beside
// them. The lines of one second are a microsecond apart, in order.
func Entries(t testing.TB, log string) string {
	var b strings.Builder
	var prev int64
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		m := syslogLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("not a syslog line: %s", l)
		}
		ts, _ := time.Parse("Jan 2 15:04:05 2006", m[1]+" 2026")
		us := ts.UnixMicro()
		if us <= prev {
			us = prev + 1
		}
		prev = us
		e, _ := json.Marshal(map[string]any{"__CURSOR": "s=6e1c;i=" + m[4], "__REALTIME_TIMESTAMP": jsonInt(us), "__MONOTONIC_TIMESTAMP": "123456789",
			"_BOOT_ID": "0f6c1a0f2b7e4a1e9d0c", "PRIORITY": "6", "SYSLOG_FACILITY": "2", "_TRANSPORT": "syslog", "_HOSTNAME": m[2],
			"SYSLOG_IDENTIFIER": m[3], "SYSLOG_PID": m[4], "_PID": m[4], "_COMM": "smtp", "_SYSTEMD_UNIT": "postfix@-.service", "MESSAGE": m[5]})
		b.Write(append(e, '\n'))
	}
	return b.String()
}

func jsonInt(n int64) string { return strings.TrimSpace(string(must(json.Marshal(n)))) }

func must(b []byte, _ error) []byte { return b }

// fake puts the fake journalctl on PATH, answering from entries.
func fake(t *testing.T, entries string) (argsFile string) {
	t.Helper()
	dir := t.TempDir()
	bin, _ := filepath.Abs("testdata")
	if _, err := exec.LookPath("grep"); err != nil {
		t.Skip("no grep for the fake journalctl")
	}
	data := filepath.Join(dir, "journal.json")
	os.WriteFile(data, []byte(entries), 0o644)
	argsFile = filepath.Join(dir, "args")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_JOURNAL", data)
	t.Setenv("FAKE_JOURNAL_ARGS", argsFile)
	t.Setenv("FAKE_JOURNAL_NOGREP", "")
	t.Setenv("FAKE_JOURNAL_FAIL", "")
	t.Setenv("FAKE_JOURNAL_SLEEP", "")
	return argsFile
}

func read(ctx context.Context, spec string, q source.Query) (string, error) {
	st, err := source.OpenStream(source.KindLog, spec)
	if err != nil {
		return "", err
	}
	return logstoretest.Read(ctx, st, q)
}

var at = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestQueueLines(t *testing.T) {
	for _, nogrep := range []bool{false, true} {
		args := fake(t, Entries(t, postfixLog)+`{"__REALTIME_TIMESTAMP":"1795339802000000","MESSAGE":null,"_HOSTNAME":"mail"}`+"\n")
		if nogrep {
			t.Setenv("FAKE_JOURNAL_NOGREP", "1")
		}
		q := source.Query{Recipients: []string{"alice@example.com"}, Since: at.Add(-24 * time.Hour), Until: at}
		got, err := read(context.Background(), "journal:postfix@-.service", q)
		if err != nil {
			t.Fatal(err)
		}
		logstoretest.SameTimeline(t, got, at)
		if n := strings.Count(got, "\n"); n != 5 {
			t.Errorf("nogrep %v: %d lines from the journal, want 5\n%s", nogrep, n, got)
		}
		if !strings.HasPrefix(got, "2026-11-22T09:50:00.000000Z mail postfix/cleanup[2002]: 9A8B7C6D5E: message-id=<reset-3@app.example.net>\n") {
			t.Errorf("first line %q", strings.SplitN(got, "\n", 2)[0])
		}
		b, _ := os.ReadFile(args)
		calls := strings.Split(strings.TrimSuffix(string(b), "--\n"), "--\n")
		want := 2
		if nogrep {
			want = 4
		}
		if len(calls) != want {
			t.Fatalf("nogrep %v: %d calls:\n%s", nogrep, len(calls), b)
		}
		first := strings.Fields(calls[0])
		wantArgs := []string{"-o", "json", "--no-pager", "-u", "postfix@-.service", "--since", "@" + strconv.FormatInt(at.Add(-24*time.Hour).Unix(), 10), "--until", "@" + strconv.FormatInt(at.Unix(), 10),
			"--grep", `(?:alice@example\.com)`, "--case-sensitive=false"}
		if strings.Join(first, " ") != strings.Join(wantArgs, " ") {
			t.Errorf("first call %q\nwant %q", first, wantArgs)
		}
		second := calls[1]
		if nogrep {
			second = calls[3]
		}
		if !strings.Contains(second, "(?:9A8B7C6D5E): \n--case-sensitive=true") && !nogrep {
			t.Errorf("second call %q", second)
		}
	}
}

func TestNothingFound(t *testing.T) {
	fake(t, Entries(t, postfixLog))
	got, err := read(context.Background(), "journal:", source.Query{Recipients: []string{"carol@example.com"}, Until: at})
	if err != nil || got != "" {
		t.Errorf("%q %v", got, err)
	}
}

func TestFailures(t *testing.T) {
	q := source.Query{Recipients: []string{"alice@example.com"}, Until: at}
	t.Run("fails", func(t *testing.T) {
		fake(t, "")
		t.Setenv("FAKE_JOURNAL_FAIL", "Failed to get journal access: Permission denied")
		_, err := read(context.Background(), "journal:", q)
		if err == nil || !strings.Contains(err.Error(), "Permission denied") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("only own entries", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "journalctl"), []byte("#!/bin/sh\necho 'Hint: You are currently not seeing messages from other users and the system.' >&2\n"), 0o755)
		t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
		_, err := read(context.Background(), "journal:", q)
		if err == nil || !strings.Contains(err.Error(), "systemd-journal group") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("slow", func(t *testing.T) {
		fake(t, Entries(t, postfixLog))
		t.Setenv("FAKE_JOURNAL_SLEEP", "5")
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := read(ctx, "journal:", q)
		if err == nil || !strings.Contains(err.Error(), "in time") || time.Since(start) > 3*time.Second {
			t.Errorf("err %v after %s", err, time.Since(start))
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		fake(t, "-- No entries --\n")
		t.Setenv("FAKE_JOURNAL_NOGREP", "1")
		_, err := read(context.Background(), "journal:", q)
		if err == nil || !strings.Contains(err.Error(), "not JSON") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := read(context.Background(), "journal:", q)
		if err == nil || !strings.Contains(err.Error(), "cannot run journalctl") {
			t.Errorf("err %v", err)
		}
	})
}

func TestSpecs(t *testing.T) {
	for _, spec := range []string{"journal:-x", "journal:a b", "journal:a;b", "journal:$(x)"} {
		if _, err := source.OpenStream(source.KindLog, spec); err == nil {
			t.Errorf("%s: no error", spec)
		}
	}
	for spec, d := range map[string]string{"journal:": "systemd journal", "journal:exim4.service": "systemd journal of exim4.service", "journal:postfix@*": "systemd journal of postfix@*"} {
		s, err := source.OpenStream(source.KindLog, spec)
		if err != nil || s.Describe() != d {
			t.Errorf("%s: %v %v", spec, s, err)
		}
	}
	if _, err := source.OpenStream(source.KindSuppressions, "journal:"); err == nil {
		t.Error("the journal opened as suppressions")
	}
}

// TestRealJournalctl runs the driver's command lines against the
// journalctl installed, when there is one: the flags must be its own.
func TestRealJournalctl(t *testing.T) {
	if _, err := exec.LookPath(Command); err != nil {
		t.Skip("no journalctl installed (Debian: systemd); tested against the fake only")
	}
	_, err := read(context.Background(), "journal:postfix@-.service", source.Query{Recipients: []string{"nobody@example.invalid"}, Since: at.Add(-time.Hour), Until: at})
	if err != nil && !strings.Contains(err.Error(), "systemd-journal group") {
		t.Fatal(err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(Entries(f, postfixLog)))
	f.Add([]byte(`{"__REALTIME_TIMESTAMP":"1795339800000000","MESSAGE":[50,51,255,10,65],"_HOSTNAME":"a b","SYSLOG_IDENTIFIER":"postfix/smtp[1]"}`))
	f.Add([]byte(`{"__REALTIME_TIMESTAMP":"-1","MESSAGE":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := Decode(strings.NewReader(string(b)), 0, nil)
		if err != nil {
			return
		}
		var text strings.Builder
		for _, l := range lines {
			if strings.ContainsAny(l.Text, "\r\n") {
				t.Fatalf("a line break in %q", l.Text)
			}
			text.WriteString(l.Text + "\n")
		}
		if len(lines) == 0 {
			return
		}
		// Every rebuilt line is a syslog line the parser reads.
		f, err := maillog.Read(strings.NewReader(text.String()), "journal", at, "alice@example.com")
		if err != nil {
			t.Fatalf("%v\n%s", err, text.String())
		}
		_ = f
	})
}
