package maillog

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

// TestReadFormats: the format comes from what the lines are, not from the
// first byte or from one line that merely looks like another format's.
func TestReadFormats(t *testing.T) {
	bounce, err := os.ReadFile("testdata/postfix_bounce.log")
	if err != nil {
		t.Fatal(err)
	}
	exim, err := os.ReadFile("testdata/exim.log")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, data string
		format     string
		unparsed   int
		events     int
	}{
		{name: "postfix", data: string(bounce), format: "postfix", events: 1},
		{name: "first line starts with [", data: "[truncated by rotation] 5E: to=<x\n" + string(bounce), format: "postfix", unparsed: 1, events: 1},
		{name: "first line starts with {", data: "{\"not\": json at all\n" + string(bounce), format: "postfix", unparsed: 1, events: 1},
		{name: "bracketed date first", data: "[2026-11-22 09:00:00] cron started\n" + string(bounce), format: "postfix", unparsed: 1, events: 1},
		{name: "one Exim-looking garbage line", data: string(bounce) + "2026-11-22 09:50:02 garbage that only looks like Exim\n", format: "postfix", events: 1},
		{name: "postfix and exim together", data: string(bounce) + string(exim), format: "postfix+exim"},
		{name: "UTF-16 log", data: string(textinputtest.UTF16(string(bounce), false)), format: "postfix", events: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read(strings.NewReader(tt.data), "m.log", at, "alice@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if f.Coverage.Format != tt.format || f.Coverage.Unparsed != tt.unparsed || tt.events > 0 && len(f.Events) != tt.events {
				t.Errorf("format %q, %d unparsed, %d events; want %q, %d, %d", f.Coverage.Format, f.Coverage.Unparsed, len(f.Events), tt.format, tt.unparsed, tt.events)
			}
			if tt.unparsed > 0 && (len(f.Unreadable) == 0 || !strings.HasPrefix(f.Unreadable[0], "m.log:1: ")) {
				t.Errorf("unreadable %q, want the first line quoted", f.Unreadable)
			}
		})
	}
}

// TestReadEndless: a log without end stops at its line or record bound
// with an input error naming file and line, in bounded memory, gzipped or
// not (the bound is on the decompressed lines).
func TestReadEndless(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  *textinputtest.Endless
		gzip bool
		line int
		err  string
	}{
		{name: "/dev/zero", src: textinputtest.Zeros(0), line: 1, err: "line longer than 4 MiB"},
		{name: "gzip of zeros", src: textinputtest.Zeros(0), gzip: true, line: 1, err: "line longer than 4 MiB"},
		{name: "endless line after good ones", src: &textinputtest.Endless{Prefix: "Nov 22 09:50:00 mail postfix/qmgr[1]: 9A8B7C6D5E: removed\n", Fill: 'a'},
			line: 2, err: "line longer than 4 MiB"},
		{name: "endless JSON event", src: &textinputtest.Endless{Prefix: "{\"event\": \"delivered\"}\n{\"email\": \"", Fill: 'a'}, gzip: true,
			line: 2, err: "a JSON record longer than 16 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Max = 1 << 30
			var err error
			alloc := textinputtest.Alloc(func() {
				var in io.Reader = tt.src
				if tt.gzip {
					zr := textinputtest.Gzip(tt.src)
					defer zr.Close()
					in = zr
				}
				_, err = Read(in, "m.log", at, "alice@example.com")
			})
			var ie *checks.InputError
			if !errors.As(err, &ie) || ie.File != "m.log" || ie.Line != tt.line || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want an input error at m.log:%d saying %q", err, tt.line, tt.err)
			}
			if tt.src.Count() > 64<<20 || alloc > 160<<20 {
				t.Errorf("read %d bytes, allocated %s", tt.src.Count(), textinputtest.MiB(alloc))
			}
		})
	}
}
