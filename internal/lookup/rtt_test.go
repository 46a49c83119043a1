package lookup

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestRTTEstimator: RFC 6298's smoothing, from the first sample on, and
// the floor of the timeout.
func TestRTTEstimator(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name    string
		samples []time.Duration
		rto     time.Duration // 0: none known
	}{
		{"none", nil, 0},
		{"one", []time.Duration{100 * ms}, 300 * ms},                            // 100 + 4·50
		{"two", []time.Duration{100 * ms, 200 * ms}, 362500 * time.Microsecond}, // srtt 112.5, rttvar (3·50+100)/4
		{"fast, floored", []time.Duration{ms, ms, ms, ms}, minRTO},
		{"a slow answer among fast ones", []time.Duration{ms, ms, 150 * ms}, 169750 * time.Microsecond}, // srtt (7+150)/8, rttvar (3·0.375+149)/4
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e rttEstimator
			for _, s := range tt.samples {
				e.add(s)
			}
			rto, ok := e.rto()
			if ok != (tt.rto != 0) {
				t.Fatalf("known %v after %d samples", ok, len(tt.samples))
			}
			if d := rto - tt.rto; d < -ms || d > ms {
				t.Errorf("rto %v, want %v", rto, tt.rto)
			}
		})
	}
}

// rttServer answers at once, but never the first time a name starting
// with "lost" is asked, and each "slow" name only after 150ms. Without
// EDNS0 it answers a query with an OPT record FORMERR, as a server from
// before RFC 6891.
func rttServer(t *testing.T, withoutEDNS ...bool) (addr string, arrivals func(name string) int) {
	noEDNS := len(withoutEDNS) > 0 && withoutEDNS[0]
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		name := r.Question[0].Name
		mu.Lock()
		seen[name]++
		n := seen[name]
		mu.Unlock()
		switch {
		case strings.HasPrefix(name, "lost") && n == 1:
			return
		case strings.HasPrefix(name, "slow"):
			time.Sleep(150 * time.Millisecond)
		}
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeNameError)
		if noEDNS && r.IsEdns0() != nil {
			m.SetRcode(r, dns.RcodeFormatError)
			m.Extra = nil
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String(), func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return seen[name]
	}
}

// TestRetryOnLearntRTT: once a server's round trips are known, a lost
// question is asked again after about them, not after a schedule made for
// the slowest server (Timeout 8s: a first wait of 1s); also when they are
// learnt while the question waits, as in a burst whose first answers come
// back while the rest wait. An answer slower than that to the first try
// is still taken, does not count as a loss, and teaches the estimate.
func TestRetryOnLearntRTT(t *testing.T) {
	addr, arrivals := rttServer(t)
	network := func() *Network {
		return &Network{Servers: []string{addr}, Timeout: 8 * time.Second, Retries: 3, MaxInFlight: 64}
	}
	ask := func(n *Network, name string) time.Duration {
		t.Helper()
		start := time.Now()
		a, err := n.Lookup(context.Background(), Question{Name: name, Type: dns.TypeA})
		if err != nil || a.Status() != StatusNXDomain {
			t.Errorf("%s: %v %v, want NXDOMAIN", name, a, err)
		}
		return time.Since(start)
	}
	const limit = 500 * time.Millisecond // half the schedule's first wait
	// learn asks earlyPer fast questions: their answers teach the round
	// trip and earn one early retry.
	learn := func(n *Network, prefix string) {
		for i := range earlyPer {
			ask(n, fmt.Sprintf("fast%s-%d.example.", prefix, i))
		}
	}

	t.Run("learnt before", func(t *testing.T) {
		n := network()
		learn(n, "1")
		if d := ask(n, "lost1.example."); d > limit {
			t.Errorf("a lost question took %v to be answered, want under %v", d, limit)
		}
		if got := arrivals("lost1.example."); got != 2 {
			t.Errorf("lost1 asked %d times, want 2", got)
		}
		if n.slots.limit >= 64 {
			t.Errorf("window %d after a loss, want it cut", n.slots.limit)
		}
	})
	t.Run("learnt while waiting", func(t *testing.T) {
		n := network()
		took := make(chan time.Duration, 1)
		go func() { took <- ask(n, "lost2.example.") }()
		time.Sleep(20 * time.Millisecond)
		learn(n, "2")
		if d := <-took; d > limit {
			t.Errorf("a question lost before any round trip was known took %v, want under %v", d, limit)
		}
	})
	t.Run("slow is not lost", func(t *testing.T) {
		n := network()
		learn(n, "3")
		if d := ask(n, "slow3.example."); d > 300*time.Millisecond {
			t.Errorf("the slow answer took %v: the first try's answer (150ms) was not taken", d)
		}
		if got := arrivals("slow3.example."); got < 2 {
			t.Errorf("slow3 asked %d times: no retry was sent, so the test tests nothing", got)
		}
		if n.slots.limit != 64 {
			t.Errorf("window cut to %d by an answer to the first try, want 64", n.slots.limit)
		}
		if rto, _ := n.mux(addr).rtt.rto(); rto < 150*time.Millisecond {
			t.Errorf("timeout %v after a 150ms answer, want more: slow answers must teach the estimate", rto)
		}
	})
}

// TestEarlyRetriesRationed: the first answers of a burst teach a round
// trip too short for the slower answers still to come (a recursive
// resolver's cache hits, then its misses); those are then retried early
// only one for every earlyPer answers, not each two or three times.
func TestEarlyRetriesRationed(t *testing.T) {
	addr, arrivals := rttServer(t)
	n := &Network{Servers: []string{addr}, Timeout: 3 * time.Second, Retries: 3, MaxInFlight: 256}
	ctx := context.Background()
	for i := range earlyPer {
		n.Lookup(ctx, Question{Name: fmt.Sprintf("fast%d.example.", i), Type: dns.TypeA})
	}
	const slow = 100
	var wg sync.WaitGroup
	for i := range slow {
		wg.Go(func() {
			a, err := n.Lookup(ctx, Question{Name: fmt.Sprintf("slow%d.example.", i), Type: dns.TypeA})
			if err != nil || a.Status() != StatusNXDomain {
				t.Errorf("slow%d: %v %v", i, a, err)
			}
		})
	}
	wg.Wait()
	total := 0
	for i := range slow {
		total += arrivals(fmt.Sprintf("slow%d.example.", i))
	}
	if most := slow + (earlyPer+slow)/earlyPer; total > most {
		t.Errorf("%d queries for %d slow questions, want at most %d", total, slow, most)
	}
}

// TestLearntRTTWithoutEDNS: against a server from before EDNS0, a late
// FORMERR to an earlier try is not taken for the answer to the query
// without EDNS0, and a loss before the FORMERR still counts as one.
func TestLearntRTTWithoutEDNS(t *testing.T) {
	addr, _ := rttServer(t, true)
	for _, name := range []string{"slow1.example.", "lost1.example."} {
		n := &Network{Servers: []string{addr}, Timeout: 8 * time.Second, Retries: 3, MaxInFlight: 64}
		ctx := context.Background()
		for i := range earlyPer {
			n.Lookup(ctx, Question{Name: fmt.Sprintf("fast%d.example.", i), Type: dns.TypeA})
		}
		a, err := n.Lookup(ctx, Question{Name: name, Type: dns.TypeA})
		if err != nil || a.Status() != StatusNXDomain {
			t.Errorf("%s: %v %v, want NXDOMAIN", name, a, err)
		}
		if lost := n.slots.limit < 64; lost != strings.HasPrefix(name, "lost") {
			t.Errorf("%s: window %d of 64", name, n.slots.limit)
		}
	}
}
