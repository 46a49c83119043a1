// Package dmarc finds and lints the sender domain's DMARC policy record
// (RFC 7489, with the changes of RFC 9989), checks that external report
// destinations accept the reports, and says whether the sender's mail
// passes DMARC given the SPF and DKIM results.
package dmarc

import (
	blitiri "blitiri.com.ar/go/spf"

	"fmt"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/emersion/go-msgauth/authres"
	"github.com/miekg/dns"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/dkim"
	"github.com/whymail/whymail/checks/spf"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/mailaddr"
)

// Check finds the DMARC record of the sender domain, lints it and
// evaluates alignment. Its result is a *Result.
var Check = &checks.Check{
	Name: "dmarc",
	Doc: "Finds the sender domain's DMARC record (falling back to the organizational domain), " +
		"lints it (policy, pct, reporting, RFC 9989 changes, external report authorization), " +
		"and says whether the sender's mail passes DMARC given the SPF and DKIM results.",
	Requires:   []*checks.Check{spf.Lint, dkim.Check},
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
	Prefetch:   prefetch,
}

// prefetch asks for the policy records while SPF and DKIM still run: only
// alignment needs their results, the discovery does not.
func prefetch(t *checks.Ticket) []lookup.Question {
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(t.SenderDomain())), ".")
	if domain == "" {
		return nil
	}
	qs := []lookup.Question{{Name: "_dmarc." + domain, Type: dns.TypeTXT}}
	if org := mailaddr.OrgDomain(domain); org != domain {
		qs = append(qs, lookup.Question{Name: "_dmarc." + org, Type: dns.TypeTXT})
	}
	return qs
}

const record = "dmarc"

func run(p *checks.Pass) (any, error) {
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(p.Ticket.SenderDomain())), ".")
	if domain == "" {
		p.Skip("no sender given: there is no sender domain whose DMARC policy to check")
		p.Report(checks.MissingOf(idNotChecked, checks.SenderAuth, []checks.Input{checks.InputSender}, "DMARC was not checked: the sender domain would tell its DMARC policy"))
		return nil, nil
	}
	res := &Result{Domain: domain}
	rec, where, err := discover(p, domain)
	if err != nil {
		p.Report(checks.UnknownOf(idLookupFailed, checks.SenderAuth, "could not look up the DMARC record of %s: %v", domain, err))
		return res, err
	}
	if rec == nil {
		return res, nil
	}
	res.Found, res.Record = true, rec.Text
	if where != domain {
		res.OrgDomain = where
	}
	res.Policy = rec.Policy
	if where != domain && rec.SubdomainPolicy != "" {
		res.Policy = rec.SubdomainPolicy // RFC 7489 §6.3 sp=
	}
	if res.Policy == "" {
		res.Policy = "none" // RFC 7489 §6.6.3: no valid p= acts as none
	}
	checkReportAuth(p, where, rec)
	align(p, domain, rec, res)
	return res, nil
}

// discover finds the policy record (RFC 7489 §6.6.3): _dmarc.<domain>,
// then _dmarc.<organizational domain> when the first has none. It reports
// the lint of what it finds and returns the record and the domain where
// it was found; rec is nil when there is no usable record.
func discover(p *checks.Pass, domain string) (*Record, string, error) {
	org := mailaddr.OrgDomain(domain)
	names := []string{domain}
	if org != domain {
		names = append(names, org)
	}
	for i, d := range names {
		name := "_dmarc." + d
		txts, _, err := lookup.TXT(p.Context, p.DNS, name)
		if err != nil {
			return nil, "", err
		}
		var recs []string
		for _, t := range txts {
			if IsDMARC(t) {
				recs = append(recs, t)
			} else if isSPF(t) {
				// Pasted at the wrong name: the domain has no DMARC record,
				// and an SPF record (which means nothing here) stands in
				// its place.
				p.Report(checks.Finding{ID: idSPFAtDMARC, Severity: checks.Error, Record: record, Data: map[string]any{"name": name, "txt": t},
					Message: fmt.Sprintf("TXT record at %s is an SPF record (%s), not DMARC: the DMARC record is missing and something else stands in its place; SPF belongs at %s itself, and receivers ignore it here",
						name, clip(t), d),
					Steps: []string{fmt.Sprintf("replace the TXT record at %s with a DMARC record such as \"v=DMARC1; p=none; rua=mailto:dmarc-reports@%s\", and make sure the SPF record is published at %s", name, org, d)}})
			} else if LooksLikeDMARC(t) {
				_, probs := Lint(t)
				msg := "receivers ignore it"
				if len(probs) > 0 {
					msg = probs[0].Message
				}
				p.Report(checks.Finding{ID: idLookalike, Severity: checks.Error, Record: record, Data: map[string]any{"name": name, "txt": t},
					Message: fmt.Sprintf("TXT record at %s looks like DMARC but is not one: %s", name, msg)})
			}
		}
		switch {
		case len(recs) > 1:
			// RFC 7489 §6.6.3 step 5: more than one record means no
			// policy applies at all.
			p.Report(checks.Finding{ID: idMultiple, Severity: checks.Error, Record: record, Data: map[string]any{"name": name, "txt": recs},
				Cause: checks.SenderAuth, Verdict: checks.Possible, Strength: checks.Indirect,
				Message: fmt.Sprintf("%s has %d DMARC records: receivers then apply no DMARC policy at all (RFC 7489 §6.6.3); keep exactly one", name, len(recs))})
			return nil, d, nil
		case len(recs) == 1:
			if i > 0 {
				p.Report(checks.Finding{ID: idOrgRecord, Severity: checks.Info, Record: record, Data: map[string]any{"name": name},
					Message: fmt.Sprintf("no DMARC record at _dmarc.%s; the organizational domain's record at %s applies (RFC 7489 §6.6.3)", domain, name)})
			}
			rec, probs := Lint(recs[0])
			for _, pb := range probs {
				data := map[string]any{"name": name, "record": recs[0]}
				if pb.Tag != "" {
					data["tag"] = pb.Tag
				}
				p.Report(checks.Finding{ID: pb.ID, Severity: pb.Severity, Record: record, Data: data,
					Message: fmt.Sprintf("DMARC %s: %s", name, pb)})
			}
			if rec == nil {
				return nil, d, nil
			}
			p.Report(checks.Finding{ID: idRecord, Severity: checks.OK, Record: record, Data: map[string]any{"name": name, "record": recs[0]},
				Message: fmt.Sprintf("DMARC record at %s: %s", name, recs[0])})
			return rec, d, nil
		}
	}
	tried := "_dmarc." + domain
	if org != domain {
		tried += " or _dmarc." + org
	}
	p.Report(checks.Finding{ID: idMissing, Severity: checks.Warning, Record: record,
		Cause: checks.SenderAuth, Verdict: checks.Possible, Strength: checks.Indirect,
		Message: fmt.Sprintf("no DMARC record at %s: Gmail and Yahoo require bulk senders to publish one, and receivers filter unauthenticated mail harder without it", tried),
		Steps:   []string{fmt.Sprintf("publish a TXT record at _dmarc.%s such as \"v=DMARC1; p=none; rua=mailto:dmarc-reports@%s\", then tighten p= once reports show all mail passes", org, org)}})
	return nil, "", nil
}

// checkReportAuth checks that each external rua/ruf destination has
// published <domain>._report._dmarc.<dest> (RFC 7489 §7.1); without it
// receivers must not send it reports. Lookups run concurrently.
func checkReportAuth(p *checks.Pass, domain string, rec *Record) {
	type dest struct {
		tag, uri, host, name string
		found                bool
		status               lookup.Status
		err                  error
	}
	var dests []*dest
	seen := map[string]bool{}
	for _, l := range []struct {
		tag  string
		uris []URI
	}{{"rua", rec.RUA}, {"ruf", rec.RUF}} {
		for _, u := range l.uris {
			if u.Domain == "" || mailaddr.OrgDomain(u.Domain) == mailaddr.OrgDomain(domain) || seen[l.tag+u.Domain] {
				continue
			}
			seen[l.tag+u.Domain] = true
			dests = append(dests, &dest{tag: l.tag, uri: u.Raw, host: u.Domain, name: domain + "._report._dmarc." + u.Domain})
		}
	}
	var wg sync.WaitGroup
	for _, d := range dests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			txts, a, err := lookup.TXT(p.Context, p.DNS, d.name)
			d.err = err
			d.status = lookup.StatusOf(a, err)
			if err != nil {
				d.status = lookup.ErrStatus(err)
			}
			for _, t := range txts {
				if strings.HasPrefix(t, "v=DMARC1") {
					d.found = true
				}
			}
		}()
	}
	wg.Wait()
	for _, d := range dests {
		data := map[string]any{"tag": d.tag, "uri": d.uri, "name": d.name, "status": string(d.status)}
		switch {
		case d.err != nil:
			p.Report(checks.Finding{ID: idReportCheckFailed, Severity: checks.Info, Record: record, Data: data,
				Message: fmt.Sprintf("could not check that %s accepts DMARC reports for %s: %s lookup failed (%s)", d.host, domain, d.name, d.status)})
		case d.found:
			p.Report(checks.Finding{ID: idReportAuthorized, Severity: checks.OK, Record: record, Data: data,
				Message: fmt.Sprintf("external %s destination %s accepts reports for %s (%s)", d.tag, d.host, domain, d.name)})
		default:
			p.Report(checks.Finding{ID: idReportUnauthorized, Severity: checks.Warning, Record: record, Data: data,
				Message: fmt.Sprintf("%s=%s is outside %s, and %s has no v=DMARC1 record at %s (%s): receivers will not send it reports (RFC 7489 §7.1)",
					d.tag, d.uri, domain, d.host, d.name, d.status),
				Steps: []string{fmt.Sprintf("ask the report provider to publish %s TXT \"v=DMARC1\", or report to a mailbox in %s", d.name, domain)}})
		}
	}
}

// align says whether the sender's mail passes DMARC given the SPF
// evaluations (one per sending IP) and the message's DKIM signatures.
func align(p *checks.Pass, domain string, rec *Record, res *Result) {
	sp := checks.ResultOf[*spf.Result](p, spf.Lint)
	dk := checks.ResultOf[*dkim.Result](p, dkim.Check)
	spfKnown := sp != nil && len(mailFrom(sp)) > 0
	dkimKnown := dk != nil && p.Ticket.Sources.Message != nil

	var dkimPass []string
	dkimTemp := false
	var dkimOther []string
	if dk != nil {
		for _, s := range dk.Signatures {
			switch {
			case s.Result == authres.ResultPass && mailaddr.Aligned(s.Domain, domain, rec.ADKIM == "s"):
				dkimPass = append(dkimPass, fmt.Sprintf("d=%s s=%s", s.Domain, s.Selector))
			case s.Result == authres.ResultTempError:
				dkimTemp = true
				dkimOther = append(dkimOther, fmt.Sprintf("d=%s %s", s.Domain, s.Result))
			case s.Result == authres.ResultPass:
				dkimOther = append(dkimOther, fmt.Sprintf("d=%s passes but does not align (adkim=%s)", s.Domain, rec.ADKIM))
			default:
				dkimOther = append(dkimOther, fmt.Sprintf("d=%s %s", s.Domain, s.Result))
			}
		}
	}
	var spfPass, spfFail []string
	spfTemp := false
	if sp != nil {
		for _, e := range mailFrom(sp) {
			d := e.Domain
			if d == "" {
				d = sp.Domain
			}
			switch {
			case e.Result == blitiri.Pass && mailaddr.Aligned(d, domain, rec.ASPF == "s"):
				spfPass = append(spfPass, e.IP.String())
			case e.Result == blitiri.Pass:
				spfFail = append(spfFail, fmt.Sprintf("%s (SPF passes for %s, which does not align, aspf=%s)", e.IP, d, rec.ASPF))
			default:
				if e.Result == blitiri.TempError {
					spfTemp = true
				}
				spfFail = append(spfFail, fmt.Sprintf("%s (SPF %s)", e.IP, e.Result))
			}
		}
	}

	data := map[string]any{"policy": res.Policy, "adkim": rec.ADKIM, "aspf": rec.ASPF,
		"spf_aligned_ips": spfPass, "spf_failing_ips": spfFail, "dkim_aligned": dkimPass}
	report := func(id string, sev checks.Severity, v checks.Verdict, st checks.Strength, format string, args ...any) {
		p.Report(checks.Finding{ID: id, Severity: sev, Record: "alignment", Data: data, Cause: checks.SenderAuth, Verdict: v, Strength: st,
			Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case len(dkimPass) > 0:
		res.Pass, res.AlignedBy = checks.Yes, "dkim"
		report(idAlignDKIMPass, checks.OK, checks.RuledOut, checks.Direct, "DMARC passes for %s: the DKIM signature %s verifies and aligns", domain, dkimPass[0])
		return
	case spfKnown && len(spfFail) == 0:
		res.Pass, res.AlignedBy = checks.Yes, "spf"
		report(idAlignSPFPass, checks.OK, checks.RuledOut, checks.Direct, "DMARC passes for %s: SPF passes and aligns for %s", domain, strings.Join(spfPass, ", "))
		return
	case !spfKnown && !dkimKnown:
		res.Pass = checks.Maybe
		report(idAlignNeedsInput, checks.Info, checks.Unknown, checks.Direct, "whether %s's mail passes DMARC needs the sending IPs (for SPF) or a copy of a sent message (for DKIM)", domain)
		return
	case spfKnown && dkimKnown && !spfTemp && !dkimTemp:
		res.Pass = checks.No
	default:
		// One side is unknown or failed temporarily: DMARC still passes
		// if that side aligns.
		res.Pass = checks.Maybe
		switch {
		case !dkimKnown:
			report(idAlignSPFNot, checks.Info, checks.Possible, checks.Indirect, "SPF does not align for %s: DMARC passes for mail from there only if it carries a valid DKIM signature by %s, which a copy of a sent message would show",
				strings.Join(spfFail, ", "), domain)
		case !spfKnown:
			report(idAlignDKIMNot, checks.Info, checks.Possible, checks.Indirect, "no DKIM signature of the message aligns with %s (%s): DMARC passes only if SPF passes for the sending IP, which the sending IPs would show",
				domain, orNone(dkimOther))
		default:
			report(idAlignTempFailed, checks.Info, checks.Unknown, checks.Direct, "DMARC for %s could not be settled: a DNS lookup failed temporarily (SPF: %s; DKIM: %s)",
				domain, orNone(spfFail), orNone(dkimOther))
		}
		return
	}
	why := fmt.Sprintf("neither SPF (%s) nor DKIM (%s) passes aligned with %s", strings.Join(spfFail, ", "), orNone(dkimOther), domain)
	switch res.Policy {
	case "reject", "quarantine":
		act := map[string]string{"reject": "reject it", "quarantine": "put it in spam or quarantine"}[res.Policy]
		extra := ""
		if rec.Pct < 100 {
			extra += fmt.Sprintf(" for %d%% of such mail (pct=%d)", rec.Pct, rec.Pct)
		}
		if rec.Testing {
			extra += " (t=y softens this one step)"
		}
		report(idAlignFailsEnforced, checks.Warning, checks.Likely, checks.Direct, "DMARC would fail for mail from %s: %s; receivers are told to %s (p=%s)%s",
			domain, why, act, res.Policy, extra)
	default:
		report(idAlignFailsNone, checks.Warning, checks.Possible, checks.Direct, "DMARC would fail for mail from %s: %s; p=none asks receivers for nothing, but failing mail is often filed as spam",
			domain, why)
	}
}

// mailFrom picks, for each sending IP, the SPF evaluation of the MAIL FROM
// identity: DMARC aligns SPF on MAIL FROM (RFC 7489 §4.1), while the spf
// check may also evaluate the HELO name for the same IP.
func mailFrom(r *spf.Result) []spf.Evaluation {
	var out []spf.Evaluation
	idx := map[netip.Addr]int{}
	for _, e := range r.Evaluations {
		i, ok := idx[e.IP]
		switch {
		case !ok:
			idx[e.IP] = len(out)
			out = append(out, e)
		case !strings.EqualFold(out[i].Domain, r.Domain) && strings.EqualFold(e.Domain, r.Domain):
			out[i] = e
		}
	}
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no signature"
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// isSPF reports whether txt is an SPF record (RFC 7208 §4.5: v=spf1 then a
// space or the end).
func isSPF(txt string) bool {
	t := strings.ToLower(strings.TrimSpace(txt))
	return t == "v=spf1" || strings.HasPrefix(t, "v=spf1 ")
}

// clip shortens a record for a message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
