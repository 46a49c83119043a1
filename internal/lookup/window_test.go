package lookup

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestWindow: the bound is max while questions are answered, halves (at
// most once per cutEvery, never below minWindow) when they go unanswered,
// grows back by one per answered question, and a waiter whose ctx ends
// leaves without taking room.
func TestWindow(t *testing.T) {
	w := newWindow(64)
	ctx := context.Background()
	for range 64 {
		if err := w.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := w.acquire(short); err == nil {
		t.Fatal("a 65th question was let in with 64 in flight")
	}
	w.release(true) // unanswered: halved to 32
	w.release(true) // within cutEvery: not cut again
	if w.limit != 32 || w.inflight != 62 {
		t.Fatalf("after two losses: limit %d, in flight %d; want 32, 62", w.limit, w.inflight)
	}
	for range 30 {
		w.release(false)
	}
	if w.limit != 62 || w.inflight != 32 {
		t.Fatalf("after 30 answers: limit %d, in flight %d; want 62, 32", w.limit, w.inflight)
	}
	w.lastCut = time.Time{}
	w.limit = minWindow + 1
	w.release(true)
	if w.limit != minWindow {
		t.Errorf("cut to %d, want the floor %d", w.limit, minWindow)
	}
	// A waiter is let in, in turn, when room comes back.
	w = newWindow(1)
	w.acquire(ctx)
	got := make(chan error, 1)
	go func() { got <- w.acquire(ctx) }()
	for {
		w.mu.Lock()
		n := len(w.waiters)
		w.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	w.release(false)
	if err := <-got; err != nil || w.inflight != 1 {
		t.Errorf("waiter: %v, in flight %d; want nil, 1", err, w.inflight)
	}
}

// TestWindowNotCutByADeadServer: a first server that never answers, while
// the next one does in the same round, is not a loss: the window stays at
// its bound (resolv.conf with a dead first server must not run a batch at
// 16 questions in flight).
func TestWindowNotCutByADeadServer(t *testing.T) {
	dead, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeNameError)
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	defer srv.Shutdown()
	n := &Network{Servers: []string{dead.LocalAddr().String(), pc.LocalAddr().String()}, Timeout: 200 * time.Millisecond, Retries: 1, MaxInFlight: 64}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			a, err := n.Lookup(context.Background(), Question{Name: "h" + string(rune('a'+i)) + ".example.", Type: dns.TypeA})
			if err != nil || a.Status() != StatusNXDomain {
				t.Errorf("lookup %d: %v %v, want NXDOMAIN from the second server", i, a, err)
			}
		})
	}
	wg.Wait()
	if n.slots.limit != 64 {
		t.Errorf("window cut to %d by a dead first server, want 64", n.slots.limit)
	}
}
