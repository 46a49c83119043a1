package maillog

import (
	"bufio"
	"bytes"
	"io"
)

// lineReader splits a text log into lines as bufio.Scanner with ScanLines
// does (a final line without newline, a CR before the newline dropped, a
// line of maxLine bytes or more without newline is bufio.ErrTooLong), and
// tells, for whole stretches of its buffer at once, the lines that cannot
// name a watched address (fileState.needleAt, firstHigh), so that most
// lines of a big log are never looked at by the prefilter line by line.
type lineReader struct {
	rd  io.Reader
	fs  *fileState
	buf []byte
	r   int // start of the next line in buf
	w   int // end of the data in buf
	// hit is where, from r on, the first needle of the prefilter starts
	// in buf[:w] (w if none), and high the first byte outside ASCII: the
	// whole lines before both cannot name a watched address.
	hit, high int
	big       bool  // the last read filled buf
	err       error // the read error, io.EOF at the end
}

// Buffer sizes: it starts small (most logs read in tests are), grows to
// readBuf for a big input, and further only for a line that long.
const (
	firstBuf = 64 << 10
	readBuf  = 1 << 20
)

func newLineReader(rd io.Reader, fs *fileState) *lineReader {
	return &lineReader{rd: rd, fs: fs, buf: make([]byte, firstBuf)}
}

// next returns the next line, whether it may name a watched address (the
// prefilter's answer), and false at the end of the input or on an error
// (Err).
func (l *lineReader) next() (line []byte, maybe, ok bool) {
	for {
		data := l.buf[l.r:l.w]
		if len(data) > maxLine {
			data = data[:maxLine]
		}
		i := bytes.IndexByte(data, '\n')
		var end, adv int
		switch {
		case i >= 0:
			end, adv = l.r+i, i+1
		case len(data) >= maxLine:
			l.err = bufio.ErrTooLong
			return nil, false, false
		case l.err != nil:
			if len(data) == 0 {
				return nil, false, false
			}
			end, adv = l.w, len(data)
		default:
			l.fill()
			continue
		}
		line = l.buf[l.r:end]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		// Each position is looked for again only once the lines have
		// gone past it, from there on: every byte is searched about once.
		if end > l.hit {
			l.hit = l.r + l.fs.needleAt(l.buf[l.r:l.w])
		}
		if end > l.high {
			l.high = l.r + firstHigh(l.buf[l.r:l.w])
		}
		maybe = l.fs.slow || (end > l.hit || end > l.high) && l.fs.mayName(line)
		l.r += adv
		return line, maybe, true
	}
}

// fill reads more, after moving the unread data to the start of buf
// (growing it when that is all of it, or when the input is big).
func (l *lineReader) fill() {
	if l.r > 0 {
		copy(l.buf, l.buf[l.r:l.w])
		l.w -= l.r
		l.hit = max(l.hit-l.r, 0)
		l.high = max(l.high-l.r, 0)
		l.r = 0
	}
	switch size := len(l.buf); {
	case l.w == size:
		l.grow(min(2*size, maxLine))
	case l.big && size < readBuf:
		l.grow(min(2*size, readBuf))
	}
	// As bufio.Scanner: what a read returns with an error is read, and
	// many reads of nothing are an error.
	for range 100 {
		n, err := l.rd.Read(l.buf[l.w:])
		l.w += n
		l.big = l.w == len(l.buf)
		if err != nil {
			l.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	l.err = io.ErrNoProgress
}

func (l *lineReader) grow(size int) {
	nb := make([]byte, size)
	copy(nb, l.buf[:l.w])
	l.buf = nb
}

// Err returns the error that ended the lines, nil at the end of the input.
func (l *lineReader) Err() error {
	if l.err == io.EOF {
		return nil
	}
	return l.err
}
