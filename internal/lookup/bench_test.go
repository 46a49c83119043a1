package lookup_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

// BenchmarkNetworkLookup measures one MX question over loopback UDP: as
// is, behind 20ms of latency, answered from the cache, and ten distinct
// questions asked together behind 20ms (they should cost one round trip).
func BenchmarkNetworkLookup(b *testing.B) {
	q := lookup.Question{Name: "example.com", Type: dns.TypeMX}
	ctx := context.Background()
	lookupLoop := func(b *testing.B, r lookup.Resolver) {
		for b.Loop() {
			a, err := r.Lookup(ctx, q)
			if err != nil || a.Status() != lookup.StatusOK {
				b.Fatalf("%v %v", a, err)
			}
		}
	}
	b.Run("loopback", func(b *testing.B) {
		lookupLoop(b, lookuptest.Network(b, lookuptest.Serve(b, example(b))))
	})
	b.Run("delay20ms", func(b *testing.B) {
		lookupLoop(b, lookuptest.Network(b, lookuptest.Serve(b, example(b), lookuptest.Delay(20*time.Millisecond))))
	})
	b.Run("cached", func(b *testing.B) {
		lookupLoop(b, lookup.NewCache(lookuptest.Network(b, lookuptest.Serve(b, example(b), lookuptest.Delay(20*time.Millisecond)))))
	})
	b.Run("delay20ms-10-concurrent", func(b *testing.B) {
		n := lookuptest.Network(b, lookuptest.Serve(b, example(b), lookuptest.Delay(20*time.Millisecond)))
		for b.Loop() {
			c := lookup.NewCache(n)
			var wg sync.WaitGroup
			for i := range 10 {
				wg.Go(func() {
					name := fmt.Sprintf("h%d.example.com", i)
					if _, err := c.Lookup(ctx, lookup.Question{Name: name, Type: dns.TypeA}); err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
		}
	})
}

// BenchmarkNetworkConcurrent asks many distinct questions at once of a
// server 10ms away, straight through one Network (no cache): the cost of
// the client under load (sockets, goroutines, allocations), not of the
// round trips, which overlap.
func BenchmarkNetworkConcurrent(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("delay10ms-%d", n), func(b *testing.B) {
			net := lookuptest.Network(b, lookuptest.Serve(b, example(b), lookuptest.Delay(10*time.Millisecond)))
			net.Timeout = 2 * time.Second
			round, failed := 0, atomic.Int64{}
			for b.Loop() {
				round++
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						name := fmt.Sprintf("h%d-%d.example.com", round, i)
						a, err := net.Lookup(ctx, lookup.Question{Name: name, Type: dns.TypeA})
						if err != nil || a.Status() != lookup.StatusNXDomain {
							failed.Add(1) // counted, not fatal: the old client lost many
						}
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(failed.Load())/float64(round), "failed/op")
		})
	}
}
