package lookup

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Exchange is one question and what came of it, as kept for the trace.
type Exchange struct {
	Question Question
	Answer   *Answer // nil when Err is set
	Err      error
	Status   Status
	Start    time.Time
	Duration time.Duration
	Shared   bool // answered from the cache or by merging with an identical in-flight query
}

// Cache wraps a Resolver for one run: each distinct question is asked once,
// concurrent identical questions wait for the same answer, and every
// exchange is kept in order for the trace.
type Cache struct {
	next Resolver

	mu      sync.Mutex
	entries map[Question]*entry
	// old is the generation before entries, when the cache is bounded: a
	// question found there moves to entries, and when entries is full,
	// old is forgotten and entries becomes it. So at most 2*limit answers
	// are kept, the ones not asked for longest going first.
	old     map[Question]*entry
	limit   int
	asked   int
	trace   []Exchange
	noTrace bool
}

type entry struct {
	done chan struct{}
	a    *Answer
	err  error
	// abandoned: the asker's ctx ended first; the error is its own, not
	// an answer to keep.
	abandoned bool
	finished  time.Time
}

// ErrorTTL is how long a lookup that got no answer (a timeout, a network
// error) is remembered. Within it, checks of one run do not each wait out
// the same dead server; after it, a long batch asks again, so one timeout
// does not make every later address at that domain unknown.
const ErrorTTL = 10 * time.Second

// NewCache returns a Cache in front of r.
func NewCache(r Resolver) *Cache {
	return &Cache{next: r, entries: map[Question]*entry{}}
}

// Lookup answers q once per run. When the caller that asked first gives up
// (its ctx is cancelled), its error is not kept: callers still waiting, and
// later ones, ask again.
func (c *Cache) Lookup(ctx context.Context, q Question) (*Answer, error) {
	q = q.normal()
	start := time.Now()
	for {
		c.mu.Lock()
		e, shared := c.entries[q]
		if !shared && c.old != nil {
			if e, shared = c.old[q]; shared {
				delete(c.old, q)
				c.add(q, e)
			}
		}
		if shared && staleFailure(e) {
			delete(c.entries, q) // a failure long ago: ask again
			shared = false
		}
		if !shared {
			e = &entry{done: make(chan struct{})}
			c.add(q, e)
			c.asked++
		}
		c.mu.Unlock()
		if shared {
			select {
			case <-e.done:
			case <-ctx.Done():
				c.record(Exchange{Question: q, Err: ctx.Err(), Status: StatusOf(nil, ctx.Err()),
					Start: start, Duration: time.Since(start), Shared: true})
				return nil, ctx.Err()
			}
			if e.abandoned {
				continue
			}
		} else {
			e.a, e.err = c.ask(ctx, q)
			e.finished = time.Now()
			if e.err != nil && ctx.Err() != nil {
				e.abandoned = true
				c.mu.Lock()
				if c.entries[q] == e {
					delete(c.entries, q)
				}
				if c.old[q] == e {
					delete(c.old, q)
				}
				c.mu.Unlock()
			}
			close(e.done)
		}
		c.record(Exchange{Question: q, Answer: e.a, Err: e.err, Status: StatusOf(e.a, e.err),
			Start: start, Duration: time.Since(start), Shared: shared})
		return e.a, e.err
	}
}

// add keeps e for q; c.mu is held.
func (c *Cache) add(q Question, e *entry) {
	if c.limit > 0 && len(c.entries) >= c.limit {
		c.old, c.entries = c.entries, make(map[Question]*entry, c.limit)
	}
	c.entries[q] = e
}

// Bound keeps at most about 2*n answers, forgetting those not asked for
// longest (a forgotten question is asked again), for batch runs whose
// memory must not grow with the input. n < 1 keeps every answer.
func (c *Cache) Bound(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = max(n, 0)
	if c.limit > 0 && c.old == nil {
		c.old = map[Question]*entry{}
	}
}

// staleFailure reports whether e is finished, without an answer, and older
// than ErrorTTL. Its fields are read only after done is closed.
func staleFailure(e *entry) bool {
	select {
	case <-e.done:
		return e.err != nil && time.Since(e.finished) > ErrorTTL
	default:
		return false
	}
}

// ask asks the resolver behind the cache, turning a panic into an error
// so that callers waiting for the same answer are never left hanging.
func (c *Cache) ask(ctx context.Context, q Question) (a *Answer, err error) {
	defer func() {
		if v := recover(); v != nil {
			a, err = nil, fmt.Errorf("lookup %s: resolver panicked: %v", q, v)
		}
	}()
	return c.next.Lookup(ctx, q)
}

func (c *Cache) record(x Exchange) {
	c.mu.Lock()
	if !c.noTrace {
		c.trace = append(c.trace, x)
	}
	c.mu.Unlock()
}

// DropTrace stops keeping exchanges, for long batch runs whose memory
// should grow only with the distinct questions asked.
func (c *Cache) DropTrace() {
	c.mu.Lock()
	c.noTrace, c.trace = true, nil
	c.mu.Unlock()
}

// Trace returns every exchange so far, in the order they finished.
func (c *Cache) Trace() []Exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Exchange(nil), c.trace...)
}

// Asked returns how many questions went to the resolver behind the cache.
func (c *Cache) Asked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.asked
}
