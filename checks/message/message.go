// Package message reads a copy of the sent message: the
// Received chain as hops with the delay of each, the receiving side's
// Authentication-Results, the alignment of From, Return-Path and DKIM d=,
// and the message's age against the time of the ticket.
package message

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/mail"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/mailaddr"
	"github.com/whymail/whymail/internal/textinput"
)

// Check reads the sent message.
var Check = &checks.Check{
	Name: "message",
	Doc: "Reads a copy of the sent message: the Received hops and their delays, " +
		"the receiving side's Authentication-Results, From/Return-Path/DKIM alignment, and the message's age.",
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
}

// Thresholds for hop delays.
const (
	slowHop    = 5 * time.Minute
	delayedHop = 15 * time.Minute
)

// MaxHeader bounds the header, which is all this check reads: a real
// header is a few KiB, with every Received and DKIM-Signature field, so a
// larger one is not a header. The message itself is bounded by its source.
const MaxHeader = textinput.MaxRecord

// Parse reads the header of a message and returns what it shows. A file
// without a header, or a header over MaxHeader, is an error (naming the
// line).
func Parse(r io.Reader) (*Result, error) {
	lim := textinput.NewReader(r, 1, textinput.MaxLine)
	lim.MaxRecord = MaxHeader
	br := bufio.NewReader(lim)
	// An mbox "From " line may precede the header.
	if b, _ := br.Peek(5); string(b) == "From " {
		br.ReadString('\n')
	}
	h, err := textproto.ReadHeader(br)
	if le := lim.Exceeded(); le != nil {
		if le.What == "record" {
			return nil, fmt.Errorf("line %d: the header goes on past %s: not an email message", le.Line, textinput.Size(MaxHeader))
		}
		return nil, fmt.Errorf("line %d: not an email message: %v", le.Line, le)
	}
	if err != nil {
		return nil, fmt.Errorf("not a readable email message: %v", err)
	}
	if h.Len() == 0 || !h.Has("From") && !h.Has("Received") && !h.Has("Message-Id") && !h.Has("Date") {
		return nil, fmt.Errorf("not a readable email message: no From, Date, Message-ID or Received header")
	}
	res := &Result{Slowest: -1}
	res.MessageID = strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
	res.Subject = strings.TrimSpace(h.Get("Subject"))
	res.Date, _ = mail.ParseDate(h.Get("Date"))
	if a, err := mail.ParseAddress(h.Get("From")); err == nil {
		res.From = a.Address
	} else if m := addrRE.FindString(h.Get("From")); m != "" {
		res.From = m
	}
	res.FromDomain = domainOf(res.From)
	res.ReturnPathDomain = domainOf(strings.Trim(strings.TrimSpace(h.Get("Return-Path")), "<>"))
	for _, sig := range h.Values("Dkim-Signature") {
		if d := tag(sig, "d"); d != "" {
			res.DKIMDomains = append(res.DKIMDomains, strings.ToLower(d))
		}
	}
	// Received fields are prepended (RFC 5321 §4.4): the first is the
	// newest. Hops are kept oldest first.
	recv := h.Values("Received")
	for i := len(recv) - 1; i >= 0; i-- {
		res.Hops = append(res.Hops, parseReceived(recv[i]))
	}
	prev := res.Date
	var worst time.Duration
	for i := range res.Hops {
		hop := &res.Hops[i]
		if !hop.Time.IsZero() && !prev.IsZero() {
			hop.Delay = hop.Time.Sub(prev)
			if hop.Delay > worst {
				worst, res.Slowest = hop.Delay, i
			}
		}
		if !hop.Time.IsZero() {
			prev = hop.Time
		}
	}
	// The receiving side's verdict is the topmost Authentication-Results
	// (RFC 8601 §5: added by the receiver at the top).
	if ars := h.Values("Authentication-Results"); len(ars) > 0 {
		res.Auth = parseAuthResults(ars[0])
	}
	res.Spam = parseSpam(h)
	res.SPFAligned, res.DKIMAligned = checks.Maybe, checks.Maybe
	if res.FromDomain != "" {
		if res.ReturnPathDomain != "" {
			res.SPFAligned = tri(mailaddr.Aligned(res.ReturnPathDomain, res.FromDomain, false))
		}
		if len(res.DKIMDomains) > 0 {
			res.DKIMAligned = checks.No
			for _, d := range res.DKIMDomains {
				if mailaddr.Aligned(d, res.FromDomain, false) {
					res.DKIMAligned = checks.Yes
				}
			}
		}
	}
	return res, nil
}

var (
	addrRE     = regexp.MustCompile(`[^\s<>@"]+@[^\s<>@"]+`)
	commentRE  = regexp.MustCompile(`\([^()]*\)`)
	recvWordRE = regexp.MustCompile(`(?i)(?:^|\s)(from|by|with|id|for|via)\s+(\S+)`)
)

// parseReceived reads "from X by Y with Z id W for <R>; date" (RFC 5321
// §4.4); the date follows the last semicolon.
func parseReceived(v string) Hop {
	v = strings.Join(strings.Fields(v), " ")
	var hop Hop
	body := v
	if i := strings.LastIndexByte(v, ';'); i >= 0 {
		body = v[:i]
		hop.Time, _ = mail.ParseDate(strings.TrimSpace(v[i+1:]))
	}
	body = stripComments(body)
	// Each clause counts once: the first "from", "by", ... wins.
	fields := map[string]*string{"from": &hop.From, "by": &hop.By, "with": &hop.With, "id": &hop.ID, "for": &hop.For}
	for _, m := range recvWordRE.FindAllStringSubmatch(body, -1) {
		if f := fields[strings.ToLower(m[1])]; f != nil && *f == "" {
			*f = strings.Trim(m[2], "<>;")
		}
	}
	return hop
}

func stripComments(s string) string {
	for i := 0; i < 5 && strings.Contains(s, "("); i++ {
		n := commentRE.ReplaceAllString(s, " ")
		if n == s {
			break
		}
		s = n
	}
	return s
}

// parseAuthResults reads an Authentication-Results field with authres,
// after removing comments (which may hold semicolons). Exchange Online
// writes the field without its authserv-id ("spf=pass (sender IP is ...)
// smtp.mailfrom=...; dkim=...; dmarc=fail action=oreject ..."): read as
// the results of an unnamed receiver.
func parseAuthResults(v string) *AuthResults {
	ar := &AuthResults{Raw: strings.Join(strings.Fields(v), " ")}
	clean := stripComments(ar.Raw)
	id, results, err := authres.Parse(clean)
	if err != nil && noAuthServID.MatchString(clean) {
		_, results, _ = authres.Parse("unnamed; " + clean)
		id = ""
	}
	ar.AuthServID = id
	for _, r := range results {
		switch r := r.(type) {
		case *authres.SPFResult:
			if ar.SPF == "" {
				ar.SPF, ar.SPFDomain = r.Value, domainOf(r.From)
				if ar.SPFDomain == "" {
					ar.SPFDomain = strings.ToLower(r.From)
				}
			}
		case *authres.DKIMResult:
			d := r.Domain
			if d == "" {
				d = domainOf(r.Identifier)
			}
			ar.DKIM = append(ar.DKIM, AuthDKIM{Result: r.Value, Domain: strings.ToLower(d)})
		case *authres.DMARCResult:
			if ar.DMARC == "" {
				ar.DMARC, ar.DMARCFrom = r.Value, strings.ToLower(r.From)
			}
		}
	}
	for _, m := range dispositionRE.FindAllStringSubmatch(ar.Raw, -1) {
		if strings.EqualFold(m[1], string(ar.DMARC)) {
			ar.DMARCDisposition = strings.ToLower(m[2])
			break
		}
	}
	return ar
}

var (
	// dispositionRE finds the receiver's disposition of a DMARC result:
	// Microsoft's "dmarc=fail action=quarantine" (and its "oreject",
	// "pct.reject"), Gmail's "(p=QUARANTINE sp=QUARANTINE dis=QUARANTINE)",
	// and the "policy.dmarc=quarantine" property.
	dispositionRE = regexp.MustCompile(`(?i)\bdmarc=(\w+)[^;]*?\b(?:dis|action|policy\.dmarc)=([a-z]+(?:\.[a-z]+)?)`)
	// noAuthServID matches a field that starts with a result, not with
	// the receiver's name (Exchange Online's): an authserv-id is a token
	// or a quoted string, never "method=".
	noAuthServID = regexp.MustCompile(`(?i)^\s*[a-z][a-z0-9_-]*\s*=`)
	sclRE        = regexp.MustCompile(`(?i)(?:^|;)\s*SCL:(-?\d)\b`)
	sfvRE        = regexp.MustCompile(`(?i)(?:^|;)\s*SFV:([A-Z]+)\b`)
)

// parseSpam reads the spam verdict headers the big receivers write:
// Microsoft's X-MS-Exchange-Organization-SCL and X-Forefront-Antispam-Report
// (Microsoft Learn, "Anti-spam message headers"), and SpamAssassin's
// X-Spam-Flag and X-Spam-Status, which many receivers use. Gmail documents
// no verdict header. nil when there is none.
func parseSpam(h textproto.Header) *SpamVerdict {
	v := &SpamVerdict{}
	quote := func(k, val string) {
		v.Headers = append(v.Headers, k+": "+strings.Join(strings.Fields(val), " "))
	}
	if s := strings.TrimSpace(h.Get("X-MS-Exchange-Organization-SCL")); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= -1 && n <= 9 {
			v.SCL, v.HasSCL = n, true
			quote("X-MS-Exchange-Organization-SCL", s)
		}
	}
	for _, k := range []string{"X-Forefront-Antispam-Report", "X-Forefront-Antispam-Report-Untrusted"} {
		r := h.Get(k)
		if r == "" {
			continue
		}
		found := false
		if m := sclRE.FindStringSubmatch(r); m != nil && !v.HasSCL {
			v.SCL, _ = strconv.Atoi(m[1])
			v.HasSCL, found = true, true
		}
		if m := sfvRE.FindStringSubmatch(r); m != nil && v.SFV == "" {
			v.SFV, found = strings.ToUpper(m[1]), true
		}
		if found {
			quote(k, r)
		}
		break
	}
	if f := strings.TrimSpace(h.Get("X-Spam-Flag")); f != "" {
		v.Flag = strings.ToUpper(f)
		quote("X-Spam-Flag", f)
	}
	if st := strings.TrimSpace(h.Get("X-Spam-Status")); st != "" {
		v.Status = strings.Join(strings.Fields(st), " ")
		quote("X-Spam-Status", st)
	}
	if len(v.Headers) == 0 {
		return nil
	}
	return v
}

// Spam reports whether the verdict says spam: an SCL of 5 or more, a
// Forefront SPM/SKS/BLK verdict, X-Spam-Flag YES or X-Spam-Status Yes.
func (v *SpamVerdict) Spam() bool {
	return v.HasSCL && v.SCL >= 5 || v.SFV == "SPM" || v.SFV == "SKS" || v.SFV == "BLK" || v.Flag == "YES" || strings.HasPrefix(strings.ToLower(v.Status), "yes")
}

// Clean reports whether the verdict says not spam (and nothing says spam).
func (v *SpamVerdict) Clean() bool {
	if v.Spam() {
		return false
	}
	return v.HasSCL && v.SCL <= 1 || v.SFV == "NSPM" || v.SFV == "SKN" || v.SFV == "SKA" || v.Flag == "NO" || strings.HasPrefix(strings.ToLower(v.Status), "no")
}

// tag returns a tag's value from a DKIM-Signature (RFC 6376 §3.2 tag-list).
func tag(sig, name string) string {
	for _, kv := range strings.Split(sig, ";") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.TrimSpace(k) == name {
			return strings.Join(strings.Fields(v), "")
		}
	}
	return ""
}

func domainOf(addr string) string {
	_, d, ok := mailaddr.Split(addr)
	if !ok {
		return ""
	}
	return strings.ToLower(strings.TrimRight(strings.TrimSpace(d), ".>"))
}

func tri(b bool) checks.Tristate {
	if b {
		return checks.Yes
	}
	return checks.No
}

func run(p *checks.Pass) (any, error) {
	t := p.Ticket
	if t.Sources.Message == nil {
		p.Skip("no sent message given: no copy of the sent message to read")
		p.Missing(checks.SenderAuth, []checks.Input{checks.InputMessage}, "no copy of the sent message was given; its Authentication-Results would show the receiver's SPF/DKIM/DMARC verdict")
		p.Missing(checks.Delayed, []checks.Input{checks.InputMessage}, "no copy of the sent message was given; its Received headers would show where it waited")
		return nil, nil
	}
	file, data, err := p.SentMessage()
	if err != nil {
		return nil, p.SourceFailed(t.Sources.Message, err, checks.SenderAuth, checks.Delayed)
	}
	res, err := Parse(bytes.NewReader(data))
	if err != nil {
		return nil, checks.Inputf(file, 0, "%v", err)
	}
	reportHops(p, file, res)
	reportAuth(p, file, res)
	reportSpam(p, file, res)
	reportAlignment(p, file, res)
	reportAge(p, file, res, t)
	return res, nil
}

func hopName(h Hop) string {
	switch {
	case h.From != "" && h.By != "":
		return h.From + " -> " + h.By
	case h.By != "":
		return "-> " + h.By
	}
	return h.From
}

func reportHops(p *checks.Pass, file string, res *Result) {
	if len(res.Hops) == 0 {
		p.Report(checks.Finding{Severity: checks.Info, Record: file,
			Message: "the message has no Received header: it is the sender's copy, so it says nothing about transit"})
		return
	}
	var total time.Duration
	if first, last := res.Date, res.Hops[len(res.Hops)-1].Time; !first.IsZero() && !last.IsZero() {
		total = last.Sub(first)
	}
	hops := make([]map[string]any, len(res.Hops))
	for i, h := range res.Hops {
		hops[i] = map[string]any{"from": h.From, "by": h.By, "with": h.With, "id": h.ID, "time": h.Time, "delay_s": h.Delay.Seconds()}
	}
	data := map[string]any{"hops": hops, "total_s": total.Seconds()}
	if res.Slowest < 0 {
		p.Report(checks.Finding{Severity: checks.Info, Record: file, Data: data,
			Message: fmt.Sprintf("%d Received hops; no hop delay could be measured (dates missing)", len(res.Hops))})
		return
	}
	slow := res.Hops[res.Slowest]
	data["slowest"] = res.Slowest + 1
	msg := fmt.Sprintf("%d Received hops in %s; the slowest is hop %d (%s) at %s", len(res.Hops), round(total), res.Slowest+1, hopName(slow), round(slow.Delay))
	f := checks.Finding{Severity: checks.Info, Record: file, Data: data, Message: msg}
	if slow.Delay > slowHop {
		f.Severity = checks.Warning
	}
	if slow.Delay > delayedHop {
		f.Cause, f.Verdict, f.Strength = checks.Delayed, checks.Possible, checks.Direct
		f.Message += fmt.Sprintf("; the message waited there more than %s", delayedHop)
	}
	p.Report(f)
	for i, h := range res.Hops {
		if h.Delay < -time.Minute {
			p.Report(checks.Finding{Severity: checks.Info, Record: file,
				Message: fmt.Sprintf("hop %d (%s) is dated %s before the previous one: a clock is wrong", i+1, hopName(h), round(-h.Delay))})
			break
		}
	}
}

func round(d time.Duration) time.Duration {
	if d > time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

// failed reports whether an Authentication-Results value is a failure;
// "hardfail" is RFC 5451's older name for fail.
func failed(v authres.ResultValue) bool {
	switch v {
	case authres.ResultFail, authres.ResultSoftFail, authres.ResultHardFail, authres.ResultPermError:
		return true
	}
	return false
}

func reportAuth(p *checks.Pass, file string, res *Result) {
	ar := res.Auth
	if ar == nil {
		p.Report(checks.Finding{Severity: checks.Info, Record: file,
			Message: "the message has no Authentication-Results header: the receiver's SPF/DKIM/DMARC verdict is not in this copy"})
		return
	}
	var parts, bad []string
	add := func(name string, v authres.ResultValue, dom string) {
		if v == "" {
			return
		}
		s := name + "=" + string(v)
		if dom != "" {
			s += " (" + dom + ")"
		}
		parts = append(parts, s)
		if failed(v) {
			bad = append(bad, s)
		}
	}
	add("spf", ar.SPF, ar.SPFDomain)
	for _, d := range ar.DKIM {
		add("dkim", d.Result, d.Domain)
	}
	add("dmarc", ar.DMARC, ar.DMARCFrom)
	data := map[string]any{"authserv_id": ar.AuthServID, "spf": ar.SPF, "dmarc": ar.DMARC, "raw": ar.Raw}
	if len(bad) == 0 {
		sev := checks.OK
		f := checks.Finding{Severity: sev, Record: file, Data: data,
			Message: fmt.Sprintf("%s says %s", orUnknown(ar.AuthServID), strings.Join(parts, ", "))}
		if ar.DMARC == authres.ResultPass {
			f.Cause, f.Verdict, f.Strength = checks.SenderAuth, checks.RuledOut, checks.OfRecord
			f.Message += ": the receiver authenticated the sender"
		}
		p.Report(f)
		return
	}
	// The receiver's own verdict on this message (RFC 8601): of record.
	f := checks.Finding{Severity: checks.Error, Record: file, Cause: checks.SenderAuth,
		Verdict: checks.Likely, Strength: checks.OfRecord, Data: data,
		Message: fmt.Sprintf("the receiver %s recorded %s (all results: %s)", orUnknown(ar.AuthServID), strings.Join(bad, ", "), strings.Join(parts, ", "))}
	dis := ar.DMARCDisposition
	applied := appliedDisposition(dis)
	if failed(ar.DMARC) && applied != "" {
		// The receiver applied the domain's DMARC policy to this message:
		// the failure is its decision, not an inference.
		f.Verdict = checks.Confirmed
		data["dmarc_disposition"] = dis
		f.Message += fmt.Sprintf("; it applied the DMARC policy (disposition %s)", dis)
	}
	p.Report(f)
	if failed(ar.DMARC) && applied == "quarantine" {
		why := fmt.Sprintf("the receiver %s quarantined the message for failing DMARC (dmarc=fail, disposition %s): it went to the spam folder or the quarantine, not the inbox", orUnknown(ar.AuthServID), dis)
		if dis != "quarantine" {
			why = fmt.Sprintf("the receiver %s marked the message as spam for failing DMARC instead of rejecting it (dmarc=fail, action=%s: Microsoft 365's override of p=reject): it went to the Junk Email folder or the quarantine, not the inbox", orUnknown(ar.AuthServID), dis)
		}
		p.Report(checks.Finding{Severity: checks.Warning, Record: file, Cause: checks.SpamFolder,
			Verdict: checks.Likely, Strength: checks.OfRecord, Data: map[string]any{"dmarc_disposition": dis, "raw": ar.Raw},
			Message: why})
	}
}

// appliedDisposition says what the receiver did to a message that failed
// DMARC, from the disposition it recorded: "quarantine" (held, or filed
// as spam), "reject", or "" when it applied no policy. Microsoft 365
// writes "oreject" (or "o.reject") when it overrides p=reject and marks
// the message as spam instead, and "pct.quarantine" or "pct.reject" when
// the policy's pct= sampled the message out, so that it was delivered
// as if there were no policy.
func appliedDisposition(dis string) string {
	switch dis {
	case "quarantine":
		return "quarantine"
	case "reject":
		return "reject"
	case "oreject", "o.reject":
		return "quarantine"
	}
	return ""
}

// reportSpam reports the receiver's spam verdict headers: of record for
// whether the message was filed as spam.
func reportSpam(p *checks.Pass, file string, res *Result) {
	v := res.Spam
	if v == nil {
		return
	}
	quoted := strings.Join(v.Headers, "; ")
	data := map[string]any{"headers": v.Headers}
	if v.HasSCL {
		data["scl"] = v.SCL
	}
	if v.SFV != "" {
		data["sfv"] = v.SFV
	}
	switch {
	case v.Spam():
		verdict := checks.Likely
		why := "the receiver's filter marked the message as spam"
		if v.HasSCL && v.SCL >= 5 && (v.SFV == "SPM" || v.SFV == "SKS") {
			// Exchange Online files SCL 5 and up, verdict SPM, in the Junk
			// Email folder (or quarantine, by the organisation's policy).
			verdict = checks.Confirmed
			why = fmt.Sprintf("Microsoft's filter classed the message as spam (SCL %d, SFV:%s): it was delivered to the Junk Email folder or quarantined", v.SCL, v.SFV)
		} else if v.HasSCL && v.SCL >= 5 {
			why = fmt.Sprintf("Microsoft's filter gave the message spam confidence level %d (5 and above go to Junk Email)", v.SCL)
		}
		p.Report(checks.Finding{Severity: checks.Warning, Record: file, Cause: checks.SpamFolder,
			Verdict: verdict, Strength: checks.OfRecord, Data: data,
			Message: fmt.Sprintf("%s (%s)", why, quoted)})
	case v.Clean():
		p.Report(checks.Finding{Severity: checks.OK, Record: file, Cause: checks.SpamFolder,
			Verdict: checks.RuledOut, Strength: checks.Direct, Data: data,
			Message: fmt.Sprintf("the receiver's filter did not mark the message as spam (%s); a user's own rule could still move it", quoted)})
	default:
		p.Report(checks.Finding{Severity: checks.Info, Record: file, Data: data,
			Message: fmt.Sprintf("spam verdict headers: %s", quoted)})
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "the receiver"
	}
	return s
}

func reportAlignment(p *checks.Pass, file string, res *Result) {
	if res.FromDomain == "" {
		p.Report(checks.Finding{Severity: checks.Warning, Record: file,
			Message: "the message has no readable From address, so DMARC cannot align anything with it"})
		return
	}
	data := map[string]any{"from": res.FromDomain, "return_path": res.ReturnPathDomain, "dkim_d": res.DKIMDomains,
		"spf_aligned": res.SPFAligned.String(), "dkim_aligned": res.DKIMAligned.String()}
	desc := fmt.Sprintf("From %s, Return-Path %s, DKIM d=%s", res.FromDomain, orNone(res.ReturnPathDomain), orNone(strings.Join(res.DKIMDomains, ",")))
	switch {
	case res.SPFAligned == checks.Yes || res.DKIMAligned == checks.Yes:
		p.Report(checks.Finding{Severity: checks.OK, Record: file, Data: data,
			Message: desc + ": aligned for DMARC (relaxed) through " + alignedBy(res)})
	case res.SPFAligned == checks.Maybe && res.DKIMAligned == checks.Maybe:
		p.Report(checks.Finding{Severity: checks.Info, Record: file, Data: data,
			Message: desc + ": no Return-Path and no DKIM signature in this copy, so alignment cannot be judged"})
	default:
		// RFC 7489 §4.2: DMARC passes only if an aligned identifier passes.
		p.Report(checks.Finding{Severity: checks.Warning, Record: file, Data: data,
			Cause: checks.SenderAuth, Verdict: checks.Possible, Strength: checks.Direct,
			Message: desc + ": neither the Return-Path nor a DKIM d= shares the From's organizational domain, so DMARC cannot pass"})
	}
}

func alignedBy(res *Result) string {
	var by []string
	if res.SPFAligned == checks.Yes {
		by = append(by, "the Return-Path (SPF)")
	}
	if res.DKIMAligned == checks.Yes {
		by = append(by, "DKIM d=")
	}
	return strings.Join(by, " and ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func reportAge(p *checks.Pass, file string, res *Result, t *checks.Ticket) {
	if res.Date.IsZero() {
		p.Report(checks.Finding{Severity: checks.Warning, Record: file,
			Message: "the message has no readable Date header; its age cannot be judged"})
		return
	}
	if t.At.IsZero() {
		return
	}
	ttl := t.LinkTTL
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	age := t.At.Sub(res.Date)
	data := map[string]any{"date": res.Date, "at": t.At, "age_s": age.Seconds(), "link_ttl_s": ttl.Seconds()}
	switch {
	case age < -5*time.Minute:
		p.Report(checks.Finding{Severity: checks.Info, Record: file, Data: data,
			Message: fmt.Sprintf("the message is dated %s, %s after the time of the ticket (%s)", res.Date.Format(time.RFC3339), round(-age), t.At.Format(time.RFC3339))})
	case age > ttl:
		p.Report(checks.Finding{Severity: checks.Info, Record: file, Data: data,
			Cause: checks.LinkExpired, Verdict: checks.Possible, Strength: checks.Direct,
			Message: fmt.Sprintf("the message was sent %s (%s before the ticket), longer ago than the link lifetime of %s: a link in it has probably expired", res.Date.Format(time.RFC3339), round(age), ttl)})
	default:
		p.Report(checks.Finding{Severity: checks.Info, Record: file, Data: data,
			Message: fmt.Sprintf("the message was sent %s, %s before the ticket (link lifetime %s)", res.Date.Format(time.RFC3339), round(age), ttl)})
	}
}
