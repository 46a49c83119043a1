package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"

	"github.com/whymail/whymail/internal/lookup"
)

// The batch commands (address --input, domain --input) check items as
// they are read and write the results in input order. The window, not the
// number of workers, bounds the items held between reading and writing, so
// memory is bounded however long the input, and one slow item delays only
// the writing of those after it, never their checking: up to window-1
// items behind it are checked meanwhile. What bounds the DNS is the
// network's queries in flight (--dns-concurrency).

// forBatch readies a batch's cache: no trace (nothing shows it), and a
// bound on the answers kept, so that memory does not grow with the input:
// batchAnswers is far more than the questions in flight, and a forgotten
// answer (an ESP's shared SPF include, say) is only asked again.
func forBatch(c *lookup.Cache) {
	c.DropTrace()
	c.Bound(batchAnswers)
}

const batchAnswers = 50000

// The GOGC and GOMEMLIMIT of a batch, unless either is set: no collection
// until the process nears the limit.
const (
	batchGCPercent   = -1
	batchMemoryLimit = 256 << 20
)

// ordered runs a batch. read emits items in input order and returns the
// input's error, if any; it stops when emit returns false. start is called
// for each item on the reading goroutine and must not block: it arranges
// for done to be called once, from any goroutine, with the item's result.
// write is called for each result in input order, and flush whenever the
// writer would wait for a result (so the output streams). On a write error
// or a cancelled ctx everything stops and ordered returns the error; else,
// when every emitted item is written, the read error.
//
// The items held are a ring of window places, so an item costs no
// allocation of its own.
func ordered[I, R any](ctx context.Context, window int,
	read func(emit func(I) bool) error,
	start func(item I, done func(R)),
	write func(R) error, flush func() error,
) error {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		// A batch makes much short-lived garbage over a live heap the
		// window and the cache bound: collecting only near the soft
		// limit, not each time the heap doubles, saves a third of its
		// CPU (issue 12: 10,000 addresses then need no collection at
		// all, 8% less CPU than at GOGC 400), and the limit bounds it.
		defer debug.SetGCPercent(debug.SetGCPercent(batchGCPercent))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(batchMemoryLimit))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &ring[R]{res: make([]R, window), done: make([]bool, window)}
	r.cond = sync.NewCond(&r.mu)
	context.AfterFunc(ctx, r.wake) // the deferred cancel runs it, waking a blocked reader
	readErr := make(chan error, 1)
	go func() {
		defer func() {
			r.mu.Lock()
			r.closed = true
			r.mu.Unlock()
			r.wake()
		}()
		emit := func(it I) bool {
			r.mu.Lock()
			for r.tail-r.head == len(r.res) && ctx.Err() == nil {
				r.cond.Wait()
			}
			if ctx.Err() != nil {
				r.mu.Unlock()
				return false
			}
			i := r.tail % len(r.res)
			r.done[i] = false
			r.tail++
			r.mu.Unlock()
			start(it, func(res R) { r.finish(i, res) })
			return true
		}
		readErr <- read(emit)
	}()
	for {
		r.mu.Lock()
		for r.head == r.tail && !r.closed && ctx.Err() == nil {
			r.cond.Wait()
		}
		if err := ctx.Err(); err != nil {
			r.mu.Unlock()
			return err
		}
		if r.head == r.tail { // closed, all written
			r.mu.Unlock()
			break
		}
		i := r.head % len(r.res)
		if !r.done[i] {
			r.mu.Unlock()
			if err := flush(); err != nil {
				return err
			}
			r.mu.Lock()
			for !r.done[i] && ctx.Err() == nil {
				r.cond.Wait()
			}
			if err := ctx.Err(); err != nil {
				r.mu.Unlock()
				return err
			}
		}
		res := r.res[i]
		var zero R
		r.res[i] = zero
		r.head++
		r.mu.Unlock()
		r.cond.Broadcast() // a place is free for the reader
		if err := write(res); err != nil {
			return err
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := <-readErr; err != nil {
		return err
	}
	return ctx.Err()
}

// ring is ordered's places: items tail-head are held, in input order.
type ring[R any] struct {
	mu         sync.Mutex
	cond       *sync.Cond // a result came, a place was freed, reading ended, or ctx ended
	res        []R
	done       []bool
	head, tail int // the next to write, the next to fill (counting from 0)
	closed     bool
}

func (r *ring[R]) finish(i int, res R) {
	r.mu.Lock()
	r.res[i], r.done[i] = res, true
	r.mu.Unlock()
	r.cond.Broadcast()
}

// wake wakes every waiter to look again (at ctx, or at closed). The lock
// is held so that none is between its look and its Wait.
func (r *ring[R]) wake() {
	r.mu.Lock()
	r.cond.Broadcast()
	r.mu.Unlock()
}

// flusher is ordered's flush of w.
func flusher(w *bufio.Writer) func() error {
	return func() error {
		if err := w.Flush(); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		return nil
	}
}

// lineWriter buffers output for ordered: flushed whenever the writer
// waits, so a slow item never hides the lines before it.
func lineWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 64<<10) }
