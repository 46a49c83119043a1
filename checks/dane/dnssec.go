// Package dane checks DNSSEC and DANE for SMTP (RFC 7672): whether the
// domain's zone and the zones of its MX hosts are signed, with a DS at the
// parent and DNSKEY signatures that verify, and the TLSA records of each MX
// host: present, well-formed, and usable only when signed. The mail-server
// tests of internet.nl are the model.
package dane

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/mx"
	"github.com/whymail/whymail/internal/lookup"
)

// DNSSEC is the "dnssec" check. Its result is a *Signed.
var DNSSEC = &checks.Check{
	Name: "dnssec",
	Doc: "Checks whether the domain's zone and its MX hosts' zones are signed with DNSSEC: " +
		"a DS at the parent matching a DNSKEY whose signature verifies, or the AD bit of a validating resolver.",
	Requires:   []*checks.Check{mx.Check},
	ResultType: reflect.TypeFor[*Signed](),
	Run:        runDNSSEC,
	Prefetch: func(t *checks.Ticket) []lookup.Question {
		return zoneQuestions(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(t.Domain)), "."))
	},
}

// zoneQuestions are the questions zoneOf may ask of name: the DNSKEY and
// the DS of name and of each ancestor down to two labels. zoneOf walks
// them one after another; asked together first, they cost one round trip
// instead of one each.
func zoneQuestions(name string) []lookup.Question {
	if name == "" {
		return nil
	}
	var qs []lookup.Question
	n := dns.Fqdn(name)
	for dns.CountLabel(n) >= 2 {
		qs = append(qs, lookup.Question{Name: n, Type: dns.TypeDNSKEY}, lookup.Question{Name: n, Type: dns.TypeDS})
		i, end := dns.NextLabel(n, 0)
		if end {
			break
		}
		n = n[i:]
	}
	return qs
}

// warm asks qs at once, so that the walk after it reads the cache.
func warm(ctx context.Context, r lookup.Resolver, qs []lookup.Question) {
	var wg sync.WaitGroup
	for _, q := range qs {
		wg.Go(func() { r.Lookup(ctx, q) })
	}
	wg.Wait()
}

// State is what DNSSEC says about one zone.
type State string

const (
	// Secure: a DS at the parent matches a DNSKEY of the zone, and the
	// DNSKEY set's signature verifies (or a validating resolver set AD).
	Secure State = "secure"
	// Island: the zone is signed, but the parent has no DS for it, so
	// resolvers treat it as unsigned.
	Island State = "island"
	// Insecure: the zone is not signed.
	Insecure State = "insecure"
	// Bogus: a DS at the parent but no DNSKEY that matches, or signatures
	// that do not verify or have expired: validating resolvers SERVFAIL.
	Bogus State = "bogus"
	// Indeterminate: the lookups failed, so it is not known.
	Indeterminate State = "unknown"
)

// Zone is what was found about one zone.
type Zone struct {
	Apex  string // the zone's origin, without the final dot; "" when not found
	State State
	Why   string // in words, for the findings
	Keys  []*dns.DNSKEY
	// AD is set when a validating resolver vouched for the answers.
	AD bool
}

// Signed is the result of DNSSEC: the domain's zone and, by MX host name,
// the zones of the MX hosts.
type Signed struct {
	Domain *Zone
	Hosts  map[string]*Zone
}

// now is the time signatures are checked against; tests set it.
var now = time.Now

func runDNSSEC(p *checks.Pass) (any, error) {
	d := strings.TrimSuffix(strings.ToLower(p.Ticket.Domain), ".")
	if d == "" {
		p.Skip("no domain to check")
		return nil, nil
	}
	res := &Signed{Hosts: map[string]*Zone{}}
	dom := checks.ResultOf[*mx.Domain](p, mx.Check)
	var hosts []string
	if dom != nil {
		d = dom.Domain
		for _, h := range dom.Hosts {
			n := strings.TrimSuffix(strings.ToLower(h.Name), ".")
			if n != "" && !slices.Contains(hosts, n) {
				hosts = append(hosts, n)
			}
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		z := zoneOf(p.Context, p.DNS, d)
		mu.Lock()
		res.Domain = z
		mu.Unlock()
	}()
	for _, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			z := zoneOf(p.Context, p.DNS, h)
			mu.Lock()
			res.Hosts[h] = z
			mu.Unlock()
		}()
	}
	wg.Wait()
	report := func(what string, z *Zone, isDomain bool) {
		data := map[string]any{"name": what, "zone": z.Apex, "state": z.State}
		f := checks.Finding{Record: "dnssec", Data: data}
		switch z.State {
		case Secure:
			f.ID, f.Severity = idSecure, checks.OK
			f.Message = fmt.Sprintf("the zone %s of %s is signed with DNSSEC: %s", z.Apex, what, z.Why)
		case Island:
			f.ID, f.Severity = idNoDS, checks.Warning
			f.Message = fmt.Sprintf("the zone %s of %s is signed, but %s: resolvers treat it as unsigned, so its records (and TLSA) are not protected; publish the DS at the registrar", z.Apex, what, z.Why)
		case Insecure:
			f.ID, f.Severity = idUnsigned, checks.Info
			if !isDomain {
				f.ID = idHostUnsigned
			}
			f.Message = fmt.Sprintf("the zone %s of %s is not signed with DNSSEC (%s): its records can be spoofed, and DANE cannot be used for it", z.Apex, what, z.Why)
		case Bogus:
			f.ID, f.Severity = idBogus, checks.Error
			// Validating resolvers cannot resolve its names: mail to it
			// fails from a large share of senders.
			f.Cause, f.Verdict, f.Strength = checks.DomainNoMail, checks.Possible, checks.Direct
			f.Message = fmt.Sprintf("the DNSSEC of the zone %s of %s is broken: %s; validating resolvers (a third of the internet) answer SERVFAIL for its names, so mail to and from it fails", z.Apex, what, z.Why)
		default:
			f.ID, f.Severity = idUnknown, checks.Info
			f.Message = fmt.Sprintf("whether the zone of %s is signed could not be told: %s", what, z.Why)
		}
		p.Report(f)
	}
	report(d, res.Domain, true)
	for _, h := range hosts {
		report("MX host "+h, res.Hosts[h], false)
	}
	return res, nil
}

// zoneOf finds the zone that holds name and judges its DNSSEC.
func zoneOf(ctx context.Context, r lookup.Resolver, name string) *Zone {
	z := &Zone{State: Indeterminate}
	warm(ctx, r, zoneQuestions(name))
	apex, keys, sigs, ad, err := findApex(ctx, r, name)
	switch {
	case err != nil:
		z.Why = err.Error()
		return z
	case apex == "":
		z.State, z.Why = Insecure, "no DNSKEY at "+name+" or above it"
		z.Apex = name
		// A DS at the parent for a zone without keys is not unsigned but
		// broken: it happens when a signed zone is republished unsigned.
		if cut, ds := dsAbove(ctx, r, name); len(ds) > 0 {
			z.Apex, z.State = cut, Bogus
			z.Why = fmt.Sprintf("the parent publishes a DS for %s (key tags %s) but the zone has no DNSKEY", cut, dsTags(ds))
		}
		return z
	}
	z.Apex, z.Keys, z.AD = apex, keys, ad
	// The DS at the parent.
	dsa, derr := lookup.Do(ctx, r, apex, dns.TypeDS)
	var dss []*dns.DS
	if derr == nil {
		for _, rr := range dsa.Of(dns.TypeDS) {
			dss = append(dss, rr.(*dns.DS))
		}
		z.AD = z.AD || dsa.Authenticated
	}
	verified, vwhy := verifyKeys(apex, keys, sigs)
	switch {
	case len(keys) == 0:
		z.State, z.Why = Insecure, "no DNSKEY"
	case !verified:
		if len(dss) > 0 || derr != nil {
			z.State, z.Why = Bogus, vwhy
			if derr != nil && !z.AD {
				// No DS answer: a broken signature still breaks an
				// island only for those who trust it.
				z.State, z.Why = Indeterminate, fmt.Sprintf("%s, and the DS lookup failed (%s)", vwhy, lookup.ErrStatus(derr))
			}
		} else {
			z.State, z.Why = Island, "its DNSKEY signatures do not verify ("+vwhy+") and the parent has no DS"
		}
	case derr != nil:
		if z.AD {
			z.State, z.Why = Secure, "the resolver validated its answers (AD)"
			break
		}
		z.State, z.Why = Indeterminate, fmt.Sprintf("it has a DNSKEY whose signature verifies, but the DS lookup at the parent failed (%s)", lookup.ErrStatus(derr))
	case len(dss) == 0:
		z.State, z.Why = Island, "the parent zone has no DS record for it"
	default:
		if tag, ok := dsMatches(dss, keys); ok {
			z.State, z.Why = Secure, fmt.Sprintf("the DS at the parent matches key %d, whose signature over the DNSKEY set verifies", tag)
		} else {
			z.State, z.Why = Bogus, fmt.Sprintf("no DNSKEY matches the DS at the parent (key tags %s)", dsTags(dss))
		}
	}
	return z
}

// findApex walks up from name to the first name with a DNSKEY set,
// stopping above the registrable part. It returns the apex, the keys, the
// RRSIGs over them, and whether the resolver set AD.
func findApex(ctx context.Context, r lookup.Resolver, name string) (string, []*dns.DNSKEY, []*dns.RRSIG, bool, error) {
	n := strings.ToLower(dns.Fqdn(name))
	for dns.CountLabel(n) >= 2 {
		a, err := lookup.Do(ctx, r, n, dns.TypeDNSKEY)
		if err != nil {
			return "", nil, nil, false, fmt.Errorf("the DNSKEY lookup of %s failed (%s)", strings.TrimSuffix(n, "."), lookup.ErrStatus(err))
		}
		if keys := a.Of(dns.TypeDNSKEY); len(keys) > 0 {
			var ks []*dns.DNSKEY
			for _, k := range keys {
				ks = append(ks, k.(*dns.DNSKEY))
			}
			var sigs []*dns.RRSIG
			sa, err := lookup.Do(ctx, r, n, dns.TypeRRSIG)
			if err == nil {
				for _, rr := range sa.Of(dns.TypeRRSIG) {
					if s := rr.(*dns.RRSIG); s.TypeCovered == dns.TypeDNSKEY {
						sigs = append(sigs, s)
					}
				}
			}
			return strings.TrimSuffix(n, "."), ks, sigs, a.Authenticated, nil
		}
		i, end := dns.NextLabel(n, 0)
		if end {
			break
		}
		n = n[i:]
	}
	return "", nil, nil, false, nil
}

// dsAbove returns the first of name and its ancestors (two labels or
// more) with DS records, and them; lookups that fail are passed over.
func dsAbove(ctx context.Context, r lookup.Resolver, name string) (string, []*dns.DS) {
	n := strings.ToLower(dns.Fqdn(name))
	for dns.CountLabel(n) >= 2 {
		if a, err := lookup.Do(ctx, r, n, dns.TypeDS); err == nil {
			var out []*dns.DS
			for _, rr := range a.Of(dns.TypeDS) {
				out = append(out, rr.(*dns.DS))
			}
			if len(out) > 0 {
				return strings.TrimSuffix(n, "."), out
			}
		}
		i, end := dns.NextLabel(n, 0)
		if end {
			break
		}
		n = n[i:]
	}
	return "", nil
}

// verifyKeys checks that some RRSIG over the DNSKEY set verifies with one
// of the keys and is within its validity period.
func verifyKeys(apex string, keys []*dns.DNSKEY, sigs []*dns.RRSIG) (bool, string) {
	if len(sigs) == 0 {
		return false, "the DNSKEY set has no RRSIG"
	}
	rrset := make([]dns.RR, len(keys))
	for i, k := range keys {
		rrset[i] = k
	}
	why := "no RRSIG over the DNSKEY set verifies"
	for _, s := range sigs {
		for _, k := range keys {
			if k.KeyTag() != s.KeyTag || k.Algorithm != s.Algorithm {
				continue
			}
			if err := s.Verify(k, rrset); err != nil {
				why = fmt.Sprintf("the RRSIG of key %d over the DNSKEY set does not verify (%v)", s.KeyTag, err)
				continue
			}
			if !s.ValidityPeriod(now()) {
				why = fmt.Sprintf("the RRSIG of key %d over the DNSKEY set is outside its validity period (%s to %s)",
					s.KeyTag, dns.TimeToString(s.Inception), dns.TimeToString(s.Expiration))
				continue
			}
			return true, ""
		}
	}
	return false, why
}

// VerifySet checks that an RRSIG in sigs over rrset verifies with one of
// keys, now.
func VerifySet(rrset []dns.RR, sigs []*dns.RRSIG, keys []*dns.DNSKEY) bool {
	for _, s := range sigs {
		for _, k := range keys {
			if k.KeyTag() == s.KeyTag && k.Algorithm == s.Algorithm && s.Verify(k, rrset) == nil && s.ValidityPeriod(now()) {
				return true
			}
		}
	}
	return false
}

func dsMatches(dss []*dns.DS, keys []*dns.DNSKEY) (uint16, bool) {
	for _, ds := range dss {
		for _, k := range keys {
			if k.KeyTag() != ds.KeyTag {
				continue
			}
			if want := k.ToDS(ds.DigestType); want != nil && strings.EqualFold(want.Digest, ds.Digest) {
				return ds.KeyTag, true
			}
		}
	}
	return 0, false
}

func dsTags(dss []*dns.DS) string {
	var tags []string
	for _, ds := range dss {
		tags = append(tags, fmt.Sprint(ds.KeyTag))
	}
	return strings.Join(tags, ", ")
}
