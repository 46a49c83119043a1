// Package textinputtest feeds readers hostile input in tests: input
// without end (a /dev/zero), compressed on the fly, and a measure of what
// reading it allocated, so a test can assert a reader stopped in bounded
// memory.
package textinputtest

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"unicode/utf16"
)

// ErrRanAway is what an Endless returns once it gave Max bytes: the
// reader under test did not stop at its own bound.
var ErrRanAway = errors.New("textinputtest: the reader read on past the test's cap")

// Endless yields Prefix, then Fill bytes (with Sep every Every bytes
// when Every > 0) without end, up to Max bytes (then ErrRanAway).
type Endless struct {
	Prefix string
	Fill   byte
	Sep    byte
	Every  int
	Max    int64
	n      int64
	block  []byte
}

// Zeros is /dev/zero capped at max bytes.
func Zeros(max int64) *Endless { return &Endless{Max: max} }

func (e *Endless) Read(p []byte) (int, error) {
	if e.Max > 0 && e.n >= e.Max {
		return 0, ErrRanAway
	}
	if e.Max > 0 && int64(len(p)) > e.Max-e.n {
		p = p[:e.Max-e.n]
	}
	i := 0
	if e.n < int64(len(e.Prefix)) {
		i = copy(p, e.Prefix[e.n:])
	}
	if i < len(p) {
		// The fill repeats with period Every: copy from one block.
		period := max(e.Every, 1)
		if e.block == nil {
			e.block = make([]byte, (64<<10/period+1)*period)
			for k := range e.block {
				e.block[k] = e.Fill
				if e.Every > 0 && k%period == period-1 {
					e.block[k] = e.Sep
				}
			}
		}
		for i < len(p) {
			off := int((e.n + int64(i) - int64(len(e.Prefix))) % int64(period))
			i += copy(p[i:], e.block[off:])
		}
	}
	e.n += int64(len(p))
	return len(p), nil
}

// Count returns how many bytes were read.
func (e *Endless) Count() int64 { return e.n }

// Gzip compresses r on the fly; Close stops the compressor and waits
// until it no longer reads r.
func Gzip(r io.Reader) io.ReadCloser {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		_, err := io.Copy(zw, r)
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	return &gzipReader{pr, done}
}

type gzipReader struct {
	*io.PipeReader
	done chan struct{}
}

func (g *gzipReader) Close() error {
	err := g.PipeReader.Close()
	<-g.done
	return err
}

// Alloc returns the bytes fn allocated (all goroutines, so run it
// outside parallel tests). A bound on it bounds the peak memory too.
func Alloc(fn func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// MiB formats a byte count for a test message.
func MiB(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// UTF16 encodes s as UTF-16 with a byte order mark, little-endian or
// big-endian, as spreadsheet programs save "Unicode text".
func UTF16(s string, bigEndian bool) []byte {
	var b strings.Builder
	put := func(u uint16) {
		if bigEndian {
			b.WriteByte(byte(u >> 8))
			b.WriteByte(byte(u))
		} else {
			b.WriteByte(byte(u))
			b.WriteByte(byte(u >> 8))
		}
	}
	put(0xfeff)
	for _, u := range utf16.Encode([]rune(s)) {
		put(u)
	}
	return []byte(b.String())
}
