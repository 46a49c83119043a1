package maillog

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"time"
	"unsafe"
)

// fastLine reads, as line does, a line that names no watched address
// (the prefilter said so) in the shape of most of a big log: a syslog line
// of the second of the syslog line before (whose time is known without
// parsing: a traditional timestamp the same, an RFC 3339 one the same but
// for its fraction), by Postfix or by a program that is no mail system.
// It returns false, having changed nothing, for any other line: line
// reads it.
func (r *textReader) fastLine(n int, s string) (int, bool) {
	var t time.Time
	var h int // where the host starts
	zoneless := false
	switch {
	case len(s) > 16 && s[15] == ' ' && r.syslogZoneless && s[:15] == r.syslogStamp:
		t, h, zoneless = r.syslogTime, 16, true
	case len(s) > 20 && s[4] == '-' && s[10] == 'T':
		sp := strings.IndexByte(s, ' ')
		if sp < 0 {
			return 0, false
		}
		var ok bool
		if s[:sp] == r.syslogStamp && !r.syslogZoneless {
			t, ok = r.syslogTime, true
		} else {
			t, ok = r.sameSecond(s[:sp])
		}
		if !ok {
			return 0, false
		}
		h = sp + 1
	default:
		return 0, false
	}
	// "host prog[pid]: msg", no space in prog, nor a colon (as
	// syslogHeader has it, the first ": " ends prog).
	start := h
	for h < len(s) && s[h] != ' ' {
		h++
	}
	if h == start || h == len(s) {
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
	if t != r.syslogTime {
		r.seen(t)
	} else if !r.stampSeen {
		r.seen(t)
		r.stampSeen = true
	}
	r.syslog++
	if zoneless {
		r.zoneless = true
	}
	if !isPostfix(prog) {
		// Another program's (line: lost or program, and no watched
		// address named).
		return notRelevant, true
	}
	r.postfix++
	return tally(&r.postfixRead, r.postfixUnnamed(n, t, s[j+2:])), true
}

// sameSecond returns the time of an RFC 3339 timestamp of the second of
// the one parsed last, with the same zone, a fraction of at most nine
// digits or none: that time plus the fraction, as time.Parse reads it.
func (r *textReader) sameSecond(stamp string) (time.Time, bool) {
	head, frac, zone, ok := splitStamp(stamp)
	if !ok || r.secTime.IsZero() || head != r.secHead || zone != r.secZone {
		return time.Time{}, false
	}
	return r.secTime.Add(time.Duration(frac)), true
}

// second keeps the second of stamp, which time.Parse read as t, for
// sameSecond.
func (r *textReader) second(stamp string, t time.Time) {
	head, frac, zone, ok := splitStamp(stamp)
	if !ok || int(frac) != t.Nanosecond() {
		return
	}
	r.secHead, r.secZone, r.secTime = strings.Clone(head), strings.Clone(zone), t.Add(-time.Duration(frac))
}

// splitStamp splits "2006-01-02T15:04:05[.999999999]Z07:00" around its
// fraction (in nanoseconds), when it has that shape: the zone "Z" or
// "+hh:mm".
func splitStamp(s string) (head string, frac int64, zone string, ok bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return
	}
	head, zone = s[:19], s[19:]
	if zone[0] == '.' {
		n := 1
		for n < len(zone) && zone[n] >= '0' && zone[n] <= '9' {
			frac = frac*10 + int64(zone[n]-'0')
			n++
		}
		if n == 1 || n > 10 {
			return "", 0, "", false
		}
		for i := n; i < 10; i++ {
			frac *= 10
		}
		zone = zone[n:]
	}
	if zone != "Z" && (len(zone) != 6 || zone[0] != '+' && zone[0] != '-' || zone[3] != ':') {
		return "", 0, "", false
	}
	return head, frac, zone, true
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
