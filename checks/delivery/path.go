package delivery

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	blitiri "blitiri.com.ar/go/spf"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/dmarc"
	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/checks/spf"
)

// The path: which way the mail left, from the evidence. The delivery check
// judges the sender's authentication on it, not on the configured sending
// IPs alone: a configured IP that passes SPF says nothing for mail that left
// through an ESP or from another address.

// Route is the way the evidence says the mail left.
type Route struct {
	// ESP is the sending service the mail went through ("SendGrid"), "" when
	// the evidence names none.
	ESP string
	// IP is the address the mail left from, when the evidence says.
	IP netip.Addr
	// Source is the evidence (file:line) that shows it.
	Source string
}

// An esp is a sending service recognised from its SMTP relay host names or
// its event files, with the SPF include it publishes for its senders.
type esp struct {
	name    string
	hosts   []string // relay host names: "smtp.sendgrid.net" matches it and names under it
	format  string   // the maillog format of its event files, "" for none
	include string   // the domain its senders include in their SPF record
}

// esps are the services whose relays and event files the logs show.
var esps = []esp{
	{name: "SendGrid", hosts: []string{"smtp.sendgrid.net"}, format: "sendgrid", include: "sendgrid.net"},
	{name: "Amazon SES", hosts: []string{"amazonses.com"}, format: "ses", include: "amazonses.com"},
	{name: "Mailgun", hosts: []string{"smtp.mailgun.org", "smtp.eu.mailgun.org"}, format: "mailgun", include: "mailgun.org"},
	{name: "Postmark", hosts: []string{"smtp.postmarkapp.com", "smtp-broadcasts.postmarkapp.com"}, format: "postmark", include: "spf.mtasv.net"},
	{name: "SparkPost", hosts: []string{"smtp.sparkpostmail.com", "smtp.eu.sparkpostmail.com"}, include: "sparkpostmail.com"},
	{name: "Mailjet", hosts: []string{"in-v3.mailjet.com"}, include: "spf.mailjet.com"},
	{name: "Brevo", hosts: []string{"smtp-relay.brevo.com", "smtp-relay.sendinblue.com"}, include: "spf.brevo.com"},
	{name: "Mandrill", hosts: []string{"smtp.mandrillapp.com"}, include: "spf.mandrillapp.com"},
	{name: "the Google Workspace SMTP relay", hosts: []string{"smtp-relay.gmail.com"}, include: "_spf.google.com"},
	{name: "Microsoft 365", hosts: []string{"smtp.office365.com"}, include: "spf.protection.outlook.com"},
}

// espOfHost recognises a relay host; Amazon SES's SMTP endpoints are
// email-smtp.REGION.amazonaws.com.
func espOfHost(h string) *esp {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if strings.HasPrefix(h, "email-smtp.") && strings.HasSuffix(h, ".amazonaws.com") {
		return &esps[1]
	}
	for i := range esps {
		for _, s := range esps[i].hosts {
			if h == s || strings.HasSuffix(h, "."+s) {
				return &esps[i]
			}
		}
	}
	return nil
}

func espOfFormat(format string) *esp {
	for i := range esps {
		if esps[i].format != "" && slices.Contains(strings.Split(format, "+"), esps[i].format) {
			return &esps[i]
		}
	}
	return nil
}

// relayHost is the host name of a logged relay: "smtp.sendgrid.net" of
// Postfix's "smtp.sendgrid.net[167.89.115.1]:587" or Exim's
// "smtp.sendgrid.net [167.89.115.1]".
func relayHost(r string) string {
	if i := strings.IndexAny(r, "[ "); i >= 0 {
		r = r[:i]
	}
	return strings.TrimSpace(r)
}

// attempt reports whether an event is a delivery attempt (or a hand-over)
// that tells which way the mail left.
func attempt(k maillog.Kind) bool {
	switch k {
	case maillog.Queued, maillog.Delivered, maillog.Deferred, maillog.Bounced, maillog.Expired:
		return true
	}
	return false
}

// route finds the way the newest attempt in d left: an ESP by relay or by
// event file, and the sending IP when logged.
func route(d *maillog.Delivery) (*Route, *esp) {
	formats := map[string]string{}
	for _, f := range d.Files {
		formats[f.File] = f.Format
	}
	var r *Route
	var via *esp
	for _, e := range d.Events {
		if !attempt(e.Kind) {
			continue
		}
		file := e.Source
		if i := strings.LastIndexByte(file, ':'); i > 0 {
			file = file[:i]
		}
		x := espOfHost(relayHost(e.Relay))
		if x == nil {
			x = espOfFormat(formats[file])
		}
		if x == nil && !e.SendingIP.IsValid() {
			continue
		}
		// The newest attempt that says wins; an older one's IP stays
		// when the newer says none.
		nr := &Route{Source: e.Source, IP: e.SendingIP}
		if !nr.IP.IsValid() && r != nil && x != nil && via == x {
			nr.IP = r.IP
		}
		if x != nil {
			nr.ESP = x.name
		}
		r, via = nr, x
	}
	return r, via
}

// judgePath speaks to sender-auth for the path the logs d show, when it is
// not the configured one: an ESP, or another sending IP.
func judgePath(p *checks.Pass, d *maillog.Delivery) *Route {
	r, via := route(d)
	if r == nil {
		return nil // the logs do not say which way the mail left
	}
	t := p.Ticket
	domain := t.SenderDomain()
	if domain == "" {
		// Nothing was judged on the configured path; nothing to correct.
		return r
	}
	configured := make([]string, len(t.SendingIPs))
	for i, ip := range t.SendingIPs {
		configured[i] = ip.String()
	}
	sp := checks.ResultOf[*spf.Result](p, spf.Lint)
	dm := checks.ResultOf[*dmarc.Result](p, dmarc.Check)
	data := map[string]any{"source": r.Source}
	if r.ESP != "" {
		data["esp"] = r.ESP
	}

	if r.IP.IsValid() {
		data["ip"] = r.IP.String()
		if slices.Contains(t.SendingIPs, r.IP) {
			return r // the evidence agrees with the configured path
		}
		// Judge SPF for the address the mail left from.
		sender := t.Sender
		if !strings.Contains(sender, "@") {
			sender = domain
		}
		ev := spf.CheckHost(p.Context, p.DNS, r.IP, t.HELO, sender)
		data["spf"] = ev.Result
		via := "the evidence"
		if r.ESP != "" {
			via = r.ESP + "'s events"
		}
		lead := fmt.Sprintf("%s (%s) show the email left from %s", via, r.Source, r.IP)
		if len(configured) > 0 {
			lead += fmt.Sprintf(", not from the configured sending IP(s) %s", strings.Join(configured, ", "))
		}
		f := checks.Finding{Severity: checks.Info, Record: "path", Cause: checks.SenderAuth, Strength: checks.Direct, Data: data}
		switch ev.Result {
		case blitiri.Pass:
			f.Verdict = checks.RuledOut
			f.Message = fmt.Sprintf("%s; SPF passes for it (MAIL FROM %s): %s", lead, ev.Sender, ev.Reason)
		case blitiri.Fail, blitiri.PermError:
			f.Verdict = checks.Likely
			f.Message = fmt.Sprintf("%s; SPF %s for it (MAIL FROM %s): %s; receivers may refuse or junk the mail", lead, ev.Result, ev.Sender, ev.Reason)
			f.Steps = []string{fmt.Sprintf("add %s (or the include of the service that sends from it) to the SPF record of %s", r.IP, ev.Domain)}
		case blitiri.TempError:
			f.Verdict = checks.Possible
			f.Message = fmt.Sprintf("%s; SPF for it could not be evaluated (temperror: %s), so the SPF verdict on the configured IPs does not apply", lead, ev.Reason)
		default:
			f.Verdict = checks.Possible
			f.Message = fmt.Sprintf("%s; SPF %s for it (MAIL FROM %s): %s, so SPF does not authenticate the mail that was sent", lead, ev.Result, ev.Sender, ev.Reason)
		}
		p.Report(f)
		return r
	}

	// An ESP without the address it sent from. Only a configured path
	// that the evidence contradicts needs saying.
	if len(configured) == 0 {
		return r
	}
	if dm != nil && dm.AlignedBy == "dkim" {
		// A verified, aligned DKIM signature holds whichever way the mail left.
		return r
	}
	spfSays := fmt.Sprintf("the SPF record of %s does not include %s", domain, via.include)
	if sp != nil && sp.Record != "" && strings.Contains(strings.ToLower(sp.Record), "include:"+via.include) {
		spfSays = fmt.Sprintf("the SPF record of %s includes %s", domain, via.include)
	} else if sp != nil && sp.Record == "" {
		spfSays = fmt.Sprintf("%s has no SPF record", domain)
	}
	data["include"] = via.include
	var needs []checks.Input
	if t.Sources.Message == nil {
		needs = []checks.Input{checks.InputMessage}
	}
	p.Report(checks.Finding{Severity: checks.Info, Record: "path", Cause: checks.SenderAuth, Verdict: checks.Possible, Strength: checks.Direct,
		Message: fmt.Sprintf("the log (%s) shows the email left through %s, not from the configured sending IP(s) %s: "+
			"SPF and DMARC judged for those do not apply to it. %s's servers sent it; %s, and DMARC then rests on %s's DKIM signature aligning with %s, "+
			"which a copy of the sent message would show", r.Source, r.ESP, strings.Join(configured, ", "), r.ESP, spfSays, r.ESP, domain),
		Steps: []string{
			fmt.Sprintf("check %s's domain authentication for %s (its DKIM keys and custom return path) in %s's settings", r.ESP, domain, r.ESP),
			"get a copy of a sent message: its Authentication-Results show the receiver's SPF, DKIM and DMARC verdicts",
		},
		Needs: needs,
		Data:  data})
	return r
}
