package ptr

import (
	"net/netip"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

var benchTicket = &checks.Ticket{SendingIPs: []netip.Addr{
	netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.4")}}

// TestConcurrentLookups: three IPs behind a 50ms loopback server cost two
// round trips (PTR, then the A of every name), not one per question.
func TestConcurrentLookups(t *testing.T) {
	var st lookuptest.Stats
	addr := lookuptest.Serve(t, checktest.Zones(t, reverse4, forward, ispZone), lookuptest.Delay(50*time.Millisecond), lookuptest.Count(&st))
	start := time.Now()
	res := checktest.Run(t, lookuptest.Network(t, addr), benchTicket, Check)
	took := time.Since(start)
	if cr := res.Check("ptr"); cr.Status != checks.StatusWarning {
		t.Errorf("status %s, want warning (192.0.2.2 is not confirmed)", cr.Status)
	}
	// 3 PTR + A of mail, nowhere, a (mail asked once thanks to the cache;
	// AAAA not at all: IPv4 sending IPs are confirmed by A records).
	if n := st.Total(); n != 6 {
		t.Errorf("server got %d queries, want 6", n)
	}
	if took > 400*time.Millisecond {
		t.Errorf("took %v: lookups are not concurrent (sequential: 450ms)", took)
	}
}

// BenchmarkCheck: three IPs over loopback UDP, as is and with 20ms added
// per answer.
func BenchmarkCheck(b *testing.B) {
	for _, d := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run("delay"+d.String(), func(b *testing.B) {
			n := lookuptest.Network(b, lookuptest.Serve(b, checktest.Zones(b, reverse4, forward, ispZone), lookuptest.Delay(d)))
			for b.Loop() {
				checktest.Run(b, n, benchTicket, Check)
			}
		})
	}
}
