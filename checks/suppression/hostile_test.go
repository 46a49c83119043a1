package suppression

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

// runOn runs the check for alice@example.com on a list holding data.
func runOn(t *testing.T, name string, data []byte) (*checks.Result, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	tk := &checks.Ticket{Address: "alice@example.com", Domain: "example.com",
		At: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Sources: checks.Sources{Suppressions: checktest.Streams([]string{path}...)}}
	return checktest.RunErr(nil, tk, Check)
}

// TestHostileLists: a control character in an address is an input error
// naming file and line, never a ruling-out; UTF-16 lists are read as the
// UTF-8 ones.
func TestHostileLists(t *testing.T) {
	const generic = "email,reason,created_at\nbob@example.com,hard bounce,2026-11-01T09:00:00Z\nalice@example.com,manual,2026-11-20T10:00:00Z\n"
	for _, tt := range []struct {
		name, file string
		data       []byte
		line       int    // of the input error; 0 for none
		err        string // substring of it
		verdict    checks.Verdict
	}{
		{name: "NUL in a CSV address", file: "s.csv", data: []byte(strings.Replace(generic, "alice@", "alice\x00@", 1)),
			line: 3, err: `address "alice\x00@example.com" holds a control character (U+0000)`},
		{name: "NUL before the domain's end", file: "s.csv", data: []byte(strings.Replace(generic, "example.com,manual", "example.com\x00,manual", 1)),
			line: 3, err: "control character (U+0000)"},
		{name: "escaped NUL in SendGrid JSON", file: "bounces.json", data: []byte("[\n{\"email\": \"alice@example.com\\u0000\", \"created\": 1795168800}\n]"),
			line: 2, err: "control character (U+0000)"},
		{name: "line break in SES JSON", file: "ses.json",
			data: []byte("{\"SuppressedDestinationSummaries\": [\n {\"EmailAddress\": \"alice@example.com\\r\", \"Reason\": \"BOUNCE\"}]}"),
			line: 2, err: "control character (U+000D)"},
		{name: "UTF-16LE is decoded", file: "s.csv", data: textinputtest.UTF16(generic, false), verdict: checks.Confirmed},
		{name: "UTF-16BE is decoded", file: "s.csv", data: textinputtest.UTF16(generic, true), verdict: checks.Confirmed},
		{name: "UTF-16 without its mark is refused", file: "s.csv", data: textinputtest.UTF16(generic, false)[2:],
			err: "UTF-16 without a byte order mark"},
		{name: "plain list for comparison", file: "s.csv", data: []byte(generic), verdict: checks.Confirmed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := runOn(t, tt.file, tt.data)
			if tt.err != "" {
				var ie *checks.InputError
				if !errors.As(err, &ie) || ie.Line != tt.line || !strings.HasSuffix(ie.File, tt.file) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want an input error at %s:%d saying %q", err, tt.file, tt.line, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := checktest.Best(res, checks.Suppressed); got != tt.verdict {
				t.Errorf("verdict %s, want %s", got, tt.verdict)
			}
		})
	}
}

// TestReadEndless reads lists without end, plain and gzipped (the bound
// is on what gzip gives): each stops at the entry bound with a *LineError,
// having allocated a few times the bound at most.
func TestReadEndless(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  *textinputtest.Endless
		gzip bool
		line int
		err  string
	}{
		{name: "/dev/zero", src: textinputtest.Zeros(0), line: 1, err: "line longer than 1 MiB"},
		{name: "gzip of zeros", src: textinputtest.Zeros(0), gzip: true, line: 1, err: "line longer than 1 MiB"},
		{name: "endless header", src: &textinputtest.Endless{Prefix: "email,reason,", Fill: 'x'}, line: 1, err: "line longer than 1 MiB"},
		{name: "endless quoted field, gzipped", src: &textinputtest.Endless{Prefix: "email,reason,created_at\na@example.com,\"", Fill: 'x', Sep: '\n', Every: 100},
			gzip: true, line: 2, err: "record longer than 1 MiB"},
		{name: "endless JSON entry", src: &textinputtest.Endless{Prefix: "[\n{\"email\": \"", Fill: 'x'}, line: 2, err: "longer than 1 MiB"},
		{name: "endless JSON white space, gzipped", src: &textinputtest.Endless{Prefix: "{\"items\": [", Fill: ' '}, gzip: true, line: 1, err: "longer than 1 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Max = 512 << 20
			var err error
			alloc := textinputtest.Alloc(func() {
				var in io.Reader = tt.src
				if tt.gzip {
					zr := textinputtest.Gzip(tt.src)
					defer zr.Close()
					in = zr
				}
				_, err = Read(in, "x.csv", func(Entry) error { return nil })
			})
			var le *LineError
			if !errors.As(err, &le) || le.Line != tt.line || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want a LineError at line %d saying %q", err, tt.line, tt.err)
			}
			if tt.src.Count() > 8*MaxRecord || alloc > 32*MaxRecord {
				t.Errorf("read %d bytes, allocated %s", tt.src.Count(), textinputtest.MiB(alloc))
			}
		})
	}
}

// TestReadManyEntries: the bound is per entry, not per list.
func TestReadManyEntries(t *testing.T) {
	const rows = 100000
	in := "email,reason,created_at\n" + strings.Repeat("bob@example.com,hard bounce,2026-11-01T09:00:00Z\n", rows)
	n := 0
	_, err := Read(bytes.NewReader([]byte(in)), "x.csv", func(Entry) error { n++; return nil })
	if err != nil || n != rows || len(in) < 2*MaxRecord {
		t.Errorf("read %d of %d entries: %v", n, rows, err)
	}
}
