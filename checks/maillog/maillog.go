// Package maillog reads the sending side's mail logs (Postfix and Exim
// text logs, SendGrid, Amazon SES, Mailgun and Postmark event JSON) and
// builds the recipient's delivery timeline: whether the mail was sent,
// delivered, deferred or bounced, with the log line that proves it.
package maillog

import (
	"reflect"
	"sort"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/checks/mx"
	"github.com/whymail/whymail/internal/mailaddr"
	"github.com/whymail/whymail/source"
)

// Check reads the mail logs and says what happened to mail for the recipient.
var Check = &checks.Check{
	Name: "maillog",
	Doc: "Reads the mail logs and provider event files and builds the recipient's delivery " +
		"timeline: sent, delivered, deferred or bounced, with the line that proves it.",
	Requires:   []*checks.Check{mx.Check, account.Check},
	ResultType: reflect.TypeFor[*Delivery](),
	Run:        run,
}

// requestWindow is how long before the diagnosis time the request is looked for when the
// user record has no reset time.
const requestWindow = time.Hour

func run(p *checks.Pass) (any, error) {
	t := p.Ticket
	causes := []checks.CauseID{checks.NotSent, checks.Delayed, checks.MailboxUnknown}
	if len(t.Sources.Logs) == 0 {
		p.Skip("no mail log given")
		for _, c := range causes {
			p.Missing(c, []checks.Input{checks.InputLog}, "No mail log was given: the MTA's log (Postfix or Exim) or the provider's event "+
				"export (SendGrid, Amazon SES, Mailgun, Postmark) for the time of the request would settle this.")
		}
		return nil, nil
	}
	md := checks.ResultOf[*mx.Domain](p, mx.Check)
	acct := checks.ResultOf[*account.Account](p, account.Check)
	at := t.At
	if at.IsZero() {
		at = time.Now()
	}
	watched := []string{t.Address}
	other := ""
	if acct != nil && acct.Found && acct.Email != "" {
		if ok, _ := mailaddr.Match(acct.Email, t.Address); !ok {
			other = acct.Email
			watched = append(watched, other)
		}
	}

	d := &Delivery{Recipient: t.Address, Outcome: OutcomeNone}
	var all []Event
	q := source.Query{Recipients: watched}
	opened := checks.OpenAll(p.Context, t.Sources.Logs, q)
	defer func() {
		for _, o := range opened {
			if o.RC != nil {
				o.RC.Close()
			}
		}
	}()
	for i, src := range t.Sources.Logs {
		name := src.Describe()
		rc, err := opened[i].RC, opened[i].Err
		if err != nil {
			return nil, p.SourceFailed(src, err, causes...)
		}
		f, err := Read(rc, name, at, watched...)
		rc.Close()
		if err != nil {
			return nil, p.SourceFailed(src, err, causes...)
		}
		d.Files = append(d.Files, f.Coverage)
		all = append(all, f.Events...)
		reportFile(p, f)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	// Events after the diagnosis time had not happened as of the diagnosis.
	var mine, theirs []Event
	for _, e := range all {
		if e.Time.After(at) {
			continue
		}
		if ok, _ := mailaddr.Match(e.Recipient, t.Address); ok {
			mine = append(mine, e)
		} else {
			theirs = append(theirs, e)
		}
	}
	d.Events = mine
	last := decisive(mine)
	newest := inFlight(mine, last)
	// late is an earlier email's outcome logged after the newest email's.
	var late *Event
	if newest == nil {
		if d := superseded(mine, last); d != nil {
			late, last = last, d
		}
	}
	switch {
	case newest != nil:
		d.Outcome = OutcomeQueued
	case last != nil:
		d.Outcome = outcome(last.Kind)
		if d.Outcome == OutcomeDelivered {
			d.Gateway = last.Relay
		}
	}
	if other != "" {
		reportOther(p, t.Address, other, theirs)
	}
	switch {
	case newest != nil:
		reportInFlight(p, d, newest, last, md, acct, other, mine)
	case last == nil:
		reportNothing(p, d, acct, at)
	case d.Outcome == OutcomeDelivered:
		reportDelivered(p, d, last, md, acct, other)
	case d.Outcome == OutcomeDeferred:
		reportDeferred(p, d, last, mine)
	default:
		reportFailed(p, last, mine)
	}
	if late != nil {
		reportLate(p, d, late, last, md, acct, other, mine)
	}
	return d, nil
}
