package maillog

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/whymail/whymail/internal/mailaddr"
)

// The prefilter tells, with byte searches only, the lines that cannot
// name a watched address: for those the readers skip every address
// comparison (fileState.maybe is false), which is where the time of a
// big log went. It is conservative: a line it lets through may name no
// watched address; a line it stops names none, as names and watch would
// find it, for these reasons:
//
//   - watch(x) is mailaddr.Match(x, w) on a part x of the line: x is
//     "local@domain", its local part equal to w's or case-folded, its
//     domain equal case-insensitively or in the same A-labels. On an
//     ASCII line, a local part can fold to w's only as asciiFold(w's)
//     does (Unicode folding has at most one ASCII letter in a class), so
//     the line holds asciiFold(local)+"@", ASCII-case-insensitively, and
//     after it the domain folded (asciiFold) or NormalDomain's form
//     (A-labels of an ASCII name are the name lower-cased, less spaces).
//   - names(s) finds the lower-cased watched text in s, case-folded: on
//     an ASCII line only an ASCII needle can be found, and it holds the
//     local part, "@" and the domain as above, or is checked as itself.
//   - A line with any byte outside ASCII is always let through.

// needle is what an ASCII line must hold to name one watched address.
type needle struct {
	local   foldNeedle   // asciiFold(local part) + "@"; unset when the address has no @
	domains []foldNeedle // after local: one of these
	plain   *foldNeedle  // or this anywhere (names' needle when not implied)
}

// foldNeedle is a lower-case ASCII string searched for ASCII-case-
// insensitively: by an anchor of one or two bytes in each case variant
// (the pair of the needle with the fewest letters), then compared whole.
type foldNeedle struct {
	s        string
	at       int      // offset of the anchor in s
	variants [][]byte // the anchor in each case
}

func newFoldNeedle(s string) foldNeedle {
	n := foldNeedle{s: s}
	if len(s) == 0 {
		return n
	}
	if len(s) == 1 {
		n.variants = caseVariants(s)
		return n
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		// One byte, rarer in a log than any letter: an address's @.
		n.at, n.variants = i, [][]byte{{'@'}}
		return n
	}
	best, bestLetters := 0, 3
	for k := 0; k+1 < len(s); k++ {
		l := 0
		for _, c := range []byte{s[k], s[k+1]} {
			if c >= 'a' && c <= 'z' {
				l++
			}
		}
		// Prefer fewer letters, then a later pair (the end of a local
		// part, before "@", says more than its start).
		if l <= bestLetters {
			best, bestLetters = k, l
		}
	}
	n.at = best
	n.variants = caseVariants(s[best : best+2])
	return n
}

// caseVariants returns s (lower-case ASCII) in every letter case.
func caseVariants(s string) [][]byte {
	out := []string{""}
	for i := 0; i < len(s); i++ {
		c := s[i]
		var next []string
		for _, p := range out {
			next = append(next, p+string(c))
			if c >= 'a' && c <= 'z' {
				next = append(next, p+string(c-'a'+'A'))
			}
		}
		out = next
	}
	var vs [][]byte
	for _, v := range out {
		vs = append(vs, []byte(v))
	}
	return vs
}

// index returns the first offset of n in b, ASCII-case-insensitively, or -1.
func (n *foldNeedle) index(b []byte) int {
	if len(n.s) == 0 {
		return 0
	}
	first := -1
	for _, v := range n.variants {
		from := 0
		for {
			// Once a match is found, an earlier one has its anchor
			// before first+at.
			end := len(b)
			if first >= 0 {
				end = min(end, first+n.at+len(v)-1)
			}
			if from >= end {
				break
			}
			var j int
			if len(v) == 1 {
				j = bytes.IndexByte(b[from:end], v[0])
			} else {
				j = bytes.Index(b[from:end], v)
			}
			if j < 0 {
				break
			}
			j += from
			start := j - n.at
			if first >= 0 && start >= first {
				break
			}
			if start >= 0 && start+len(n.s) <= len(b) && equalFoldASCII(b[start:start+len(n.s)], n.s) {
				first = start
				break
			}
			from = j + 1
		}
	}
	return first
}

// equalFoldASCII reports whether b equals lower (lower-case ASCII)
// ignoring ASCII case.
func equalFoldASCII(b []byte, lower string) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// asciiFold returns the lower-case ASCII string that an ASCII string
// equals under strings.EqualFold exactly when it equals s so, and false
// when no ASCII string does.
func asciiFold(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError {
			return "", false
		}
		a := rune(-1)
		for f := r; ; {
			if f < utf8.RuneSelf {
				a = f
				break
			}
			if f = unicode.SimpleFold(f); f == r {
				break
			}
		}
		if a < 0 {
			return "", false
		}
		if a >= 'A' && a <= 'Z' {
			a += 'a' - 'A'
		}
		b.WriteByte(byte(a))
	}
	return b.String(), true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// newNeedles returns the needles of the watched addresses.
func newNeedles(watched []string) []needle {
	var out []needle
	for _, w := range watched {
		var nd needle
		lower := strings.ToLower(strings.TrimSpace(w))
		plain := lower != "" && isASCII(lower) // names' needle, as names looks for it
		if local, domain, ok := mailaddr.Split(strings.Trim(strings.TrimSpace(w), "<>")); ok && domain != "" {
			if l, ok := asciiFold(local); ok {
				nd.local = newFoldNeedle(l + "@")
				d := strings.TrimSuffix(domain, ".")
				var ds []string
				if f, ok := asciiFold(d); ok {
					ds = append(ds, f)
				}
				if a := mailaddr.NormalDomain(d); isASCII(a) {
					ds = append(ds, a)
				}
				for _, d := range ds {
					nd.domains = append(nd.domains, newFoldNeedle(d))
				}
				if plain {
					// Implied when lower holds local@ and then a domain.
					if i := strings.Index(lower, nd.local.s); i >= 0 {
						for _, d := range ds {
							if strings.Contains(lower[i+len(nd.local.s):], d) {
								plain = false
								break
							}
						}
					}
				}
			}
		}
		if plain {
			p := newFoldNeedle(lower)
			nd.plain = &p
		}
		if nd.plain != nil || len(nd.domains) > 0 {
			out = append(out, nd)
		}
	}
	return out
}

// initNeedles makes the needles of the watched addresses, once.
func (fs *fileState) initNeedles() {
	if fs.needles == nil {
		fs.needles = newNeedles(fs.watched)
		if fs.needles == nil {
			fs.needles = []needle{}
		}
	}
}

// mayName reports whether line b may name a watched address.
func (fs *fileState) mayName(b []byte) bool {
	if fs.slow {
		return true
	}
	fs.initNeedles()
	if !ascii(b) {
		return true
	}
	for i := range fs.needles {
		nd := &fs.needles[i]
		if len(nd.domains) > 0 {
			if j := nd.local.index(b); j >= 0 {
				rest := b[j+len(nd.local.s):]
				for k := range nd.domains {
					if nd.domains[k].index(rest) >= 0 {
						return true
					}
				}
			}
		}
		if nd.plain != nil && nd.plain.index(b) >= 0 {
			return true
		}
	}
	return false
}

// needleAt returns where in b, whole lines, the first needle of the
// watched addresses starts, len(b) if none does: mayName says no to each
// line of ASCII that ends before, for it holds neither a local part with
// "@" nor a plain needle. With the prefilter off it returns 0.
func (fs *fileState) needleAt(b []byte) int {
	if fs.slow {
		return 0
	}
	fs.initNeedles()
	// In a growing prefix of b: the search of a needle case by case
	// costs the way to the first match of each, and that is to be paid
	// once for each match the lines pass, not once for the whole buffer.
	// A match found in a prefix is not the first when one starts before
	// and ends after the prefix; the lines that end before it hold none
	// all the same.
	for n := 4 << 10; n < len(b); n *= 4 {
		if j := fs.needleIn(b[:n]); j < n {
			return j
		}
	}
	return fs.needleIn(b)
}

// needleIn is needleAt in the whole of b.
func (fs *fileState) needleIn(b []byte) int {
	end := len(b)
	for i := range fs.needles {
		// Each is looked for before the first start found so far only:
		// one whole in a line that ends before the result is before it.
		nd := &fs.needles[i]
		if len(nd.domains) > 0 {
			if j := nd.local.index(b[:end]); j >= 0 {
				end = j
			}
		}
		if nd.plain != nil {
			if j := nd.plain.index(b[:end]); j >= 0 {
				end = j
			}
		}
	}
	return end
}

// firstHigh returns the offset of the first byte of b outside ASCII, or
// len(b): 64 bytes at a time, then byte by byte.
func firstHigh(b []byte) int {
	const high = 0x8080808080808080
	n := len(b)
	for len(b) >= 64 {
		_ = b[63]
		v := binary.LittleEndian.Uint64(b[0:8]) | binary.LittleEndian.Uint64(b[8:16]) |
			binary.LittleEndian.Uint64(b[16:24]) | binary.LittleEndian.Uint64(b[24:32]) |
			binary.LittleEndian.Uint64(b[32:40]) | binary.LittleEndian.Uint64(b[40:48]) |
			binary.LittleEndian.Uint64(b[48:56]) | binary.LittleEndian.Uint64(b[56:64])
		if v&high != 0 {
			break
		}
		b = b[64:]
	}
	for i, c := range b {
		if c >= utf8.RuneSelf {
			return n - len(b) + i
		}
	}
	return n
}

// ascii reports whether b is all ASCII, eight bytes at a time.
func ascii(b []byte) bool {
	const high = 0x8080808080808080
	for len(b) >= 32 {
		if (binary.LittleEndian.Uint64(b)|binary.LittleEndian.Uint64(b[8:])|
			binary.LittleEndian.Uint64(b[16:])|binary.LittleEndian.Uint64(b[24:]))&high != 0 {
			return false
		}
		b = b[32:]
	}
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&high != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
