package spf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"

	blitiri "blitiri.com.ar/go/spf"
	"github.com/miekg/dns"

	"github.com/whymail/whymail/internal/lookup"
)

// Resolver adapts a lookup.Resolver to blitiri's spf.DNSResolver, keeping
// the distinctions check_host needs (RFC 7208 §4.3, §5): NXDOMAIN is a
// *net.DNSError with IsNotFound (a void lookup, or "none" for the record);
// NODATA is an empty answer; SERVFAIL, REFUSED and timeouts are temporary
// errors (temperror).
//
// It also applies our parser to the SPF record check_host is about to
// evaluate: a record with a syntax error anywhere is a permerror before any
// term is evaluated (§4.6), which blitiri, evaluating term by term, would
// miss after an early match.
//
// When IP is an IPv4 address, address lookups ask only A (RFC 7208 §5.3),
// so a failure of AAAA cannot turn into a temperror, nor its silence into
// a void lookup. For an IPv6 client both are asked: exists needs A (§5.7)
// and blitiri asks for it as for a and mx.
type Resolver struct {
	DNS lookup.Resolver
	IP  netip.Addr
}

// maxName limits names per RFC 1035 §2.3.4 as RFC 7208 §4.3 applies it: a
// malformed domain (a label over 63 octets, an empty label, over 253
// octets) is not looked up; check_host treats it as not found.
func validName(name string) bool {
	n := strings.TrimSuffix(name, ".")
	if n == "" || len(n) > 253 {
		return false
	}
	for _, l := range strings.Split(n, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
	}
	return true
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func dnsError(name string, err error) error {
	switch st := lookup.ErrStatus(err); st {
	case lookup.StatusNXDomain:
		return notFound(name)
	case lookup.StatusTimeout:
		return &net.DNSError{Err: err.Error(), Name: name, IsTimeout: true, IsTemporary: true}
	default:
		return &net.DNSError{Err: err.Error(), Name: name, IsTemporary: true}
	}
}

// LookupTXT returns the TXT strings at name, each record's strings joined
// (§3.3). When exactly one is an SPF record and it does not parse, it
// returns a permanent error naming the syntax error.
func (r Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if !validName(name) {
		return nil, notFound(name)
	}
	a, err := lookup.Do(ctx, r.DNS, escapeName(name), dns.TypeTXT)
	if err != nil {
		return nil, dnsError(name, err)
	}
	if a.Status() == lookup.StatusNXDomain {
		return nil, notFound(name)
	}
	var txts, spfs []string
	for _, rr := range a.Of(dns.TypeTXT) {
		t := strings.Join(txtStrings(rr.(*dns.TXT).Txt), "")
		txts = append(txts, t)
		if IsSPF(t) {
			spfs = append(spfs, t)
		}
	}
	if len(spfs) == 1 {
		if _, perr := Parse(spfs[0]); perr != nil {
			return nil, &net.DNSError{Err: "SPF syntax error: " + perr.Error(), Name: name}
		}
	}
	return txts, nil
}

// LookupMX returns the MX records at name.
func (r Resolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if !validName(name) {
		return nil, notFound(name)
	}
	mxs, a, err := lookup.MX(ctx, r.DNS, escapeName(name))
	if err != nil {
		return nil, dnsError(name, err)
	}
	if a.Status() == lookup.StatusNXDomain {
		return nil, notFound(name)
	}
	out := make([]*net.MX, 0, len(mxs))
	for _, mx := range mxs {
		out = append(out, &net.MX{Host: unescape(mx.Mx), Pref: mx.Preference})
	}
	return out, nil
}

// LookupIPAddr returns the A and AAAA addresses of host.
func (r Resolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if !validName(host) {
		return nil, notFound(host)
	}
	var addrs []netip.Addr
	var st lookup.Status
	var err error
	if r.IP.Is4() {
		// An IPv4 client: a, mx and exists (§5.7: exists asks A whatever
		// the client's family) all need only A.
		addrs, st, err = lookup.AddrsLike(ctx, r.DNS, escapeName(host), r.IP)
	} else {
		// An IPv6 client's a and mx terms need AAAA, but its exists terms
		// need A, and blitiri asks both the same way: ask both.
		// Both families: "no address" only when both answers say so.
		addrs, st, err = lookup.Addrs(ctx, r.DNS, escapeName(host))
	}
	if err != nil {
		return nil, dnsError(host, err)
	}
	switch st {
	case lookup.StatusNXDomain:
		return nil, notFound(host)
	case lookup.StatusOK, lookup.StatusNoData:
	default:
		return nil, &net.DNSError{Err: string(st), Name: host, IsTemporary: true}
	}
	out := make([]net.IPAddr, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, net.IPAddr{IP: net.IP(a.AsSlice())})
	}
	return out, nil
}

// LookupAddr returns the PTR names of addr.
func (r Resolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	rev, err := dns.ReverseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: addr}
	}
	a, err := lookup.Do(ctx, r.DNS, rev, dns.TypePTR)
	if err != nil {
		return nil, dnsError(rev, err)
	}
	if a.Status() == lookup.StatusNXDomain {
		return nil, notFound(rev)
	}
	var out []string
	for _, rr := range a.Of(dns.TypePTR) {
		out = append(out, unescape(rr.(*dns.PTR).Ptr))
	}
	return out, nil
}

// Evaluation is one check_host run and the evidence of what decided it.
type Evaluation struct {
	IP     netip.Addr
	Domain string         // the domain check_host ran for
	Sender string         // the MAIL FROM (or postmaster@HELO) it ran with
	Result blitiri.Result // RFC 7208 §2.6: none neutral pass fail softfail temperror permerror
	// Term is the chain of terms that decided it, outermost first
	// ("include:_spf.example.net -> ip4:192.0.2.0/24"), "" when no term did.
	Term string
	// Reason is the term, or what else decided it (no record, an error).
	Reason string
	Trace  []string
}

// CheckHost runs check_host (RFC 7208 §4) for ip and sender through blitiri
// on r. sender is a MAIL FROM address; with no local part "postmaster" is
// used (§4.3). helo is the HELO name (used by the h macro, and as the
// domain when sender is empty).
func CheckHost(ctx context.Context, r lookup.Resolver, ip netip.Addr, helo, sender string) Evaluation {
	ev := Evaluation{IP: ip, Sender: sender}
	if i := strings.LastIndexByte(sender, '@'); i >= 0 {
		ev.Domain = sender[i+1:]
		if i == 0 {
			ev.Sender = "postmaster" + sender
		}
	} else if sender != "" {
		ev.Domain, ev.Sender = sender, "postmaster@"+sender
	} else {
		ev.Domain = helo
		if helo != "" {
			ev.Sender = "postmaster@" + helo
		}
	}
	var mu sync.Mutex
	trace := func(f string, a ...any) {
		mu.Lock()
		ev.Trace = append(ev.Trace, fmt.Sprintf(f, a...))
		mu.Unlock()
	}
	res, err := blitiri.CheckHostWithSender(net.IP(ip.AsSlice()), helo, ev.Sender,
		blitiri.WithResolver(Resolver{DNS: r, IP: ip}), blitiri.WithContext(ctx), blitiri.WithTraceFunc(trace))
	ev.Result = res
	ev.Term = decidingTerms(ev.Trace)
	ev.Reason = reason(ev, err)
	return ev
}

// The trace lines blitiri writes when one record's evaluation ends.
var (
	termLine     = regexp.MustCompile(`^"(.*)":? (pass|fail|softfail|neutral|none|temperror|permerror), (.*)$`)
	allLine      = regexp.MustCompile(`^all: (\w+)$`)
	terminalLine = regexp.MustCompile(`^(dns domain not found|dns temp error|multiple dns records|dns perm error|dns record ""$|too many redirects|unknown field, permerror|fallback to neutral)`)
)

var qualOf = map[string]string{"pass": "", "fail": "-", "softfail": "~", "neutral": "?"}

// decidingTerms reads blitiri's trace backwards: the last line that ends a
// record's evaluation is the top record's deciding term; when that is an
// include or redirect, the line before it ends the inner record.
//
// The trace is read because nothing else says which term decided: blitiri
// returns the result and an error naming only the kind of mechanism that
// matched (ErrMatchedIP, ErrMatchedMX, ...), not the term, nor the include
// it sat in, and its author documents the trace as for people, not
// machines. So the parse is kept to the few line shapes below, and a trace
// it does not understand leaves the term empty: the Reason then falls back
// to blitiri's error, which is never wrong, only less precise.
func decidingTerms(trace []string) string {
	var chain []string
	descend := true
	for i := len(trace) - 1; i >= 0 && descend; i-- {
		l := trace[i]
		switch {
		case termLine.MatchString(l):
			m := termLine.FindStringSubmatch(l)
			field, res, errs := m[1], m[2], m[3]
			q := qualOf[res]
			if strings.HasPrefix(strings.ToLower(field), "redirect=") {
				q = ""
			}
			chain = append(chain, q+field)
			lf := strings.ToLower(field)
			inner := strings.HasPrefix(lf, "include:") || strings.HasPrefix(lf, "redirect=")
			descend = inner && !strings.Contains(errs, "invalid macro") &&
				!strings.Contains(errs, "lookup limit reached") && !strings.Contains(errs, "invalid domain")
		case allLine.MatchString(l):
			q := qualOf[allLine.FindStringSubmatch(l)[1]]
			if q == "" {
				q = "+"
			}
			chain = append(chain, q+"all")
			descend = false
		case terminalLine.MatchString(l):
			descend = false
		}
	}
	return strings.Join(chain, " -> ")
}

func reason(ev Evaluation, err error) string {
	switch {
	case ev.Result == blitiri.None:
		return fmt.Sprintf("%s has no SPF record", ev.Domain)
	case errors.Is(err, blitiri.ErrMultipleRecords):
		return fmt.Sprintf("%s has more than one v=spf1 record (RFC 7208 §4.5)", ev.Domain)
	case errors.Is(err, blitiri.ErrLookupLimitReached):
		return "more than 10 DNS-querying terms (RFC 7208 §4.6.4)" + at(ev.Term)
	case errors.Is(err, blitiri.ErrVoidLookupLimitReached):
		return "more than 2 lookups found nothing (RFC 7208 §4.6.4)" + at(ev.Term)
	case errors.Is(err, blitiri.ErrTooManyMXRecords):
		return "an mx term found more than 10 MX records (RFC 7208 §4.6.4)" + at(ev.Term)
	case ev.Term != "" && (ev.Result == blitiri.PermError || ev.Result == blitiri.TempError) && err != nil:
		return fmt.Sprintf("%s: %v", ev.Term, err)
	case ev.Term != "":
		return ev.Term
	case ev.Result == blitiri.Neutral:
		return "no term matched and there is no all (RFC 7208 §4.7)"
	case err != nil:
		return err.Error()
	}
	return string(ev.Result)
}

func at(term string) string {
	if term == "" {
		return ""
	}
	return " at " + term
}
