package lookup

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Shared is a Resolver in front of another that keeps answers across runs,
// for a server whose requests each have their own Cache: an answer is kept
// for the smallest TTL of its records (NXDOMAIN and NODATA for NegativeTTL),
// never longer than MaxTTL, and at most Size answers are kept, the least
// recently used going first. Failures (SERVFAIL, REFUSED, timeouts, network
// errors) are not kept: the next run asks again.
type Shared struct {
	next Resolver
	// Size bounds the answers kept; MaxTTL and NegativeTTL bound how long.
	Size                int
	MaxTTL, NegativeTTL time.Duration
	now                 func() time.Time

	mu       sync.Mutex
	order    *list.List // of *sharedEntry, most recently used first
	byQ      map[Question]*list.Element
	hits     int
	inflight map[Question]*sharedCall // misses being asked, which others wait for
}

// sharedCall is one miss being asked of the resolver behind.
type sharedCall struct {
	done chan struct{}
	a    *Answer
	err  error
	// abandoned: the asker's ctx ended first, so its error is its own;
	// those waiting ask again.
	abandoned bool
}

type sharedEntry struct {
	q       Question
	a       *Answer
	expires time.Time
}

// Defaults of a Shared cache.
const (
	DefaultSharedSize  = 10000
	DefaultMaxTTL      = time.Hour
	DefaultNegativeTTL = time.Minute
)

// NewShared returns a Shared cache of at most size answers in front of r
// (size <= 0: DefaultSharedSize).
func NewShared(r Resolver, size int) *Shared {
	if size <= 0 {
		size = DefaultSharedSize
	}
	return &Shared{next: r, Size: size, MaxTTL: DefaultMaxTTL, NegativeTTL: DefaultNegativeTTL,
		now: time.Now, order: list.New(), byQ: map[Question]*list.Element{}, inflight: map[Question]*sharedCall{}}
}

// Lookup answers q from the kept answers while they live, else asks the
// resolver behind and keeps what it may. Concurrent misses of one
// question (two requests about the same domain) are asked once.
func (s *Shared) Lookup(ctx context.Context, q Question) (*Answer, error) {
	q = q.normal()
	for {
		if a := s.get(q); a != nil {
			return a, nil
		}
		s.mu.Lock()
		c, waiting := s.inflight[q]
		if !waiting {
			c = &sharedCall{done: make(chan struct{})}
			s.inflight[q] = c
		}
		s.mu.Unlock()
		if waiting {
			select {
			case <-c.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if c.abandoned {
				continue
			}
			return c.a, c.err
		}
		c.a, c.err = s.next.Lookup(ctx, q)
		if c.err == nil && c.a != nil {
			if ttl := s.ttl(c.a); ttl > 0 {
				s.put(q, c.a, ttl)
			}
		}
		c.abandoned = c.err != nil && ctx.Err() != nil
		s.mu.Lock()
		delete(s.inflight, q)
		s.mu.Unlock()
		close(c.done)
		return c.a, c.err
	}
}

// ttl is how long a may be kept: 0 for a failure.
func (s *Shared) ttl(a *Answer) time.Duration {
	switch a.Status() {
	case StatusNXDomain, StatusNoData:
		return s.NegativeTTL
	case StatusOK:
	default:
		return 0
	}
	ttl := s.MaxTTL
	for _, rr := range a.Records {
		if t := time.Duration(rr.Header().Ttl) * time.Second; t < ttl {
			ttl = t
		}
	}
	return ttl
}

func (s *Shared) get(q Question) *Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.byQ[q]
	if !ok {
		return nil
	}
	e := el.Value.(*sharedEntry)
	if !s.now().Before(e.expires) {
		s.order.Remove(el)
		delete(s.byQ, q)
		return nil
	}
	s.order.MoveToFront(el)
	s.hits++
	return e.a
}

func (s *Shared) put(q Question, a *Answer, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.byQ[q]; ok {
		s.order.Remove(el)
	}
	s.byQ[q] = s.order.PushFront(&sharedEntry{q: q, a: a, expires: s.now().Add(ttl)})
	for s.order.Len() > s.Size {
		last := s.order.Back()
		s.order.Remove(last)
		delete(s.byQ, last.Value.(*sharedEntry).q)
	}
}

// Len returns how many answers are kept; Hits how many lookups they answered.
func (s *Shared) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}

// Hits returns how many lookups were answered from kept answers.
func (s *Shared) Hits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}
