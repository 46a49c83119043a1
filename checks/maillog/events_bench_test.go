package maillog

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkReadEvents reads a generated SendGrid event array of 100,000
// pretty-printed events, one in 50 for the watched address.
func BenchmarkReadEvents(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("[\n")
	for i := range 100000 {
		if i > 0 {
			buf.WriteString(",\n")
		}
		rcpt := fmt.Sprintf("user%d@example.com", i)
		if i%50 == 0 {
			rcpt = "alice@example.com"
		}
		fmt.Fprintf(&buf, "  {\n    \"email\": %q,\n    \"timestamp\": %d,\n    \"event\": \"delivered\",\n    \"sg_event_id\": \"ev%d\",\n    \"sg_message_id\": \"msg%d.filter\",\n    \"response\": \"250 2.0.0 OK\"\n  }",
			rcpt, 1795168800+i, i, i)
	}
	buf.WriteString("\n]\n")
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Read(bytes.NewReader(data), "events.json", at, "alice@example.com")
		if err != nil {
			b.Fatal(err)
		}
		if len(f.Events) != 2000 {
			b.Fatalf("%d events", len(f.Events))
		}
	}
}
