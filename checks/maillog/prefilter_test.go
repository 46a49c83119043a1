package maillog

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// prefilterWatched are the addresses the differential fuzz target
// watches: plain, upper-case, an IDN in U-labels and A-labels, a Kelvin
// sign (folds to k), an empty local part, no @ at all.
var prefilterWatched = []string{
	"alice@example.com", "ALICE@Example.COM.", "<bob@bücher.example>", "bob@xn--bcher-kva.example",
	"\u212Aate@example.com", "@example.com", "postmaster", " s\u017Fs@EXAMPLE.com ",
}

// diffRead reads data with the prefilter and without it and fails when
// the two Files differ in anything.
func diffRead(t *testing.T, data []byte, zone *time.Location, watched ...string) {
	t.Helper()
	slow, serr := readIn(bytes.NewReader(data), "diff", at, zone, true, watched...)
	fast, ferr := readIn(bytes.NewReader(data), "diff", at, zone, false, watched...)
	if fmt.Sprint(serr) != fmt.Sprint(ferr) {
		t.Fatalf("watching %q: errors differ:\nslow: %v\nfast: %v", watched, serr, ferr)
	}
	if !reflect.DeepEqual(slow, fast) {
		t.Fatalf("watching %q: files differ:\nslow: %+v\nfast: %+v", watched, slow, fast)
	}
}

func FuzzPrefilter(f *testing.F) {
	for _, n := range []string{"postfix.log", "postfix_sent.log", "postfix_bounce.log", "exim.log", "sendgrid.ndjson", "sendgrid.json", "mailgun.json", "mailgun_webhook.json", "ses_sns.json", "postmark.ndjson"} {
		seed2(f, n)
	}
	for _, l := range prefilterLines {
		f.Add([]byte(l), uint8(0))
		f.Add([]byte(l), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, w uint8) {
		diffRead(t, data, time.UTC, prefilterWatched[int(w)%len(prefilterWatched)])
		diffRead(t, data, time.UTC, prefilterWatched...)
	})
}

func seed2(f *testing.F, name string) {
	data := readTestdata(f, name)
	for i := range prefilterWatched {
		f.Add(data, uint8(i))
	}
}

func readTestdata(f *testing.F, name string) []byte {
	data, err := testdataFile(name)
	if err != nil {
		f.Fatal(err)
	}
	return data
}

func testdataFile(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }

// prefilterLines name the watched address in the ways the readers still
// find it.
var prefilterLines = []string{
	"Nov 22 09:50:01 mail postfix/smtp[4000]: 9A8B7C6D5E: to=<ALICE@EXAMPLE.COM>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n",
	"Nov 22 09:50:01 mail postfix/smtp[4000]: 9A8B7C6D5E: to=<alice@example.com.>, relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (550 no)\n",
	"Nov 22 09:50:01 mail postfix/smtp[4000]: 9A8B7C6D5E: to=<alice@ example.com>, relay=mx[192.0.2.1]:25, dsn=4.0.0, status=deferred (451 later)\n",
	"Nov 22 09:50:01 mail postfix/smtp[4000]: 9A8B7C6D5E: to=<\u212Alice@example.com>, relay=mx[192.0.2.1]:25, dsn=4.0.0, status=deferred (451 later)\n",
	"Nov 22 09:50:01 mail postfix/smtp[4000]: 9A8B7C6D5E: to=<bob@XN--BCHER-KVA.example>, relay=mx[192.0.2.1]:25, dsn=2.0.0, status=sent (250 ok)\n",
	"Nov 22 09:50:01 mail postfix/smtp[4000]: 9A8B7C6D5E: to=<bob@bücher.example>, relay=mx[192.0.2.1]:25, dsn=2.0.0, status=sent (250 ok)\n",
	"Nov 22 09:50:01 mail postfix/smtp[4000]: 9A8B7C6D5E: to=<kate@example.com>, orig_to=<Alice@Example.com>, relay=local, dsn=2.0.0, status=sent (delivered)\n",
	"Nov 22 09:50:01 mail postfix/smtp[4000]: 9A8B7C6D5E: to=<alice@example.com>, relay=mx[192.0.2.1]:25, dsn=2.0.0, status=whatever\n",
	"Nov 22 09:50:01 mail postfix/smtp[4000]: 9A8B7C: to=<sss@example.com>, relay=mx[192.0.2.1]:25, dsn=2.0.0, status=sent (250 ok)\n",
	"2026-11-22 09:50:01 1abcDE-0001Ab-Cd ** ALICE@example.COM R=dnslookup T=remote_smtp: SMTP error 550\n",
	"2026-11-22 09:50:01 +0100 1abcDE-0001Ab-Cd == pipe (alice@example.com) <alice@example.com> R=x: defer\n",
	`{"email":"alice\u0040example.com","timestamp":1795168800,"event":"bounce","sg_event_id":"x","reason":"550"}` + "\n",
	`{"email":"ALICE@example.com","timestamp":"1795168800.5","event":"deferred","sg_event_id":"x","response":"451"}` + "\n",
	`{"event-data":{"event":"failed","recipient":"alice@example.com","timestamp":1795168800,"severity":"permanent"}}` + "\n",
	`{"items":[{"event":"delivered","recipient":"bob@example.org","timestamp":1795168800},{"event":"failed","recipient":"alice@example.com","timestamp":1795168801}]}` + "\n",
	`{"event":"delivered","email":"bob@example.org","timestamp":1795168800,"sg_event_id":"y"}` + "\n" + `{"email": null, "event": "open", "timestamp": [1]}` + "\n",
}

// TestPrefilterLetsThrough: every line of prefilterLines reads the same
// with the prefilter as without, for every watched address.
func TestPrefilterLetsThrough(t *testing.T) {
	head := "Nov 22 09:50:00 mail postfix/qmgr[2003]: 9A8B7C6D5E: from=<app@example.net>, size=1, nrcpt=1 (queue active)\n"
	for _, l := range prefilterLines {
		for _, w := range prefilterWatched {
			diffRead(t, []byte(head+l), time.UTC, w)
		}
		diffRead(t, []byte(head+l), time.UTC, prefilterWatched...)
	}
	for _, n := range []string{"postfix.log", "postfix_sent.log", "postfix_bounce.log", "exim.log"} {
		data, err := testdataFile(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range prefilterWatched {
			diffRead(t, data, time.UTC, w)
		}
	}
	for _, n := range []string{"sendgrid.ndjson", "sendgrid.json", "mailgun.json", "mailgun_webhook.json", "ses_sns.json", "postmark.ndjson"} {
		data, err := testdataFile(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range prefilterWatched {
			diffRead(t, data, time.UTC, w)
		}
	}
	for _, write := range []func(io.Writer, int) int{writePostfix, writeExim, writeSendGrid} {
		var buf bytes.Buffer
		write(&buf, 1)
		diffRead(t, buf.Bytes(), time.UTC, benchWatched)
	}
}

func TestNeedles(t *testing.T) {
	for _, c := range []struct {
		w, line string
		want    bool
	}{
		{"alice@example.com", "to=<alice@example.com>", true},
		{"alice@example.com", "to=<ALICE@EXAMPLE.COM>", true},
		{"alice@example.com", "to=<alice@ example.com>", true},
		{"alice@example.com", "to=<alice@example.org>", false},
		{"alice@example.com", "to=<malice@example.org> from=<x@example.com>", true}, // conservative
		{"alice@example.com", "from=<x@example.com> to=<alice@example.org>", false},
		{"alice@example.com", "to=<bob@example.com>", false},
		{"alice@example.com", "to=<alic\u00e9@example.com>", true}, // not ASCII: let through
		{"bob@bücher.example", "to=<bob@xn--bcher-kva.example>", true},
		{"\u212Aate@example.com", "to=<kate@example.com>", true},
		{"postmaster", "postmaster: hello", true},
		{"postmaster", "POSTMASTER: hello", true},
		{"postmaster", "root: hello", false},
	} {
		fs := &fileState{watched: []string{c.w}}
		if got := fs.mayName([]byte(c.line)); got != c.want {
			t.Errorf("watching %q, mayName(%q) = %v, want %v", c.w, c.line, got, c.want)
		}
	}
	if got := strings.Join(caseVariantStrings("e@"), ","); got != "e@,E@" {
		t.Errorf("caseVariants(e@) = %s", got)
	}
}

func caseVariantStrings(s string) []string {
	var out []string
	for _, v := range caseVariants(s) {
		out = append(out, string(v))
	}
	return out
}
