package maillog

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
)

// A gzip file cut short is an input error naming the file, text or JSON.
func TestReadTruncatedGzip(t *testing.T) {
	text := strings.Repeat("Nov 22 09:00:00 mx postfix/qmgr[1]: ABCDEF1234: removed\n", 2000)
	js := "[" + strings.Repeat(`{"event":"processed","email":"a@example.com","timestamp":1700000000},`, 2000) + `{"event":"processed","email":"a@example.com","timestamp":1700000000}]`
	for name, content := range map[string]string{"text": text, "json": js} {
		b := gz(content)
		for _, cut := range []int{len(b) - 4, len(b) / 2, 12} {
			_, err := Read(bytes.NewReader(b[:cut]), "cut.gz", at, "a@example.com")
			var ie *checks.InputError
			if !errors.As(err, &ie) || ie.File != "cut.gz" {
				t.Errorf("%s cut at %d/%d: err = %v, want an input error naming cut.gz", name, cut, len(b), err)
			}
		}
	}
}

// Concatenated gzip members (logrotate's delaycompress + cat) are read whole.
func TestReadConcatenatedGzip(t *testing.T) {
	a := "Nov 22 09:00:00 mx postfix/smtp[1]: ABCDEF1234: to=<a@example.com>, relay=mx[1.2.3.4]:25, delay=1, dsn=4.0.0, status=deferred (try later)\n"
	b := "Nov 22 09:30:00 mx postfix/smtp[1]: ABCDEF1234: to=<a@example.com>, relay=mx[1.2.3.4]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\n"
	data := append(gz(a), gz(b)...)
	f, err := Read(bytes.NewReader(data), "two.gz", at, "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Events) != 2 || f.Events[1].Kind != Delivered {
		t.Fatalf("events = %+v, want deferred then delivered", f.Events)
	}
}

// Syslog lines carry no year: one a few hours past --at across New Year
// belongs to the next year, not to January of --at's year.
func TestSyslogYearAcrossNewYear(t *testing.T) {
	at := time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)
	log := "Dec 31 23:40:00 mx postfix/qmgr[1]: ABCDEF1234: removed\nJan  1 00:20:00 mx postfix/qmgr[1]: ABCDEF1235: removed\n"
	f, err := Read(strings.NewReader(log), "ny.log", at, "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 12, 31, 23, 40, 0, 0, time.UTC)
	if !f.Coverage.First.Equal(want) {
		t.Errorf("coverage starts %v, want %v (the log does not reach back to January 2026)", f.Coverage.First, want)
	}
	if y := f.Coverage.Last.Year(); y != 2027 {
		t.Errorf("coverage ends %v, want January 2027", f.Coverage.Last)
	}
	// And --at in January: December lines are last year's.
	at = time.Date(2027, 1, 1, 0, 30, 0, 0, time.UTC)
	f, _ = Read(strings.NewReader(log), "ny.log", at, "a@example.com")
	if !f.Coverage.First.Equal(want) || f.Coverage.Last.Year() != 2027 {
		t.Errorf("at %v: coverage %v to %v", at, f.Coverage.First, f.Coverage.Last)
	}
}
