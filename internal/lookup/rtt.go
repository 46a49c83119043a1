package lookup

import (
	"sync"
	"time"
)

// rttEstimator learns one server's round trip, as TCP does (RFC 6298 §2):
// a smoothed mean and mean deviation, from which comes the retransmission
// timeout of a try before the last round (Network.tryLimit). Every answer
// is a sample, retries' too: a try's ID says which one was answered.
type rttEstimator struct {
	mu     sync.Mutex
	srtt   time.Duration
	rttvar time.Duration
	n      int
}

const (
	// minRTO is the least a try waits before it is retried on a learnt
	// round trip: Unbound's RTT_MIN_TIMEOUT. Shorter, a loaded server's
	// jitter would pass for loss.
	minRTO = 50 * time.Millisecond
	// recheck is how often a waiting try looks at its limit again: the
	// round trips of a burst's first answers are learnt while the rest of
	// it waits, and a try lost in that burst should not wait out the
	// schedule made before anything was known.
	recheck = minRTO
)

// add takes one round trip.
func (e *rttEstimator) add(r time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n++; e.n == 1 {
		e.srtt, e.rttvar = r, r/2
		return
	}
	d := e.srtt - r
	if d < 0 {
		d = -d
	}
	e.rttvar = (3*e.rttvar + d) / 4
	e.srtt = (7*e.srtt + r) / 8
}

// rto is the retransmission timeout, srtt + 4·rttvar but at least minRTO;
// ok is false while no round trip has been seen.
func (e *rttEstimator) rto() (d time.Duration, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == 0 {
		return 0, false
	}
	return max(minRTO, e.srtt+4*e.rttvar), true
}

// tryLimit is how long one try waits (Network.tryLimit).
type tryLimit struct {
	wait  time.Duration
	rtt   *rttEstimator // nil: wait it is
	scale float64       // of the learnt timeout
}

// get is the limit now: it shrinks when a round trip is learnt meanwhile.
func (l tryLimit) get() time.Duration {
	if l.rtt == nil {
		return l.wait
	}
	rto, ok := l.rtt.rto()
	if !ok {
		return l.wait
	}
	return min(l.wait, time.Duration(float64(rto)*l.scale))
}

// next is when a try sent elapsed ago should look at its limit again.
func (l tryLimit) next(elapsed time.Duration) time.Duration {
	left := l.get() - elapsed
	if l.rtt != nil {
		left = min(left, recheck)
	}
	return left
}
