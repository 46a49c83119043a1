package lookup_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

func TestCacheMergesConcurrentQueries(t *testing.T) {
	var st lookuptest.Stats
	addr := lookuptest.Serve(t, example(t), lookuptest.Count(&st), lookuptest.Delay(100*time.Millisecond))
	c := lookup.NewCache(lookuptest.Network(t, addr))
	const n = 20
	answers := make([]*lookup.Answer, n)
	var wg sync.WaitGroup
	for i := range n {
		// The same question in different spellings.
		name := []string{"example.com", "EXAMPLE.COM.", "Example.Com"}[i%3]
		wg.Go(func() {
			a, err := c.Lookup(context.Background(), lookup.Question{Name: name, Type: dns.TypeMX})
			if err != nil {
				t.Error(err)
			}
			answers[i] = a
		})
	}
	wg.Wait()
	if got := st.Total(); got != 1 {
		t.Errorf("server got %d queries, want 1", got)
	}
	if got := c.Asked(); got != 1 {
		t.Errorf("Asked = %d, want 1", got)
	}
	for i, a := range answers {
		if a != answers[0] || a == nil {
			t.Fatalf("answer %d is %p, want the one answer %p", i, a, answers[0])
		}
	}
	trace := c.Trace()
	if len(trace) != n {
		t.Fatalf("trace has %d exchanges, want %d", len(trace), n)
	}
	owners := 0
	for _, x := range trace {
		if !x.Shared {
			owners++
		}
		if x.Question != (lookup.Question{Name: "example.com.", Type: dns.TypeMX}) || x.Status != lookup.StatusOK {
			t.Errorf("exchange %v %s", x.Question, x.Status)
		}
	}
	if owners != 1 {
		t.Errorf("%d exchanges not shared, want 1", owners)
	}
}

func TestCacheTrace(t *testing.T) {
	var st lookuptest.Stats
	addr := lookuptest.Serve(t, example(t), lookuptest.Count(&st), lookuptest.ServFail("broken.example.com"))
	c := lookup.NewCache(lookuptest.Network(t, addr))
	steps := []struct {
		name   string
		qtype  uint16
		status lookup.Status
		shared bool
	}{
		{"example.com", dns.TypeMX, lookup.StatusOK, false},
		{"mx1.example.com", dns.TypeA, lookup.StatusOK, false},
		{"example.com.", dns.TypeMX, lookup.StatusOK, true},
		{"nope.example.com", dns.TypeA, lookup.StatusNXDomain, false},
		{"example.com", dns.TypeAAAA, lookup.StatusNoData, false},
		{"broken.example.com", dns.TypeTXT, lookup.StatusServFail, false},
		{"BROKEN.example.com", dns.TypeTXT, lookup.StatusServFail, true},
		{"nope.example.com", dns.TypeA, lookup.StatusNXDomain, true},
	}
	for _, s := range steps {
		c.Lookup(context.Background(), lookup.Question{Name: s.name, Type: s.qtype})
	}
	trace := c.Trace()
	if len(trace) != len(steps) {
		t.Fatalf("trace has %d exchanges, want %d", len(trace), len(steps))
	}
	for i, s := range steps {
		x := trace[i]
		if x.Status != s.status || x.Shared != s.shared || x.Question.Type != s.qtype {
			t.Errorf("exchange %d: %s %s shared=%v, want %s shared=%v", i, x.Question, x.Status, x.Shared, s.status, s.shared)
		}
		if x.Answer == nil || x.Err != nil || x.Start.IsZero() {
			t.Errorf("exchange %d: answer %v err %v start %v", i, x.Answer, x.Err, x.Start)
		}
	}
	if got, want := st.Total(), int64(5); got != want {
		t.Errorf("server got %d queries, want %d", got, want)
	}
}

// A timeout is an outcome of the run too: asked once, kept.
func TestCacheKeepsTimeouts(t *testing.T) {
	var st lookuptest.Stats
	n := lookuptest.Network(t, lookuptest.Serve(t, example(t), lookuptest.Drop(), lookuptest.Count(&st)))
	n.Timeout, n.Retries = 100*time.Millisecond, 0
	c := lookup.NewCache(n)
	for range 2 {
		_, err := c.Lookup(context.Background(), lookup.Question{Name: "example.com", Type: dns.TypeA})
		if !errors.Is(err, lookup.ErrTimeout) {
			t.Errorf("err %v, want a timeout", err)
		}
	}
	if st.Total() != 1 {
		t.Errorf("server got %d queries, want 1", st.Total())
	}
	tr := c.Trace()
	if len(tr) != 2 || tr[0].Status != lookup.StatusTimeout || !tr[1].Shared || tr[1].Err == nil {
		t.Errorf("trace %+v", tr)
	}
}

// The first asker giving up does not poison the cache for the others.
func TestCacheOwnerCancelled(t *testing.T) {
	var st lookuptest.Stats
	addr := lookuptest.Serve(t, example(t), lookuptest.Count(&st), lookuptest.Delay(300*time.Millisecond))
	c := lookup.NewCache(lookuptest.Network(t, addr))
	q := lookup.Question{Name: "example.com", Type: dns.TypeA}

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.Lookup(ctx, q)
		first <- err
	}()
	// Wait until the first query is at the server, then ask again and cancel the first.
	for st.Total() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	second := make(chan *lookup.Answer, 1)
	go func() {
		a, err := c.Lookup(context.Background(), q)
		if err != nil {
			t.Error(err)
		}
		second <- a
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("first: %v, want context.Canceled", err)
	}
	if a := <-second; a == nil || a.Status() != lookup.StatusOK {
		t.Errorf("second: %v, want an answer", a)
	}
	a, err := c.Lookup(context.Background(), q)
	if err != nil || a.Status() != lookup.StatusOK {
		t.Errorf("third: %v %v, want the cached answer", a, err)
	}
	if st.Total() != 2 {
		t.Errorf("server got %d queries, want 2 (the abandoned one and one more)", st.Total())
	}
}

// barrier is a resolver that answers only once `want` questions are in
// flight together, proving they were asked concurrently.
type barrier struct {
	next lookup.Resolver
	want int

	mu      sync.Mutex
	waiting int
	all     chan struct{}
}

func (b *barrier) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	b.mu.Lock()
	b.waiting++
	if b.waiting == b.want {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
	case <-time.After(5 * time.Second):
		return nil, fmt.Errorf("%s asked alone: A and AAAA were not asked concurrently", q)
	}
	return b.next.Lookup(ctx, q)
}

func TestAddrs(t *testing.T) {
	addr := lookuptest.Serve(t, example(t), lookuptest.ServFail("broken.example.com"))
	net := lookuptest.Network(t, addr)
	tests := []struct {
		name   string
		want   []string
		status lookup.Status
		err    bool
	}{
		{"mx1.example.com", []string{"192.0.2.25", "2001:db8::25"}, lookup.StatusOK, false},
		{"mx2.example.com", []string{"192.0.2.26"}, lookup.StatusOK, false},
		{"v6only.example.com", []string{"2001:db8::6"}, lookup.StatusOK, false},
		{"www.example.com", []string{"192.0.2.1"}, lookup.StatusOK, false},
		{"ns1.example.com", nil, lookup.StatusNXDomain, false},
		{"big.example.com", nil, lookup.StatusNoData, false},
		{"broken.example.com", nil, lookup.StatusServFail, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &barrier{next: net, want: 2, all: make(chan struct{})}
			c := lookup.NewCache(b)
			addrs, status, err := lookup.Addrs(context.Background(), c, tt.name)
			var got []string
			for _, a := range addrs {
				got = append(got, a.String())
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) || status != tt.status || (err != nil) != tt.err {
				t.Errorf("Addrs = %v %s %v, want %v %s err=%v", got, status, err, tt.want, tt.status, tt.err)
			}
			if tt.err && lookup.ErrStatus(err) != tt.status {
				t.Errorf("ErrStatus(%v) = %s, want %s", err, lookup.ErrStatus(err), tt.status)
			}
			var types []uint16
			for _, x := range c.Trace() {
				types = append(types, x.Question.Type)
			}
			slices.Sort(types)
			if !slices.Equal(types, []uint16{dns.TypeA, dns.TypeAAAA}) {
				t.Errorf("asked %v, want A and AAAA once each", types)
			}
		})
	}
}

func TestCacheDropTrace(t *testing.T) {
	z, err := lookup.ParseZones("$ORIGIN example.com.\n@ 3600 IN A 192.0.2.1\n", "")
	if err != nil {
		t.Fatal(err)
	}
	c := lookup.NewCache(z)
	c.DropTrace()
	a, err := c.Lookup(context.Background(), lookup.Question{Name: "example.com", Type: dns.TypeA})
	if err != nil || a.Status() != lookup.StatusOK {
		t.Fatalf("lookup: %v %v", a, err)
	}
	if n := len(c.Trace()); n != 0 {
		t.Errorf("trace kept %d exchanges after DropTrace", n)
	}
}

type panicky struct{}

func (panicky) Lookup(context.Context, lookup.Question) (*lookup.Answer, error) { panic("boom") }

func TestCacheResolverPanic(t *testing.T) {
	c := lookup.NewCache(panicky{})
	done := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := c.Lookup(context.Background(), lookup.Question{Name: "example.com", Type: dns.TypeA})
			done <- err
		}()
	}
	for range 2 {
		select {
		case err := <-done:
			if err == nil {
				t.Error("no error from a resolver that panicked")
			}
		case <-time.After(2 * time.Second):
			t.Fatal("a caller hangs after the resolver panicked")
		}
	}
}

// TestCacheBound: a bounded cache keeps the answers asked for lately and
// forgets the others, which are asked again.
func TestCacheBound(t *testing.T) {
	var asked atomic.Int64
	r := resolverFunc(func(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
		asked.Add(1)
		return &lookup.Answer{Question: q}, nil
	})
	c := lookup.NewCache(r)
	c.Bound(10)
	ask := func(name string) {
		if _, err := c.Lookup(context.Background(), lookup.Question{Name: name, Type: dns.TypeA}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1000 {
		ask(fmt.Sprintf("h%d.example.", i))
		ask("hot.example.") // asked all along: never forgotten
	}
	if got := asked.Load(); got != 1001 {
		t.Errorf("%d questions went out, want 1001 (1000 distinct, and hot once)", got)
	}
	before := asked.Load()
	ask("h999.example.") // lately asked: kept
	ask("h0.example.")   // long ago: forgotten, asked again
	if got := asked.Load() - before; got != 1 {
		t.Errorf("%d of the two went out, want 1 (h0 only)", got)
	}
}

type resolverFunc func(context.Context, lookup.Question) (*lookup.Answer, error)

func (f resolverFunc) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	return f(ctx, q)
}
