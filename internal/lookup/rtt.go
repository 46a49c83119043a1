package lookup

import (
	"sync"
	"time"
)

// rttEstimator learns one server's round trip, as TCP does (RFC 6298 §2):
// a smoothed mean and mean deviation, from which comes the retransmission
// timeout of a try before the last round (Network.tryLimit). Every answer
// is a sample, retries' too: a try's ID says which one was answered.
//
// A try retried on that timeout, before the schedule's wait, is an early
// retry, and early retries are rationed: one for every earlyPer answers.
// The first answers of a burst are the fastest (a recursive resolver's
// cache hits), so the timeout they teach is too short for the cache
// misses still on their way; without the ration every one of those would
// be sent two or three times before its answer taught otherwise. With it
// a server gets at most 1/earlyPer more queries than answers, however its
// round trips are spread, while a burst of which a part was lost (a
// server's full receive buffer) has its losses retried about a round trip
// after they were sent.
type rttEstimator struct {
	mu     sync.Mutex
	srtt   time.Duration
	rttvar time.Duration
	n      int
	credit int // answers not yet spent on early retries, capped at maxCredit
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
	// earlyPer is the answers that earn one early retry.
	earlyPer = 4
	// maxCredit bounds the early retries saved up, so that a long quiet
	// run does not buy a burst of them.
	maxCredit = 256 * earlyPer
)

// add takes one round trip.
func (e *rttEstimator) add(r time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.credit = min(e.credit+1, maxCredit)
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

// early takes one early retry from the ration, if there is one.
func (e *rttEstimator) early() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.credit < earlyPer {
		return false
	}
	e.credit -= earlyPer
	return true
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
	// In floating point: rto times 2^round may not fit a Duration.
	if d := float64(rto) * l.scale; d < float64(l.wait) {
		return time.Duration(d)
	}
	return l.wait
}

// expired reports whether a try sent elapsed ago has waited its limit; an
// early retry must also get one from the server's ration, or the try
// waits on (for its schedule, or for a ration earned meanwhile).
func (l tryLimit) expired(elapsed time.Duration) bool {
	switch {
	case elapsed >= l.wait:
		return true
	case elapsed < l.get():
		return false
	}
	return l.rtt.early()
}

// next is when a try sent elapsed ago, and not expired, should look at
// its limit again.
func (l tryLimit) next(elapsed time.Duration) time.Duration {
	if l.rtt == nil {
		return l.wait - elapsed
	}
	left := l.get() - elapsed
	if left <= 0 {
		left = l.wait - elapsed // past the learnt limit: waiting for a ration, or the schedule
	}
	return max(min(left, recheck), time.Millisecond)
}
