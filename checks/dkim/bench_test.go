package dkim

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/lookup"
)

// slow answers from r after a delay, counting the questions: a stand-in
// for a resolver one round trip away.
type slow struct {
	r     lookup.Resolver
	delay time.Duration
	n     atomic.Int64
}

func (s *slow) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	s.n.Add(1)
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.r.Lookup(ctx, q)
}

// TestProbeConcurrent: probing every common selector costs about one round
// trip, not one per selector.
func TestProbeConcurrent(t *testing.T) {
	const delay = 20 * time.Millisecond
	r := &slow{r: checktest.Zones(t, soa+txt("google._domainkey", "v=DKIM1; k=ed25519; p="+ed25519Raw)), delay: delay}
	start := time.Now()
	res := checktest.Run(t, r, &checks.Ticket{Sender: "example.com"}, Check)
	took := time.Since(start)
	if got := r.n.Load(); got != int64(len(CommonSelectors)) {
		t.Errorf("%d lookups, want %d", got, len(CommonSelectors))
	}
	if took > 10*delay {
		t.Errorf("probing %d selectors took %v with %v per answer: not concurrent", len(CommonSelectors), took, delay)
	}
	if len(res.Check("dkim").Result.(*Result).Keys) != 1 {
		t.Error("google key not found")
	}
	t.Logf("probed %d selectors in %v (%v per answer)", len(CommonSelectors), took, delay)
}

// BenchmarkProbe measures the probe of every common selector with 20 ms
// per answer: one round trip on the critical path.
func BenchmarkProbe(b *testing.B) {
	r := &slow{r: checktest.Zones(b, soa+txt("google._domainkey", "v=DKIM1; k=ed25519; p="+ed25519Raw)), delay: 20 * time.Millisecond}
	for b.Loop() {
		checktest.Run(b, r, &checks.Ticket{Sender: "example.com"}, Check)
	}
	b.ReportMetric(float64(r.n.Load())/float64(b.N), "lookups/op")
}
