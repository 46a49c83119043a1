// Package maillog reads the sending side's mail logs (Postfix and Exim
// text logs, SendGrid, Amazon SES, Mailgun and Postmark event JSON) and
// builds the recipient's delivery timeline: whether the mail was sent,
// delivered, deferred or bounced, with the log line that proves it.
package maillog

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/idna"

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
	lost := &Lost{}
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
		f, err := ReadIn(rc, name, at, t.LogZoneOf(src), watched...)
		rc.Close()
		if err != nil {
			return nil, p.SourceFailed(src, err, causes...)
		}
		d.Files = append(d.Files, f.Coverage)
		all = append(all, f.Events...)
		lost.add(&f.Lost)
		reportFile(p, f)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	// Events after the diagnosis time had not happened as of the diagnosis.
	var mine, theirs, foreign []Event
	for _, e := range all {
		if e.Time.After(at) {
			continue
		}
		if !fromApp(t, &e) {
			// Someone else's mail to the same address: not the app's email.
			foreign = append(foreign, e)
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
	if len(foreign) > 0 {
		reportForeign(p, t, foreign)
	}
	// Lines naming the recipient that could not be read, as late as the
	// outcome or later, could say something newer: what the outcome
	// confirms is then at most likely.
	var r reporter = p
	if last != nil && lost.Since(last.Time) {
		r = weakened{p, lost.why(last)}
		d.Doubt = lost.why(last)
	}
	if other != "" {
		reportOther(r, t.Address, other, theirs)
	}
	switch {
	case newest != nil:
		reportInFlight(r, d, newest, last, md, acct, other, mine)
	case last == nil && other != "" && handedOver(theirs) != nil:
		reportSentElsewhere(r, t.Address, other, handedOver(theirs))
	case last == nil:
		reportNothing(r, d, acct, at, lost)
	case d.Outcome == OutcomeDelivered:
		reportDelivered(r, d, last, md, acct, other)
		if late == nil {
			reportExpiredLink(r, t, last, acct, at)
		}
	case d.Outcome == OutcomeDeferred:
		reportDeferred(r, d, last, mine)
	default:
		reportFailed(r, last, mine)
	}
	if late != nil {
		reportLate(r, d, late, last, md, acct, other, mine)
	}
	return d, nil
}

// fromApp reports whether e can be the app's email: its envelope sender
// is unknown, or the ticket's sender is, or the sender is the app's (the
// sender address itself, or an address of its domain or a subdomain, as
// bounce addresses of providers are). A refusal of mail coming in from
// the null sender is not the app's either: the app sends no bounces.
func fromApp(t *checks.Ticket, e *Event) bool {
	if strings.TrimSpace(t.Sender) == "" {
		return true
	}
	from := e.From
	if i := strings.LastIndexByte(from, '<'); i >= 0 {
		from = strings.TrimSuffix(from[i+1:], ">")
	}
	from = strings.TrimSpace(from)
	if from == "" {
		return !e.Inbound
	}
	if strings.Contains(t.Sender, "@") {
		if ok, _ := mailaddr.Match(from, t.Sender); ok {
			return true
		}
	}
	app := t.SenderDomain()
	dom := strings.ToLower(strings.TrimSuffix(mailaddr.Domain(from), "."))
	if a, err := idna.Lookup.ToASCII(dom); err == nil {
		dom = a
	}
	return app != "" && (dom == app || strings.HasSuffix(dom, "."+app) || strings.HasSuffix(app, "."+dom))
}

// any reports whether a lost line is no later than the diagnosis time or
// has no time.
func (l *Lost) any() bool { return l.Untimed > 0 || !l.Latest.IsZero() }

// add counts the lost lines of another file.
func (l *Lost) add(o *Lost) {
	l.Lines += o.Lines
	l.Untimed += o.Untimed
	for _, q := range o.Quoted {
		if len(l.Quoted) < maxQuoted {
			l.Quoted = append(l.Quoted, q)
		}
	}
	if o.Latest.After(l.Latest) {
		l.Latest, l.LatestSource = o.Latest, o.LatestSource
	}
}

// why says what the lost lines leave open about the outcome e (nil:
// about the logs holding nothing).
func (l *Lost) why(e *Event) string {
	what := "could say the mail was sent"
	if e != nil {
		what = "could say something newer than " + e.Source
	}
	lines := "line names"
	if l.Lines != 1 {
		lines = "lines name"
	}
	return fmt.Sprintf("But %d %s the recipient and could not be read (%s): %s, so this is at most likely.",
		l.Lines, lines, strings.Join(l.Quoted, "; "), what)
}

// weakened passes on findings when unreadable lines could contradict
// them: a confirmed verdict is at most likely, saying why.
type weakened struct {
	p   reporter
	why string
}

func (w weakened) Report(f checks.Finding) {
	switch {
	case f.Verdict == checks.Confirmed:
		f.Verdict = checks.Likely
		f.Strength = min(f.Strength, checks.Direct)
		f.Message += " " + w.why
	case f.Verdict == checks.RuledOut && f.Cause != checks.NotSent && f.Cause != checks.Suppressed:
		// What the outcome rules out, a newer line could bring back; that
		// the app sent it (and so did not suppress it) stays.
		f.Strength = min(f.Strength, checks.Indirect)
	}
	w.p.Report(f)
}

// handedOver returns the last event showing the app handed mail over
// (queued, an attempt, an outcome), or nil.
func handedOver(ev []Event) *Event {
	if e := decisive(ev); e != nil {
		return e
	}
	for i := len(ev) - 1; i >= 0; i-- {
		if ev[i].Kind == Queued {
			return &ev[i]
		}
	}
	return nil
}
