package bounce

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bigMessage returns an ordinary (non-bounce) message of about n bytes of
// prose, the worst case for the text scanners: nothing cuts it short.
func bigMessage(n int) []byte {
	var b bytes.Buffer
	b.WriteString("From: alice@example.com\nTo: bob@example.org\nSubject: minutes of the meeting\nDate: Mon, 2 Jun 2025 10:00:00 +0000\n\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "Item %d: the committee reviewed the budget and the plans for the next quarter; see carol%d@example.net.\n", i, i%50)
	}
	return b.Bytes()
}

// bigBounce returns a plain-text bounce that returns a message of about n
// bytes in full after its explanation.
func bigBounce(n int) []byte {
	var b bytes.Buffer
	b.WriteString("From: MAILER-DAEMON@mx.example.com\nTo: alice@example.com\nSubject: Undelivered Mail Returned to Sender\n\n")
	b.WriteString("This is the mail system at host mx.example.com.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n<bob@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1\n    <bob@example.org>: Recipient address rejected: User unknown (in reply\n    to RCPT TO command)\n\n")
	b.WriteString("--- Below this line is a copy of the message.\n\n")
	b.Write(bigMessage(n))
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	type input struct {
		name string
		data []byte
	}
	var ins []input
	for _, n := range []string{"postfix-dsn-userunknown.eml", "exim.eml", "gmail-text.eml", "ordinary.eml"} {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			b.Fatal(err)
		}
		ins = append(ins, input{strings.TrimSuffix(n, ".eml"), data})
	}
	ins = append(ins, input{"ordinary-256K", bigMessage(256 << 10)}, input{"textbounce-256K", bigBounce(256 << 10)})
	for _, in := range ins {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				if _, err := Parse(bytes.NewReader(in.data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
