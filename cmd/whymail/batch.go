package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"runtime/debug"

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

// The GOGC and GOMEMLIMIT of a batch, unless either is set.
const (
	batchGCPercent   = 400
	batchMemoryLimit = 256 << 20
)

// slot is one item's place in the output order.
type slot[R any] struct {
	res   R
	ready chan struct{}
}

// ordered runs a batch. read emits items in input order and returns the
// input's error, if any; it stops when emit returns false. start is called
// for each item on the reading goroutine and must not block: it arranges
// for done to be called once, from any goroutine, with the item's result.
// write is called for each result in input order, and flush whenever the
// writer would wait for a result (so the output streams). On a write error
// or a cancelled ctx everything stops and ordered returns the error; else,
// when every emitted item is written, the read error.
func ordered[I, R any](ctx context.Context, window int,
	read func(emit func(I) bool) error,
	start func(item I, done func(R)),
	write func(R) error, flush func() error,
) error {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		// A batch makes much short-lived garbage over a live heap the
		// window and the cache bound: collecting at 5 times the live
		// heap, not twice, saves a third of its CPU (issue 12), and the
		// soft limit keeps that from growing the process past it.
		defer debug.SetGCPercent(debug.SetGCPercent(batchGCPercent))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(batchMemoryLimit))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan *slot[R], window) // held slots, in input order
	free := make(chan struct{}, window)  // one token per slot in use
	readErr := make(chan error, 1)
	go func() {
		defer close(queue)
		emit := func(it I) bool {
			select {
			case free <- struct{}{}:
			case <-ctx.Done():
				return false
			}
			s := &slot[R]{ready: make(chan struct{})}
			queue <- s // never blocks: at most window slots are held
			start(it, func(r R) { s.res = r; close(s.ready) })
			return true
		}
		readErr <- read(emit)
	}()
	for s := range queue {
		select {
		case <-s.ready:
		default:
			if err := flush(); err != nil {
				return err
			}
			select {
			case <-s.ready:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := write(s.res); err != nil {
			return err
		}
		<-free
	}
	if err := flush(); err != nil {
		return err
	}
	if err := <-readErr; err != nil {
		return err
	}
	return ctx.Err()
}

// lineWriter buffers output for ordered: flushed whenever the writer
// waits, so a slow item never hides the lines before it.
func lineWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 64<<10) }
