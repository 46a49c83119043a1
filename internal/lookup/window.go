package lookup

import (
	"context"
	"sync"
	"time"
)

// window bounds the questions a Network has in flight, as TCP bounds the
// segments: up to max, but halved when questions go unanswered (a server
// whose receive buffer a burst overflowed drops the rest, and would drop
// every retry sent at the same rate), then grown by one for each question
// answered at the first try. With no loss it stays at max.
type window struct {
	mu       sync.Mutex
	max      int
	limit    int // questions let in at once now
	inflight int
	lastCut  time.Time
	waiters  []chan struct{} // first come, first let in
}

const (
	// minWindow is the least the window is cut to.
	minWindow = 16
	// cutEvery: the window is halved at most once in this time, as
	// the losses of one burst show over about one retry wait.
	cutEvery = minWait
)

func newWindow(max int) *window { return &window{max: max, limit: max} }

// acquire waits for room for one question, or for ctx to end.
func (w *window) acquire(ctx context.Context) error {
	w.mu.Lock()
	if w.inflight < w.limit && len(w.waiters) == 0 {
		w.inflight++
		w.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	w.waiters = append(w.waiters, ch)
	w.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		w.mu.Lock()
		for i, c := range w.waiters {
			if c == ch {
				w.waiters = append(w.waiters[:i], w.waiters[i+1:]...)
				w.mu.Unlock()
				return ctx.Err()
			}
		}
		w.mu.Unlock()
		w.release(false) // let in meanwhile: pass the room on
		return ctx.Err()
	}
}

// release gives back one question's room; lost says it needed a retry.
func (w *window) release(lost bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inflight--
	switch now := time.Now(); {
	case lost && now.Sub(w.lastCut) >= cutEvery:
		w.limit, w.lastCut = max(w.limit/2, min(minWindow, w.max)), now
	case !lost && w.limit < w.max:
		w.limit++
	}
	for w.inflight < w.limit && len(w.waiters) > 0 {
		close(w.waiters[0])
		w.waiters = w.waiters[1:]
		w.inflight++
	}
}
