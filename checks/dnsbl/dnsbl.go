// Package dnsbl looks the sending IPs and the sender domain up in DNS
// blocklists (RFC 5782), decodes each list's return codes, and keeps a list
// that refuses our resolver apart from a listing.
package dnsbl

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
)

// Check is the "dnsbl" check. Its result is a *Result.
var Check = &checks.Check{
	Name: "dnsbl",
	Doc: "Looks the sending IPs and the sender domain up in DNS blocklists (Spamhaus, Barracuda, SpamCop, " +
		"PSBL, Mailspike, SURBL, URIBL by default), decoding each list's return codes.",
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
}

// A Subject is what is looked up: an IP or a domain.
type Subject struct {
	Text string // as shown: "192.0.2.1", "example.com"
	Kind Kind
	IP   netip.Addr // for IP subjects
}

// Subjects returns what the ticket gives to look up: each sending IP, the
// sender domain and, when it differs, its organizational domain (domain
// lists hold registered domains). Bad domains are returned in bad.
func Subjects(t *checks.Ticket) (subs []Subject, bad string) {
	seen := map[string]bool{}
	for _, ip := range t.SendingIPs {
		ip = ip.Unmap()
		if !ip.IsValid() || seen[ip.String()] {
			continue
		}
		seen[ip.String()] = true
		subs = append(subs, Subject{Text: ip.String(), Kind: IPList, IP: ip})
	}
	d := strings.TrimSuffix(strings.TrimSpace(t.SenderDomain()), ".")
	if d == "" {
		return subs, ""
	}
	ascii, err := idna.Lookup.ToASCII(d)
	if err != nil || !strings.Contains(ascii, ".") {
		return subs, d
	}
	ascii = strings.ToLower(ascii)
	subs = append(subs, Subject{Text: ascii, Kind: DomainList})
	if org, err := publicsuffix.EffectiveTLDPlusOne(ascii); err == nil && org != ascii {
		subs = append(subs, Subject{Text: org, Kind: DomainList})
	}
	return subs, ""
}

// Query is one subject asked of one list.
type Query struct {
	Subject Subject
	List    *List
	Name    string        // the DNS name asked
	Status  lookup.Status // of the A question
	Codes   []netip.Addr  // the A records of the answer
	Reason  string        // the list's TXT record, asked when listed
}

// QueryName returns the name to ask list about s: the reversed octets or
// nibbles of an IP (RFC 5782 §2.1, §2.4), or the domain itself (§2.3).
func QueryName(s Subject, l *List) string {
	if s.Kind == DomainList {
		return s.Text + "." + l.Zone + "."
	}
	rev, _ := dns.ReverseAddr(s.IP.String())
	rev = strings.TrimSuffix(rev, "in-addr.arpa.")
	rev = strings.TrimSuffix(rev, "ip6.arpa.")
	return rev + l.Zone + "."
}

func run(p *checks.Pass) (any, error) {
	lists, err := Lists(p.Ticket.DNSBLZones)
	if err != nil {
		return nil, &checks.InputError{Err: err}
	}
	subs, bad := Subjects(p.Ticket)
	if bad != "" {
		p.Report(checks.Finding{ID: idBadDomain, Severity: checks.Warning, Record: "dnsbl",
			Message: fmt.Sprintf("sender domain %q is not a valid domain name: not looked up in domain blocklists", bad)})
	}
	usable := subs[:0:0]
	for _, s := range subs {
		if s.Kind == IPList && !public(s.IP) {
			p.Report(checks.Finding{ID: idPrivateIP, Severity: checks.Warning, Record: "dnsbl", Data: map[string]any{"subject": s.Text},
				Message: fmt.Sprintf("sending IP %s is not a public address: blocklists hold only public IPs; give the address mail leaves your network from", s.Text)})
			continue
		}
		usable = append(usable, s)
	}
	subs = usable
	var qs []*Query
	for _, s := range subs {
		for _, l := range lists {
			if l.Kind != s.Kind || (s.Kind == IPList && s.IP.Is6() && !l.IPv6) {
				continue
			}
			qs = append(qs, &Query{Subject: s, List: l, Name: QueryName(s, l)})
		}
	}
	if len(qs) == 0 {
		why, settle := "no public sending IP and no sender given", "the sending IPs and the sender would be looked up"
		needs := []checks.Input{checks.InputSendingIP, checks.InputSender}
		if len(subs) > 0 {
			why = "no configured blocklist applies to the sending IPs or sender domain"
			settle = "IP lists for the sending IPs and domain lists for the sender domain would be asked"
			needs = []checks.Input{checks.InputDNSBL}
		}
		p.Skip("%s: blocklists not checked", why)
		p.Report(checks.MissingOf(idNotChecked, checks.SenderBlocklisted, needs, "blocklists not checked (%s): %s", why, settle))
		return nil, nil
	}
	var wg sync.WaitGroup
	for _, q := range qs {
		wg.Go(func() { ask(p, q) })
	}
	wg.Wait()
	return report(p, qs)
}

func ask(p *checks.Pass, q *Query) {
	a, err := lookup.Do(p.Context, p.DNS, q.Name, dns.TypeA)
	if err != nil {
		q.Status = lookup.ErrStatus(err)
		return
	}
	q.Status = a.Status()
	listed := false
	for _, rr := range a.Of(dns.TypeA) {
		if ip, ok := netip.AddrFromSlice(rr.(*dns.A).A.To4()); ok {
			q.Codes = append(q.Codes, ip)
			listed = listed || q.List.decode(ip).Listed
		}
	}
	if listed {
		// The TXT record usually says why and links to the listing.
		if txt, _, err := lookup.TXT(p.Context, p.DNS, q.Name); err == nil {
			q.Reason = strings.Join(txt, " ")
		}
	}
}

// public reports whether ip could be seen by a receiver: not private,
// loopback, link-local, multicast or unspecified.
func public(ip netip.Addr) bool {
	return !(ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() ||
		sharedSpace.Contains(ip))
}

// sharedSpace is carrier-grade NAT space (RFC 6598): never a public sender.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

func describe(s Subject) string {
	if s.Kind == IPList {
		return "sending IP " + s.Text
	}
	return "sender domain " + s.Text
}

func report(p *checks.Pass, qs []*Query) (any, error) {
	res := &Result{}
	type trouble struct {
		subjects []string
		why      []string
	}
	troubles := map[*List]*trouble{}
	var troubleOrder []*List
	answered := map[*List]bool{}
	var answeredSubjects []string
	// hard is set when a lookup failed for want of DNS (timeout, SERVFAIL),
	// not because a server or list refused us (or, from zone files, because no
	// loaded zone holds the list).
	hard := false
	addTrouble := func(q *Query, why string) {
		t := troubles[q.List]
		if t == nil {
			t = &trouble{}
			troubles[q.List] = t
			troubleOrder = append(troubleOrder, q.List)
		}
		if !slices.Contains(t.subjects, q.Subject.Text) {
			t.subjects = append(t.subjects, q.Subject.Text)
		}
		if !slices.Contains(t.why, why) {
			t.why = append(t.why, why)
		}
	}
	for _, q := range qs {
		switch q.Status {
		case lookup.StatusNXDomain, lookup.StatusNoData:
			// RFC 5782 §2.1: a name that is not listed does not exist.
			answered[q.List] = true
			if !slices.Contains(answeredSubjects, q.Subject.Text) {
				answeredSubjects = append(answeredSubjects, q.Subject.Text)
			}
			continue
		case lookup.StatusOK:
		default:
			addTrouble(q, "lookup "+string(q.Status))
			hard = hard || q.Status != lookup.StatusRefused
			continue
		}
		usable := false
		for _, code := range q.Codes {
			c := q.List.decode(code)
			if !c.Listed {
				addTrouble(q, c.Meaning)
				continue
			}
			usable = true
			res.Listings = append(res.Listings, Listing{Subject: q.Subject.Text, Zone: q.List.Zone, Code: code.String(), Meaning: c.Meaning})
			step := q.List.Delist
			if c.Step != "" {
				step = c.Step
			}
			msg := fmt.Sprintf("%s is listed on %s (%s) with %s: %s", describe(q.Subject), q.List.Name, q.List.Zone, code, c.Meaning)
			if q.Reason != "" {
				msg += fmt.Sprintf(" (the list says: %q)", q.Reason)
			}
			data := map[string]any{"list": q.List.Zone, "code": code.String(), "subject": q.Subject.Text, "meaning": c.Meaning, "query": q.Name}
			if q.Reason != "" {
				data["reason"] = q.Reason
			}
			p.Report(checks.Finding{ID: idListed,
				Severity: checks.Error, Record: "dnsbl", Cause: checks.SenderBlocklisted, Verdict: checks.Likely, Strength: checks.Direct,
				Message: msg, Steps: []string{step}, Data: data,
			})
		}
		if usable {
			answered[q.List] = true
			if !slices.Contains(answeredSubjects, q.Subject.Text) {
				answeredSubjects = append(answeredSubjects, q.Subject.Text)
			}
		}
	}
	for _, l := range troubleOrder {
		t := troubles[l]
		msg := fmt.Sprintf("could not check %s on %s (%s): %s", strings.Join(t.subjects, ", "), l.Name, l.Zone, strings.Join(t.why, "; "))
		step := "query the list again later, or through a resolver that can reach it"
		if refusedOnly(t.why) {
			msg = fmt.Sprintf("%s (%s) refused to answer our resolver for %s (%s); query it from a resolver of your own",
				l.Name, l.Zone, strings.Join(t.subjects, ", "), strings.Join(t.why, "; "))
			step = "run the check through your own recursive resolver (not a public one such as 8.8.8.8), or look the IP up on the list's web site"
		}
		p.Report(checks.Finding{ID: idListFailed,
			Severity: checks.Info, Record: "dnsbl", Cause: checks.SenderBlocklisted, Verdict: checks.Unknown,
			Message: msg, Steps: []string{step},
			Data: map[string]any{"list": l.Zone, "subjects": t.subjects, "why": t.why},
		})
	}
	if len(res.Listings) > 0 {
		return res, nil
	}
	if len(answered) == 0 {
		if hard {
			return res, fmt.Errorf("no blocklist answered (%d lists asked)", len(troubleOrder))
		}
		return res, nil
	}
	var zones []string
	for _, q := range qs {
		if answered[q.List] && !slices.Contains(zones, q.List.Zone) {
			zones = append(zones, q.List.Zone)
		}
	}
	msg := fmt.Sprintf("%s not listed on any of the %d blocklists that answered (%s)",
		strings.Join(answeredSubjects, ", "), len(zones), strings.Join(zones, ", "))
	if len(troubleOrder) > 0 {
		msg += fmt.Sprintf("; %d could not be checked", len(troubleOrder))
	}
	f := checks.Finding{ID: idClean, Severity: checks.OK, Record: "dnsbl", Message: msg, Data: map[string]any{"lists": zones, "subjects": answeredSubjects}}
	// Rule the cause out only when every subject was answered by some
	// list: a clean domain says nothing about an IP no list would check.
	var unchecked []string
	for _, q := range qs {
		if !slices.Contains(answeredSubjects, q.Subject.Text) && !slices.Contains(unchecked, q.Subject.Text) {
			unchecked = append(unchecked, q.Subject.Text)
		}
	}
	if len(unchecked) == 0 {
		f.Cause, f.Verdict, f.Strength = checks.SenderBlocklisted, checks.RuledOut, checks.Direct
	} else {
		f.Data["unchecked"] = unchecked
	}
	p.Report(f)
	return res, nil
}

func refusedOnly(why []string) bool {
	for _, w := range why {
		if strings.HasPrefix(w, "lookup ") || strings.HasPrefix(w, "answer ") {
			return false
		}
	}
	return true
}
