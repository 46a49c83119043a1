// Package dkim checks the sender domain's DKIM key records (RFC 6376, with
// RFC 8301 key sizes and RFC 8463 Ed25519) at the given or commonly used
// selectors, and verifies the DKIM signatures of a copy of the sent message.
package dkim

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
)

// Check looks up the sender domain's DKIM keys and, given a sent message,
// verifies the message's signatures. Its result is a *Result.
var Check = &checks.Check{
	Name: "dkim",
	Doc: "Looks up the sender domain's DKIM keys at the given selectors " +
		"(or probes common ones), lints each key record (syntax, key type and size, " +
		"revoked, testing mode, CNAME to an ESP), and verifies the DKIM signatures of the sent message.",
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
}

const record = "dkim"

func run(p *checks.Pass) (any, error) {
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(p.Ticket.SenderDomain())), ".")
	if domain == "" {
		p.Skip("no sender given: there is no sender domain whose DKIM keys to check")
		p.Report(checks.MissingOf(idNotChecked, checks.SenderAuth, []checks.Input{checks.InputSender, checks.InputDKIMSelector, checks.InputMessage},
			"DKIM was not checked: the sender domain, with its selectors or a sent message, would tell its DKIM keys"))
		return nil, nil
	}
	res := &Result{Domain: domain}
	var msg []byte
	var msgName string
	if p.Ticket.Sources.Message != nil {
		var err error
		if msgName, msg, err = readMessage(p); err != nil {
			return nil, err
		}
	}
	selectors := p.Ticket.DKIMSelectors
	if len(selectors) == 0 && msg != nil {
		// The message names the selectors the app signs with.
		selectors = messageSelectors(msg, domain)
		if len(selectors) > 0 {
			p.Report(checks.Finding{ID: idMessageSelectors, Severity: checks.Info, Record: record, Data: map[string]any{"selectors": selectors},
				Message: fmt.Sprintf("checking the selector(s) the message's DKIM-Signature names for %s: %s", domain, strings.Join(selectors, ", "))})
		}
	}
	if len(selectors) == 0 && p.Ticket.NoDKIMProbe {
		p.Skip("no DKIM selector given, and the common selectors are not to be probed")
		p.Report(checks.MissingOf(idNotChecked, checks.SenderAuth, []checks.Input{checks.InputDKIMSelector, checks.InputMessage},
			"DKIM was not checked: no selector was given and the common ones were not probed; a selector or a sent message would tell %s's keys", domain))
		return nil, nil
	}
	if len(selectors) == 0 {
		res.Probed = true
		for _, s := range CommonSelectors {
			selectors = append(selectors, s.Name)
		}
	}
	var probes []*probe
	noTree := false
	if res.Probed {
		selectors, probes, noTree = probeCommon(p.Context, p.DNS, domain, selectors)
	} else {
		probes = lookupKeys(p.Context, p.DNS, domain, selectors)
	}

	// When DNS fails for every probed selector, one finding says so; forty
	// lines of "could not look up" would bury the rest of the report.
	allFailed := res.Probed
	for _, pr := range probes {
		allFailed = allFailed && pr.err != nil
	}
	found, failed := []string{}, []string(nil)
	usable := 0
	for _, pr := range probes {
		if allFailed {
			failed = append(failed, pr.selector)
			continue
		}
		k := report(p, pr, res.Probed)
		if pr.err != nil {
			failed = append(failed, pr.selector)
		}
		if k.Found {
			found = append(found, pr.selector+who(pr))
			res.Keys = append(res.Keys, k)
			if k.Bits > 0 && !k.Revoked {
				usable++
			}
		} else if !res.Probed {
			res.Keys = append(res.Keys, k)
		}
	}
	if res.Probed && !allFailed {
		summarise(p, domain, selectors, found, failed, noTree)
	}
	var err error
	if len(failed) > 0 && (!res.Probed || len(failed) == len(probes)) {
		if allFailed {
			p.Report(checks.Finding{ID: idProbeFailed, Severity: checks.Warning, Record: record, Cause: checks.SenderAuth, Verdict: checks.Unknown,
				Message: fmt.Sprintf("could not look up a DKIM key of %s at any of the %d probed common selectors: DNS failed (%s)",
					domain, len(probes), probes[0].status)})
		} else {
			p.Report(checks.UnknownOf(idLookupFailed, checks.SenderAuth, "could not look up the DKIM key of %s at selector(s) %s: DNS failed", domain, strings.Join(failed, ", ")))
		}
		err = fmt.Errorf("DKIM key lookup failed for %s at selector(s) %s", domain, strings.Join(failed, ", "))
		if allFailed {
			err = fmt.Errorf("DKIM key lookups failed for %s at all %d probed selectors (%s)", domain, len(probes), probes[0].status)
		}
	}

	if msg != nil {
		if verr := verifyMessage(p, msgName, msg, domain, res); verr != nil {
			return res, verr
		}
	} else if usable > 0 && err == nil {
		p.Report(checks.MissingOf(idNeedsMessage, checks.SenderAuth, []checks.Input{checks.InputMessage}, "%s publishes a usable DKIM key; whether the app's mail is signed with it needs a copy of a sent message", domain))
	}
	return res, err
}

// probeFirst is how many common selectors are asked beside
// _domainkey.DOMAIN before the others.
const probeFirst = 3

// probeCommon looks up the common selectors of domain. When
// _domainkey.DOMAIN does not exist (NXDOMAIN), no name below it does
// (RFC 8020), so no selector can: the first few, asked with it, show a
// server that answers NXDOMAIN for an empty non-terminal against the RFC,
// and the others are not asked (most of a batch's DKIM lookups, for
// domains without DKIM). It returns the selectors asked and their probes,
// and whether the tree was found missing.
func probeCommon(ctx context.Context, r lookup.Resolver, domain string, selectors []string) ([]string, []*probe, bool) {
	first := selectors[:min(probeFirst, len(selectors))]
	var tree *lookup.Answer
	var treeErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		tree, treeErr = lookup.Do(ctx, r, "_domainkey."+domain, dns.TypeTXT)
	}()
	probes := lookupKeys(ctx, r, domain, first)
	<-done
	missing := treeErr == nil && tree.Status() == lookup.StatusNXDomain
	for _, pr := range probes {
		missing = missing && pr.err == nil && pr.status == lookup.StatusNXDomain
	}
	if missing {
		return first, probes, true
	}
	return selectors, append(probes, lookupKeys(ctx, r, domain, selectors[len(first):])...), false
}

// lookupKeys looks up the key record of each selector at once.
func lookupKeys(ctx context.Context, r lookup.Resolver, domain string, selectors []string) []*probe {
	probes := make([]*probe, len(selectors))
	var wg sync.WaitGroup
	for i, sel := range selectors {
		wg.Go(func() { probes[i] = lookupKey(ctx, r, strings.TrimSpace(sel), domain) })
	}
	wg.Wait()
	return probes
}

// probe is the outcome of looking up one selector's key record.
type probe struct {
	selector string
	name     string   // <selector>._domainkey.<domain>
	chain    []string // CNAME targets followed, in order
	status   lookup.Status
	txts     []string
	err      error
}

func lookupKey(ctx context.Context, r lookup.Resolver, sel, domain string) *probe {
	pr := &probe{selector: sel, name: sel + "._domainkey." + domain}
	if sel == "" {
		pr.status = lookup.StatusError
		return pr
	}
	txts, a, err := lookup.TXT(ctx, r, pr.name)
	if a != nil {
		for _, rr := range a.Records {
			if c, ok := rr.(*dns.CNAME); ok {
				pr.chain = append(pr.chain, strings.TrimSuffix(c.Target, "."))
			}
		}
	}
	pr.txts, pr.err = txts, err
	pr.status = lookup.StatusOf(a, err)
	if err != nil {
		pr.status = lookup.ErrStatus(err)
	}
	return pr
}

func who(pr *probe) string {
	if len(pr.chain) > 0 {
		if w := espOf(pr.chain[len(pr.chain)-1]); w != "" {
			return " (" + w + ", by CNAME)"
		}
	}
	for _, s := range CommonSelectors {
		if s.Name == pr.selector && s.Who != "" && !strings.Contains(s.Who, " and ") {
			return " (the usual selector of " + s.Who + ")"
		}
	}
	return ""
}

// isKeyRecord tells a DKIM key record from other TXT records a wildcard
// or a mistake may put at the name: it has a p= tag or starts with v=DKIM1.
func isKeyRecord(txt string) bool {
	tags, _ := ParseTagList(txt)
	for _, t := range tags {
		if t.Name == "p" || t.Name == "v" && strings.EqualFold(t.Value, "DKIM1") {
			return true
		}
	}
	return false
}

// report turns one probe into findings and returns the key it found.
func report(p *checks.Pass, pr *probe, probed bool) KeyRecord {
	k := KeyRecord{Selector: pr.selector}
	data := map[string]any{"selector": pr.selector, "name": pr.name, "status": string(pr.status)}
	if len(pr.chain) > 0 {
		data["cname_chain"] = pr.chain
	}
	// sev picks the severity of a missing or broken key: an error for a
	// selector the agent named (the app signs with it), milder for a guess.
	sev := func(named, guessed checks.Severity) checks.Severity {
		if probed {
			return guessed
		}
		return named
	}
	causeFor := func(f *checks.Finding) {
		f.Cause = checks.SenderAuth
		if probed {
			f.Verdict, f.Strength = checks.Possible, checks.Indirect
		} else {
			f.Verdict, f.Strength = checks.Likely, checks.Direct
		}
	}
	chainText := ""
	if len(pr.chain) > 0 {
		chainText = fmt.Sprintf(" (CNAME %s -> %s)", pr.name, strings.Join(pr.chain, " -> "))
	}

	if pr.selector == "" {
		p.Report(checks.Finding{ID: idEmptySelector, Severity: checks.Error, Record: record, Message: "an empty DKIM selector was given", Data: data})
		return k
	}
	if pr.err != nil {
		p.Report(checks.Finding{ID: idKeyLookupFailed, Severity: sev(checks.Error, checks.Info), Record: record, Data: data,
			Message: fmt.Sprintf("could not look up the DKIM key %s%s: %s", pr.name, chainText, pr.status)})
		return k
	}
	var keys []string
	for _, t := range pr.txts {
		if isKeyRecord(t) {
			keys = append(keys, t)
		}
	}
	if len(keys) == 0 {
		if probed && len(pr.chain) == 0 && len(pr.txts) == 0 {
			return k // a guess that missed: summarised by the caller
		}
		f := checks.Finding{Severity: sev(checks.Error, checks.Warning), Record: record, Data: data}
		switch {
		case len(pr.txts) > 0:
			data["txt"] = pr.txts
			if probed {
				// Most likely a wildcard TXT answering every name.
				f.ID, f.Severity = idWildcardTXT, checks.Info
				f.Message = fmt.Sprintf("%s has a TXT record that is not a DKIM key (a wildcard?): %q", pr.name, pr.txts[0])
			} else {
				f.ID = idNotAKey
				f.Message = fmt.Sprintf("%s has TXT record(s) but no DKIM key (no p= tag): %q", pr.name, pr.txts[0])
				causeFor(&f)
			}
		case len(pr.chain) > 0:
			target := pr.chain[len(pr.chain)-1]
			f.ID = idCNAMENoKey
			f.Message = fmt.Sprintf("DKIM selector %s is a CNAME to %s%s, which has no key (%s): the ESP has not published it, or the account was removed",
				pr.selector, target, paren(espOf(target)), pr.status)
			f.Steps = []string{"check the domain authentication page of the ESP the CNAME points to, or remove the stale CNAME"}
			causeFor(&f)
		default:
			f.ID = idNoKeyAtSelector
			f.Message = fmt.Sprintf("no DKIM key at %s (%s): signatures with selector %s cannot verify", pr.name, pr.status, pr.selector)
			f.Steps = []string{"publish the selector's public key, as the mail platform's DNS setup page shows it"}
			causeFor(&f)
		}
		p.Report(f)
		return k
	}
	k.Found = true
	if len(pr.txts) > 1 {
		// RFC 6376 §3.6.2.2: several TXT records at a key name give
		// undefined results; many verifiers (go-msgauth) reject them all.
		data["txt"] = pr.txts
		f := checks.Finding{ID: idMultiple, Severity: checks.Error, Record: record, Data: data,
			Message: fmt.Sprintf("%s has %d TXT records: verifiers may pick any or reject the key (RFC 6376 §3.6.2.2); keep exactly one", pr.name, len(pr.txts))}
		causeFor(&f)
		p.Report(f)
	}
	txt := keys[0]
	data["record"] = txt
	key, probs := ParseKey(txt)
	for _, pb := range probs {
		s := pb.Severity
		if key != nil && key.Revoked && pb.Tag == "p" && probed {
			s = checks.Info // rotated keys are left revoked on purpose
		}
		d := copyData(data)
		if pb.Tag != "" {
			d["tag"] = pb.Tag
		}
		p.Report(checks.Finding{ID: pb.ID, Severity: s, Record: record, Data: d,
			Message: fmt.Sprintf("DKIM key %s: %s", pr.name, pb)})
	}
	if key != nil {
		k.KeyType, k.Bits, k.Revoked, k.Testing = key.KeyType, key.Bits, key.Revoked, key.Testing()
		data["key_type"], data["bits"] = key.KeyType, key.Bits
	}
	switch {
	case key == nil:
		f := checks.Finding{ID: idUnusable, Severity: checks.Error, Record: record, Data: data,
			Message: fmt.Sprintf("DKIM key %s%s cannot be used: verifiers fail every signature with selector %s", pr.name, chainText, pr.selector)}
		causeFor(&f)
		p.Report(f)
	case key.Revoked:
		if !probed {
			f := checks.Finding{ID: idRevokedSelector, Severity: checks.Info, Record: record, Data: data,
				Message: fmt.Sprintf("selector %s is revoked, so mail signed with it fails DKIM", pr.selector)}
			causeFor(&f)
			p.Report(f)
		}
	default:
		p.Report(checks.Finding{ID: idKey, Severity: checks.OK, Record: record, Data: data,
			Message: fmt.Sprintf("DKIM key %s%s: %s %d-bit", pr.name, chainText, key.KeyType, key.Bits)})
	}
	return k
}

func summarise(p *checks.Pass, domain string, selectors, found, failed []string, noTree bool) {
	data := map[string]any{"probed": selectors, "found": found}
	if len(failed) > 0 {
		data["failed"] = failed
	}
	if noTree {
		data["domainkey"] = "nxdomain"
		p.Report(checks.Finding{ID: idNoneProbed, Severity: checks.Warning, Record: record, Data: data,
			Cause: checks.SenderAuth, Verdict: checks.Possible, Strength: checks.Indirect,
			Message: fmt.Sprintf("no DKIM key at %s: _domainkey.%s does not exist (NXDOMAIN), so no selector under it can (RFC 8020); "+
				"%s, asked to be sure, have none either, and the other %d common selectors were not asked",
				domain, domain, strings.Join(selectors, ", "), len(CommonSelectors)-len(selectors)),
			Needs: []checks.Input{checks.InputDKIMSelector},
			Steps: []string{"publish a DKIM key for the app's mail service, or find the selector in the s= tag of the DKIM-Signature header of a message the app sent and check again with it"}})
		return
	}
	if len(found) > 0 {
		p.Report(checks.Finding{ID: idProbed, Severity: checks.Info, Record: record, Data: data,
			Message: fmt.Sprintf("no DKIM selector given: probed %d common selectors at %s and found %s",
				len(selectors), domain, strings.Join(found, ", "))})
		return
	}
	p.Report(checks.Finding{ID: idNoneProbed, Severity: checks.Warning, Record: record, Data: data,
		Cause: checks.SenderAuth, Verdict: checks.Possible, Strength: checks.Indirect,
		Message: fmt.Sprintf("no DKIM key at the %d probed common selectors of %s; the app's selector (the s= of a DKIM-Signature it sends) would check the right one",
			len(selectors), domain),
		Needs: []checks.Input{checks.InputDKIMSelector},
		Steps: []string{"find the selector in the s= tag of the DKIM-Signature header of a message the app sent, and check again with that selector"}})
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func copyData(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
