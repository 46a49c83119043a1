package lookup

import (
	"context"
	"testing"
	"time"
)

// TestWindow: the bound is max while questions are answered, halves (at
// most once per cutEvery, never below minWindow) when they go unanswered,
// grows back by one per answered question, and a waiter whose ctx ends
// leaves without taking room.
func TestWindow(t *testing.T) {
	w := newWindow(64)
	ctx := context.Background()
	for range 64 {
		if err := w.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := w.acquire(short); err == nil {
		t.Fatal("a 65th question was let in with 64 in flight")
	}
	w.release(true) // unanswered: halved to 32
	w.release(true) // within cutEvery: not cut again
	if w.limit != 32 || w.inflight != 62 {
		t.Fatalf("after two losses: limit %d, in flight %d; want 32, 62", w.limit, w.inflight)
	}
	for range 30 {
		w.release(false)
	}
	if w.limit != 62 || w.inflight != 32 {
		t.Fatalf("after 30 answers: limit %d, in flight %d; want 62, 32", w.limit, w.inflight)
	}
	w.lastCut = time.Time{}
	w.limit = minWindow + 1
	w.release(true)
	if w.limit != minWindow {
		t.Errorf("cut to %d, want the floor %d", w.limit, minWindow)
	}
	// A waiter is let in, in turn, when room comes back.
	w = newWindow(1)
	w.acquire(ctx)
	got := make(chan error, 1)
	go func() { got <- w.acquire(ctx) }()
	for {
		w.mu.Lock()
		n := len(w.waiters)
		w.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	w.release(false)
	if err := <-got; err != nil || w.inflight != 1 {
		t.Errorf("waiter: %v, in flight %d; want nil, 1", err, w.inflight)
	}
}
