package dmarc

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"

	"github.com/emersion/go-msgauth/dmarc"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/tagvalue"
)

// A Record is a DMARC policy record as receivers read it, with the
// defaults of RFC 7489 §6.3 filled in.
type Record struct {
	Text              string
	Tags              []Tag
	Policy            string // p=, lower-case; "" when missing or invalid
	SubdomainPolicy   string // sp=, "" when absent
	NonexistentPolicy string // np= (RFC 9989), "" when absent
	ADKIM, ASPF       string // "r" or "s"
	Pct               int    // 100 unless pct= says otherwise
	RUA, RUF          []URI
	Testing           bool   // t=y (RFC 9989)
	PSD               string // psd= (RFC 9989): y, n, u or ""
	// Lib is go-msgauth's reading of the record, nil when it rejects it
	// (its error is among the problems).
	Lib *dmarc.Record
}

// Tag is one tag=value of the record, as written.
type Tag = tagvalue.Tag

// URI is one rua/ruf destination (RFC 7489 §6.4 dmarc-uri).
type URI struct {
	Raw     string
	Scheme  string // "mailto", "https", ...
	Address string // the mailbox of a mailto: URI
	Domain  string // its domain, lower-case
	Limit   string // the "!size" suffix, if any
}

// A Problem is one lint finding about a record.
type Problem = tagvalue.Problem

var (
	sizeRE   = regexp.MustCompile(`^[0-9]+[kmgtKMGT]?$`)
	schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
)

// IsDMARC reports whether a TXT record is a DMARC record by RFC 7489
// §6.6.3's rule: it starts with the v=DMARC1 tag. Others are discarded.
func IsDMARC(txt string) bool {
	tags, _ := splitTags(txt)
	return len(tags) > 0 && tags[0].Name == "v" && tags[0].Value == "DMARC1" && strings.HasPrefix(txt, "v")
}

// LooksLikeDMARC reports whether a TXT record was probably meant as a DMARC
// record (it mentions DMARC1 or has a p= tag) even if receivers discard it.
func LooksLikeDMARC(txt string) bool {
	l := strings.ToLower(txt)
	return strings.Contains(l, "dmarc1") || strings.Contains(l, "p=")
}

// splitTags splits a tag list at semicolons (RFC 7489 §6.4: dmarc-sep is
// *WSP ";" *WSP), names as written (Lint lower-cases them), and reports
// malformed pieces.
func splitTags(s string) ([]Tag, []Problem) {
	var tags []Tag
	var probs []Problem
	for _, pc := range tagvalue.DMARC.Split(s) {
		switch {
		case pc.Empty():
			probs = append(probs, tagvalue.ProblemIDf(idEmptyTag, checks.Warning, "", "empty tag between semicolons (piece %d)", pc.Index+1))
		case !pc.IsTag:
			probs = append(probs, tagvalue.ProblemIDf(idNotTagValue, checks.Error, "", "%q is not tag=value: receivers may reject the whole record", pc.Text))
		default:
			tags = append(tags, pc.Tag)
		}
	}
	return tags, probs
}

// Lint parses a DMARC record and lints it against RFC 7489 and the
// changes of RFC 9989 (DMARCbis). The record is nil only when receivers
// would discard it entirely (not a v=DMARC1 record).
func Lint(txt string) (*Record, []Problem) {
	tags, probs := splitTags(txt)
	add := func(id string, sev checks.Severity, tag, format string, args ...any) {
		probs = append(probs, tagvalue.ProblemIDf(id, sev, tag, format, args...))
	}
	// RFC 7489 §6.4: v must be first and exactly DMARC1, else the record
	// is ignored.
	if len(tags) == 0 || tags[0].Name != "v" || tags[0].Value != "DMARC1" || !strings.HasPrefix(txt, "v") {
		switch {
		case len(tags) > 0 && strings.EqualFold(tags[0].Name, "v") && strings.EqualFold(tags[0].Value, "DMARC1"):
			add(idVersionWrong, checks.Error, "v", "the record must start with exactly v=DMARC1 (RFC 7489 §6.4), not %q: receivers ignore it", txt[:min(len(txt), 12)])
		case hasTag(tags, "v"):
			add(idVersionNotFirst, checks.Error, "v", "v=DMARC1 must be the first tag (RFC 7489 §6.4): receivers ignore this record")
		default:
			add(idNotDMARC, checks.Error, "v", "the record does not start with v=DMARC1: receivers ignore it")
		}
		return nil, probs
	}
	r := &Record{Text: txt, Tags: tags, ADKIM: "r", ASPF: "r", Pct: 100}
	seen := map[string]bool{}
	invalidSP := false
	for _, t := range tags[1:] {
		name := strings.ToLower(t.Name)
		if name != t.Name {
			add(idTagCase, checks.Warning, name, "tag name %q is not lower-case: some receivers (and go-msgauth) ignore it; write %s=", t.Name, name)
		}
		if seen[name] {
			add(idTagRepeated, checks.Error, name, "tag appears more than once: receivers may take either value or reject the record")
			continue
		}
		seen[name] = true
		v := t.Value
		lv := strings.ToLower(v)
		switch name {
		case "v":
			add(idVersionRepeated, checks.Error, "v", "v= appears again after the first tag")
		case "p", "sp", "np":
			if !isPolicy(lv) {
				add(idPolicyInvalid, checks.Error, name, "%q is not a policy (none, quarantine or reject)", v)
				if name == "sp" {
					invalidSP = true
				}
				continue
			}
			switch name {
			case "p":
				r.Policy = lv
			case "sp":
				r.SubdomainPolicy = lv
			case "np":
				r.NonexistentPolicy = lv
			}
		case "adkim", "aspf":
			if lv != "r" && lv != "s" {
				add(idAlignmentInvalid, checks.Error, name, "%q is not an alignment mode (r for relaxed or s for strict)", v)
				continue
			}
			if name == "adkim" {
				r.ADKIM = lv
			} else {
				r.ASPF = lv
			}
		case "pct":
			// RFC 9989 removes pct= (replaced by t=); RFC 7489 receivers
			// still apply it.
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 100 {
				add(idPctInvalid, checks.Error, "pct", "%q is not a whole number from 0 to 100", v)
				continue
			}
			r.Pct = n
			switch {
			case n == 0:
				add(idPctZero, checks.Warning, "pct", "pct=0: the policy is applied to no mail (receivers fall back one step: reject acts as quarantine, quarantine as none)")
			case n < 100:
				add(idPctPartial, checks.Warning, "pct", "pct=%d: the policy is applied to only %d%% of failing mail", n, n)
			}
			add(idPctObsolete, checks.Info, "pct", "pct= is removed by RFC 9989 (DMARCbis); use t=y for testing instead")
		case "rf":
			for _, f := range strings.Split(lv, ":") {
				if strings.TrimSpace(f) != "afrf" {
					add(idRFInvalid, checks.Error, "rf", "unknown failure report format %q (only afrf is defined)", f)
				}
			}
			add(idRFObsolete, checks.Info, "rf", "rf= is removed by RFC 9989 (DMARCbis) and can be dropped")
		case "ri":
			if n, err := strconv.Atoi(v); err != nil || n <= 0 {
				add(idRIInvalid, checks.Error, "ri", "%q is not a positive number of seconds", v)
			}
			add(idRIObsolete, checks.Info, "ri", "ri= is removed by RFC 9989 (DMARCbis); receivers send aggregate reports daily regardless")
		case "fo":
			for _, o := range strings.Split(lv, ":") {
				switch strings.TrimSpace(o) {
				case "0", "1", "d", "s":
				default:
					add(idFOInvalid, checks.Error, "fo", "unknown failure reporting option %q (0, 1, d or s)", o)
				}
			}
		case "rua", "ruf":
			uris := parseURIs(name, v, add)
			if name == "rua" {
				r.RUA = uris
			} else {
				r.RUF = uris
			}
		case "t":
			switch lv {
			case "y":
				r.Testing = true
				add(idTesting, checks.Warning, "t", "t=y: the domain says its policy is in testing (RFC 9989): receivers apply one step less (reject as quarantine, quarantine as none)")
			case "n":
			default:
				add(idTInvalid, checks.Error, "t", "%q is not y or n", v)
			}
		case "psd":
			switch lv {
			case "y":
				r.PSD = lv
				add(idPSD, checks.Info, "psd", "psd=y: this domain declares itself a public suffix (RFC 9989); only registries should publish it")
			case "n", "u":
				r.PSD = lv
			default:
				add(idPSDInvalid, checks.Error, "psd", "%q is not y, n or u", v)
			}
		default:
			add(idUnknownTag, checks.Warning, name, "unknown tag %s= is ignored by receivers (a typo?)", t.Name)
		}
	}
	// RFC 7489 §6.6.3: a record without a valid p= is treated as p=none
	// when it has a valid rua=, and ignored otherwise.
	switch {
	case r.Policy == "" && !seen["p"]:
		add(idPolicyMissing, checks.Error, "p", "no p= tag: receivers treat the record as p=none at best (RFC 7489 §6.6.3); add p=quarantine or p=reject")
	case r.Policy == "none":
		add(idPolicyNone, checks.Warning, "p", "p=none: monitoring only, receivers are not asked to act on mail that fails DMARC, so the domain has no protection against spoofing. Move to p=quarantine, then p=reject, once the reports show all legitimate mail passes")
	}
	if r.SubdomainPolicy == "none" && (r.Policy == "quarantine" || r.Policy == "reject") {
		add(idSubdomainNone, checks.Warning, "sp", "sp=none leaves subdomains unprotected while p=%s protects the domain itself", r.Policy)
	}
	if len(r.RUA) == 0 && !seen["rua"] {
		add(idRUAMissing, checks.Warning, "rua", "no rua=: nobody receives aggregate reports, so you cannot see who sends mail as this domain or whether it passes. Add rua=mailto:<a mailbox you read>")
	}
	if invalidSP && r.Policy != "" {
		// RFC 7489 §6.6.3: a record whose sp= is not valid is taken as p=none.
		add(idSPInvalid, checks.Error, "sp", "because sp= is not valid, receivers act as if the record said p=none (RFC 7489 §6.6.3): p=%s is not applied", r.Policy)
		r.Policy, r.SubdomainPolicy = "", ""
	}
	if seen["fo"] && len(r.RUF) == 0 {
		add(idFOWithoutRUF, checks.Info, "fo", "fo= has no effect without ruf=")
	}
	lib, err := dmarc.Parse(txt)
	if err != nil {
		hasErr := false
		for _, p := range probs {
			hasErr = hasErr || p.Severity == checks.Error
		}
		if !hasErr {
			add(idLibraryRejects, checks.Warning, "", "go-msgauth, a common DMARC library, rejects the record: %v", strings.TrimPrefix(err.Error(), "dmarc: "))
		}
	} else {
		r.Lib = lib
	}
	return r, probs
}

func parseURIs(tag, v string, add func(string, checks.Severity, string, string, ...any)) []URI {
	var out []URI
	if strings.TrimSpace(v) == "" {
		add(idURIEmpty, checks.Error, tag, "%s= is empty", tag)
		return nil
	}
	for _, raw := range strings.Split(v, ",") {
		raw = strings.TrimSpace(raw)
		u := URI{Raw: raw}
		if !schemeRE.MatchString(raw) {
			add(idURIInvalid, checks.Error, tag, "%q is not a URI: write mailto:%s", raw, raw)
			continue
		}
		scheme, rest, _ := strings.Cut(raw, ":")
		u.Scheme = strings.ToLower(scheme)
		// RFC 7489 §6.4: a "!" followed by a size limit may end the URI.
		if i := strings.LastIndex(rest, "!"); i >= 0 {
			u.Limit = rest[i+1:]
			rest = rest[:i]
			if !sizeRE.MatchString(u.Limit) {
				add(idURISize, checks.Error, tag, "%q: the size limit after ! must be a number with an optional k, m, g or t", raw)
			}
		}
		if u.Scheme != "mailto" {
			add(idURINotMailto, checks.Warning, tag, "%q: receivers send reports to mailto: URIs (RFC 9989 drops the others)", raw)
			out = append(out, u)
			continue
		}
		addr, _, _ := strings.Cut(rest, "?")
		a, err := mail.ParseAddress(addr)
		if err != nil || !strings.Contains(a.Address, "@") {
			add(idURIBadMailto, checks.Error, tag, "%q is not a valid mailto: address", raw)
			continue
		}
		u.Address = a.Address
		u.Domain = strings.ToLower(a.Address[strings.LastIndex(a.Address, "@")+1:])
		out = append(out, u)
	}
	if len(out) > 2 {
		// RFC 7489 §6.2: receivers need only send to the first two.
		add(idURITooMany, checks.Info, tag, "%d destinations: receivers need only send to two (RFC 7489 §6.2)", len(out))
	}
	return out
}

func isPolicy(s string) bool { return s == "none" || s == "quarantine" || s == "reject" }

func hasTag(tags []Tag, name string) bool {
	for _, t := range tags {
		if strings.EqualFold(t.Name, name) {
			return true
		}
	}
	return false
}
