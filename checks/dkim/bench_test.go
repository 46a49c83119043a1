package dkim

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

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
	if got := r.n.Load(); got != int64(len(CommonSelectors))+1 {
		t.Errorf("%d lookups, want %d (every selector, and _domainkey)", got, len(CommonSelectors)+1)
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

// TestProbeNoTree: when _domainkey.DOMAIN does not exist (RFC 8020), no
// selector can: the probe asks it and the first few selectors, finds none,
// and says why the others were not asked. A server that wrongly answers
// NXDOMAIN there (an empty non-terminal) is caught by those first few,
// and then every selector is probed.
func TestProbeNoTree(t *testing.T) {
	r := &slow{r: checktest.Zones(t, soa), delay: time.Millisecond}
	res := checktest.Run(t, r, &checks.Ticket{Sender: "example.com"}, Check)
	if got := r.n.Load(); got != probeFirst+1 {
		t.Errorf("%d lookups for a domain without _domainkey, want %d", got, probeFirst+1)
	}
	var f checks.Finding
	for _, g := range res.Findings() {
		if g.ID == idNoneProbed {
			f = g
		}
	}
	if !strings.Contains(f.Message, "RFC 8020") || f.Data["domainkey"] != "nxdomain" {
		t.Errorf("finding %q %v does not say why the other selectors were not asked", f.Message, f.Data)
	}

	// NXDOMAIN at _domainkey although selector1 is there.
	z := checktest.Zones(t, soa+txt("selector1._domainkey", "v=DKIM1; k=ed25519; p="+ed25519Raw))
	broken := &slow{r: resolverFunc(func(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
		a, err := z.Lookup(ctx, q)
		if err == nil && strings.EqualFold(q.Name, "_domainkey.example.com.") {
			a.Rcode = dns.RcodeNameError
		}
		return a, err
	}), delay: time.Millisecond}
	res = checktest.Run(t, broken, &checks.Ticket{Sender: "example.com"}, Check)
	if got := broken.n.Load(); got != int64(len(CommonSelectors))+1 {
		t.Errorf("%d lookups against a server breaking RFC 8020, want all %d", got, len(CommonSelectors)+1)
	}
	if keys := res.Check("dkim").Result.(*Result).Keys; len(keys) != 1 || keys[0].Selector != "selector1" {
		t.Errorf("keys %+v, want selector1's", keys)
	}
}

type resolverFunc func(context.Context, lookup.Question) (*lookup.Answer, error)

func (f resolverFunc) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	return f(ctx, q)
}
