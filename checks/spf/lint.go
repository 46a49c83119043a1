package spf

import (
	blitiri "blitiri.com.ar/go/spf"

	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
)

// Lint checks the SPF record tree of the sender domain and evaluates
// check_host for each sending IP (and the HELO name).
var Lint = &checks.Check{
	Name: "spf",
	Doc: "Lints the SPF record tree of the sender domain (RFC 7208: syntax, lookup limits, " +
		"includes, all) and evaluates check_host for each sending IP.",
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
}

const (
	rec        = "spf"
	lookupMax  = 10 // §4.6.4
	voidMax    = 2  // §4.6.4
	mxMax      = 10 // §4.6.4
	sizeWarn   = 450
	sizeError  = 512
	stringMax  = 255
	permerrMsg = "receivers get permerror"
)

func run(p *checks.Pass) (any, error) {
	domain := strings.TrimSuffix(strings.ToLower(p.Ticket.SenderDomain()), ".")
	if domain == "" {
		p.Skip("no sender given: there is no sender domain whose SPF to check")
		p.Report(checks.MissingOf(idNotChecked, checks.SenderAuth, []checks.Input{checks.InputSender, checks.InputSendingIP}, "SPF not checked: the sender (and the sending IPs) would check the sender's SPF"))
		return nil, nil
	}
	res := &Result{Domain: domain}
	tree := Expand(p.Context, p.DNS, domain)
	if tree.Err != nil {
		// §4.4: a DNS failure on the sender's own record is a temperror for
		// every receiver; we cannot say anything about the record.
		p.Report(checks.Finding{ID: idLookupFailed, Severity: checks.Error, Record: rec, Cause: checks.SenderAuth, Verdict: checks.Unknown,
			Message: fmt.Sprintf("could not fetch the SPF record of %s: TXT lookup %s (receivers get temperror); run again or check the domain's DNS servers", domain, tree.Status),
			Data:    map[string]any{"domain": domain, "status": tree.Status}})
		return res, tree.Err
	}
	res.Record, res.Lookups = tree.Record, tree.Total
	l := &linter{p: p, root: tree}
	l.lint()

	evals := evaluate(p, domain)
	res.Evaluations = evals
	l.verdicts(evals)
	if failed := dnsFailures(tree, evals); len(failed) > 0 {
		// The findings stand, but a lookup that failed may hide what
		// decides: the check did not complete (exit 3, INCOMPLETE).
		return res, fmt.Errorf("SPF of %s not fully checked, DNS failed: %s", domain, strings.Join(failed, "; "))
	}
	return res, nil
}

// dnsFailures lists the lookups of the tree, and the evaluations, that
// failed for want of DNS: a temperror, or a lookup of an include, redirect,
// a, mx or exists term that got no usable answer.
func dnsFailures(tree *Node, evals []Evaluation) []string {
	var out []string
	tree.Walk(func(n *Node, depth int) {
		if depth > 0 && n.Err != nil {
			out = append(out, fmt.Sprintf("%s: %v", n.Term, n.Err))
		}
		for _, t := range termsOf(n) {
			if pr := n.Probes[t.Index]; pr != nil && pr.Err != nil {
				out = append(out, fmt.Sprintf("%s: %v", t.Text, pr.Err))
			}
		}
	})
	for _, ev := range evals {
		if ev.Result == blitiri.TempError {
			out = append(out, fmt.Sprintf("check_host for %s: temperror (%s)", ev.IP, ev.Reason))
		}
	}
	return dedup(out)
}

type linter struct {
	p    *checks.Pass
	root *Node
	// permerror is set when the tree makes check_host return permerror.
	permerror []string
}

func (l *linter) report(id string, sev checks.Severity, data map[string]any, format string, args ...any) {
	l.p.Report(checks.Finding{ID: id, Severity: sev, Record: rec, Message: fmt.Sprintf(format, args...), Data: data})
}

func (l *linter) perm(why string) { l.permerror = append(l.permerror, why) }

func (l *linter) lint() {
	root := l.root
	d := root.Domain
	// §3.1, §14.1: the SPF RR type (99) is deprecated; receivers only look
	// at TXT.
	if len(root.Legacy) > 0 {
		l.report(idLegacyType, checks.Warning, map[string]any{"domain": d, "spf_rr": root.Legacy},
			"%s publishes the legacy SPF record type (type 99, %q): it is obsolete and ignored by receivers (RFC 7208 §3.1, §14.1); remove it and keep only the TXT record", d, root.Legacy[0])
	}
	if len(root.SPFs) == 0 {
		// No record at all. For a sender domain this is an error, not a
		// warning: check_host gives "none" (§4.5), so the SPF half of DMARC
		// cannot pass and large mailbox providers (Gmail, Yahoo, Microsoft
		// since 2024) require SPF or DKIM from every sender, both from bulk
		// senders; the mail lands in spam or is refused.
		why := "has no TXT record starting with v=spf1"
		if root.Status == lookup.StatusNXDomain {
			why = "does not exist (NXDOMAIN)"
		}
		l.report(idMissing, checks.Error, map[string]any{"domain": d, "status": root.Status},
			"%s %s: it has no SPF record, so receivers get SPF none (RFC 7208 §4.5) and cannot authenticate its mail by SPF; publish one, e.g. \"v=spf1 mx -all\"", d, why)
		return
	}
	if len(root.SPFs) == 1 {
		l.report(idRecord, checks.OK, map[string]any{"domain": d, "record": root.Record}, "SPF record of %s: %q", d, root.Record)
	}
	root.Walk(func(n *Node, depth int) { l.node(n, depth) })
	l.counts()
	l.allRules()
	l.p.Report(checks.Finding{ID: idTree, Severity: checks.Info, Record: rec,
		Message: "SPF include tree of " + d + ", DNS-querying terms per branch:\n" + strings.TrimSuffix(root.Render(), "\n"),
		Data:    map[string]any{"tree": root}})
}

// node applies the per-record rules.
func (l *linter) node(n *Node, depth int) {
	where := n.Domain
	if n.Term != "" {
		where = fmt.Sprintf("%s (reached by %s)", n.Domain, n.Term)
	}
	if n.Alt > 0 {
		where = fmt.Sprintf("%s, record %d", where, n.Alt)
	}
	data := map[string]any{"domain": n.Domain, "record": n.Record}
	switch {
	case n.Loop != nil:
		// §4.6.4 limits exist to stop loops; an include or redirect loop
		// always ends in a permerror when evaluation reaches it.
		l.perm("loop")
		l.report(idLoop, checks.Error, map[string]any{"domain": n.Domain, "loop": n.Loop},
			"%s loops back: %s (RFC 7208 §4.6.4: evaluation exceeds the lookup limit, %s); remove the term", n.Term, strings.Join(n.Loop, " -> "), permerrMsg)
		return
	case n.Truncated:
		l.report(idTruncated, checks.Warning, data, "%s was not expanded: the tree is deeper than %d or larger than %d records, far beyond the limit of 10 lookups (RFC 7208 §4.6.4)", where, maxDepth, maxNodes)
		return
	case n.Err != nil:
		if depth > 0 {
			l.report(idIncludeLookupFailed, checks.Warning, map[string]any{"domain": n.Domain, "status": n.Status},
				"%s: the TXT lookup failed (%s): receivers get temperror when they reach %s (RFC 7208 §5.2)", where, n.Status, n.Term)
		}
		return
	}
	// §3.4: keep the TXT answer small enough for UDP.
	for _, ss := range n.Strings {
		for _, s := range ss {
			if len(s) > stringMax {
				l.report(idStringTooLong, checks.Error, data, "%s: a TXT character-string is %d octets; one string holds at most 255 (RFC 7208 §3.3); split the record into several quoted strings", where, len(s))
			}
		}
	}
	switch {
	case n.WireSize > sizeError:
		l.report(idTooLarge, checks.Error, map[string]any{"domain": n.Domain, "size": n.WireSize},
			"%s: the TXT answer is %d octets, over the 512 that fit a plain UDP answer (RFC 7208 §3.4): some receivers will fail to fetch it; shorten the record or move parts into includes", where, n.WireSize)
	case n.WireSize > sizeWarn:
		l.report(idLarge, checks.Warning, map[string]any{"domain": n.Domain, "size": n.WireSize},
			"%s: the TXT answer is %d octets, close to the 512 that fit a plain UDP answer (RFC 7208 §3.4 recommends staying under 450)", where, n.WireSize)
	}
	if len(n.SPFs) > 1 {
		// §4.5: more than one record is a permerror.
		l.perm("multiple records")
		var each []string
		var counts []int
		for _, a := range n.Alternatives {
			each = append(each, fmt.Sprintf("record %d needs %s", a.Alt, lookups(a.Total)))
			counts = append(counts, a.Total)
		}
		l.report(idMultiple, checks.Error, map[string]any{"domain": n.Domain, "records": n.SPFs, "lookups": counts},
			"%s has %d v=spf1 records (%s): there must be exactly one, or %s (RFC 7208 §4.5); merge them into one (%s)", where, len(n.SPFs), quoteAll(n.SPFs), permerrMsg, strings.Join(each, ", "))
		return
	}
	if len(n.SPFs) == 0 {
		if depth > 0 {
			// §5.2: include of a domain with no record is a permerror;
			// §6.1: so is a redirect to one.
			sec := "5.2"
			if strings.HasPrefix(strings.ToLower(n.Term), "redirect=") {
				sec = "6.1"
			}
			l.perm("include without record")
			what := string(n.Status)
			if n.Status == lookup.StatusOK {
				what = "only TXT records without v=spf1"
			}
			l.report(idIncludeNoRecord, checks.Error, map[string]any{"domain": n.Domain, "status": n.Status},
				"%s: %s has no SPF record (%s), so %s (RFC 7208 §%s); fix or remove the term", n.Term, n.Domain, what, permerrMsg, sec)
		}
		return
	}
	for _, e := range n.SyntaxErr {
		// §4.6: a syntax error anywhere makes the whole record permerror.
		l.perm("syntax")
		l.report(idSyntax, checks.Error, map[string]any{"domain": n.Domain, "record": n.Record, "term": e.Term},
			"SPF record of %s: %v; %s (RFC 7208 §4.6)", where, e, permerrMsg)
	}
	rec := n.Parsed
	for _, t := range rec.Terms {
		switch {
		case t.Name == "ptr" && t.Mechanism():
			l.report(idPTR, checks.Warning, map[string]any{"domain": n.Domain, "term": t.Text},
				"SPF record of %s: term %q: ptr should not be used (RFC 7208 §5.5): it is slow, unreliable and some receivers ignore it; list the IPs with ip4:/ip6: instead", where, t.Text)
		case t.Name == "all" && t.Qualifier == '+':
			l.report(idPlusAll, checks.Error, map[string]any{"domain": n.Domain, "term": t.Text},
				"SPF record of %s: term %q lets every host on the internet send as this domain (RFC 7208 §5.1); end with -all or ~all", where, t.Text)
		case t.HasMacros() && (t.Name == "include" || t.Name == "redirect"):
			l.report(idMacroTarget, checks.Info, map[string]any{"domain": n.Domain, "term": t.Text},
				"SPF record of %s: %q uses macros, so its target depends on the message and was not expanded", where, t.Text)
		}
	}
	for _, t := range rec.Terms {
		pr := n.Probes[t.Index]
		if pr == nil {
			continue
		}
		switch {
		case pr.Err != nil:
			l.report(idTermLookupFailed, checks.Warning, map[string]any{"domain": n.Domain, "term": t.Text, "status": pr.Status},
				"SPF record of %s: term %q: the lookup of %s failed (%s): receivers get temperror when they reach it (RFC 7208 §5)", where, t.Text, pr.Target, pr.Status)
		case t.Name == "mx" && pr.Count > mxMax:
			// §4.6.4: an mx term MUST NOT look up more than 10 addresses.
			l.perm("mx over 10")
			l.report(idMXOver10, checks.Error, map[string]any{"domain": n.Domain, "term": t.Text, "mx": pr.Count},
				"SPF record of %s: term %q: %s has %d MX records, over the 10 an mx term may look up (RFC 7208 §4.6.4), so %s; use ip4:/ip6: instead", where, t.Text, pr.Target, pr.Count, permerrMsg)
		case pr.Void():
			l.report(idVoidTerm, checks.Warning, map[string]any{"domain": n.Domain, "term": t.Text, "status": pr.Status},
				"SPF record of %s: term %q: %s has no %s (%s): the term matches nothing and counts as a void lookup (RFC 7208 §4.6.4, limit 2); remove it", where, t.Text, pr.Target, map[bool]string{true: "MX records", false: "address"}[t.Name == "mx"], pr.Status)
		}
	}
}

// counts applies the limits of §4.6.4 across the whole tree: of each
// record, when the domain has several.
func (l *linter) counts() {
	for _, top := range l.root.Tops() {
		l.count(top)
	}
}

func (l *linter) count(root *Node) {
	name := root.Domain
	if root.Alt > 0 {
		name = fmt.Sprintf("%s (record %d of %d)", root.Domain, root.Alt, len(l.root.Alternatives))
	}
	data := map[string]any{"domain": root.Domain, "lookups": root.Total}
	if root.Alt > 0 {
		data["alt"] = root.Alt
	}
	if root.Total > lookupMax {
		l.perm("over 10 lookups")
		heavy := heaviest(root)
		l.report(idTooManyLookups, checks.Error, data,
			"SPF of %s needs %d DNS lookups, over the limit of 10 (RFC 7208 §4.6.4): %s when evaluation gets that far%s; flatten includes into ip4:/ip6: terms",
			name, root.Total, permerrMsg, heavy)
	} else {
		l.report(idLookups, checks.OK, data, "SPF of %s needs %s (limit 10, RFC 7208 §4.6.4)", name, lookups(root.Total))
	}
	void := 0
	var voids []string
	root.Walk(func(n *Node, _ int) {
		if n.Term != "" && n.Alt == 0 && n.Err == nil && n.Loop == nil && !n.Truncated && len(n.SPFs) == 0 &&
			(n.Status == lookup.StatusNXDomain || n.Status == lookup.StatusNoData) {
			void++
			voids = append(voids, n.Term)
		}
		for _, t := range termsOf(n) {
			if pr := n.Probes[t.Index]; pr != nil && pr.Void() {
				void++
				voids = append(voids, t.Text)
			}
		}
	})
	if void > voidMax {
		l.perm("void lookups")
		l.report(idVoidLimit, checks.Error, map[string]any{"domain": root.Domain, "void": void, "terms": voids},
			"SPF of %s has %d terms whose lookups find nothing (%s), over the limit of 2 void lookups (RFC 7208 §4.6.4): %s; remove them",
			name, void, strings.Join(voids, ", "), permerrMsg)
	}
}

// heaviest names the include with the most lookups below the root.
func heaviest(root *Node) string {
	var best *Node
	for _, c := range root.Children {
		if best == nil || c.Total > best.Total {
			best = c
		}
	}
	if best == nil || best.Total == 0 {
		return ""
	}
	return fmt.Sprintf(" (the largest branch, %s, costs %d)", best.Term, 1+best.Total)
}

// allRules checks how the record ends (§4.7, §5.1, §6.1), following the
// redirect chain, which acts as the end of the root record.
func (l *linter) allRules() {
	for _, top := range l.root.Tops() {
		l.allRulesOf(top)
	}
}

func (l *linter) allRulesOf(n *Node) {
	for n != nil && n.Parsed != nil {
		var all, redirect *Term
		for _, t := range n.Parsed.Terms {
			if t.Name == "all" && t.Mechanism() {
				all = t
			}
			if t.Name == "redirect" && t.Modifier {
				redirect = t
			}
		}
		data := map[string]any{"domain": n.Domain, "record": n.Record}
		name := n.Domain
		if n.Alt > 0 {
			name = fmt.Sprintf("%s, record %d", n.Domain, n.Alt)
		}
		switch {
		case all != nil && redirect != nil:
			// §6.1: redirect is ignored when the record has an all mechanism.
			l.report(idRedirectIgnored, checks.Warning, data, "SPF record of %s: %q is ignored because the record has %q (RFC 7208 §6.1); remove one of them", name, redirect.Text, all.Text)
			return
		case all != nil && all.Qualifier == '?':
			l.report(idNeutralAll, checks.Warning, data, "SPF record of %s ends with %q: other hosts get neutral, which protects nothing (RFC 7208 §8.2); end with ~all or -all", name, all.Text)
			return
		case all != nil:
			return
		case redirect == nil:
			l.report(idNoAll, checks.Warning, data, "SPF record of %s has no all and no redirect: other hosts get neutral (RFC 7208 §4.7); end it with ~all or -all", name)
			return
		}
		// Follow the redirect.
		var next *Node
		for _, c := range n.Children {
			if c.Term == redirect.Text {
				next = c
			}
		}
		if next == nil || next.Loop != nil {
			return
		}
		n = next
	}
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// evaluate runs check_host for each sending IP with the sender, and with
// the HELO name when given, concurrently.
func evaluate(p *checks.Pass, domain string) []Evaluation {
	sender := p.Ticket.Sender
	if !strings.Contains(sender, "@") {
		sender = "postmaster@" + domain // §4.3
	}
	type job struct {
		ev   Evaluation
		helo bool
	}
	var jobs []*job
	for _, ip := range p.Ticket.SendingIPs {
		jobs = append(jobs, &job{ev: Evaluation{IP: ip, Sender: sender}})
		if p.Ticket.HELO != "" {
			jobs = append(jobs, &job{ev: Evaluation{IP: ip, Sender: ""}, helo: true})
		}
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j.ev = CheckHost(p.Context, p.DNS, j.ev.IP, p.Ticket.HELO, j.ev.Sender)
		}()
	}
	wg.Wait()
	var out []Evaluation
	for _, j := range jobs {
		ev := j.ev
		out = append(out, Evaluation{IP: ev.IP, Domain: ev.Domain, Result: ev.Result, Reason: ev.Reason})
		report(p, ev, j.helo)
	}
	return out
}

// report turns one evaluation into a finding for sender-auth.
func report(p *checks.Pass, ev Evaluation, helo bool) {
	ident := "MAIL FROM " + ev.Sender
	if helo {
		ident = "HELO " + ev.Domain
	}
	data := map[string]any{"ip": ev.IP.String(), "domain": ev.Domain, "identity": ident, "result": ev.Result, "term": ev.Term, "reason": ev.Reason}
	f := checks.Finding{Severity: checks.Info, Record: rec, Cause: checks.SenderAuth, Strength: checks.Direct, Data: data}
	switch ev.Result {
	case blitiri.Pass:
		f.ID, f.Severity, f.Verdict = idPass, checks.OK, checks.RuledOut
		f.Message = fmt.Sprintf("SPF passes for %s (%s): %s", ev.IP, ident, ev.Reason)
	case blitiri.Fail:
		f.ID, f.Severity, f.Verdict = idFail, checks.Error, checks.Likely
		f.Message = fmt.Sprintf("SPF fails for %s (%s): the SPF record of %s does not list this IP (%s); receivers may refuse or junk the mail", ev.IP, ident, ev.Domain, ev.Reason)
		f.Steps = []string{fmt.Sprintf("add %s (or the include of the service that sends from it) to the SPF record of %s", ev.IP, ev.Domain)}
	case blitiri.SoftFail:
		f.ID, f.Severity, f.Verdict = idSoftFail, checks.Warning, checks.Possible
		f.Message = fmt.Sprintf("SPF softfails for %s (%s): the SPF record of %s does not list this IP (%s); receivers often junk such mail", ev.IP, ident, ev.Domain, ev.Reason)
		f.Steps = []string{fmt.Sprintf("add %s (or the include of the service that sends from it) to the SPF record of %s", ev.IP, ev.Domain)}
	case blitiri.PermError:
		f.ID, f.Severity, f.Verdict = idPermError, checks.Error, checks.Likely
		f.Message = fmt.Sprintf("SPF permerror for %s (%s): %s; receivers treat the record as broken (RFC 7208 §2.6.7)", ev.IP, ident, ev.Reason)
	case blitiri.TempError:
		f.ID, f.Severity, f.Verdict = idTempError, checks.Warning, checks.Unknown
		f.Message = fmt.Sprintf("SPF temperror for %s (%s): %s; a DNS failure, receivers defer or accept (RFC 7208 §2.6.6)", ev.IP, ident, ev.Reason)
	case "none":
		f.ID, f.Severity, f.Verdict, f.Strength = idResultNone, checks.Warning, checks.Possible, checks.Indirect
		f.Message = fmt.Sprintf("SPF none for %s (%s): %s, so SPF cannot authenticate the mail", ev.IP, ident, ev.Reason)
	default: // neutral
		f.ID, f.Severity, f.Verdict, f.Strength = idNeutral, checks.Warning, checks.Possible, checks.Indirect
		f.Message = fmt.Sprintf("SPF neutral for %s (%s): %s; the record makes no statement about this IP", ev.IP, ident, ev.Reason)
	}
	if helo && f.Verdict == checks.Likely {
		// DMARC and most filters judge the MAIL FROM, not the HELO.
		f.Verdict, f.Strength = checks.Possible, checks.Indirect
	}
	p.Report(f)
}

// verdicts speaks to sender-auth when no evaluation did.
func (l *linter) verdicts(evals []Evaluation) {
	if len(evals) > 0 {
		return
	}
	p := l.p
	switch {
	case len(l.root.SPFs) == 0:
		p.Report(checks.Finding{ID: idNoRecordAuth, Severity: checks.Info, Cause: checks.SenderAuth, Verdict: checks.Possible, Strength: checks.Indirect,
			Message: fmt.Sprintf("%s has no SPF record: no receiver can authenticate its mail by SPF", l.root.Domain)})
	case len(l.permerror) > 0:
		p.Report(checks.Finding{ID: idBrokenAuth, Severity: checks.Info, Cause: checks.SenderAuth, Verdict: checks.Likely, Strength: checks.Indirect,
			Message: fmt.Sprintf("the SPF of %s is broken (%s): receivers get permerror", l.root.Domain, strings.Join(dedup(l.permerror), ", "))})
	default:
		p.Report(checks.MissingOf(idNeedsIP, checks.SenderAuth, []checks.Input{checks.InputSendingIP}, "SPF record of %s looks sound, but no sending IP was given to evaluate it for", l.root.Domain))
	}
}

func dedup(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func termsOf(n *Node) []*Term {
	if n.Parsed == nil {
		return nil
	}
	return n.Parsed.Terms
}

// lookups says "1 DNS lookup" or "n DNS lookups".
func lookups(n int) string {
	if n == 1 {
		return "1 DNS lookup"
	}
	return fmt.Sprintf("%d DNS lookups", n)
}
