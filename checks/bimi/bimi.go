// Package bimi checks a domain's BIMI record (Brand Indicators for Message
// Identification, draft-brand-indicators-for-message-identification): the
// default._bimi TXT record that points mail clients at the brand's logo and
// its mark certificate.
package bimi

import (
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/tagvalue"
	"github.com/whymail/whymail/internal/txtrecord"
)

// Check is the "bimi" check.
var Check = &checks.Check{
	Name: "bimi",
	Doc: "Checks the BIMI record (default._bimi TXT): version, the https: SVG logo location (l=) and " +
		"the https: mark certificate location (a=).",
	Run: run,
}

// Selector is the BIMI selector checked: mail without a BIMI-Selector
// header uses "default".
const Selector = "default"

// Record is a parsed BIMI assertion record.
type Record struct {
	Logo      string // l=, "" when declined or absent
	Authority string // a=, "" when absent or empty
	// Declined is set for "l=; a=" (or no l= and no a=): the domain
	// publishes no logo.
	Declined bool
	Tags     map[string]string // every tag as written
}

// Problem is one thing wrong with a record.
type Problem struct {
	ID       string // the finding ID
	Severity checks.Severity
	Message  string
}

// Parse parses a BIMI record, a tag list (tag=value separated by ";", white
// space around both allowed, as DKIM's RFC 6376 §3.2). It never fails: what
// it cannot use is reported as a Problem; rec is nil when the record is not
// usable at all.
func Parse(txt string) (rec *Record, probs []Problem) {
	add := func(id string, sev checks.Severity, format string, args ...any) {
		probs = append(probs, Problem{ID: id, Severity: sev, Message: fmt.Sprintf(format, args...)})
	}
	tags := map[string]string{}
	var order []string
	for _, pc := range tagvalue.DKIM.Split(txt) {
		switch {
		case pc.Empty():
			add(idEmptyTag, checks.Warning, "empty tag between \";\" separators")
			continue
		case !pc.IsTag:
			add(idNotTagValue, checks.Error, "%q is not tag=value", tagvalue.Clip(pc.Text))
			continue
		case !tagvalue.IsName(pc.Name) || len(pc.Name) > 32:
			add(idTagName, checks.Error, "tag name %q is not valid", tagvalue.Clip(pc.Name))
			continue
		}
		if _, dup := tags[pc.Name]; dup {
			// RFC 6376 §3.2: a tag list with a duplicated tag is invalid.
			add(idTagRepeated, checks.Error, "tag %s= appears twice: receivers reject the record", pc.Name)
			return nil, probs
		}
		tags[pc.Name] = pc.Value
		order = append(order, pc.Name)
	}
	if len(order) == 0 || order[0] != "v" || tags["v"] != "BIMI1" {
		add(idVersion, checks.Error, "record must start with v=BIMI1 (case-sensitive)")
		return nil, probs
	}
	rec = &Record{Tags: tags}
	l, hasL := tags["l"]
	a, hasA := tags["a"]
	if l == "" && a == "" {
		rec.Declined = true
		if !hasL && !hasA {
			add(idNoLogo, checks.Error, "no l= logo location: receivers show no logo")
		}
		return rec, probs
	}
	if l != "" {
		if strings.Contains(l, ",") {
			add(idManyLogos, checks.Warning, "l= holds more than one location; the current BIMI draft allows one")
			l = strings.TrimSpace(strings.Split(l, ",")[0])
		}
		if err := checkHTTPS(l); err != nil {
			add(idLogoURL, checks.Error, "l=%s: %v", tagvalue.Clip(l), err)
		} else {
			rec.Logo = l
			if !strings.HasSuffix(strings.ToLower(pathOf(l)), ".svg") {
				add(idLogoNotSVG, checks.Warning, "l=%s does not name an .svg file: the logo must be SVG Tiny PS", tagvalue.Clip(l))
			}
		}
	} else {
		add(idAuthorityNoLogo, checks.Error, "a= is set but l= is empty: receivers show no logo")
	}
	if a != "" {
		if err := checkHTTPS(a); err != nil {
			add(idAuthorityURL, checks.Error, "a=%s: %v", tagvalue.Clip(a), err)
		} else {
			rec.Authority = a
			if !strings.HasSuffix(strings.ToLower(pathOf(a)), ".pem") {
				add(idAuthorityNotPEM, checks.Warning, "a=%s does not name a .pem file: it must be the PEM mark certificate (VMC or CMC)", tagvalue.Clip(a))
			}
		}
	}
	if avp, ok := tags["avp"]; ok && avp != "brand" && avp != "personal" {
		add(idAVP, checks.Warning, "avp=%s is not brand or personal", tagvalue.Clip(avp))
	}
	for _, t := range order {
		switch t {
		case "v", "l", "a", "avp":
		default:
			add(idUnknownTag, checks.Info, "unknown tag %s= is ignored by receivers", t)
		}
	}
	return rec, probs
}

func checkHTTPS(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("not a URL")
	case u.Scheme != "https":
		return fmt.Errorf("must be an https: URL")
	case u.Host == "":
		return fmt.Errorf("https: URL without a host")
	}
	return nil
}

func pathOf(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Path
	}
	return s
}

// kind is the BIMI assertion record; unlike MTA-STS and TLS-RPT, white
// space may come before its version tag.
var kind = txtrecord.Kind{IDs: txtrecord.DeclareIDs("bimi"), Record: "bimi", Name: "BIMI", Version: "v=BIMI1", LeadingSpace: true, Readers: "receivers",
	Many: "none"}

func run(p *checks.Pass) (any, error) {
	d, ok := kind.Domain(p)
	if !ok {
		return nil, nil
	}
	name := Selector + "._bimi." + d
	recs, err := txtrecord.Find(p, kind, name)
	if err != nil {
		return nil, err
	}
	tried := name
	// BIMI (draft-brand-indicators-for-message-identification §4.4, as
	// DMARC's RFC 7489 §6.6.3): with no record at the domain, receivers
	// look at the organizational domain's.
	if org, oerr := publicsuffix.EffectiveTLDPlusOne(d); len(recs) == 0 && oerr == nil && org != d {
		orgName := Selector + "._bimi." + org
		if recs, err = txtrecord.Find(p, kind, orgName); err != nil {
			return nil, err
		}
		tried += " or " + orgName
		if len(recs) > 0 {
			p.Report(checks.Finding{ID: idOrgFallback, Severity: checks.Info, Record: "bimi",
				Message: fmt.Sprintf("no BIMI record at %s; receivers use the organizational domain's record at %s", name, orgName)})
			name = orgName
		}
	}
	switch len(recs) {
	case 0:
		p.Report(checks.Finding{ID: idMissing, Severity: checks.Info, Record: "bimi",
			Message: fmt.Sprintf("no BIMI record at %s: optional; it lets mail clients show the brand's logo", tried)})
		return nil, nil
	case 1:
	default:
		kind.ReportMany(p, name, recs)
		return nil, nil
	}
	data := map[string]any{"record": recs[0]}
	rec, probs := Parse(recs[0])
	for _, pr := range probs {
		p.Report(checks.Finding{ID: pr.ID, Severity: pr.Severity, Record: "bimi", Data: data,
			Message: fmt.Sprintf("BIMI record %q: %s", recs[0], pr.Message)})
	}
	switch {
	case rec == nil:
		return nil, nil
	case rec.Declined:
		p.Report(checks.Finding{ID: idDeclined, Severity: checks.Info, Record: "bimi", Data: data,
			Message: fmt.Sprintf("BIMI record at %s declines to publish a logo", name)})
		return nil, nil
	case rec.Logo == "":
		return nil, nil
	}
	data["l"], data["a"] = rec.Logo, rec.Authority
	p.Report(checks.Finding{ID: idLogo, Severity: checks.OK, Record: "bimi", Data: data,
		Message: fmt.Sprintf("BIMI record at %s: logo %s", name, rec.Logo)})
	if rec.Authority == "" {
		p.Report(checks.Finding{ID: idNoAuthority, Severity: checks.Info, Record: "bimi", Data: data,
			Message: "BIMI record has no a= mark certificate: Gmail and Apple Mail show a logo only with a Verified Mark Certificate (VMC) or Common Mark Certificate (CMC)"})
	}
	// BIMI §"Receiver" processing: the logo is shown only for mail that
	// passes DMARC under an enforcing policy.
	p.Report(checks.Finding{ID: idNeedsEnforcement, Severity: checks.Info, Record: "bimi", Data: data,
		Message: fmt.Sprintf("BIMI logos are shown only when %s's DMARC policy is at enforcement (p=quarantine or p=reject, applied to all mail, sp= not none); see the dmarc check", d)})
	return nil, nil
}
