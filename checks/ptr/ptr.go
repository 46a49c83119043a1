// Package ptr checks the reverse DNS of the sending IPs: each must have a PTR
// record naming a host that resolves back to the same IP (forward-confirmed
// reverse DNS), and that name should not look like a dynamic or generic one.
package ptr

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"golang.org/x/net/publicsuffix"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
)

// Check is the "ptr" check.
var Check = &checks.Check{
	Name: "ptr",
	Doc: "Checks forward-confirmed reverse DNS for each sending IP: a PTR record " +
		"whose name resolves back to the same IP, and a name that does not look generic or dynamic.",
	Run: run,
}

// Outcome is what the reverse DNS of one IP came to.
type Outcome struct {
	IP      netip.Addr
	Reverse string        // the in-addr.arpa / ip6.arpa name asked
	Status  lookup.Status // of the PTR question
	Names   []string      // the PTR targets, without the final dot
	// Confirmed is the PTR name that resolves back to IP, or "".
	Confirmed string
	// Forward maps each PTR name to the addresses it resolves to.
	Forward map[string][]netip.Addr
	// ForwardFailed lists PTR names whose address lookups failed.
	ForwardFailed map[string]lookup.Status
}

func run(p *checks.Pass) (any, error) {
	ips := p.Ticket.SendingIPs
	if len(ips) == 0 {
		p.Skip("no sending IP given: reverse DNS of the sending IPs was not checked")
		p.Report(checks.MissingOf(idNotChecked, checks.SenderAuth, []checks.Input{checks.InputSendingIP}, "reverse DNS not checked: the IPs the app sends from would settle it"))
		return nil, nil
	}
	outs := make([]*Outcome, len(ips))
	var wg sync.WaitGroup
	for i, ip := range ips {
		wg.Go(func() { outs[i] = Resolve(p, ip) })
	}
	wg.Wait()
	failed := 0
	for _, o := range outs {
		// A refused PTR question (or, from zone files, one no loaded zone
		// holds) is reported as unknown; only a DNS failure (timeout,
		// SERVFAIL) for every IP fails the check.
		if report(p, o) && o.Status != lookup.StatusRefused {
			failed++
		}
	}
	if failed == len(outs) {
		return nil, fmt.Errorf("reverse DNS could not be checked for any sending IP: a PTR or forward lookup failed")
	}
	return nil, nil
}

// Resolve looks up the PTR records of ip and the addresses of each PTR name,
// concurrently.
func Resolve(p *checks.Pass, ip netip.Addr) *Outcome {
	ip = ip.Unmap()
	o := &Outcome{IP: ip, Forward: map[string][]netip.Addr{}, ForwardFailed: map[string]lookup.Status{}}
	o.Reverse, _ = dns.ReverseAddr(ip.String())
	a, err := lookup.Do(p.Context, p.DNS, o.Reverse, dns.TypePTR)
	o.Status = lookup.StatusOf(a, err)
	if err != nil {
		o.Status = lookup.ErrStatus(err)
		return o
	}
	for _, rr := range a.Of(dns.TypePTR) {
		name := strings.TrimSuffix(strings.ToLower(rr.(*dns.PTR).Ptr), ".")
		if !slices.Contains(o.Names, name) {
			o.Names = append(o.Names, name)
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range o.Names {
		wg.Go(func() {
			// Only ip's family can confirm it, so only that question is
			// asked: the other family's failure cannot spoil the check.
			addrs, st, err := lookup.AddrsLike(p.Context, p.DNS, name, ip)
			mu.Lock()
			defer mu.Unlock()
			o.Forward[name] = addrs
			if err != nil {
				o.ForwardFailed[name] = st
			}
		})
	}
	wg.Wait()
	for _, name := range o.Names { // in PTR order, so the result is stable
		for _, fa := range o.Forward[name] {
			if fa.Unmap() == ip {
				o.Confirmed = name
				break
			}
		}
		if o.Confirmed != "" {
			break
		}
	}
	return o
}

// report reports the findings for one outcome and says whether a lookup
// failed outright (the PTR question, or every forward one that could
// have confirmed it).
func report(p *checks.Pass, o *Outcome) (failed bool) {
	ip := o.IP.String()
	data := map[string]any{"ip": ip, "reverse": o.Reverse, "status": string(o.Status)}
	switch o.Status {
	case lookup.StatusOK:
	case lookup.StatusNXDomain, lookup.StatusNoData:
		// Gmail's sender guidelines, and most large receivers, require
		// sending IPs to have reverse DNS; mail without it is refused or
		// filed as spam.
		p.Report(checks.Finding{ID: idMissing,
			Severity: checks.Error, Record: "ptr", Cause: checks.SenderAuth, Verdict: checks.Possible, Strength: checks.Indirect,
			Message: fmt.Sprintf("sending IP %s has no PTR record (%s at %s): Gmail and other large providers reject or spam-folder mail from IPs without reverse DNS",
				ip, o.Status, strings.TrimSuffix(o.Reverse, ".")),
			Steps: []string{fmt.Sprintf("ask whoever runs %s (the hosting provider or email service) to set its PTR record to a host name of the sender domain whose A/AAAA record points back at %s", ip, ip)},
			Data:  data,
		})
		return false
	default:
		p.Report(checks.Finding{ID: idLookupFailed,
			Severity: checks.Warning, Record: "ptr", Cause: checks.SenderAuth, Verdict: checks.Unknown,
			Message: fmt.Sprintf("could not look up the PTR record of sending IP %s (%s): reverse DNS not checked", ip, o.Status),
			Steps:   []string{"run the check again later, or through a resolver that can reach the reverse zone"},
			Data:    data,
		})
		return true
	}
	data["ptr"] = o.Names
	if len(o.Names) > 1 {
		p.Report(checks.Finding{ID: idSeveral,
			Severity: checks.Info, Record: "ptr",
			Message: fmt.Sprintf("sending IP %s has %d PTR records (%s): receivers may check only one; a single PTR is more reliable",
				ip, len(o.Names), strings.Join(o.Names, ", ")),
			Data: data,
		})
	}
	if o.Confirmed == "" {
		if len(o.ForwardFailed) > 0 {
			// A name whose lookup failed might have pointed back: not
			// confirmed is not "not forward-confirmed".
			p.Report(checks.Finding{ID: idForwardFailed,
				Severity: checks.Warning, Record: "ptr", Cause: checks.SenderAuth, Verdict: checks.Unknown,
				Message: fmt.Sprintf("sending IP %s has PTR %s, but the address lookup failed (%s): could not confirm it points back",
					ip, strings.Join(o.Names, ", "), describeFailed(o.ForwardFailed)),
				Data: data,
			})
			// As for the PTR question, a refusal (or, from zone files, a
			// name no loaded zone holds) does not fail the check.
			for _, st := range o.ForwardFailed {
				if st != lookup.StatusRefused {
					return true
				}
			}
			return false
		}
		var got []string
		for _, n := range o.Names {
			switch {
			case len(o.Forward[n]) > 0:
				got = append(got, fmt.Sprintf("%s -> %s", n, joinAddrs(o.Forward[n])))
			case o.ForwardFailed[n] != "":
				got = append(got, fmt.Sprintf("%s -> lookup failed (%s)", n, o.ForwardFailed[n]))
			default:
				got = append(got, fmt.Sprintf("%s -> no address", n))
			}
		}
		p.Report(checks.Finding{ID: idNotConfirmed,
			Severity: checks.Warning, Record: "ptr", Cause: checks.SenderAuth, Verdict: checks.Possible, Strength: checks.Indirect,
			Message: fmt.Sprintf("reverse DNS of sending IP %s is not forward-confirmed: %s; receivers that require forward-confirmed reverse DNS treat it as missing",
				ip, strings.Join(got, "; ")),
			Steps: []string{fmt.Sprintf("add an A/AAAA record for %s pointing at %s, or change the PTR of %s to a name that does", o.Names[0], ip, ip)},
			Data:  data,
		})
	} else {
		data["confirmed"] = o.Confirmed
		p.Report(checks.Finding{ID: idConfirmed,
			Severity: checks.OK, Record: "ptr",
			Message: fmt.Sprintf("sending IP %s has PTR %s, which resolves back to it (forward-confirmed)", ip, o.Confirmed),
			Data:    data,
		})
	}
	for _, n := range o.Names {
		if why := Generic(n, o.IP); why != "" {
			p.Report(checks.Finding{ID: idGeneric,
				Severity: checks.Warning, Record: "ptr",
				Message: fmt.Sprintf("PTR %s of sending IP %s looks generic (%s): receivers score such names as residential or unmanaged senders",
					n, ip, why),
				Steps: []string{fmt.Sprintf("set the PTR of %s to a mail host name of the sender domain, such as mail.<domain>", ip)},
				Data:  data,
			})
		}
	}
	return false
}

func describeFailed(m map[string]lookup.Status) string {
	var parts []string
	for n, st := range m {
		parts = append(parts, n+": "+string(st))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// genericWords are tokens of host names ISPs give to dynamic, residential
// or unnamed addresses.
var genericWords = []string{
	"dynamic", "dyn", "dsl", "adsl", "xdsl", "vdsl", "pool", "dhcp", "dialup", "dial",
	"ppp", "pppoe", "cable", "broadband", "residential", "customer", "cust", "unassigned",
}

// Generic says why a PTR name looks generic (it embeds the IP's digits, or a
// word ISPs use for dynamic pools), or "" when it does not.
func Generic(name string, ip netip.Addr) string {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if embedsIP(name, ip) {
		return "it contains the IP address"
	}
	// Only the labels below the registrable domain name a host: the
	// domain itself (dyn.com, cable.example) says nothing about a pool.
	host := name
	if reg, err := publicsuffix.EffectiveTLDPlusOne(name); err == nil {
		host = strings.TrimSuffix(strings.TrimSuffix(name, reg), ".")
	}
	tokens := strings.FieldsFunc(host, func(r rune) bool {
		return !(r >= 'a' && r <= 'z')
	})
	for _, t := range tokens {
		if slices.Contains(genericWords, t) {
			return fmt.Sprintf("it contains %q", t)
		}
	}
	return ""
}

// embedsIP reports whether name spells ip: its four octets in order or
// reversed with any separators, zero-padded (192000002001), or in hex
// (c0000201); for IPv6 its nibbles or groups.
func embedsIP(name string, ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.Is4() {
		b := ip.As4()
		oct := []string{fmt.Sprint(b[0]), fmt.Sprint(b[1]), fmt.Sprint(b[2]), fmt.Sprint(b[3])}
		runs := strings.FieldsFunc(name, func(r rune) bool { return r < '0' || r > '9' })
		rev := slices.Clone(oct)
		slices.Reverse(rev)
		for i := 0; i+4 <= len(runs); i++ {
			if slices.Equal(runs[i:i+4], oct) || slices.Equal(runs[i:i+4], rev) {
				return true
			}
		}
		padded := fmt.Sprintf("%03d%03d%03d%03d", b[0], b[1], b[2], b[3])
		hex := fmt.Sprintf("%02x%02x%02x%02x", b[0], b[1], b[2], b[3])
		return strings.Contains(name, padded) || strings.Contains(name, hex)
	}
	b := ip.As16()
	flat := strings.NewReplacer("-", "", ".", "", ":", "").Replace(name)
	full := fmt.Sprintf("%x", b[:])
	// The interface identifier (low 64 bits) spelled out is the usual pattern.
	if strings.Contains(flat, full[16:]) && full[16:] != "0000000000000000" {
		return true
	}
	return strings.Contains(name, strings.ReplaceAll(ip.String(), ":", "-"))
}
