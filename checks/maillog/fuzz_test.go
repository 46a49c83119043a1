package maillog

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"time"

	"github.com/whymail/whymail/internal/mailaddr"
	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

// fuzzRead reads data and checks the invariants every reader keeps: no
// panic, every line accounted for, events only for the watched address.
func fuzzRead(t *testing.T, data []byte) {
	f, err := Read(bytes.NewReader(data), "fuzz", at, "alice@example.com")
	if err != nil {
		return
	}
	c := f.Coverage
	if c.Understood+c.NotRelevant+c.Unparsed != c.Lines {
		t.Fatalf("lines unaccounted: %+v", c)
	}
	if len(f.Unreadable) > maxQuoted || len(f.Unreadable) > c.Unparsed {
		t.Fatalf("%d quoted for %d unreadable", len(f.Unreadable), c.Unparsed)
	}
	for _, e := range f.Events {
		if ok, _ := mailaddr.Match(e.Recipient, "alice@example.com"); !ok {
			t.Fatalf("event for %q", e.Recipient)
		}
	}
}

func seed(f *testing.F, names ...string) {
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		for _, l := range bytes.Split(data, []byte("\n")) {
			f.Add(l)
		}
	}
}

func FuzzPostfix(f *testing.F) {
	seed(f, "postfix.log", "postfix_sent.log", "postfix_bounce.log")
	// A first line that starts like JSON, an Exim-looking line, UTF-16.
	line := "Nov 22 09:50:00 mail postfix/qmgr[2003]: 9A8B7C6D5E: removed\n"
	f.Add([]byte("[cut] 9A8B: to=<alice@example.com>\n" + line))
	f.Add([]byte("{\"a\": x\n" + line))
	f.Add([]byte(line + "2026-11-22 09:50:02 looks like exim\n"))
	f.Add(textinputtest.UTF16(line, false))
	f.Fuzz(fuzzRead)
}

func FuzzExim(f *testing.F) {
	seed(f, "exim.log")
	f.Fuzz(fuzzRead)
}

func FuzzSendGrid(f *testing.F) {
	seed(f, "sendgrid.json", "sendgrid.ndjson")
	f.Fuzz(fuzzRead)
}

func FuzzSES(f *testing.F) {
	seed(f, "ses_sns.json")
	f.Add([]byte(`{"eventType":"DeliveryDelay","mail":{"destination":["alice@example.com"]},"deliveryDelay":{"timestamp":"2026-11-22T09:00:00Z","delayedRecipients":[{"emailAddress":"alice@example.com","status":"4.4.1"}]}}`))
	f.Fuzz(fuzzRead)
}

func FuzzMailgun(f *testing.F) {
	seed(f, "mailgun.json", "mailgun_webhook.json")
	f.Fuzz(fuzzRead)
}

func FuzzPostmark(f *testing.F) {
	seed(f, "postmark.ndjson")
	f.Fuzz(fuzzRead)
}

// writePostfixLog writes about size bytes of a busy Postfix log: each
// message picked up, cleaned, queued, delivered (one in 20 deferred
// first) and removed, with connection chatter between.
func writePostfixLog(t testing.TB, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mail.log")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var written int64
	ts := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := 0; written < size; i++ {
		ts = ts.Add(37 * time.Millisecond)
		stamp := ts.Format(time.Stamp)
		id := fmt.Sprintf("%010X", i*7919+0x10000)
		rcpt := fmt.Sprintf("user%d@example%d.com", i%5000, i%97)
		fmt.Fprintf(&buf, "%s mail postfix/smtpd[%d]: connect from app%d.internal[10.0.%d.%d]\n", stamp, 1000+i%50, i%8, i%255, i%200)
		fmt.Fprintf(&buf, "%s mail postfix/smtpd[%d]: %s: client=app%d.internal[10.0.%d.%d]\n", stamp, 1000+i%50, id, i%8, i%255, i%200)
		fmt.Fprintf(&buf, "%s mail postfix/cleanup[%d]: %s: message-id=<%d.reset@app.example.net>\n", stamp, 2000+i%20, id, i)
		fmt.Fprintf(&buf, "%s mail postfix/qmgr[3000]: %s: from=<noreply@app.example.net>, size=%d, nrcpt=1 (queue active)\n", stamp, id, 2000+i%3000)
		if i%20 == 0 {
			fmt.Fprintf(&buf, "%s mail postfix/smtp[%d]: %s: to=<%s>, relay=mx.example%d.com[192.0.2.%d]:25, delay=1.2, delays=0.01/0/0.5/0.7, dsn=4.7.1, status=deferred (host mx.example%d.com[192.0.2.%d] said: 450 4.7.1 <%s>: Recipient address rejected: Greylisted, try again later (in reply to RCPT TO command))\n",
				stamp, 4000+i%100, id, rcpt, i%97, i%250, i%97, i%250, rcpt)
		}
		fmt.Fprintf(&buf, "%s mail postfix/smtp[%d]: %s: to=<%s>, relay=mx.example%d.com[192.0.2.%d]:25, delay=0.9, delays=0.01/0/0.3/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as %X)\n",
			stamp, 4000+i%100, id, rcpt, i%97, i%250, i)
		fmt.Fprintf(&buf, "%s mail postfix/qmgr[3000]: %s: removed\n", stamp, id)
		fmt.Fprintf(&buf, "%s mail postfix/smtpd[%d]: disconnect from app%d.internal[10.0.%d.%d] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n", stamp, 1000+i%50, i%8, i%255, i%200)
		if buf.Len() > 1<<20 {
			n, err := fh.Write(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			written += int64(n)
			buf.Reset()
		}
	}
	if _, err := fh.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// BenchmarkReadPostfix reads a generated Postfix log (100 MB by default,
// WHYMAIL_BENCH_MB to change it) and reports throughput and the peak heap
// in use while reading, sampled every 50 ms.
func BenchmarkReadPostfix(b *testing.B) {
	mb := int64(100)
	if s := os.Getenv("WHYMAIL_BENCH_MB"); s != "" {
		fmt.Sscan(s, &mb)
	}
	path := writePostfixLog(b, mb<<20)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak {
					peak = ms.HeapInuse
				}
			}
		}
	}()
	b.ResetTimer()
	var f *File
	for i := 0; i < b.N; i++ {
		fh, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		f, err = Read(fh, "mail.log", at, "user42@example42.com")
		fh.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(done)
	<-sampled
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(base.HeapInuse)/(1<<20), "base-heap-MB")
	if f.Coverage.Unparsed != 0 || len(f.Events) == 0 || !strings.Contains(f.Coverage.Format, "postfix") {
		b.Fatalf("generated log misread: %+v, %d events", f.Coverage, len(f.Events))
	}
}
