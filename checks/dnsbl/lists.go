package dnsbl

import (
	"fmt"
	"net/netip"
	"strings"
)

// Kind says what a list holds: IP addresses (queried by reversed octets or
// IPv6 nibbles) or domains (queried by name), RFC 5782 §2.1 and §2.3.
type Kind int

const (
	IPList Kind = iota
	DomainList
)

func (k Kind) String() string {
	if k == DomainList {
		return "domain"
	}
	return "ip"
}

// A List is one DNS blocklist.
type List struct {
	Zone string // the zone queried, such as "zen.spamhaus.org"
	Name string // what people call it, such as "Spamhaus ZEN"
	Kind Kind
	// IPv6 is set when the list holds IPv6 addresses; IPv4-only lists answer
	// NXDOMAIN for every IPv6 question, which would read as "not listed".
	IPv6 bool
	// Decode reads one A record of an answer; nil means the RFC 5782
	// convention (any 127.0.0.2-127.0.0.255 is a listing).
	Decode func(code netip.Addr) Code
	// Delist says how a listed sender gets off the list.
	Delist string
}

// Code is the meaning of one answer of a list.
type Code struct {
	// Listed: the subject is on the list, for Meaning.
	Listed bool
	// Refused: the list would not answer our resolver (public resolver,
	// too many queries, unregistered); the answer says nothing about the subject.
	Refused bool
	// Meaning says what the list means by the code, in plain words.
	Meaning string
	// Step, when set, replaces the list's general delisting advice.
	Step string
}

// Defaults are the lists queried when the ticket names none: the widely used
// ones whose listings make large receivers reject or spam-folder mail.
// SORBS (dnsbl.sorbs.net) is not here: it closed in 2024.
//
//	zone                     kind    list
//	zen.spamhaus.org         ip      Spamhaus ZEN (SBL, CSS, XBL, DROP, PBL), IPv4 and IPv6
//	b.barracudacentral.org   ip      Barracuda Reputation Block List
//	bl.spamcop.net           ip      SpamCop
//	psbl.surriel.com         ip      Passive Spam Block List
//	bl.mailspike.net         ip      Mailspike
//	dbl.spamhaus.org         domain  Spamhaus Domain Block List
//	multi.surbl.org          domain  SURBL
//	multi.uribl.com          domain  URIBL
var Defaults = []*List{
	{Zone: "zen.spamhaus.org", Name: "Spamhaus ZEN", Kind: IPList, IPv6: true, Decode: decodeZen,
		Delist: "look the IP up at https://check.spamhaus.org/ and follow the removal steps given for its listing"},
	{Zone: "b.barracudacentral.org", Name: "Barracuda Reputation Block List", Kind: IPList,
		Delist: "request removal at https://www.barracudacentral.org/rbl/removal-request once the cause is fixed"},
	{Zone: "bl.spamcop.net", Name: "SpamCop", Kind: IPList,
		Delist: "SpamCop listings expire by themselves about 24 hours after spam reports stop; find what sent the reported mail (see https://www.spamcop.net/bl.shtml)"},
	{Zone: "psbl.surriel.com", Name: "PSBL", Kind: IPList,
		Delist: "remove the IP yourself at https://psbl.org/remove once the cause is fixed"},
	{Zone: "bl.mailspike.net", Name: "Mailspike", Kind: IPList,
		Delist: "look the IP up at https://mailspike.org/ and request removal there"},
	{Zone: "dbl.spamhaus.org", Name: "Spamhaus DBL", Kind: DomainList, Decode: decodeDBL,
		Delist: "look the domain up at https://check.spamhaus.org/ and request removal there once the cause is fixed"},
	{Zone: "multi.surbl.org", Name: "SURBL", Kind: DomainList, Decode: decodeSURBL,
		Delist: "look the domain up at https://surbl.org/surbl-analysis and request removal there"},
	{Zone: "multi.uribl.com", Name: "URIBL", Kind: DomainList, Decode: decodeURIBL,
		Delist: "look the domain up at https://admin.uribl.com/ and request removal there"},
}

// Lists returns the lists for zones as configured: a zone of the
// default table takes its entry; another zone is an IP list, or a domain
// list when written "domain:zone" ("ip:zone" is accepted too). No zones
// means Defaults.
func Lists(zones []string) ([]*List, error) {
	if len(zones) == 0 {
		return Defaults, nil
	}
	var out []*List
	seen := map[string]bool{}
	for _, z := range zones {
		kind, explicit := IPList, false
		spec := strings.TrimSpace(z)
		if k, rest, ok := strings.Cut(spec, ":"); ok {
			switch strings.ToLower(k) {
			case "ip":
				kind, explicit, spec = IPList, true, rest
			case "domain":
				kind, explicit, spec = DomainList, true, rest
			default:
				return nil, fmt.Errorf("blocklist %q: want ZONE, ip:ZONE or domain:ZONE", z)
			}
		}
		spec = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(spec), "."))
		if spec == "" || strings.ContainsAny(spec, " \t/@") || !strings.Contains(spec, ".") {
			return nil, fmt.Errorf("blocklist %q: not a DNS zone name", z)
		}
		if seen[spec] {
			continue
		}
		seen[spec] = true
		var l *List
		for _, d := range Defaults {
			if d.Zone == spec && (!explicit || d.Kind == kind) {
				l = d
			}
		}
		if l == nil {
			l = &List{Zone: spec, Name: spec, Kind: kind, IPv6: true,
				Delist: "see the list operator's web site for why the subject is listed and how to request removal"}
		}
		out = append(out, l)
	}
	return out, nil
}

// decode reads code with the list's decoder after the checks every list
// shares.
func (l *List) decode(code netip.Addr) Code {
	if !code.Is4() || code.As4()[0] != 127 {
		// RFC 5782 §2.1: answers are in 127.0.0.0/8. A list that answers
		// anything else is usually defunct and wildcarding every name.
		return Code{Refused: true, Meaning: fmt.Sprintf("answer %s is outside 127.0.0.0/8: the list may be defunct and answering every query", code)}
	}
	if l.Decode != nil {
		return l.Decode(code)
	}
	return decodeGeneric(code)
}

func decodeGeneric(code netip.Addr) Code {
	b := code.As4()
	switch {
	case b[1] == 255 && b[2] == 255:
		return Code{Refused: true, Meaning: fmt.Sprintf("%s is an error answer: the list refused our resolver (public resolver or too many queries)", code)}
	case code == netip.AddrFrom4([4]byte{127, 0, 0, 1}):
		return Code{Refused: true, Meaning: "127.0.0.1 is not a listing code: lists use it to refuse a resolver"}
	}
	return Code{Listed: true, Meaning: "listed"}
}

// spamhausError decodes the error answers Spamhaus gives instead of
// listings (https://docs.spamhaus.com/datasets/docs/source/40-real-world-usage/PublicMirrors/MTAs/020-Postfix.html).
func spamhausError(code netip.Addr) (Code, bool) {
	switch code.As4() {
	case [4]byte{127, 255, 255, 252}:
		return Code{Refused: true, Meaning: "127.255.255.252: Spamhaus says the list name was mistyped"}, true
	case [4]byte{127, 255, 255, 254}:
		return Code{Refused: true, Meaning: "127.255.255.254: Spamhaus refuses queries through public or open resolvers"}, true
	case [4]byte{127, 255, 255, 255}:
		return Code{Refused: true, Meaning: "127.255.255.255: Spamhaus refuses our resolver for an excessive number of queries"}, true
	}
	return Code{}, false
}

// decodeZen reads Spamhaus ZEN return codes.
func decodeZen(code netip.Addr) Code {
	if c, ok := spamhausError(code); ok {
		return c
	}
	b := code.As4()
	if b[1] != 0 || b[2] != 0 {
		return Code{Listed: true, Meaning: "listed (unrecognised ZEN code)"}
	}
	pbl := "the IP's owner (usually an ISP or cloud host) says it should not send mail directly to other servers: send through your email provider's relay, or have the IP's owner remove it from the PBL at https://check.spamhaus.org/"
	switch b[3] {
	case 2:
		return Code{Listed: true, Meaning: "SBL: Spamhaus lists it as a spam source or spam operation"}
	case 3:
		return Code{Listed: true, Meaning: "SBL CSS: Spamhaus saw low-reputation or snowshoe spam from it"}
	case 4, 5, 6, 7:
		return Code{Listed: true, Meaning: "XBL: the IP sends mail from malware, a botnet or an exploited host",
			Step: "find and clean the compromised host or script behind the IP, then request removal at https://check.spamhaus.org/"}
	case 9:
		return Code{Listed: true, Meaning: "DROP: the whole network is hijacked or run by criminals"}
	case 10:
		return Code{Listed: true, Meaning: "PBL (ISP maintained): " + pbl, Step: pbl}
	case 11:
		return Code{Listed: true, Meaning: "PBL (Spamhaus maintained): " + pbl, Step: pbl}
	}
	return Code{Listed: true, Meaning: "listed (unrecognised ZEN code)"}
}

// decodeDBL reads Spamhaus DBL return codes (127.0.1.x).
func decodeDBL(code netip.Addr) Code {
	if c, ok := spamhausError(code); ok {
		return c
	}
	b := code.As4()
	if b[1] != 0 || b[2] != 1 {
		return Code{Listed: true, Meaning: "listed (unrecognised DBL code)"}
	}
	switch b[3] {
	case 2:
		return Code{Listed: true, Meaning: "spam domain"}
	case 4:
		return Code{Listed: true, Meaning: "phishing domain"}
	case 5:
		return Code{Listed: true, Meaning: "malware domain"}
	case 6:
		return Code{Listed: true, Meaning: "botnet command-and-control domain"}
	case 102:
		return Code{Listed: true, Meaning: "abused legitimate domain used in spam"}
	case 103:
		return Code{Listed: true, Meaning: "abused legitimate domain: a spammed redirector or URL shortener"}
	case 104:
		return Code{Listed: true, Meaning: "abused legitimate domain used in phishing"}
	case 105:
		return Code{Listed: true, Meaning: "abused legitimate domain used for malware"}
	case 106:
		return Code{Listed: true, Meaning: "abused legitimate domain used for botnet command and control"}
	case 255:
		return Code{Refused: true, Meaning: "127.0.1.255: the DBL refuses IP-address queries"}
	}
	return Code{Listed: true, Meaning: "listed (unrecognised DBL code)"}
}

// bitmask decodes a list whose last octet is a set of sub-lists; 127.0.0.1
// means the list refused our resolver.
func bitmask(list, refusal string, bits []string) func(netip.Addr) Code {
	return func(code netip.Addr) Code {
		b := code.As4()
		if b[1] != 0 || b[2] != 0 {
			return decodeGeneric(code)
		}
		if b[3] == 1 {
			return Code{Refused: true, Meaning: "127.0.0.1: " + refusal}
		}
		var parts []string
		for i := 1; i < 8; i++ {
			if b[3]&(1<<i) == 0 {
				continue
			}
			if i < len(bits) && bits[i] != "" {
				parts = append(parts, bits[i])
			} else {
				parts = append(parts, fmt.Sprintf("%s list bit %d", list, 1<<i))
			}
		}
		if len(parts) == 0 {
			return Code{Listed: true, Meaning: "listed"}
		}
		return Code{Listed: true, Meaning: strings.Join(parts, ", ")}
	}
}

// decodeSURBL reads multi.surbl.org's bitmask (https://surbl.org/lists).
var decodeSURBL = bitmask("SURBL",
	"SURBL blocks our resolver (public resolver or too many queries)",
	[]string{1: "SC (retired sub-list)", 2: "WS (retired sub-list)", 3: "PH: phishing", 4: "MW: malware", 5: "AB (retired sub-list)", 6: "ABUSE: spam and abuse", 7: "CR: cracked site"})

// decodeURIBL reads multi.uribl.com's bitmask (https://uribl.com/about.shtml).
var decodeURIBL = bitmask("URIBL",
	"URIBL refuses our resolver (public resolver or too many queries)",
	[]string{1: "black: seen in spam only", 2: "grey: seen in spam and in legitimate bulk mail", 3: "red: seen in spam from newly registered domains", 4: "gold (test list)"})
