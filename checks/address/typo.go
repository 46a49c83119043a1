package address

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/mx"
)

// Typo suggests the mailbox-provider domain a misspelled recipient domain
// stands for. It is conservative: address-typo is likely only when the
// typed domain takes no mail at all, or takes it at hosts of no known
// mailbox provider (a parking or catch-all server: the mail went to a
// stranger); a typed domain whose mail a known provider or gateway
// receives makes it possible at most.
var Typo = &checks.Check{
	Name: "typo",
	Doc: "Compares the recipient domain with the big mailbox providers' domains (gmial.com, hotmial.com, " +
		"gmail.con) and, when one is a slip away, says so: likely when the typed domain takes no mail, " +
		"possible when it does.",
	Requires: []*checks.Check{Check, mx.Check},
	Run:      runTypo,
}

// providers are the mailbox providers' domains a recipient domain is
// compared with, most used first (ties go to the earlier one).
var providers = strings.Fields(`
	gmail.com googlemail.com
	yahoo.com yahoo.co.uk yahoo.fr yahoo.de yahoo.it yahoo.es yahoo.ca yahoo.in
	yahoo.com.au yahoo.com.br yahoo.co.jp yahoo.com.mx yahoo.co.in ymail.com rocketmail.com
	outlook.com outlook.fr outlook.de outlook.es outlook.it outlook.jp
	hotmail.com hotmail.co.uk hotmail.fr hotmail.de hotmail.it hotmail.es hotmail.ca hotmail.com.br
	live.com live.co.uk live.fr live.de live.it live.ca live.nl msn.com
	icloud.com me.com mac.com
	aol.com aim.com
	protonmail.com protonmail.ch proton.me pm.me
	gmx.com gmx.net gmx.de gmx.at gmx.ch web.de t-online.de freenet.de
	yandex.com yandex.ru ya.ru mail.ru bk.ru inbox.ru list.ru rambler.ru
	comcast.net verizon.net att.net sbcglobal.net bellsouth.net cox.net charter.net
	earthlink.net optonline.net frontier.com windstream.net
	mail.com email.com zoho.com fastmail.com tutanota.com hey.com
	orange.fr wanadoo.fr free.fr laposte.net sfr.fr
	libero.it virgilio.it tiscali.it
	btinternet.com sky.com virginmedia.com
	shaw.ca rogers.com sympatico.ca
	bigpond.com optusnet.com.au
	qq.com 163.com 126.com naver.com daum.net
	rediffmail.com uol.com.br bol.com.br terra.com.br
	seznam.cz wp.pl o2.pl interia.pl onet.pl
`)

// legit are real domains close to a provider's that must never be
// "corrected": comcast.com is Comcast's company domain (the mailboxes are
// at comcast.net), and the rest are mail services of their own.
var legit = map[string]bool{}

// provider is a providers entry cut at its public suffix.
type provider struct{ domain, name, suffix string }

var providerParts []provider

func init() {
	for _, d := range providers {
		legit[d] = true
		n, s, _ := split(d)
		providerParts = append(providerParts, provider{d, n, s})
	}
	for _, d := range strings.Fields(`comcast.com verizon.com att.com yahoo.net gmx.us
		hotmail.net outlook.net icloud.net mail.de email.de gmail.de`) {
		legit[d] = true
	}
}

// tldSlips maps a mistyped public suffix to the one meant. They are applied
// only with a provider's own name (gmail.cm, never any .cm domain: .cm, .co,
// .om and .ne are real country domains).
var tldSlips = map[string]string{
	"con": "com", "cmo": "com", "ocm": "com", "comm": "com", "coom": "com", "cpm": "com",
	"xom": "com", "vom": "com", "cim": "com", "cok": "com", "co": "com", "cm": "com",
	"om": "com", "c0m": "com", "comn": "com", "coml": "com",
	"c": "com", "ccm": "com", "como": "com", "cl": "com", "cmm": "com", "com.com": "com",
	"nt": "net", "nte": "net", "ner": "net", "ne": "net", "met": "net", "bet": "net", "nett": "net",
	"ogr": "org", "prg": "org", "orh": "org", "or": "org",
	"co.uj": "co.uk", "co.ik": "co.uk", "couk": "co.uk", "co.k": "co.uk", "c.uk": "co.uk",
	"fe": "fr", "ft": "fr", "dr": "fr", "dee": "de", "ed": "de",
}

// A Suggestion is the provider domain a typed domain probably stands for.
type Suggestion struct {
	Domain   string // the provider's domain, "gmail.com"
	Distance int    // edit distance of the name, or 1 for a TLD slip
	TLDSlip  bool   // the name is right and the suffix mistyped (gmail.con)
	Accent   bool   // the domain has accents a provider's lacks (gmaíl.com)
}

// unaccent returns d (Unicode or A-labels) without its diacritics, when
// that changes it and leaves plain ASCII.
func unaccent(d string) (string, bool) {
	u, err := idna.Lookup.ToUnicode(d)
	if err != nil || isASCII(u) {
		return "", false
	}
	f, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), u)
	if err != nil || !isASCII(f) {
		return "", false
	}
	return f, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Suggest returns the provider domain that domain (A-labels) is most
// likely a misspelling of, or ok false when it is a provider itself or no
// provider is close. The name (the label left of the public suffix) and the
// suffix are compared separately: either the name is a provider's and the
// suffix a known slip of its suffix, or the suffix is the provider's and
// the names are within a small Damerau-Levenshtein distance (1 for names of
// 5-8 letters, 2 from 9). Shorter names (aol, gmx, live, mail) have too
// many real neighbours to guess at and must match exactly.
//
// A domain with accented letters (gmaíl.com, typed or as its A-label
// xn--gmal-xpa.com) is compared in its unaccented form, where it usually
// is a provider's own domain: a keyboard slip of a different kind.
func Suggest(domain string) (Suggestion, bool) {
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	if legit[d] {
		return Suggestion{}, false
	}
	if f, ok := unaccent(d); ok {
		if legit[f] {
			return Suggestion{Domain: f, Distance: 1, Accent: true}, true
		}
		s, ok := Suggest(f)
		s.Accent = ok
		return s, ok
	}
	name, suffix, ok := split(d)
	if !ok {
		return Suggestion{}, false
	}
	var best Suggestion
	for _, pp := range providerParts {
		p, pn, ps := pp.domain, pp.name, pp.suffix
		switch {
		case name == pn && tldSlips[suffix] == ps:
			if best.Domain == "" || best.Distance > 1 {
				best = Suggestion{Domain: p, Distance: 1, TLDSlip: true}
			}
		case suffix == ps && name != pn:
			limit := 0
			switch n := len(pn); {
			case n >= 9:
				limit = 2
			case n >= 5:
				limit = 1
			}
			if limit == 0 || abs(len(name)-len(pn)) > limit {
				continue
			}
			dist := distance(name, pn)
			if dist > limit && dist <= 2 && (moved(name, pn) || distance(collapse(name), collapse(pn)) <= 1 && collapse(name) != name) {
				// Slips that cost two edits but are one movement of the
				// hand: a letter typed early or late (gimal, yaooh), a key
				// held down on a near miss (gmaall).
				dist = limit
			}
			if dist <= limit && (best.Domain == "" || dist < best.Distance) {
				best = Suggestion{Domain: p, Distance: dist}
			}
		}
	}
	return best, best.Domain != ""
}

// split cuts a domain into the label left of its public suffix and the
// suffix ("yahoo", "co.uk"). A domain with more labels than that (a
// subdomain) is not split: providers do not hand out addresses there.
func split(d string) (name, suffix string, ok bool) {
	suffix, _ = publicsuffix.PublicSuffix(d)
	if suffix == d {
		return "", "", false
	}
	name = strings.TrimSuffix(d, "."+suffix)
	if name == "" || strings.Contains(name, ".") {
		// A slip in a two-label suffix (yahoo.co.uj) makes the
		// registrable part look like "yahoo.co"; take it apart.
		if i := strings.IndexByte(name, '.'); i > 0 && !strings.Contains(name[i+1:], ".") {
			return name[:i], name[i+1:] + "." + suffix, true
		}
		return "", "", false
	}
	return name, suffix, true
}

// moved reports whether a is b with one letter moved to another place
// (gimal for gmail, yaooh for yahoo): deleting one occurrence of a letter
// from each leaves the same string.
func moved(a, b string) bool {
	if len(a) != len(b) || a == b {
		return false
	}
	for i := 0; i < len(a); i++ {
		if i > 0 && a[i] == a[i-1] {
			continue
		}
		da := a[:i] + a[i+1:]
		for j := 0; j < len(b); j++ {
			if b[j] == a[i] && b[:j]+b[j+1:] == da {
				return true
			}
		}
	}
	return false
}

// collapse writes each run of a repeated letter once (gmaall: gmal).
func collapse(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i == 0 || s[i] != s[i-1] {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// distance is the Damerau-Levenshtein distance between a and b (optimal
// string alignment: insertions, deletions, substitutions and transpositions
// of adjacent characters each cost 1), over bytes: domains here are A-labels.
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func runTypo(p *checks.Pass) (any, error) {
	m := checks.ResultOf[*Mailbox](p, Check)
	switch {
	case m == nil:
		p.Skip("no address")
		return nil, nil
	case !m.Valid:
		p.Skip("the address is not valid")
		p.Unknown(checks.AddressTypo, "the address does not parse (%s), so its domain was not compared with the mailbox providers", m.Reason)
		return nil, nil
	case IsAddressLiteral(m):
		p.Report(checks.Finding{Severity: checks.OK, Cause: checks.AddressTypo, Verdict: checks.RuledOut, Strength: checks.Direct,
			Message: fmt.Sprintf("the domain is an address literal %s, not a name that could be misspelled", m.Domain)})
		return nil, nil
	}
	typed := m.ASCIIDomain
	if legit[typed] {
		p.Report(checks.Finding{Severity: checks.OK, Cause: checks.AddressTypo, Verdict: checks.RuledOut, Strength: checks.Direct,
			Message: fmt.Sprintf("%s is a known mailbox provider's domain", typed)})
		return nil, nil
	}
	s, ok := Suggest(typed)
	if !ok {
		p.Report(checks.Finding{Severity: checks.OK, Cause: checks.AddressTypo, Verdict: checks.RuledOut, Strength: checks.Indirect,
			Message: fmt.Sprintf("%s is not a slip of any big mailbox provider's domain", typed)})
		return nil, nil
	}
	md := checks.ResultOf[*mx.Domain](p, mx.Check)
	fixed := quoteLocal(m.Local) + "@" + s.Domain
	f := checks.Finding{
		Severity: checks.Warning,
		Record:   "address",
		Cause:    checks.AddressTypo,
		Data:     map[string]any{"suggestion": s.Domain, "typed": typed, "address": fixed, "distance": s.Distance},
		Steps: []string{
			fmt.Sprintf("ask the user whether their address is %s", fixed),
			"correct the address on their account, then send the email again",
		},
	}
	lead := fmt.Sprintf("%s looks like a typo of %s", typed, s.Domain)
	if s.Accent {
		lead = fmt.Sprintf("%s (%s in DNS) looks like %s typed with an accent", m.Domain, typed, s.Domain)
	}
	if why := noMail(md); why != "" {
		// The typed domain cannot receive the mail, and the suggestion is a
		// provider that can: the evidence names the cause.
		f.Verdict, f.Strength = checks.Likely, checks.Direct
		f.Data["mail"] = why
		f.Message = fmt.Sprintf("%s, and %s accepts no mail (%s)", lead, typed, why)
	} else if stranger(md) {
		// The near miss takes mail, at a host of no known mailbox provider:
		// a parking or catch-all service, or a squatter's own server. Its
		// accepting says nothing for the address; the mail is gone to a
		// stranger, with whatever link it carried.
		f.Verdict, f.Strength = checks.Likely, checks.Direct
		f.Data["mail"] = "accepted by a host of no known mailbox provider"
		f.Data["stranger"] = true
		f.Message = fmt.Sprintf("%s, and %s takes mail%s at a host of no known mailbox provider, not %s's: "+
			"a catch-all or parking server accepts whatever is sent, so the email, and the reset link in it, went to someone else's server",
			lead, typed, hostsOf(md), s.Domain)
		f.Steps = []string{
			fmt.Sprintf("invalidate the reset link (and any other token) sent to %s: it went to someone else's server", Format(m)),
			f.Steps[0],
			f.Steps[1],
		}
	} else {
		f.Verdict, f.Strength = checks.Possible, checks.Indirect
		switch {
		case md == nil || md.AcceptsMail == checks.Maybe:
			f.Message = fmt.Sprintf("%s; whether %s accepts mail could not be checked", lead, typed)
		case md.Provider != "" || md.Gateway != "":
			f.Message = fmt.Sprintf("%s, but %s does accept mail at %s%s, so it may be a real address", lead, typed, operatorOf(md), hostsOf(md))
		default:
			f.Message = fmt.Sprintf("%s, but %s does accept mail%s, so it may be a real address", lead, typed, hostsOf(md))
		}
	}
	p.Report(f)
	return nil, nil
}

// noMail says why md's domain takes no mail, or "" when it may. A domain
// without MX whose only address is its own A record counts as taking no
// mail here: for a typo domain that is the mark of a parked domain.
func noMail(md *mx.Domain) string {
	switch {
	case md == nil:
		return ""
	case md.Exists == checks.No:
		return "the domain does not exist: NXDOMAIN"
	case md.NullMX:
		return "null MX"
	case md.Implicit:
		return "no MX, only an address record, typical of a parked domain"
	case md.AcceptsMail == checks.No && len(md.Hosts) > 0:
		return "none of its MX hosts has a usable address"
	case md.AcceptsMail == checks.No:
		return "no MX"
	}
	return ""
}

// stranger reports whether md's domain takes mail at MX hosts of no known
// mailbox provider or gateway: for a near miss of a provider's domain, the
// mark of a parking or catch-all service (which are not known providers by
// definition; no table of them is needed).
func stranger(md *mx.Domain) bool {
	return md != nil && md.AcceptsMail == checks.Yes && !md.Implicit && !md.NullMX &&
		len(md.Hosts) > 0 && md.Provider == "" && md.Gateway == ""
}

func operatorOf(md *mx.Domain) string {
	if md.Provider != "" {
		return md.Provider
	}
	return md.Gateway
}

func hostsOf(md *mx.Domain) string {
	if len(md.Hosts) == 0 {
		return ""
	}
	names := make([]string, 0, len(md.Hosts))
	for _, h := range md.Hosts {
		names = append(names, strings.TrimSuffix(h.Name, "."))
	}
	if len(names) > 3 {
		names = append(names[:3], "...")
	}
	return " (MX " + strings.Join(names, ", ") + ")"
}
