package dnsbl

import (
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

// benchTicket asks 2 IPs of the 5 IP lists and the sender domain of the 3
// domain lists: 13 A questions, plus a TXT for the one listing.
var benchTicket = &checks.Ticket{SendingIPs: ips("192.0.2.1", "192.0.2.9"), Sender: "noreply@example.com"}

// TestConcurrentLookups runs the check over a loopback server that holds
// every answer back by 50ms: the 13 questions are asked together, so the
// check costs two round trips (A, then TXT for the listing), not 14.
func TestConcurrentLookups(t *testing.T) {
	var st lookuptest.Stats
	addr := lookuptest.Serve(t, checktest.Zones(t, zones...), lookuptest.Delay(50*time.Millisecond), lookuptest.Count(&st))
	start := time.Now()
	res := checktest.Run(t, lookuptest.Network(t, addr), benchTicket, Check)
	took := time.Since(start)
	if n := st.Total(); n != 14 {
		t.Errorf("server got %d queries, want 14 (13 A + 1 TXT)", n)
	}
	if br := res.Check("dnsbl").Result.(*Result); len(br.Listings) != 1 {
		t.Errorf("listings %v, want the SBL one", br.Listings)
	}
	// Sequential lookups would take 14 x 50ms = 700ms.
	if took > 400*time.Millisecond {
		t.Errorf("took %v: lookups are not concurrent", took)
	}
}

// BenchmarkCheck: the check on the default lists over loopback UDP, as is
// and with 20ms added per answer.
func BenchmarkCheck(b *testing.B) {
	for _, d := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run("delay"+d.String(), func(b *testing.B) {
			n := lookuptest.Network(b, lookuptest.Serve(b, checktest.Zones(b, zones...), lookuptest.Delay(d)))
			for b.Loop() {
				checktest.Run(b, n, benchTicket, Check)
			}
		})
	}
}
