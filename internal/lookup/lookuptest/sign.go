package lookuptest

import (
	"crypto"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/whymail/whymail/internal/lookup"
)

// SignOptions change how SignZone signs.
type SignOptions struct {
	// Inception and Expiration bound the signatures (default: from a day
	// before now to thirty days after).
	Inception, Expiration time.Time
	// Skip leaves RRsets of these types unsigned.
	Skip []uint16
}

// SignZone signs zone text (with $ORIGIN or an SOA) the way a DNSSEC
// signer would, for tests: one ECDSA P-256 key (flags 257) is added as the
// zone's DNSKEY, and every RRset at or below the origin gets an RRSIG
// (delegations' NS and glue excepted). It returns the signed zone text and
// the DS record (SHA-256) to publish in the parent zone.
func SignZone(text string, opt SignOptions) (signed, ds string, err error) {
	if opt.Inception.IsZero() {
		opt.Inception = time.Now().Add(-24 * time.Hour)
	}
	if opt.Expiration.IsZero() {
		opt.Expiration = time.Now().Add(30 * 24 * time.Hour)
	}
	z, err := lookup.ParseZones(text, "")
	if err != nil {
		return "", "", err
	}
	origin := z.Origins()[0]
	zp := dns.NewZoneParser(strings.NewReader(text), "", "zone")
	zp.SetDefaultTTL(3600)
	type key struct {
		name string
		t    uint16
	}
	sets := map[key][]dns.RR{}
	var order []key
	cuts := map[string]bool{}
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		h := rr.Header()
		h.Name = strings.ToLower(h.Name)
		if h.Rrtype == dns.TypeNS && h.Name != origin {
			cuts[h.Name] = true
		}
		k := key{h.Name, h.Rrtype}
		if _, ok := sets[k]; !ok {
			order = append(order, k)
		}
		sets[k] = append(sets[k], rr)
	}
	if err := zp.Err(); err != nil {
		return "", "", err
	}
	dk := &dns.DNSKEY{Hdr: dns.RR_Header{Name: origin, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
	priv, err := dk.Generate(256)
	if err != nil {
		return "", "", err
	}
	k := key{origin, dns.TypeDNSKEY}
	sets[k] = append(sets[k], dk)
	order = append(order, k)
	below := func(name string) bool {
		for c := range cuts {
			if dns.IsSubDomain(c, name) {
				return true
			}
		}
		return false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "$ORIGIN %s\n", origin)
	sort.SliceStable(order, func(i, j int) bool { return order[i].name < order[j].name })
	for _, k := range order {
		for _, rr := range sets[k] {
			b.WriteString(rr.String() + "\n")
		}
		if below(k.name) || skip(opt.Skip, k.t) {
			continue
		}
		sig := &dns.RRSIG{Hdr: dns.RR_Header{Name: k.name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: 3600},
			TypeCovered: k.t, Algorithm: dk.Algorithm, Labels: uint8(dns.CountLabel(k.name)),
			OrigTtl: sets[k][0].Header().Ttl, Expiration: uint32(opt.Expiration.Unix()), Inception: uint32(opt.Inception.Unix()),
			KeyTag: dk.KeyTag(), SignerName: origin}
		if strings.HasPrefix(k.name, "*.") {
			sig.Labels--
		}
		if err := sig.Sign(priv.(crypto.Signer), sets[k]); err != nil {
			return "", "", fmt.Errorf("signing %s %s: %w", k.name, dns.TypeToString[k.t], err)
		}
		b.WriteString(sig.String() + "\n")
	}
	return b.String(), dk.ToDS(dns.SHA256).String(), nil
}

func skip(types []uint16, t uint16) bool {
	for _, s := range types {
		if s == t {
			return true
		}
	}
	return false
}
