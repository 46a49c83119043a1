package maillog

// This file words the timeline as findings: one reporter for each way the
// mail can stand (delivered, deferred, failed, late, in flight, nothing
// logged), with the line that proves it.

import (
	"fmt"
	"strings"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/checks/mx"
)

// describe renders one event as evidence: time, source, what and the reply.
func describe(e *Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", e.Source, e.Time.UTC().Format("2006-01-02 15:04:05 MST"), e.Kind)
	if e.Relay != "" && e.Relay != "none" {
		fmt.Fprintf(&b, " via %s", e.Relay)
	}
	if e.DSN != "" {
		fmt.Fprintf(&b, ", dsn=%s", e.DSN)
	}
	if e.Reply != "" {
		fmt.Fprintf(&b, ", %q", e.Reply)
	}
	return b.String()
}

func eventData(e *Event) map[string]any {
	m := map[string]any{"source": e.Source, "kind": e.Kind, "recipient": e.Recipient}
	if !e.Time.IsZero() {
		m["time"] = e.Time.UTC().Format(time.RFC3339)
	}
	for k, v := range map[string]string{"queue_id": e.QueueID, "message_id": e.MessageID, "from": e.From,
		"relay": e.Relay, "dsn": e.DSN, "reply": e.Reply, "delay": e.Delay, "reason": string(e.Reason), "provider": e.Provider} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// reportFile says what a file was and what could not be read in it.
func reportFile(p *checks.Pass, f *File) {
	c := f.Coverage
	span := "no timestamps"
	if !c.First.IsZero() {
		span = fmt.Sprintf("%s to %s", c.First.UTC().Format("2006-01-02 15:04:05"), c.Last.UTC().Format("2006-01-02 15:04:05 MST"))
	}
	msg := fmt.Sprintf("%s: %s log covering %s; %d lines: %d understood, %d not relevant (other programs, connections, other events), %d unreadable.",
		c.File, c.Format, span, c.Lines, c.Understood, c.NotRelevant, c.Unparsed)
	if f.Evicted > 0 {
		msg += fmt.Sprintf(" %d queued messages never left the queue in this log and were forgotten to bound memory.", f.Evicted)
	}
	data := map[string]any{
		"format": c.Format, "lines": c.Lines, "understood": c.Understood, "not_relevant": c.NotRelevant,
		"unreadable": c.Unparsed, "first": stamp(c.First), "last": stamp(c.Last)}
	if c.Zone != nil {
		msg += fmt.Sprintf(" Its timestamps carry no time zone: read as %s.", zoneName(c.Zone))
		data["zone"] = c.Zone.String()
	}
	p.Report(checks.Finding{Severity: checks.Info, Record: c.File, Message: msg, Data: data})
	if c.Unparsed > 0 {
		msg := fmt.Sprintf("%s: %d lines could not be read and were left out; first: %s", c.File, c.Unparsed, strings.Join(f.Unreadable, "; "))
		data := map[string]any{"unreadable": c.Unparsed, "examples": f.Unreadable}
		if f.Lost.Lines > 0 {
			msg += fmt.Sprintf(". %d of them name the recipient, so what they said about its mail is unknown: %s",
				f.Lost.Lines, strings.Join(f.Lost.Quoted, "; "))
			data["about_recipient"] = f.Lost.Lines
			data["about_recipient_examples"] = f.Lost.Quoted
		}
		p.Report(checks.Finding{Severity: checks.Warning, Record: c.File, Message: msg, Data: data})
	}
}

// zoneName words the zone zone-less timestamps were read in.
func zoneName(z *time.Location) string {
	if z == time.Local {
		name, off := time.Now().In(z).Zone()
		return fmt.Sprintf("the local time of this machine (%s, UTC%s)", name, offset(off))
	}
	return z.String()
}

func offset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	return fmt.Sprintf("%s%02d:%02d", sign, sec/3600, sec%3600/60)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// gateways names mail security gateways by the hosts they receive on.
var gateways = []struct{ suffix, name string }{
	{"pphosted.com", "Proofpoint"}, {"ppe-hosted.com", "Proofpoint Essentials"},
	{"mimecast.com", "Mimecast"}, {"mimecast-offshore.com", "Mimecast"},
	{"barracudanetworks.com", "Barracuda"}, {"iphmx.com", "Cisco Secure Email"},
	{"hydra.sophos.com", "Sophos"}, {"trendmicro.com", "Trend Micro"}, {"trendmicro.eu", "Trend Micro"},
	{"mailcontrol.com", "Forcepoint"}, {"messagelabs.com", "Symantec Email Security.cloud"},
	{"hornetsecurity.com", "Hornetsecurity"}, {"antispamcloud.com", "SpamExperts"},
	{"fortimail.com", "FortiMail"}, {"mxrecord.io", "Cloudflare Area 1"},
}

// relayHost returns the host name of relay=host[ip]:port or H=host.
func relayHost(relay string) string {
	if i := strings.IndexByte(relay, '['); i >= 0 {
		relay = relay[:i]
	}
	return strings.ToLower(strings.TrimSuffix(relay, "."))
}

func gatewayOf(host string) string {
	for _, g := range gateways {
		if host == g.suffix || strings.HasSuffix(host, "."+g.suffix) {
			return g.name
		}
	}
	return ""
}

func reportDelivered(p reporter, d *Delivery, e *Event, md *mx.Domain, acct *account.Account, other string) {
	ev := describe(e)
	data := eventData(e)
	what := "The log shows the mail was delivered: " + ev + "."
	if e.Kind != Delivered {
		what = "The recipient acted on the mail (" + ev + "), so it was delivered."
	}
	p.Report(checks.Finding{Severity: checks.OK, Record: e.Source, Cause: checks.NotSent, Verdict: checks.RuledOut,
		Strength: checks.OfRecord, Message: what, Data: data})
	p.Report(checks.Finding{Severity: checks.OK, Record: e.Source, Cause: checks.Delayed, Verdict: checks.RuledOut,
		Strength: checks.OfRecord, Message: "Delivery completed: " + ev + "; nothing is waiting in a queue.", Data: data})
	p.Report(checks.Finding{Severity: checks.OK, Record: e.Source, Cause: checks.MailboxUnknown, Verdict: checks.RuledOut,
		Strength: checks.OfRecord, Message: "The receiving server accepted the mail for the mailbox: " + ev + ".", Data: data})
	// An accepted message was neither refused by policy nor over quota.
	for _, c := range []checks.CauseID{checks.RejectedByRecipient, checks.MailboxFull} {
		p.Report(checks.Finding{Severity: checks.OK, Record: e.Source, Cause: c, Verdict: checks.RuledOut,
			Strength: checks.OfRecord, Message: "The receiving server accepted the mail: " + ev + ".", Data: data})
	}
	reportNotSuppressed(p, e, data)
	if e.Kind == Opened || e.Kind == Clicked {
		return
	}
	host := relayHost(e.Relay)
	gw := gatewayOf(host)
	if gw == "" && md != nil && md.Gateway != "" {
		gw = md.Gateway
	}
	if gw != "" {
		via := "the domain's MX is " + gw
		if gatewayOf(host) != "" {
			via = host + " is " + gw + "'s"
		}
		p.Report(checks.Finding{Severity: checks.Info, Record: e.Source, Cause: checks.CorporateFilter, Verdict: checks.Likely,
			Strength: checks.Direct,
			Message:  fmt.Sprintf("Delivered to a mail security gateway (%s): %s. Gateways quarantine or hold mail after accepting it, so it can be accepted and still not reach the inbox.", via, ev),
			Steps: []string{fmt.Sprintf("Ask the recipient's IT team to look for the message in the %s quarantine (sent %s, from %s) and release it, or allow-list the sender.",
				gw, e.Time.UTC().Format("2006-01-02 15:04 MST"), orUnknown(e.From))},
			Data: data})
	}
	where := "delivered"
	if host != "" {
		where = "delivered to " + host
	}
	p.Report(checks.Finding{Severity: checks.Info, Record: e.Source, Cause: checks.SpamFolder, Verdict: checks.Possible,
		Strength: checks.Indirect,
		Message:  fmt.Sprintf("%s at %s (%s); if it is not in the inbox, the receiving side filtered it (spam/junk folder, rules).", where, e.Time.UTC().Format("2006-01-02 15:04:05 MST"), e.Source),
		Steps:    []string{"Ask the user to search all folders, spam/junk included, for the message (sent " + e.Time.UTC().Format("2006-01-02 15:04 MST") + ")."},
		Data:     data})
	if acct != nil && acct.Found && other != "" {
		p.Report(checks.Finding{Severity: checks.Info, Cause: checks.WrongInbox, Verdict: checks.Possible, Strength: checks.Indirect,
			Message: fmt.Sprintf("The mail went to %s, but the account on file has the address %s: the user may be checking the other inbox.", e.Recipient, acct.Email),
			Data:    map[string]any{"delivered_to": e.Recipient, "account_email": acct.Email}})
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "the app's sender"
	}
	return s
}

// retryNote says how long the sender keeps retrying.
func retryNote(e *Event, d *Delivery) string {
	switch {
	case strings.HasPrefix(e.Delay, "SES retries until "):
		return "Amazon SES keeps retrying until " + strings.TrimPrefix(e.Delay, "SES retries until ") + "."
	case strings.Contains(formatOf(d, e.Source), "exim"):
		return "Exim retries by its retry rules (the default rule gives up after 4 days) and then bounces it."
	case strings.Contains(formatOf(d, e.Source), "sendgrid"):
		return "SendGrid keeps retrying deferred mail for up to 72 hours."
	case strings.Contains(formatOf(d, e.Source), "postfix"):
		return fmt.Sprintf("Postfix keeps retrying for maximal_queue_lifetime (default %s) and then returns it to the sender.", "5 days")
	}
	return "The sender keeps retrying for a while (Postfix: maximal_queue_lifetime, default 5 days)."
}

func formatOf(d *Delivery, source string) string {
	for _, f := range d.Files {
		if strings.HasPrefix(source, f.File+":") {
			return f.Format
		}
	}
	return ""
}

func reportDeferred(p reporter, d *Delivery, e *Event, all []Event) {
	n, first := 0, e
	for i := range all {
		if all[i].Kind == Deferred && all[i].QueueID == e.QueueID {
			if n == 0 {
				first = &all[i]
			}
			n++
		}
	}
	what := "deferred"
	if e.Reason == "greylisted" {
		what = "greylisted (the receiving server asks new senders to retry later; the retry normally gets through)"
	}
	msg := fmt.Sprintf("The mail is still queued: %s, last %s.", what, describe(e))
	if n > 1 {
		msg += fmt.Sprintf(" %d attempts deferred since %s.", n, first.Time.UTC().Format("2006-01-02 15:04 MST"))
	}
	msg += " " + retryNote(e, d)
	data := eventData(e)
	data["attempts"] = n
	p.Report(checks.Finding{Severity: checks.Warning, Record: e.Source, Cause: checks.Delayed, Verdict: checks.Confirmed,
		Strength: checks.OfRecord, Message: msg, Data: data,
		Steps: []string{"Tell the user the mail is on its way and may arrive late; check the log again after the next retry."}})
	if e.Cause != "" && e.Cause != checks.Delayed {
		p.Report(checks.Finding{Severity: checks.Warning, Record: e.Source, Cause: e.Cause, Verdict: checks.Confirmed,
			Strength: checks.OfRecord, Message: fmt.Sprintf("The deferral names the reason (%s): %s.", e.Reason, describe(e)), Data: data})
	}
	p.Report(checks.Finding{Severity: checks.OK, Record: e.Source, Cause: checks.NotSent, Verdict: checks.RuledOut,
		Strength: checks.OfRecord, Message: "The app sent it; the log shows delivery attempts: " + describe(e) + ".", Data: data})
	reportNotSuppressed(p, e, data)
}

// reporter takes findings: the check's pass, or earlier, which passes on
// what an earlier email's outcome says about the newest one.
type reporter interface{ Report(checks.Finding) }

// earlier passes on the findings about an earlier email's outcome as
// evidence while a newer email is in flight: they were about another
// message, so each is at most possible; rule-outs are left out (they
// settled that email, not this one), and so are not-sent and delayed,
// which the newest email settles itself.
type earlier struct {
	p          reporter
	lead, tail string // put around each message
	// indirect lowers the evidence to Indirect (and warnings to info), so
	// that the newest email's own outcome of record outweighs it.
	indirect bool
}

func (r earlier) Report(f checks.Finding) {
	if f.Cause == checks.NotSent || f.Cause == checks.Delayed {
		return
	}
	switch f.Verdict {
	case checks.RuledOut, checks.Unknown:
		return
	case checks.Confirmed, checks.Likely:
		f.Verdict = checks.Possible
	}
	if r.indirect {
		f.Strength = min(f.Strength, checks.Indirect)
		if f.Severity == checks.Warning || f.Severity == checks.Error {
			f.Severity = checks.Info
		}
	}
	f.Message = r.lead + f.Message + r.tail
	r.p.Report(f)
}

// reportLate passes on the outcome of an earlier email that was logged
// after the newest email's outcome: it is evidence about another message,
// at most possible, and the newest email's outcome (e) decides.
func reportLate(p reporter, d *Delivery, late, e *Event, md *mx.Domain,
	acct *account.Account, other string, all []Event) {
	when := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") }
	began := "first logged"
	start := startOf(all, late)
	for i := range all {
		// Its hand-over, or an attempt that logs when it was queued.
		q := all[i].Kind == Queued && all[i].Time.Equal(start) || !arrived(&all[i]).Equal(all[i].Time) && arrived(&all[i]).Equal(start)
		if q && !different(&all[i], late) {
			began = "queued"
		}
	}
	lead := fmt.Sprintf("An earlier email (%s at %s) %s at %s: ", began, when(start), happened(late.Kind), when(late.Time))
	newest := fmt.Sprintf("the newest email (first logged at %s) %s at %s", when(startOf(all, e)), happened(e.Kind), when(e.Time))
	data := eventData(late)
	data["newest"] = eventData(e)
	p.Report(checks.Finding{Severity: checks.Info, Record: late.Source,
		Message: lead + describe(late) + ". It is logged after " + newest + " (" + e.Source + "), which says where the mail stands.",
		Data:    data})
	r := earlier{p: p, lead: lead, tail: " This was another message; " + newest + ".", indirect: true}
	switch outcome(late.Kind) {
	case OutcomeDelivered:
		reportDelivered(r, d, late, md, acct, other)
	case OutcomeDeferred:
		reportDeferred(r, d, late, all)
	default:
		reportFailed(r, late, all)
	}
}

// happened says in a few words what an outcome event did to its email.
func happened(kind Kind) string {
	switch kind {
	case Delivered:
		return "was delivered"
	case Deferred:
		return "was deferred"
	case Expired:
		return "expired in the queue and was returned"
	case Dropped:
		return "was dropped by the provider"
	case Rejected:
		return "was refused"
	case Opened, Clicked:
		return "was " + string(kind)
	case "complaint":
		return "was reported as spam"
	}
	return "bounced"
}

// reportInFlight speaks for the newest email when it has no outcome yet
// and an earlier email's outcome is the last in the log.
func reportInFlight(p reporter, d *Delivery, q, last *Event, md *mx.Domain,
	acct *account.Account, other string, all []Event) {
	queued := q.Time.UTC().Format("2006-01-02 15:04:05 MST")
	then := last.Time.UTC().Format("2006-01-02 15:04:05 MST")
	data := eventData(q)
	data["earlier"] = eventData(last)
	p.Report(checks.Finding{Severity: checks.Warning, Record: q.Source, Cause: checks.Delayed, Verdict: checks.Possible,
		Strength: checks.OfRecord,
		Message: fmt.Sprintf("The newest email (queued at %s, %s) has no delivery outcome yet; an earlier one %s at %s: %s. "+
			"The newest one is still on its way, so the earlier outcome does not say where the mail stands.",
			queued, q.Source, happened(last.Kind), then, describe(last)),
		Steps: []string{"Tell the user the newest email (sent " + q.Time.UTC().Format("2006-01-02 15:04 MST") +
			") is still being delivered; check the log again in a few minutes for its outcome."},
		Data: data})
	p.Report(checks.Finding{Severity: checks.OK, Record: q.Source, Cause: checks.NotSent, Verdict: checks.RuledOut,
		Strength: checks.OfRecord, Message: "The app handed the newest email to the mail system: " + describe(q) + ".", Data: data})
	r := earlier{p: p, lead: "The earlier email, which " + happened(last.Kind) + " at " + then + ": ",
		tail: " The newest email may fare the same."}
	switch outcome(last.Kind) {
	case OutcomeDelivered:
		reportDelivered(r, d, last, md, acct, other)
	case OutcomeDeferred:
		reportDeferred(r, d, last, all)
	default:
		reportFailed(r, last, all)
	}
}

// reportNotSuppressed rules out suppression for a mail the sender tried to
// deliver: a suppressed address is dropped before any attempt.
func reportNotSuppressed(p reporter, e *Event, data map[string]any) {
	p.Report(checks.Finding{Severity: checks.OK, Record: e.Source, Cause: checks.Suppressed, Verdict: checks.RuledOut,
		Strength: checks.OfRecord, Message: "The sender tried to deliver the mail, so the address was not suppressed when it was sent: " + describe(e) + ".", Data: data})
}

// rootOfRefusal lists the causes on our side that make a receiving server
// refuse mail by policy: the refusal is then also a rejection by the
// recipient, which the root cause explains.
var rootOfRefusal = map[checks.CauseID]bool{checks.SenderAuth: true, checks.SenderBlocklisted: true}

func reportFailed(p reporter, e *Event, all []Event) {
	data := eventData(e)
	cause := e.Cause
	verdict := checks.Confirmed
	var msg string
	switch e.Kind {
	case Dropped:
		msg = "The provider did not send the mail: " + describe(e) + "."
		if cause == "" {
			cause = checks.Suppressed
		}
	case Expired:
		msg = "The queue gave up retrying and returned the mail to the sender: " + describe(e) + "."
		switch e.Reason {
		case "network":
			cause, verdict = checks.DomainNoMail, checks.Likely
			msg += " The receiving servers could not be reached for the whole queue lifetime."
		case "greylisted", "rate-limited", "expired", "":
			cause = checks.RejectedByRecipient
			verdict = checks.Likely
		}
		if cause == checks.Delayed {
			cause, verdict = checks.RejectedByRecipient, checks.Likely
		}
	case "rejected":
		msg = "The mail was refused: " + describe(e) + "."
	default:
		msg = "The mail bounced: " + describe(e) + "."
	}
	if cause == "" {
		cause = checks.RejectedByRecipient
	}
	switch {
	case e.Reason == ReasonSuppressed && e.Provider != "":
		msg += " Classified as suppressed by " + e.Provider + "."
	case e.Reason != "":
		msg += " Classified as " + string(e.Reason) + "."
	}
	p.Report(checks.Finding{Severity: checks.Warning, Record: e.Source, Cause: cause, Verdict: verdict,
		Strength: checks.OfRecord, Message: msg, Data: data})
	attempted := e.Kind != Dropped && cause != checks.Suppressed && !e.ByProvider
	if attempted && rootOfRefusal[cause] {
		p.Report(checks.Finding{Severity: checks.Warning, Record: e.Source, Cause: checks.RejectedByRecipient, Verdict: verdict,
			Strength: checks.OfRecord, Message: "The receiving server refused the mail by policy: " + describe(e) + ".", Data: data})
	}
	if attempted {
		p.Report(checks.Finding{Severity: checks.OK, Record: e.Source, Cause: checks.NotSent, Verdict: checks.RuledOut,
			Strength: checks.OfRecord, Message: "The app sent it; the log shows the attempt: " + describe(e) + ".", Data: data})
		reportNotSuppressed(p, e, data)
		// A refused mail was never accepted, so no gateway holds it.
		p.Report(checks.Finding{Severity: checks.OK, Record: e.Source, Cause: checks.CorporateFilter, Verdict: checks.RuledOut,
			Strength: checks.OfRecord, Message: "The receiving side refused the mail, so no gateway is holding it: " + describe(e) + ".", Data: data})
		if cause == checks.MailboxFull {
			// Over quota (RFC 3463 X.2.2) means the mailbox exists.
			p.Report(checks.Finding{Severity: checks.OK, Record: e.Source, Cause: checks.MailboxUnknown, Verdict: checks.RuledOut,
				Strength: checks.OfRecord, Message: "The mailbox exists: the server refused it for being over quota: " + describe(e) + ".", Data: data})
		}
	} else {
		// The app handed the mail to the provider, which did not send it:
		// the email exists in the provider's records, so the app did its part.
		p.Report(checks.Finding{Severity: checks.OK, Record: e.Source, Cause: checks.NotSent, Verdict: checks.RuledOut,
			Strength: checks.OfRecord, Message: "The app handed the mail to the provider, which did not send it: " + describe(e) + ".", Data: data})
	}
	p.Report(checks.Finding{Severity: checks.OK, Record: e.Source, Cause: checks.Delayed, Verdict: checks.RuledOut,
		Strength: checks.OfRecord, Message: "Delivery has ended (" + string(e.Kind) + "); the mail will not arrive late.", Data: data})
}

// reportNothing speaks to not-sent when the logs hold nothing for the
// recipient: likely when they cover the time of the request.
func reportNothing(p reporter, d *Delivery, acct *account.Account, at time.Time, lost *Lost) {
	start, end := at.Add(-requestWindow), at
	when := fmt.Sprintf("the hour before %s", at.UTC().Format("2006-01-02 15:04 MST"))
	// A reset recorded after the diagnosis time is outside what was looked
	// at (later events are left out), so it cannot be the window.
	if acct != nil && !acct.ResetSentAt.IsZero() && !acct.ResetSentAt.After(at) {
		start = acct.ResetSentAt
		end = start.Add(5 * time.Minute)
		if end.After(at) {
			end = at
		}
		when = "the reset at " + start.UTC().Format("2006-01-02 15:04:05 MST") + " (the user record's reset_sent_at)"
	}
	var spans []string
	covered := false
	for _, f := range d.Files {
		if f.First.IsZero() {
			spans = append(spans, f.File+": no timestamps")
			continue
		}
		spans = append(spans, fmt.Sprintf("%s: %s to %s", f.File, f.First.UTC().Format("2006-01-02 15:04:05"), f.Last.UTC().Format("2006-01-02 15:04:05 MST")))
		if !f.First.After(start) && !f.Last.Before(end) {
			covered = true
		}
	}
	data := map[string]any{"window_start": stamp(start), "window_end": stamp(end), "spans": spans}
	if covered && lost.any() {
		// An unreadable line names the recipient: the mail may be there.
		p.Report(checks.Finding{Severity: checks.Warning, Cause: checks.NotSent, Verdict: checks.Possible, Strength: checks.Indirect,
			Message: fmt.Sprintf("The logs cover %s and hold no mail for %s that could be read (%s). %s",
				when, d.Recipient, strings.Join(spans, "; "), strings.Replace(lost.why(nil), "so this is at most likely", "so not-sent is at most possible", 1)),
			Steps: []string{"Read the quoted log lines by hand: they may show the reset email's delivery or failure."},
			Data:  data})
		return
	}
	if covered {
		p.Report(checks.Finding{Severity: checks.Warning, Cause: checks.NotSent, Verdict: checks.Likely, Strength: checks.Direct,
			Message: fmt.Sprintf("The logs cover %s and hold no mail for %s (%s): the app most likely never handed it to the mail system.",
				when, d.Recipient, strings.Join(spans, "; ")),
			Steps: []string{"Escalate to the platform team: check the app's own logs and job queue for the reset email at that time."},
			Data:  data})
		return
	}
	p.Report(checks.Finding{Severity: checks.Info, Cause: checks.NotSent, Verdict: checks.Unknown,
		Message: fmt.Sprintf("The logs hold nothing for %s, but they do not cover %s (%s): give the log for that time.",
			d.Recipient, when, strings.Join(spans, "; ")),
		Data: data})
}

// reportOther speaks to wrong-inbox when the mail went to the account's
// address instead of the one in the ticket.
func reportOther(p reporter, ticket, other string, ev []Event) {
	last := decisive(ev)
	if last == nil || outcome(last.Kind) != OutcomeDelivered {
		return
	}
	p.Report(checks.Finding{Severity: checks.Warning, Record: last.Source, Cause: checks.WrongInbox, Verdict: checks.Confirmed,
		Strength: checks.OfRecord,
		Message:  fmt.Sprintf("The mail went to %s, the address on the account, not to %s: %s.", other, ticket, describe(last)),
		Steps:    []string{"Tell the user which address the account has, and to check that inbox or update the address."},
		Data:     eventData(last)})
}

// reportSentElsewhere rules out not-sent when the logs hold nothing for
// the ticket's address but show mail to the account's own address: the
// app sent it, there.
func reportSentElsewhere(p reporter, ticket, other string, e *Event) {
	p.Report(checks.Finding{Severity: checks.OK, Record: e.Source, Cause: checks.NotSent, Verdict: checks.RuledOut,
		Strength: checks.OfRecord,
		Message: fmt.Sprintf("The app sent the mail to %s, the address on the account (the logs hold nothing for %s): %s.",
			other, ticket, describe(e)),
		Data: eventData(e)})
}

// reportForeign says which of the recipient's events were left out as
// another sender's mail.
func reportForeign(p reporter, t *checks.Ticket, ev []Event) {
	var quoted []string
	for i := range ev {
		if len(quoted) == maxQuoted {
			break
		}
		from := ev[i].From
		if from == "" {
			from = "<>"
		}
		quoted = append(quoted, describe(&ev[i])+" from "+from)
	}
	p.Report(checks.Finding{Severity: checks.Info, Record: ev[0].Source,
		Message: fmt.Sprintf("%d log %s for the recipient %s of mail from other senders than the app's (%s), so %s nothing about its email and %s left out: %s.",
			len(ev), plural(len(ev), "event", "events"), plural(len(ev), "is", "are"), t.Sender,
			plural(len(ev), "it says", "they say"), plural(len(ev), "was", "were"), strings.Join(quoted, "; ")),
		Data: map[string]any{"events": len(ev), "sender": t.Sender}})
}

// resetSlack is how long before the record's reset time a delivery may be
// logged and still be the reset's: the app's clock and the MTA's differ.
const resetSlack = 5 * time.Minute

// reportExpiredLink speaks to link-expired when the records show the last
// reset was sent longer ago than a link lives and the log shows its
// delivery with nothing newer: the user has the mail, and its link is dead.
func reportExpiredLink(p reporter, t *checks.Ticket, e *Event, acct *account.Account, at time.Time) {
	if acct == nil || !acct.Found || acct.ResetSentAt.IsZero() || acct.ResetSentAt.After(at) || e.Time.IsZero() {
		return
	}
	ttl := t.LinkTTL
	if ttl <= 0 {
		ttl = account.DefaultLinkTTL
	}
	age := at.Sub(acct.ResetSentAt)
	if age <= ttl || e.Time.Before(acct.ResetSentAt.Add(-resetSlack)) {
		return
	}
	p.Report(checks.Finding{Severity: checks.Warning, Record: e.Source, Cause: checks.LinkExpired, Verdict: checks.Likely,
		Strength: checks.Direct,
		Message: fmt.Sprintf("The last reset (the account's reset_sent_at, %s) was delivered (%s) and nothing newer is logged; "+
			"it was sent %s ago, longer than a link lives (%s), so its link has expired.",
			acct.ResetSentAt.UTC().Format(time.RFC3339), describe(e), age.Round(time.Minute), ttl),
		Steps: []string{"Send a new reset email and ask the user to use the newest one at once."},
		Data:  map[string]any{"reset_sent_at": stamp(acct.ResetSentAt), "delivered": eventData(e), "link_ttl_seconds": int64(ttl.Seconds())}})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
