// Package delivery weighs what happened to a delivered email against the
// sender's standing: mail that was accepted but comes from a domain that
// fails authentication, or from a listed IP, is most likely in the spam
// folder. It reads only other checks' results.
package delivery

import (
	blitiri "blitiri.com.ar/go/spf"

	"fmt"
	"strings"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/bounce"
	"github.com/whymail/whymail/checks/dmarc"
	"github.com/whymail/whymail/checks/dnsbl"
	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/checks/spf"
)

// Check raises spam-folder from "delivered" plus weak sender standing.
var Check = &checks.Check{
	Name: "delivery",
	Doc: "Weighs a delivery the logs show against the sender's SPF, DMARC and blocklist results: " +
		"accepted mail from a sender that fails them most likely went to the spam folder.",
	Requires: []*checks.Check{maillog.Check, spf.Lint, dmarc.Check, dnsbl.Check, bounce.Check},
	Run:      run,
}

func run(p *checks.Pass) (any, error) {
	d := checks.ResultOf[*maillog.Delivery](p, maillog.Check)
	if d == nil {
		p.Skip("no mail log given: nothing says whether the email was delivered")
		return nil, nil
	}
	if d.Doubt != "" && (d.Outcome == maillog.OutcomeBounced || d.Outcome == maillog.OutcomeDeferred) {
		// A line the log reader lost could be a later delivery.
		p.Report(checks.Finding{Severity: checks.Info,
			Message: fmt.Sprintf("the logs say the email was not delivered (%s), so it would be in no folder. %s", d.Outcome,
				strings.Replace(d.Doubt, "so this is at most likely", "so spam-folder is not ruled out", 1))})
		return nil, nil
	}
	switch d.Outcome {
	case maillog.OutcomeBounced:
		p.Report(checks.Finding{Severity: checks.Info, Cause: checks.SpamFolder, Verdict: checks.RuledOut,
			Strength: checks.OfRecord, Message: "the email was not delivered (bounced, refused or dropped), so it never reached a spam folder"})
		return nil, nil
	case maillog.OutcomeDeferred:
		p.Report(checks.Finding{Severity: checks.Info, Cause: checks.SpamFolder, Verdict: checks.RuledOut,
			Strength: checks.OfRecord, Message: "the email is still queued (deferred), so it is in no folder yet"})
		return nil, nil
	case maillog.OutcomeDelivered:
	default:
		p.Skip("the logs show no delivery to weigh")
		return nil, nil
	}
	if ndr := laterFailure(d, checks.ResultOf[*bounce.Result](p, bounce.Check)); ndr != nil {
		// Accepted, then returned: Exchange Online answers 250 and sends
		// a 5.1.10 report later. The 250 says nothing about a folder.
		p.Report(checks.Finding{Severity: checks.Info, Record: ndr.File, Cause: checks.SpamFolder, Verdict: checks.RuledOut,
			Strength: checks.OfRecord,
			Message: fmt.Sprintf("the receiving server accepted the email (%s) but later returned it: %s reports a permanent failure (%s %s); it reached no folder",
				last(d).Source, ndr.File, ndr.Status, ndr.Diagnostic)})
		p.Report(checks.Finding{Severity: checks.Info, Record: ndr.File, Cause: checks.Delayed, Verdict: checks.RuledOut,
			Strength: checks.OfRecord,
			Message:  fmt.Sprintf("the email was accepted and then returned (%s, %s): it will not arrive late", ndr.File, ndr.Status)})
		return nil, nil
	}
	for _, e := range d.Events {
		if e.Kind == "opened" || e.Kind == "clicked" {
			p.Report(checks.Finding{Severity: checks.OK, Cause: checks.SpamFolder, Verdict: checks.Possible,
				Strength: checks.OfRecord,
				Message: fmt.Sprintf("the email was %s (%s, %s): the recipient has seen it, perhaps in the spam folder",
					e.Kind, e.Source, e.Time.UTC().Format("2006-01-02 15:04 MST"))})
			return nil, nil
		}
	}
	weak, looked := weaknesses(p)
	switch {
	case len(weak) == 0 && !looked:
		p.Report(checks.Finding{Severity: checks.OK, Cause: checks.SpamFolder, Verdict: checks.Possible,
			Strength: checks.Indirect,
			Message: "the email was delivered; the sender was not checked, " +
				"so nothing says whether its SPF, DMARC or blocklistings sent it to spam",
			Needs: []checks.Input{checks.InputSender, checks.InputSendingIP}})
		return nil, nil
	case len(weak) == 0:
		p.Report(checks.Finding{Severity: checks.OK, Cause: checks.SpamFolder, Verdict: checks.Possible,
			Strength: checks.Indirect,
			Message: "the email was delivered and nothing checked about the sender (SPF, DMARC, blocklists) counts against it; " +
				"filters may still have judged the content"})
		return nil, nil
	}
	p.Report(checks.Finding{Severity: checks.Warning, Cause: checks.SpamFolder, Verdict: checks.Likely,
		Strength: checks.Direct,
		Message:  fmt.Sprintf("the email was delivered, but %s; receivers file such mail as spam", strings.Join(weak, "; ")),
		Data:     map[string]any{"weaknesses": weak},
	})
	return nil, nil
}

// weaknesses lists what in the sender's results makes receivers distrust
// it, and whether any of those checks had a result to look at.
func weaknesses(p *checks.Pass) (out []string, looked bool) {
	s := checks.ResultOf[*spf.Result](p, spf.Lint)
	dm := checks.ResultOf[*dmarc.Result](p, dmarc.Check)
	bl := checks.ResultOf[*dnsbl.Result](p, dnsbl.Check)
	looked = s != nil || dm != nil || bl != nil
	if s != nil {
		for _, ev := range s.Evaluations {
			switch ev.Result {
			case blitiri.Fail, blitiri.SoftFail, blitiri.PermError, blitiri.None:
				out = append(out, fmt.Sprintf("SPF gives %s for %s", ev.Result, ev.IP))
			}
		}
	}
	if dm != nil {
		switch {
		case !dm.Found:
			out = append(out, "the sender domain publishes no DMARC record")
		case dm.Pass == checks.No:
			out = append(out, "DMARC fails for the sender (no aligned SPF or DKIM pass)")
		}
	}
	if bl != nil {
		for _, l := range bl.Listings {
			out = append(out, fmt.Sprintf("%s is listed on %s (%s)", l.Subject, l.Zone, l.Code))
		}
	}
	return out, looked
}

// last returns the delivery the outcome rests on: the last delivered event.
func last(d *maillog.Delivery) *maillog.Event {
	for i := len(d.Events) - 1; i >= 0; i-- {
		if d.Events[i].Kind == maillog.Delivered {
			return &d.Events[i]
		}
	}
	return &maillog.Event{}
}

// laterFailure returns a permanent failure reported in a bounce for the
// delivered email: one naming its Message-ID, or, when either does not
// say it, one dated after the delivery. Nil when there is none.
func laterFailure(d *maillog.Delivery, b *bounce.Result) *bounce.Record {
	if b == nil {
		return nil
	}
	e := last(d)
	for i := range b.Recipients {
		r := &b.Recipients[i]
		if !r.Permanent || r.Cause == "" {
			continue
		}
		switch {
		case r.MessageID != "" && e.MessageID != "":
			if strings.EqualFold(strings.Trim(r.MessageID, "<>"), strings.Trim(e.MessageID, "<>")) {
				return r
			}
		case !r.At.IsZero() && !e.Time.IsZero() && r.At.After(e.Time):
			return r
		}
	}
	return nil
}
