package maillog

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// The benchmarks below read generated logs: many messages for other
// recipients (some at the watched address's domain, some sharing its local
// part, the sender's address on every message), one in benchEvery for the
// watched address. They report MB/s. TestWriteBenchLog writes the same
// logs to a file for timing the whole command:
//
//	WHYMAIL_BENCHLOG=/tmp/postfix.log WHYMAIL_BENCHLOG_MB=1024 WHYMAIL_BENCHLOG_FORMAT=postfix \
//	    go test -run TestWriteBenchLog ./checks/maillog

const (
	benchWatched = "alice@example.com"
	benchEvery   = 2000
	benchMB      = 32
)

// benchRecipient is the recipient of message i.
func benchRecipient(i int) string {
	switch {
	case i%benchEvery == 7:
		return benchWatched
	case i%5 == 0:
		return "user" + strconv.Itoa(i%9973) + "@example.com" // the watched domain
	case i%7 == 0:
		return "alice@example.org" // the watched local part
	default:
		return "user" + strconv.Itoa(i%9973) + "@mail" + strconv.Itoa(i%97) + ".example.net"
	}
}

// writePostfix writes about mb megabytes of a Postfix log, a message of
// seven lines every second.
func writePostfix(w io.Writer, mb int) (messages int) { return writePostfixStamped(w, mb, false) }

// writePostfixStamped is writePostfix; with rfc3339, its timestamps are
// rsyslog's high-precision ones (RFC 3339, microseconds, a zone), each
// line's its own.
func writePostfixStamped(w io.Writer, mb int, rfc3339 bool) (messages int) {
	bw := bufio.NewWriterSize(w, 1<<20)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	zone := time.FixedZone("", 3600)
	var n int64
	for i := 0; n < int64(mb)<<20; i++ {
		var st [7]string
		for l := range st {
			t := t0.Add(time.Duration(i) * time.Second)
			if rfc3339 {
				t = t.Add(time.Duration(l*37913) * time.Microsecond)
				st[l] = t.In(zone).Format("2006-01-02T15:04:05.000000Z07:00")
			} else {
				st[l] = t.Format(time.Stamp)
			}
		}
		id := fmt.Sprintf("%010X", 0x3A00000000+i*7919)
		rcpt := benchRecipient(i)
		status := "sent (250 2.0.0 OK 1732269601 a1si12345qkb.123 - gsmtp)"
		if i%benchEvery == 7 && i/benchEvery%2 == 1 {
			status = "deferred (host mx.example.com[192.0.2.10] said: 450 4.2.0 <alice@example.com>: Recipient address rejected: Greylisted)"
		}
		k, _ := fmt.Fprintf(bw, "%s mail postfix/smtpd[%d]: connect from app%d.example.net[198.51.100.%d]\n"+
			"%s mail postfix/smtpd[%d]: %s: client=app%d.example.net[198.51.100.%d], sasl_method=PLAIN, sasl_username=app\n"+
			"%s mail postfix/cleanup[%d]: %s: message-id=<%d.%s@app.example.net>\n"+
			"%s mail postfix/qmgr[2003]: %s: from=<noreply@app.example.net>, size=%d, nrcpt=1 (queue active)\n"+
			"%s mail postfix/smtp[%d]: %s: to=<%s>, relay=mx%d.example.com[192.0.2.%d]:25, delay=0.%d, delays=0.01/0/0.2/0.%d, dsn=2.0.0, status=%s\n"+
			"%s mail postfix/qmgr[2003]: %s: removed\n"+
			"%s mail postfix/smtpd[%d]: disconnect from app%d.example.net[198.51.100.%d] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8\n",
			st[0], 1000+i%500, i%20, i%250,
			st[1], 1000+i%500, id, i%20, i%250,
			st[2], 3000+i%300, id, 1732269601+i, id,
			st[3], id, 2000+i%50000,
			st[4], 4000+i%800, id, rcpt, i%3, i%250, i%10, i%10, status,
			st[5], id,
			st[6], 1000+i%500, i%20, i%250)
		n += int64(k)
		messages++
	}
	bw.Flush()
	return messages
}

// writeExim writes about mb megabytes of an Exim main log.
func writeExim(w io.Writer, mb int) (messages int) {
	bw := bufio.NewWriterSize(w, 1<<20)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	const b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var n int64
	for i := 0; n < int64(mb)<<20; i++ {
		ts := t0.Add(time.Duration(i) * time.Second).Format("2006-01-02 15:04:05")
		x := i * 104729
		id := fmt.Sprintf("1t%c%c%c%c-00%c%c%c%c-%c%c", b62[x%62], b62[x/62%62], b62[x/3844%62], b62[x/238328%62],
			b62[i%62], b62[i/62%62], b62[i/3844%62], b62[i/238328%62], b62[i%61], b62[i%59])
		rcpt := benchRecipient(i)
		line := fmt.Sprintf("%s %s => %s R=dnslookup T=remote_smtp H=mx%d.example.com [192.0.2.%d] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 OK 1732269601 a1si12345qkb.123 - gsmtp\"\n",
			ts, id, rcpt, i%3, i%250)
		if i%benchEvery == 7 && i/benchEvery%2 == 1 {
			line = fmt.Sprintf("%s %s == %s R=dnslookup T=remote_smtp defer (-44) H=mx.example.com [192.0.2.10]: SMTP error from remote mail server after RCPT TO:<%s>: 451 4.7.1 Greylisted\n",
				ts, id, rcpt, rcpt)
		}
		k, _ := fmt.Fprintf(bw, "%s %s <= noreply@app.example.net H=app%d.example.net [198.51.100.%d] P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=plain:app S=%d id=%d.%s@app.example.net\n"+
			"%s"+
			"%s %s Completed\n",
			ts, id, i%20, i%250, 2000+i%50000, 1732269601+i, id,
			line,
			ts, id)
		n += int64(k)
		messages++
	}
	bw.Flush()
	return messages
}

// writeSendGrid writes about mb megabytes of SendGrid events, one JSON
// object a line: processed and delivered for each message.
func writeSendGrid(w io.Writer, mb int) (messages int) {
	bw := bufio.NewWriterSize(w, 1<<20)
	var n int64
	for i := 0; n < int64(mb)<<20; i++ {
		ts := 1795168800 + i
		rcpt := benchRecipient(i)
		ev, resp := "delivered", "250 2.0.0 OK 1732269601 a1si12345qkb.123 - gsmtp"
		if i%benchEvery == 7 && i/benchEvery%2 == 1 {
			ev, resp = "deferred", "451 4.7.1 Greylisted, try again later"
		}
		k, _ := fmt.Fprintf(bw, `{"email":%q,"timestamp":%d,"smtp-id":"<%d.app@app.example.net>","event":"processed","category":["reset"],"sg_event_id":"pr%d","sg_message_id":"msg%d.filter0001"}`+"\n"+
			`{"email":%q,"timestamp":%d,"smtp-id":"<%d.app@app.example.net>","event":%q,"category":["reset"],"sg_event_id":"de%d","sg_message_id":"msg%d.filter0001","response":%q,"attempt":"1","ip":"198.51.100.7","tls":1}`+"\n",
			rcpt, ts, i, i, i,
			rcpt, ts+2, i, ev, i, i, resp)
		n += int64(k)
		messages++
	}
	bw.Flush()
	return messages
}

var benchLogs sync.Map // format -> []byte

func benchLog(format string) []byte {
	if d, ok := benchLogs.Load(format); ok {
		return d.([]byte)
	}
	var buf bytes.Buffer
	switch format {
	case "postfix":
		writePostfix(&buf, benchMB)
	case "postfix-rfc3339":
		writePostfixStamped(&buf, benchMB, true)
	case "exim":
		writeExim(&buf, benchMB)
	case "sendgrid":
		writeSendGrid(&buf, benchMB)
	}
	benchLogs.Store(format, buf.Bytes())
	return buf.Bytes()
}

func benchRead(b *testing.B, format string, events int) {
	data := benchLog(format)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Read(bytes.NewReader(data), "bench.log", at, benchWatched)
		if err != nil {
			b.Fatal(err)
		}
		if len(f.Events) < events {
			b.Fatalf("%d events, want at least %d", len(f.Events), events)
		}
		c := f.Coverage
		if c.Understood+c.NotRelevant+c.Unparsed != c.Lines || c.Unparsed != 0 {
			b.Fatalf("coverage %+v", c)
		}
	}
}

// BenchmarkSpeedPostfix reads a 32 MB Postfix log (about 32,000 messages,
// 16 for the watched address).
func BenchmarkSpeedPostfix(b *testing.B) { benchRead(b, "postfix", 10) }

// BenchmarkSpeedPostfixRFC3339 reads BenchmarkSpeedPostfix's log with
// rsyslog's high-precision timestamps, no two lines alike.
func BenchmarkSpeedPostfixRFC3339(b *testing.B) { benchRead(b, "postfix-rfc3339", 10) }

// BenchmarkSpeedExim reads a 32 MB Exim main log.
func BenchmarkSpeedExim(b *testing.B) { benchRead(b, "exim", 10) }

// BenchmarkSpeedSendGridNDJSON reads 32 MB of SendGrid events, one a line.
func BenchmarkSpeedSendGridNDJSON(b *testing.B) { benchRead(b, "sendgrid", 10) }

// TestWriteBenchLog writes a generated log to $WHYMAIL_BENCHLOG (of
// $WHYMAIL_BENCHLOG_MB megabytes, 1024 by default; format
// $WHYMAIL_BENCHLOG_FORMAT: postfix, exim or sendgrid), for timing the
// whole command. Skipped without it.
func TestWriteBenchLog(t *testing.T) {
	path := os.Getenv("WHYMAIL_BENCHLOG")
	if path == "" {
		t.Skip("WHYMAIL_BENCHLOG not set")
	}
	mb := 1024
	if s := os.Getenv("WHYMAIL_BENCHLOG_MB"); s != "" {
		var err error
		if mb, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	switch format := os.Getenv("WHYMAIL_BENCHLOG_FORMAT"); format {
	case "", "postfix":
		n = writePostfix(f, mb)
	case "exim":
		n = writeExim(f, mb)
	case "sendgrid":
		n = writeSendGrid(f, mb)
	default:
		t.Fatalf("unknown format %q", format)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d messages, %d for %s", path, n, (n+benchEvery-8)/benchEvery, benchWatched)
}
