// Package mx checks how the recipient's domain receives mail: whether it
// exists, its MX records (null MX, implicit MX, hosts that are aliases, IP
// literals or do not resolve), and which mailbox provider and mail security
// gateway run its MX hosts.
package mx

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"golang.org/x/net/idna"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
)

// Check is the recipient-domain check. Its result is a *Domain.
var Check = &checks.Check{
	Name: "mx",
	Doc: "Looks up the recipient domain's MX records: whether the domain exists and accepts mail " +
		"(null MX, implicit MX, MX hosts that are aliases, IP addresses or do not resolve), and which " +
		"mailbox provider or mail security gateway receives its mail.",
	ResultType: reflect.TypeFor[*Domain](),
	Run:        run,
}

// host is one MX target as resolved.
type host struct {
	Host
	ipLiteral bool   // the target is an IP address, not a name
	internal  bool   // every address is loopback, private or otherwise unreachable from the internet
	cname     string // the target is an alias for this name
	err       error  // the address lookups failed (servfail, timeout...)
	asked     bool   // its addresses were looked up (resolve)
}

// usable reports whether a sender can deliver to the host: it has a public
// address (even if the lookup of its other address family failed).
func (h *host) usable() bool { return !h.ipLiteral && slices.ContainsFunc(h.Addrs, public) }

// dead reports whether DNS says positively that the host has no address:
// both address lookups answered and neither gave one a sender can reach.
func (h *host) dead() bool {
	return h.ipLiteral || h.internal ||
		h.err == nil && (h.Status == lookup.StatusNXDomain || h.Status == lookup.StatusNoData)
}

func (h *host) String() string {
	if len(h.Addrs) == 0 {
		return fmt.Sprintf("%s (preference %d)", h.Name, h.Preference)
	}
	addrs := make([]string, len(h.Addrs))
	for i, a := range h.Addrs {
		addrs[i] = a.String()
	}
	return fmt.Sprintf("%s (preference %d: %s)", h.Name, h.Preference, strings.Join(addrs, ", "))
}

func run(p *checks.Pass) (any, error) {
	typed := strings.TrimSuffix(strings.TrimSpace(p.Ticket.Domain), ".")
	if typed == "" {
		p.Skip("no recipient domain to check")
		unknownBoth(p, "there is no domain to look up: give the recipient's address")
		return nil, nil
	}
	// The DNS is asked in A-labels (RFC 5890); the Lookup profile maps case
	// and width the way a resolver would.
	d, err := idna.Lookup.ToASCII(typed)
	if err != nil || d == "" {
		p.Skip("the domain %q is not a valid domain name", typed)
		why := "it is not a valid domain name"
		if err != nil {
			why += ": " + err.Error()
		}
		unknownBoth(p, "%q cannot be looked up in DNS (%s); check the address for typos", typed, why)
		return nil, nil
	}
	d = strings.ToLower(d)
	res := &Domain{Domain: d}

	mxs, ans, err := lookup.MX(p.Context, p.DNS, d)
	if err != nil {
		// SERVFAIL, REFUSED or a timeout says nothing about the domain:
		// never a verdict.
		res.Status = lookup.ErrStatus(err)
		unknownBoth(p, "the MX lookup for %s failed (%s%s), so whether it exists and takes mail is unknown; retry, or check with `dig MX %s`",
			d, res.Status, loopWords(err), d)
		return res, err // "lookup example.com. MX: servfail"
	}
	res.Status = ans.Status()
	switch res.Status {
	case lookup.StatusNXDomain:
		res.Exists, res.AcceptsMail = checks.No, checks.No
		p.Report(checks.Finding{ID: idDomainNotFound, Severity: checks.Error, Record: "domain", Cause: checks.DomainNotFound,
			Verdict: checks.Confirmed, Strength: checks.Direct,
			Message: fmt.Sprintf("the domain %s does not exist (NXDOMAIN): no mail can reach it", d),
			Data:    map[string]any{"domain": d, "status": string(res.Status), "server": ans.Server}})
		return res, nil
	case lookup.StatusNoData:
		res.Exists = checks.Yes
		ruleOutNotFound(p, d)
		return implicit(p, res)
	}
	res.Exists = checks.Yes
	ruleOutNotFound(p, d)
	return explicit(p, res, mxs)
}

// implicit handles a domain without MX records: RFC 5321 §5.1 makes the
// domain's own A/AAAA address its implicit MX, with preference 0.
func implicit(p *checks.Pass, res *Domain) (any, error) {
	d := res.Domain
	addrs, st, _, err := addresses(p.Context, p.DNS, d, p.Ticket.Mode == checks.Verify)
	if err != nil && !slices.ContainsFunc(addrs, public) {
		// One address family failed and the other gave nothing a sender
		// can reach: the missing half might have. No verdict.
		p.Report(checks.UnknownOf(idImplicitLookupFailed, checks.DomainNoMail, "%s has no MX record and the lookup of its own address failed (%s%s), so whether it takes mail is unknown",
			d, st, loopWords(err)))
		res.AcceptsMail = checks.Maybe
		return res, fmt.Errorf("implicit MX of %s: %w", d, err)
	}
	if len(addrs) == 0 {
		// RFC 5321 §5.1: no MX and no address record: there is nowhere to deliver.
		res.AcceptsMail = checks.No
		p.Report(checks.Finding{ID: idNoMailHost, Severity: checks.Warning, Record: "mx", Cause: checks.DomainNoMail,
			Verdict: checks.Confirmed, Strength: checks.Direct,
			Message: fmt.Sprintf("%s has no MX record and no A/AAAA record (%s): there is nowhere to deliver its mail (RFC 5321 §5.1)", d, st),
			Data:    map[string]any{"domain": d, "mx": "nodata", "address": string(st)}})
		return res, nil
	}
	h := &host{Host: Host{Name: d, Addrs: addrs, Status: lookup.StatusOK}}
	res.Implicit, res.Hosts = true, []Host{h.Host}
	if !slices.ContainsFunc(addrs, public) {
		res.AcceptsMail = checks.No
		p.Report(checks.Finding{ID: idImplicitUnreachable, Severity: checks.Warning, Record: "mx", Cause: checks.DomainNoMail,
			Verdict: checks.Confirmed, Strength: checks.Direct,
			Message: fmt.Sprintf("%s has no MX record and its own address %s is one no sender on the internet can reach: there is nowhere to deliver its mail (RFC 5321 §5.1)",
				d, strings.Join(addrStrings(addrs), ", ")),
			Data: map[string]any{"domain": d, "implicit": true, "addrs": addrStrings(addrs)}})
		return res, nil
	}
	res.AcceptsMail = checks.Yes
	p.Report(checks.Finding{ID: idImplicit, Severity: checks.Warning, Record: "mx",
		Message: fmt.Sprintf("%s has no MX record; mail goes to the domain's own address %s (implicit MX, RFC 5321 §5.1), which is fragile: publish an MX record if this domain receives mail",
			d, h), Data: map[string]any{"domain": d, "implicit": true, "addrs": addrStrings(addrs)}})
	p.Report(checks.Finding{ID: idImplicitWeb, Severity: checks.Info, Cause: checks.DomainNoMail, Verdict: checks.Possible, Strength: checks.Indirect,
		Message: fmt.Sprintf("%s publishes no MX record: mail reaches it only if its web address %s also runs a mail server, which parked and web-only domains do not",
			d, h), Data: map[string]any{"domain": d, "addrs": addrStrings(addrs)}})
	return res, nil
}

// explicit handles a domain with MX records.
func explicit(p *checks.Pass, res *Domain, mxs []*dns.MX) (any, error) {
	d := res.Domain
	slices.SortStableFunc(mxs, func(a, b *dns.MX) int {
		return cmp.Or(cmp.Compare(a.Preference, b.Preference), cmp.Compare(strings.ToLower(a.Mx), strings.ToLower(b.Mx)))
	})
	var nulls, others []*dns.MX
	for _, mx := range mxs {
		if mx.Mx == "." {
			nulls = append(nulls, mx)
		} else {
			others = append(others, mx)
		}
	}
	mxData := make([]string, len(mxs))
	for i, mx := range mxs {
		mxData[i] = fmt.Sprintf("%d %s", mx.Preference, mx.Mx) // as published
	}

	// RFC 7505 §3: a null MX is a single MX record with preference 0 and
	// the target "."; a domain with one MUST NOT publish other MX records.
	for _, n := range nulls {
		if n.Preference != 0 {
			p.Report(checks.Finding{ID: idNullMXPreference, Severity: checks.Error, Record: "mx",
				Message: fmt.Sprintf("%s has a null MX (\".\") with preference %d; RFC 7505 §3 requires preference 0", d, n.Preference),
				Data:    map[string]any{"domain": d, "mx": mxData}})
		}
	}
	if len(nulls) > 0 && len(others) > 0 {
		p.Report(checks.Finding{ID: idNullMXMixed, Severity: checks.Error, Record: "mx",
			Message: fmt.Sprintf("%s has a null MX (\".\") beside %d other MX record(s); RFC 7505 §3 forbids this, and senders may treat the domain as taking no mail or try the other hosts",
				d, len(others)), Data: map[string]any{"domain": d, "mx": mxData}})
	}
	if len(others) == 0 {
		res.NullMX, res.AcceptsMail = true, checks.No
		p.Report(checks.Finding{ID: idNullMX, Severity: checks.Info, Record: "mx", Cause: checks.DomainNoMail,
			Verdict: checks.Confirmed, Strength: checks.Direct,
			Message: fmt.Sprintf("%s publishes a null MX (RFC 7505): it accepts no mail at all", d),
			Data:    map[string]any{"domain": d, "mx": mxData}})
		return res, nil
	}

	hosts := resolve(p.Context, p.DNS, others, p.Ticket.Mode == checks.Verify)
	for _, h := range hosts {
		res.Hosts = append(res.Hosts, h.Host)
	}
	recognise(p, res, hosts)
	hosts = slices.DeleteFunc(hosts, func(h *host) bool { return !h.asked })

	var usable, dead, failed []*host
	for _, h := range hosts {
		switch {
		case h.usable():
			usable = append(usable, h)
		case h.dead():
			dead = append(dead, h)
		default:
			failed = append(failed, h)
		}
	}
	for _, h := range hosts {
		reportHost(p, h, len(usable) > 0)
	}

	switch {
	case len(usable) > 0:
		res.AcceptsMail = checks.Yes
		names := make([]string, len(usable))
		for i, h := range usable {
			names[i] = h.String()
		}
		p.Report(checks.Finding{ID: idAcceptsMail, Severity: checks.OK, Record: "mx", Cause: checks.DomainNoMail,
			Verdict: checks.RuledOut, Strength: checks.Direct,
			Message: fmt.Sprintf("%s accepts mail at %s", d, strings.Join(names, "; ")),
			Data:    map[string]any{"domain": d, "mx": mxData}})
		corporateFilter(p, res)
		return res, nil
	case len(failed) == 0:
		// RFC 5321 §5.1: MX records are present but none is usable.
		res.AcceptsMail = checks.No
		p.Report(checks.Finding{ID: idHostsDead, Severity: checks.Error, Record: "mx", Cause: checks.DomainNoMail,
			Verdict: checks.Confirmed, Strength: checks.Direct,
			Message: fmt.Sprintf("none of the %d MX host(s) of %s can receive mail: %s", len(dead), d, deadList(dead)),
			Data:    map[string]any{"domain": d, "mx": mxData}})
		return res, nil
	}
	res.AcceptsMail = checks.Maybe
	p.Report(checks.UnknownOf(idHostsUnresolved, checks.DomainNoMail, "no MX host of %s could be resolved (%s), so whether it takes mail is unknown; retry later",
		d, deadList(append(failed, dead...))))
	return res, fmt.Errorf("could not resolve any MX host of %s: %w", d, failed[0].err)
}

// resolve looks up the MX targets, mxs in preference order: every one at
// once; or, to verify an address, one after another until one can take
// mail, as a sending MTA tries them (RFC 5321 §5.1), leaving the rest
// unasked. A batch then asks no backup host of a domain whose first host
// works.
func resolve(ctx context.Context, r lookup.Resolver, mxs []*dns.MX, verify bool) []*host {
	hosts := make([]*host, len(mxs))
	for i, mx := range mxs {
		// Hosts are kept lower-case without the final dot, as people write them.
		h := &host{Host: Host{Name: strings.TrimSuffix(strings.ToLower(mx.Mx), "."), Preference: mx.Preference}}
		hosts[i] = h
		if _, err := netip.ParseAddr(strings.Trim(h.Name, "[]")); err == nil {
			h.ipLiteral = true
		}
	}
	if verify {
		for _, h := range hosts {
			if h.resolve(ctx, r, verify); h.usable() {
				break
			}
		}
		return hosts
	}
	var wg sync.WaitGroup
	for i, h := range hosts {
		if i == len(hosts)-1 {
			h.resolve(ctx, r, verify) // the last here: one host (the usual) needs no goroutine
		} else {
			wg.Go(func() { h.resolve(ctx, r, verify) })
		}
	}
	wg.Wait()
	return hosts
}

func (h *host) resolve(ctx context.Context, r lookup.Resolver, verify bool) {
	h.asked = true
	fqdn := h.Name + "." // once, not in each of its lookups
	var v4only bool
	h.Addrs, h.Status, v4only, h.err = addresses(ctx, r, fqdn, verify)
	h.cname = aliasOf(ctx, r, fqdn, v4only)
	// Internal only when both families answered: the failed one might
	// have held a public address.
	h.internal = h.err == nil && len(h.Addrs) > 0 && !slices.ContainsFunc(h.Addrs, public)
}

// addresses returns name's A and AAAA addresses, as lookup.Addrs does.
// To verify addresses it asks AAAA only when the A records give none a
// sender can reach, and not after NXDOMAIN (which answers every type, RFC
// 8020): one reachable address settles whether the host takes mail, and a
// batch then asks about a quarter fewer questions. v4only says AAAA was
// not asked. A diagnosis and a lint ask both at once, to show them all.
func addresses(ctx context.Context, r lookup.Resolver, name string, verify bool) (addrs []netip.Addr, st lookup.Status, v4only bool, err error) {
	if verify {
		v4, st, err := lookup.AddrsLike(ctx, r, name, netip.IPv4Unspecified())
		if err == nil && (st == lookup.StatusNXDomain || slices.ContainsFunc(v4, public)) {
			return v4, st, true, nil
		}
	}
	addrs, st, err = lookup.Addrs(ctx, r, name) // A again from the cache
	return addrs, st, false, err
}

// public reports whether a sender on the internet could reach a.
func public(a netip.Addr) bool {
	return !(a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsLinkLocalUnicast() ||
		a.IsMulticast() || a.IsInterfaceLocalMulticast())
}

// aliasOf returns the name a CNAME at name points to, or "". The address
// questions were asked already (AAAA not when v4only), so the cache
// answers.
func aliasOf(ctx context.Context, r lookup.Resolver, name string, v4only bool) string {
	types := []uint16{dns.TypeA, dns.TypeAAAA}
	if v4only {
		types = types[:1]
	}
	for _, t := range types {
		a, err := r.Lookup(ctx, lookup.Question{Name: name, Type: t})
		if err != nil || a == nil {
			continue
		}
		for _, rr := range a.Of(dns.TypeCNAME) {
			if strings.EqualFold(dns.Fqdn(rr.Header().Name), dns.Fqdn(name)) {
				return strings.TrimSuffix(rr.(*dns.CNAME).Target, ".")
			}
		}
	}
	return ""
}

// reportHost reports what is wrong with one MX host, if anything.
func reportHost(p *checks.Pass, h *host, othersWork bool) {
	data := map[string]any{"host": h.Name, "preference": h.Preference, "status": string(h.Status)}
	if h.ipLiteral {
		// RFC 5321 §5.1: the data field of an MX record MUST contain a domain name.
		p.Report(checks.Finding{ID: idTargetIP, Severity: checks.Error, Record: "mx",
			Message: fmt.Sprintf("MX target %s is an IP address, not a host name; RFC 5321 §5.1 requires a name, and senders will not deliver to it", h.Name),
			Data:    data})
		return
	}
	if h.cname != "" {
		// RFC 2181 §10.3 and RFC 5321 §5.1: an MX target must not be an alias.
		data["cname"] = h.cname
		p.Report(checks.Finding{ID: idTargetCNAME, Severity: checks.Error, Record: "mx",
			Message: fmt.Sprintf("MX target %s is an alias (CNAME to %s); RFC 2181 §10.3 forbids this, and some senders refuse to deliver", h.Name, h.cname),
			Data:    data})
	}
	if h.usable() {
		return
	}
	sev := checks.Error
	if othersWork {
		sev = checks.Warning
	}
	if h.internal {
		data["addrs"] = addrStrings(h.Addrs)
		p.Report(checks.Finding{ID: idHostInternal, Severity: sev, Record: "mx", Data: data,
			Message: fmt.Sprintf("MX %s resolves only to %s, an address no sender on the internet can reach",
				h.Name, strings.Join(addrStrings(h.Addrs), ", "))})
		return
	}
	id, msg := idHostNoAddress, fmt.Sprintf("MX %s has no A/AAAA record (%s)", h.Name, statusWords(h.Status))
	if !h.dead() {
		id = idHostLookupFailed
		msg = fmt.Sprintf("MX %s could not be resolved (%s%s)", h.Name, statusWords(h.Status), loopWords(h.err))
		if loop := lookup.LoopOf(h.err); loop != nil {
			data["cname_loop"] = loop
		}
	}
	p.Report(checks.Finding{ID: id, Severity: sev, Record: "mx", Message: msg, Data: data})
}

// recognise names the provider and gateway behind the MX hosts, the most
// preferred host first.
func recognise(p *checks.Pass, res *Domain, hosts []*host) {
	var provider, gateway *Operator
	for _, h := range hosts {
		op := Recognise(h.Name)
		switch {
		case op == nil:
		case op.Kind == Gateway && gateway == nil:
			gateway = op
			res.Gateway = op.Name
			p.Report(checks.Finding{ID: idGateway, Severity: checks.Info, Record: "mx",
				Message: fmt.Sprintf("%s receives mail through the %s mail security gateway (MX %s)", res.Domain, op.Name, h.Name),
				Data:    map[string]any{"gateway": op.Name, "host": h.Name}})
		case op.Kind == Mailbox && provider == nil:
			provider = op
			res.Provider = op.Name
			p.Report(checks.Finding{ID: idProvider, Severity: checks.Info, Record: "mx",
				Message: fmt.Sprintf("%s's mailboxes are at %s (MX %s)", res.Domain, op.Name, h.Name),
				Data:    map[string]any{"provider": op.Name, "consumer": op.Consumer, "host": h.Name}})
		}
	}
}

// corporateFilter speaks to the corporate-filter cause once the domain is
// known to take mail.
func corporateFilter(p *checks.Pass, res *Domain) {
	if res.Gateway != "" {
		op := operatorNamed(res.Gateway)
		p.Report(checks.Finding{ID: idFilter, Cause: checks.CorporateFilter, Verdict: checks.Possible, Strength: checks.Indirect,
			Severity: checks.Info,
			Message:  fmt.Sprintf("mail for %s passes the %s security gateway, which can quarantine or hold a message the recipient never sees", res.Domain, op.Name),
			Steps: []string{
				fmt.Sprintf("ask the recipient's IT to search %s for the message to %s and release it", op.Quarantine, addressOr(p, res.Domain)),
				fmt.Sprintf("ask them to allow the sending domain in %s so later emails are not held", op.Name),
			},
			Data: map[string]any{"gateway": op.Name}})
		return
	}
	if op := operatorNamed(res.Provider); op != nil && op.Quarantine != "" {
		// A business mailbox service that filters and quarantines on its
		// own, with no gateway in front: Exchange Online Protection for
		// Microsoft 365.
		allow := "in " + op.Name
		if op.Allow != "" {
			allow = "in " + op.Allow
		}
		p.Report(checks.Finding{ID: idProviderQuarantine, Cause: checks.CorporateFilter, Verdict: checks.Possible, Strength: checks.Indirect,
			Severity: checks.Info,
			Message: fmt.Sprintf("mail for %s goes to %s, whose own filtering quarantines messages (high-confidence phishing, malware, spam by the tenant's policy) that the recipient never sees in the inbox",
				res.Domain, op.Name),
			Steps: []string{
				fmt.Sprintf("ask the recipient's IT to search %s for the message to %s and release it", op.Quarantine, addressOr(p, res.Domain)),
				fmt.Sprintf("ask them to allow the sending domain %s so later emails are not held", allow),
			},
			Data: map[string]any{"provider": op.Name}})
		return
	}
	if op := operatorNamed(res.Provider); op != nil && op.Consumer {
		p.Report(checks.Finding{ID: idConsumer, Cause: checks.CorporateFilter, Verdict: checks.RuledOut, Strength: checks.Indirect,
			Severity: checks.OK,
			Message:  fmt.Sprintf("%s is a consumer mailbox at %s, with no company mail gateway in front of it", res.Domain, op.Name),
			Data:     map[string]any{"provider": op.Name}})
		return
	}
	// Neither a known gateway nor a consumer mailbox: an in-house filter
	// cannot be told from the MX names alone.
	var hosts []string
	for _, h := range res.Hosts {
		hosts = append(hosts, h.Name)
	}
	if len(hosts) > 0 {
		p.Report(checks.Finding{ID: idFilterUnknown, Cause: checks.CorporateFilter, Verdict: checks.Unknown, Severity: checks.OK,
			Message: fmt.Sprintf("the MX hosts of %s (%s) are not a known security gateway; an in-house filter cannot be ruled out from DNS",
				res.Domain, strings.Join(hosts, ", "))})
	}
}

func operatorNamed(name string) *Operator {
	if name == "" {
		return nil
	}
	for i := range Operators {
		if Operators[i].Name == name {
			return &Operators[i]
		}
	}
	return nil
}

func addressOr(p *checks.Pass, domain string) string {
	if p.Ticket.Address != "" {
		return p.Ticket.Address
	}
	return "the recipient at " + domain
}

func ruleOutNotFound(p *checks.Pass, d string) {
	p.Report(checks.Finding{ID: idDomainExists, Severity: checks.OK, Cause: checks.DomainNotFound, Verdict: checks.RuledOut,
		Strength: checks.Direct, Message: fmt.Sprintf("the domain %s exists", d), Data: map[string]any{"domain": d}})
}

func unknownBoth(p *checks.Pass, format string, args ...any) {
	p.Report(checks.UnknownOf(idLookupFailed, checks.DomainNotFound, format, args...))
	p.Report(checks.UnknownOf(idLookupFailed, checks.DomainNoMail, format, args...))
}

func deadList(hs []*host) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		switch {
		case h.ipLiteral:
			parts[i] = h.Name + " is an IP address"
		case h.internal:
			parts[i] = fmt.Sprintf("%s resolves only to %s", h.Name, strings.Join(addrStrings(h.Addrs), ", "))
		default:
			parts[i] = fmt.Sprintf("%s %s%s", h.Name, statusWords(h.Status), loopWords(h.err))
		}
	}
	return strings.Join(parts, ", ")
}

func statusWords(s lookup.Status) string {
	switch s {
	case lookup.StatusNXDomain:
		return "NXDOMAIN: no such name"
	case lookup.StatusNoData:
		return "NODATA: the name exists without an address"
	case lookup.StatusServFail:
		return "SERVFAIL: its DNS is broken"
	case lookup.StatusRefused:
		return "REFUSED: the DNS server would not answer"
	case lookup.StatusTimeout:
		return "timeout: no DNS answer in time"
	}
	return string(s)
}

// loopWords names the CNAME loop behind err: ", CNAME loop a -> b -> a".
func loopWords(err error) string {
	if loop := lookup.LoopOf(err); loop != nil {
		return ", CNAME loop " + lookup.LoopText(loop)
	}
	return ""
}

func addrStrings(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}
