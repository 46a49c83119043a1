// Package suppression looks the recipient up in the suppression lists the
// agent exported from the sending provider (SendGrid, Amazon SES, Postmark,
// Mailgun, or a generic CSV): a provider silently drops mail to an address
// on its list, so a hit is a confirmed cause, with the way to remove it.
package suppression

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/internal/mailaddr"
	"github.com/whymail/whymail/source"
)

// Check reports whether the recipient is on one of the suppression lists,
// and the account's own address when the user record has another: the app
// sends there.
var Check = &checks.Check{
	Name: "suppression",
	Doc: "Looks the recipient (and the account's address, when it is another) up in the given suppression " +
		"lists (generic CSV, SendGrid, Amazon SES, Postmark, Mailgun exports); a hit means the provider drops " +
		"mail to it without trying.",
	Requires: []*checks.Check{account.Check},
	Run:      run,
}

// A Hit is one list entry that matched the recipient.
type Hit struct {
	File   string
	Format Format
	Entry  Entry
	// CaseFolded is set when only a case-insensitive comparison of the
	// local part matched (RFC 5321 §2.4: the local part may be case-sensitive).
	CaseFolded bool
	// Account is set when the entry is the account's own address, not
	// the ticket's.
	Account bool
}

type fileSummary struct {
	name    string
	format  Format
	entries int
}

func run(p *checks.Pass) (any, error) {
	t := p.Ticket
	if len(t.Sources.Suppressions) == 0 {
		p.Skip("no suppression list given")
		p.Missing(checks.Suppressed, []checks.Input{checks.InputSuppressions}, "No suppression list was given: the sending provider's bounce, block, "+
			"spam-report and unsubscribe lists would settle this.")
		return nil, nil
	}
	// The app sends to the address on the account: when the user record
	// has another than the ticket's, that one is looked up too.
	other := ""
	if acct := checks.ResultOf[*account.Account](p, account.Check); acct != nil && acct.Found && acct.Email != "" {
		if ok, _ := mailaddr.Match(acct.Email, t.Address); !ok {
			other = acct.Email
		}
	}
	watched := []string{t.Address}
	if other != "" {
		watched = append(watched, other)
	}
	var hits []Hit
	var files []fileSummary
	q := source.Query{Recipients: watched}
	opened := checks.OpenAll(p.Context, t.Sources.Suppressions, q)
	defer func() {
		for _, o := range opened {
			if o.RC != nil {
				o.RC.Close()
			}
		}
	}()
	for i, src := range t.Sources.Suppressions {
		name := src.Describe()
		rc, err := opened[i].RC, opened[i].Err
		if err != nil {
			return nil, p.SourceFailed(src, err, checks.Suppressed)
		}
		n := 0
		var events *checks.InputError
		f, err := Read(rc, name, func(e Entry) error {
			if e.Event != "" {
				events = &checks.InputError{File: name, Line: e.Line, Err: errEvents(e.Provider + " events")}
				return events
			}
			n++
			if ok, folded := mailaddr.Match(e.Address, t.Address); ok {
				hits = append(hits, Hit{File: name, Entry: e, CaseFolded: folded})
			} else if other != "" {
				if ok, folded := mailaddr.Match(e.Address, other); ok {
					hits = append(hits, Hit{File: name, Entry: e, CaseFolded: folded, Account: true})
				}
			}
			return nil
		})
		rc.Close()
		if events != nil {
			return nil, events
		}
		if err != nil {
			var le *LineError
			if errors.As(err, &le) {
				if f.Provider == "" {
					return nil, &checks.InputError{File: name, Line: le.Line, Err: le.Err}
				}
				return nil, &checks.InputError{File: name, Line: le.Line, Err: fmt.Errorf("%s: %w", f, le.Err)}
			}
			return nil, &checks.InputError{File: name, Err: err}
		}
		for i := range hits {
			if hits[i].File == name {
				hits[i].Format = f
			}
		}
		files = append(files, fileSummary{name, f, n})
	}
	for _, h := range hits {
		report(p, h, other)
	}
	if len(hits) == 0 {
		var parts []string
		for _, f := range files {
			parts = append(parts, fmt.Sprintf("%s: %s, %d entries", f.name, f.format, f.entries))
		}
		who := t.Address + " is"
		if other != "" {
			who = fmt.Sprintf("%s and %s, the address on the account, are", t.Address, other)
		}
		p.Report(checks.Finding{Severity: checks.OK, Cause: checks.Suppressed, Verdict: checks.RuledOut,
			Strength: checks.OfRecord,
			Message:  fmt.Sprintf("%s on none of the suppression lists given (%s).", who, strings.Join(parts, "; ")),
			Data:     map[string]any{"files": len(files)}})
	}
	return nil, nil
}

// report reports a hit; other is the account's address when it is not
// the ticket's.
func report(p *checks.Pass, h Hit, other string) {
	e := h.Entry
	var b strings.Builder
	if h.Account {
		fmt.Fprintf(&b, "%s, the address on the account (where the app sends the mail, not to %s), is on the %s %s list (%s:%d)",
			other, p.Ticket.Address, e.Provider, e.List, h.File, e.Line)
	} else {
		fmt.Fprintf(&b, "%s is on the %s %s list (%s:%d)", p.Ticket.Address, e.Provider, e.List, h.File, e.Line)
	}
	if h.CaseFolded {
		fmt.Fprintf(&b, " as %s: only the local part's case differs, and the provider compares addresses without case", e.Address)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, "; reason: %q", e.Reason)
	}
	if e.Status != "" {
		fmt.Fprintf(&b, " (%s)", e.Status)
	}
	switch {
	case !e.Created.IsZero():
		fmt.Fprintf(&b, "; listed since %s", e.Created.UTC().Format(time.RFC3339))
	case e.CreatedText != "":
		fmt.Fprintf(&b, "; listed since %s", e.CreatedText)
	}
	b.WriteString(". The provider drops mail to a suppressed address without trying to deliver it.")
	verdict, strength := checks.Confirmed, checks.OfRecord
	if at := p.Ticket.At; !at.IsZero() && e.Created.After(at) {
		// Listed after the time of the request: the listing did not stop
		// that mail (it is more likely what its bounce or complaint left
		// behind), though it will stop the next one.
		verdict, strength = checks.Possible, checks.Indirect
		fmt.Fprintf(&b, " It was listed after the time looked at (%s), so it did not stop the mail sent before; it will stop the next one.",
			at.UTC().Format(time.RFC3339))
	}
	data := map[string]any{
		"file": h.File, "line": e.Line, "provider": e.Provider, "list": e.List,
		"address": e.Address, "case_folded": h.CaseFolded, "format": h.Format.String(),
	}
	if h.Account {
		data["account_address"] = true
	}
	if e.Reason != "" {
		data["reason"] = e.Reason
	}
	if e.Status != "" {
		data["status"] = e.Status
	}
	if !e.Created.IsZero() {
		data["created"] = e.Created.UTC().Format(time.RFC3339)
	} else if e.CreatedText != "" {
		data["created"] = e.CreatedText
	}
	p.Report(checks.Finding{
		Severity: checks.Warning,
		Record:   fmt.Sprintf("%s:%d", h.File, e.Line),
		Cause:    checks.Suppressed, Verdict: verdict, Strength: strength,
		Message: b.String(),
		Steps:   Steps(e),
		Data:    data,
	})
}

// Steps says how to take an address off a provider's list.
func Steps(e Entry) []string {
	addr := e.Address
	first := "Make sure the address is right and the user wants the mail (a bounce or complaint put it there), then remove it from the list."
	switch e.Provider {
	case SendGrid:
		api := map[string]string{
			"bounces":        "/v3/suppression/bounces/" + addr,
			"blocks":         "/v3/suppression/blocks/" + addr,
			"spam_reports":   "/v3/suppression/spam_reports/" + addr,
			"invalid_emails": "/v3/suppression/invalid_emails/" + addr,
			"unsubscribes":   "/v3/asm/suppressions/global/" + addr,
		}[e.List]
		ui := map[string]string{
			"bounces": "Bounces", "blocks": "Blocks", "spam_reports": "Spam Reports",
			"invalid_emails": "Invalid Emails", "unsubscribes": "Global Unsubscribes",
		}[e.List]
		if api == "" {
			api, ui = "/v3/suppression/bounces/"+addr, "Bounces"
		}
		return []string{first,
			fmt.Sprintf("SendGrid: Suppressions > %s, find %s and delete it, or call DELETE https://api.sendgrid.com%s.", ui, addr, api)}
	case SES:
		return []string{first,
			"Amazon SES: aws sesv2 delete-suppressed-destination --email-address " + addr +
				" (or the SES console: Suppression list > select the address > Remove)."}
	case Postmark:
		s := "Postmark: open the message stream's Suppressions tab, search for " + addr + " and reactivate it"
		if e.Reason == "SpamComplaint" {
			s += " (a spam complaint can only be reactivated by Postmark support)"
		}
		return []string{first, s + "."}
	case Mailgun:
		kind := e.List
		if kind == "" {
			kind = "bounces"
		}
		return []string{first,
			fmt.Sprintf("Mailgun: Suppressions > %s > delete %s, or call DELETE https://api.mailgun.net/v3/{domain}/%s/%s.", kind, addr, kind, addr)}
	}
	return []string{first, "Remove " + addr + " from the suppression list this export came from, in the system that sends the mail."}
}
