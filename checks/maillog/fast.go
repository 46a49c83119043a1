package maillog

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unsafe"
)

// fastLine reads, as line does, a line that names no watched address
// (the prefilter said so) in the shape of most of a big log: a syslog line
// of the second of the syslog line before (whose time is known), by
// Postfix or by a program that is no mail system. It returns false,
// having changed nothing, for any other line: line reads it.
func (r *textReader) fastLine(n int, s string) (int, bool) {
	if len(s) <= 16 || s[15] != ' ' || !r.syslogZoneless || s[:15] != r.syslogStamp {
		return 0, false
	}
	// "host prog[pid]: msg", no space in prog, nor a colon (as
	// syslogHeader has it, the first ": " ends prog).
	h := 16
	for h < len(s) && s[h] != ' ' {
		h++
	}
	if h == 16 || h == len(s) {
		return 0, false
	}
	h++
	j := h + indexEither(s[h:], ':', ' ')
	if j == h || j+1 >= len(s) || s[j] != ':' || s[j+1] != ' ' {
		return 0, false
	}
	prog := s[h:j]
	if b := strings.IndexByte(prog, '['); b >= 0 {
		prog = prog[:b]
	}
	if isExim(prog) {
		return 0, false
	}
	t := r.syslogTime
	if !r.stampSeen {
		r.seen(t)
		r.stampSeen = true
	}
	r.syslog++
	r.zoneless = true
	if !isPostfix(prog) {
		// Another program's (line: lost or program, and no watched
		// address named).
		return notRelevant, true
	}
	r.postfix++
	return tally(&r.postfixRead, r.postfixUnnamed(n, t, s[j+2:])), true
}

// indexEither returns the offset of the first byte of s that is a or b,
// or len(s): eight bytes at a time (a word holds one where its XOR with
// the byte repeated holds a zero byte; the lowest flagged is the first).
func indexEither(s string, a, b byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	p := unsafe.Slice(unsafe.StringData(s), len(s))
	ma, mb := lo*uint64(a), lo*uint64(b)
	i := 0
	for ; i+8 <= len(p); i += 8 {
		v := binary.LittleEndian.Uint64(p[i:])
		x, y := v^ma, v^mb
		if m := ((x-lo)&^x | (y-lo)&^y) & hi; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(p); i++ {
		if p[i] == a || p[i] == b {
			return i
		}
	}
	return len(p)
}
