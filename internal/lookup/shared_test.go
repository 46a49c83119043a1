package lookup

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// scripted answers each question as its name says: "ok-TTL." with an A
// record of that TTL, "nx." NXDOMAIN, "fail." SERVFAIL, "err." an error.
type scripted struct {
	mu    sync.Mutex
	asked map[string]int
}

func (s *scripted) Lookup(_ context.Context, q Question) (*Answer, error) {
	s.mu.Lock()
	s.asked[q.Name]++
	s.mu.Unlock()
	a := &Answer{Question: q}
	var ttl uint32
	switch {
	case q.Name == "nx.":
		a.Rcode = dns.RcodeNameError
	case q.Name == "fail.":
		a.Rcode = dns.RcodeServerFailure
	case q.Name == "err.":
		return nil, errors.New("network down")
	default:
		fmt.Sscanf(q.Name, "ok-%d.", &ttl)
		rr, _ := dns.NewRR(fmt.Sprintf("%s %d IN A 192.0.2.1", q.Name, ttl))
		a.Records = []dns.RR{rr}
	}
	return a, nil
}

func TestSharedKeepsForTTL(t *testing.T) {
	r := &scripted{asked: map[string]int{}}
	s := NewShared(r, 10)
	now := time.Unix(1e9, 0)
	s.now = func() time.Time { return now }
	ask := func(name string) {
		t.Helper()
		s.Lookup(context.Background(), Question{Name: name, Type: dns.TypeA})
	}
	for range 3 {
		ask("OK-60") // spelled otherwise, the same question
		ask("ok-60.")
		ask("nx")
		ask("fail")
		ask("err")
	}
	want := map[string]int{"ok-60.": 1, "nx.": 1, "fail.": 3, "err.": 3}
	for n, w := range want {
		if r.asked[n] != w {
			t.Errorf("%s asked %d times, want %d", n, r.asked[n], w)
		}
	}
	if s.Hits() != 5+2 {
		t.Errorf("hits = %d, want 7", s.Hits())
	}
	now = now.Add(59 * time.Second)
	ask("ok-60")
	if r.asked["ok-60."] != 1 {
		t.Errorf("asked again before the TTL ran out")
	}
	now = now.Add(2 * time.Second) // past the record's 60 s; NXDOMAIN's minute too
	ask("ok-60")
	ask("nx")
	if r.asked["ok-60."] != 2 || r.asked["nx."] != 2 {
		t.Errorf("after the TTL: asked %d and %d times, want 2 each", r.asked["ok-60."], r.asked["nx."])
	}
	ask("ok-0") // a zero TTL is not kept
	ask("ok-0")
	if r.asked["ok-0."] != 2 {
		t.Errorf("a TTL 0 answer was kept")
	}
	ask("ok-99999") // capped at MaxTTL
	now = now.Add(DefaultMaxTTL)
	ask("ok-99999")
	if r.asked["ok-99999."] != 2 {
		t.Errorf("an answer was kept past MaxTTL")
	}
}

func TestSharedBounded(t *testing.T) {
	r := &scripted{asked: map[string]int{}}
	s := NewShared(r, 3)
	ctx := context.Background()
	for i := range 10 {
		s.Lookup(ctx, Question{Name: fmt.Sprintf("ok-%d.", 100+i), Type: dns.TypeA})
		s.Lookup(ctx, Question{Name: "ok-100.", Type: dns.TypeA}) // kept in use
	}
	if s.Len() != 3 {
		t.Fatalf("Len = %d, want 3", s.Len())
	}
	if r.asked["ok-100."] != 1 {
		t.Errorf("the most used answer was evicted: asked %d times", r.asked["ok-100."])
	}
	s.Lookup(ctx, Question{Name: "ok-101.", Type: dns.TypeA})
	if r.asked["ok-101."] != 2 {
		t.Errorf("a least recently used answer was kept beyond the bound")
	}
}

func TestSharedConcurrent(t *testing.T) {
	r := &scripted{asked: map[string]int{}}
	s := NewShared(r, 5)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				s.Lookup(context.Background(), Question{Name: fmt.Sprintf("ok-%d.", 60+(i*j)%9), Type: dns.TypeA})
			}
		})
	}
	wg.Wait()
	if s.Len() > 5 {
		t.Errorf("Len = %d beyond the bound 5", s.Len())
	}
}

// gated answers once released, counting the questions it was asked.
type gated struct {
	release chan struct{}
	mu      sync.Mutex
	asked   int
}

func (g *gated) Lookup(ctx context.Context, q Question) (*Answer, error) {
	g.mu.Lock()
	g.asked++
	g.mu.Unlock()
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	rr, _ := dns.NewRR(q.Name + " 300 IN A 192.0.2.1")
	return &Answer{Question: q, Rcode: dns.RcodeSuccess, Records: []dns.RR{rr}}, nil
}

// TestSharedMergesMisses: requests asking the same question while it is
// being asked wait for that answer instead of asking again; one whose
// asker gives up (its ctx ends) asks again itself.
func TestSharedMergesMisses(t *testing.T) {
	g := &gated{release: make(chan struct{})}
	s := NewShared(g, 0)
	q := Question{Name: "example.com.", Type: dns.TypeA}
	leader, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := s.Lookup(leader, q)
		leaderErr <- err
	}()
	waitFor := func(n int) {
		for range 500 {
			g.mu.Lock()
			asked := g.asked
			g.mu.Unlock()
			if asked >= n {
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
		t.Fatalf("the resolver was not asked %d times", n)
	}
	waitFor(1)
	var wg sync.WaitGroup
	var got [5]*Answer
	for i := range got {
		wg.Go(func() { got[i], _ = s.Lookup(context.Background(), q) })
	}
	time.Sleep(20 * time.Millisecond) // the five are waiting on the first
	cancel()                          // the first gives up: one of them asks
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled asker: %v", err)
	}
	waitFor(2)
	close(g.release)
	wg.Wait()
	for i, a := range got {
		if a == nil || a.Status() != StatusOK {
			t.Errorf("waiter %d: %v, want the answer", i, a)
		}
	}
	if g.asked != 2 {
		t.Errorf("asked %d times, want 2 (the first, then one for the five)", g.asked)
	}
}
