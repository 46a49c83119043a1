// Package mailaddr is the address arithmetic the checks share: splitting
// an address, comparing two addresses as mail systems do, and DMARC
// alignment of domains by their organizational domain. One copy, so that
// the checks cannot disagree.
package mailaddr

import (
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Split splits addr at its last @ (a quoted local part may hold one, RFC
// 5321 §4.1.2). ok is false when there is no @.
func Split(addr string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return addr, "", false
	}
	return addr[:i], addr[i+1:], true
}

// Domain returns the domain of addr: the part after its last @, or addr
// itself when it has none (a bare domain, as a sender may be given).
func Domain(addr string) string {
	if _, d, ok := Split(addr); ok {
		return d
	}
	return addr
}

// NormalDomain returns d as DNS is asked it: lower-case A-labels without a
// final dot; as given, lower-cased, when IDNA refuses it.
func NormalDomain(d string) string {
	d = strings.TrimSuffix(strings.TrimSpace(d), ".")
	if a, err := idna.Lookup.ToASCII(d); err == nil {
		return strings.ToLower(a)
	}
	return strings.ToLower(d)
}

// Match compares two addresses as found in evidence (spaces and angle
// brackets trimmed): the domain case-insensitively and in A-labels (RFC
// 5321 §2.4), the local part exactly or, failing that, case-folded, which
// folded then says: a receiver may treat local parts as case-sensitive.
func Match(a, b string) (ok, folded bool) {
	al, ad, aok := Split(strings.Trim(strings.TrimSpace(a), "<>"))
	bl, bd, bok := Split(strings.Trim(strings.TrimSpace(b), "<>"))
	if !aok || !bok || ad == "" || !sameDomain(ad, bd) {
		return false, false
	}
	switch {
	case al == bl:
		return true, false
	case strings.EqualFold(al, bl):
		return true, true
	}
	return false, false
}

func sameDomain(a, b string) bool {
	a, b = strings.TrimSuffix(a, "."), strings.TrimSuffix(b, ".")
	return strings.EqualFold(a, b) || NormalDomain(a) == NormalDomain(b)
}

// OrgDomain returns the organizational domain of d (RFC 7489 §3.2) from
// the public suffix list, or d itself when the list has no answer.
func OrgDomain(d string) string {
	d = strings.TrimSuffix(strings.ToLower(d), ".")
	if o, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return o
	}
	return d
}

// Aligned reports whether identifier aligns with the From domain (RFC 7489
// §3.1.1, §3.1.2): identical when strict, else of the same organizational
// domain.
func Aligned(identifier, from string, strict bool) bool {
	identifier = strings.TrimSuffix(strings.ToLower(identifier), ".")
	from = strings.TrimSuffix(strings.ToLower(from), ".")
	if identifier == "" {
		return false
	}
	if identifier == from {
		return true
	}
	return !strict && OrgDomain(identifier) == OrgDomain(from)
}
