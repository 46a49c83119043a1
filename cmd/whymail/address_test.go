package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

func TestReadAddresses(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // address@source
		err      string
	}{
		{"plain", "a@x.example\n\n# note\n b@y.example \n", []string{"a@x.example@in:1", "b@y.example@in:4"}, ""},
		{"crlf and bom", "\ufeffa@x.example\r\nb@y.example\r\n", []string{"a@x.example@in:1", "b@y.example@in:2"}, ""},
		{"csv", "name,Email\nAl,a@x.example\n\"Bo, Jr\",b@y.example\n", []string{"a@x.example@in:2", "b@y.example@in:3"}, ""},
		{"csv bom header", "\ufeffemail\na@x.example\n", []string{"a@x.example@in:2"}, ""},
		{"csv without email column", "name,phone\nAl,1\n", nil, "in:1: CSV header has no email column"},
		{"plain line with commas", "a@x.example, b@y.example\n", []string{"a@x.example, b@y.example@in:1"}, ""},
		{"semicolons", "Name;E-Mail\nAl;a@x.example\n", []string{"a@x.example@in:2"}, ""},
		{"tabs", "id\temail\n1\ta@x.example\n", []string{"a@x.example@in:2"}, ""},
		{"display name line", "\"Doe, Jane\" <jane@x.example>\n", []string{"\"Doe, Jane\" <jane@x.example>@in:1"}, ""},
		{"csv short row", "name,email\nAl\n", nil, "in:2: row has 1 fields"},
		{"csv bad quote", "name,email\nA\"l,a@x\n", nil, "in:2: bare \" in non-quoted-field"},
		{"comment with a comma before plain lines", "# exported, 2024\na@x.example\n", []string{"a@x.example@in:2"}, ""},
		{"comment before a csv header", "# exported, 2024\nname,email\nAl,a@x.example\n", []string{"a@x.example@in:3"}, ""},
		{"empty", "", nil, ""},
		{"utf-16le lines", string(textinputtest.UTF16("a@x.example\r\nbjörn@y.example\r\n", false)), []string{"a@x.example@in:1", "björn@y.example@in:2"}, ""},
		{"utf-16be csv", string(textinputtest.UTF16("name;email\nAl;a@x.example\n", true)), []string{"a@x.example@in:2"}, ""},
		{"utf-16 without its mark", string(textinputtest.UTF16("a@x.example\n", false)[2:]), nil, "in: the file looks like UTF-16 without a byte order mark"},
		{"line over 1 MiB", "a@x.example\n" + strings.Repeat("b", 2<<20) + "\n", nil, "in:2: line longer than 1 MiB"},
		{"csv header clipped", "name,phone" + strings.Repeat(",x", 1000) + "\n", nil,
			`in:1: CSV header has no email column (found "name,phone,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x"... (2.0 KiB in all); name it one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := readAddresses(strings.NewReader(tt.in), "in", func(a, src string) bool { got = append(got, a+"@"+src); return true })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzReadAddresses: never panics; plain input loses no line: every line
// that is not blank or a comment is emitted once, in order.
func FuzzReadAddresses(f *testing.F) {
	for _, s := range []string{"a@b.c\n", "email\na@b.c\n", "x,email\n1,a@b\n", "# c\n\n a \n", "\"a,\nb\"",
		string(textinputtest.UTF16("a@b.c\nemail\n", false)), string(textinputtest.UTF16("email;x\na@b;1\n", true)), "a\x00@\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var got []string
		err := readAddresses(strings.NewReader(in), "in", func(a, src string) bool { got = append(got, a); return true })
		first := firstDataLine(in)
		if _, isCSV := csvHeader(first); err != nil || isCSV {
			return // CSV, or an error that names the input
		}
		if len(in) > 60000 {
			return // long lines are refused by the scanner
		}
		if strings.HasPrefix(in, "\xff\xfe") || strings.HasPrefix(in, "\xfe\xff") {
			return // UTF-16, decoded: its lines are not the bytes'
		}
		var want []string
		for _, line := range strings.Split(strings.ReplaceAll(in, "\r\n", "\n"), "\n") {
			line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
			if line != "" && !strings.HasPrefix(line, "#") {
				want = append(want, line)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n--; w.n < 0 {
		return 0, errors.New("broken pipe")
	}
	return len(p), nil
}

// TestAddressPipelineStops: a write error or a cancelled context ends the
// batch at once, with no goroutine left reading or checking.
func TestAddressPipelineStops(t *testing.T) {
	var in strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&in, "user%d@example.org\n", i)
	}
	zone := filepath.Join("..", "..", "testdata", "demo", "example.org.zone")
	before := runtime.NumGoroutine()

	o := &addressOptions{input: "-", window: 8, out: outputOptions{format: "text", formats: []string{"text"}},
		dns: dnsOptions{zones: []string{zone}, timeout: time.Second}}
	e := &env{stdin: strings.NewReader(in.String()), stdout: &failingWriter{n: 1}, stderr: io.Discard, getenv: os.Getenv} // 250 KB of output: at least 4 writes
	if err := o.run(context.Background(), e, nil); err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("write error: run = %v, want the write error", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e = &env{stdin: strings.NewReader(in.String()), stdout: io.Discard, stderr: io.Discard, getenv: os.Getenv}
	if err := o.run(ctx, e, []string{"a@example.org"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: run = %v, want context.Canceled", err)
	}

	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left running (had %d)", n, before)
	}
}

func TestAddressOrder(t *testing.T) {
	var in strings.Builder
	var want []string
	for i := range 500 {
		fmt.Fprintf(&in, "user%d@example.org\n", i)
		want = append(want, fmt.Sprintf("user%d@example.org\tok", i))
	}
	zone := filepath.Join("..", "..", "testdata", "demo", "example.org.zone")
	var out strings.Builder
	code := Main([]string{"address", "--input", "-", "--zone", zone, "--workers", "16"}, strings.NewReader(in.String()), &out, io.Discard)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got := strings.Split(strings.TrimSpace(out.String()), "\n"); !slices.Equal(got, want) {
		t.Errorf("output not in input order: first lines %q", got[:3])
	}
}

// TestReadAddressesEndless: --input without end (/dev/zero, one endless
// line, an endless quoted CSV field, gzip is not undone here) stops at
// the bound with an error naming the line, in bounded memory.
func TestReadAddressesEndless(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  *textinputtest.Endless
		err  string
	}{
		{"/dev/zero", textinputtest.Zeros(0), "in:1: line longer than 1 MiB"},
		{"endless line", &textinputtest.Endless{Prefix: "a@x.example\n", Fill: 'a'}, "in:2: line longer than 1 MiB"},
		{"endless quoted field", &textinputtest.Endless{Prefix: "email,note\na@x.example,\"", Fill: 'a', Sep: '\n', Every: 100}, "record longer than 1 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Max = 256 << 20
			var err error
			n := 0
			alloc := textinputtest.Alloc(func() {
				err = readAddresses(tt.src, "in", func(string, string) bool { n++; return true })
			})
			var xe *exitError
			if !errors.As(err, &xe) || xe.code != ExitUsage || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want a usage error %q", err, tt.err)
			}
			if tt.src.Count() > 8<<20 || alloc > 32<<20 {
				t.Errorf("read %d bytes, allocated %s", tt.src.Count(), textinputtest.MiB(alloc))
			}
		})
	}
}
