// Package account checks the app's user records (and the ticket's account id) for the
// account causes: no account for the address, an account whose email is
// another address, an inactive or locked account, and an expired reset link.
package account

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/mailaddr"
	"github.com/whymail/whymail/source"
)

// Check is the account check. Its result is a *Account.
var Check = &checks.Check{
	Name: "account",
	Doc: "Finds the ticket's user record in the user records (by the account id, or else by the address) and says " +
		"whether there is no account, the account's email is another address, the account is inactive " +
		"or locked, or the last reset link has expired.",
	ResultType: reflect.TypeFor[*Account](),
	Run:        run,
}

// DefaultLinkTTL is how long a reset link lives when the ticket says nothing else.
const DefaultLinkTTL = 24 * time.Hour

var causes = []checks.CauseID{checks.NoAccount, checks.WrongInbox, checks.AccountInactive, checks.AccountLocked, checks.LinkExpired}

// match is how a record's email matches the ticket's address.
type match int

const (
	noMatch match = iota
	foldMatch
	exactMatch
)

func run(p *checks.Pass) (any, error) {
	t := p.Ticket
	src := t.Sources.Users
	if src == nil {
		p.Skip("no user records given: the account was not looked at")
		for _, c := range causes {
			p.Missing(c, []checks.Input{checks.InputUsers}, "the app's user records (id, email, status, locked_until, reset_sent_at) would settle this")
		}
		return nil, nil
	}
	file := src.Describe()
	if t.Address == "" && t.UserID == "" {
		p.Skip("no address and no account id to look up in %s", file)
		for _, c := range causes {
			p.Missing(c, []checks.Input{checks.InputAddress, checks.InputUser}, "the recipient's address or the account id would find the account in %s", file)
		}
		return nil, nil
	}

	var (
		byID             []source.User
		exact, folded    []source.User
		wantLocal, wantD = splitAddress(t.Address)
	)
	n, err := src.Users(p.Context, source.UserQuery{ID: t.UserID, Address: t.Address}, func(u source.User) error {
		if t.UserID != "" && u.ID == t.UserID {
			byID = append(byID, u)
		}
		if t.Address != "" {
			switch matchAddress(u.Email, wantLocal, wantD) {
			case exactMatch:
				exact = append(exact, u)
			case foldMatch:
				folded = append(folded, u)
			}
		}
		return nil
	})
	if err != nil {
		return nil, p.SourceFailed(src, err, causes...)
	}

	at := t.At
	if at.IsZero() {
		at = time.Now()
	}
	c := &checker{p: p, file: file, at: at, ttl: t.LinkTTL}
	if c.ttl <= 0 {
		c.ttl = DefaultLinkTTL
	}

	var u source.User
	if t.UserID != "" {
		// The record is found by its id: no-account does not apply.
		if len(byID) == 0 {
			// An unknown id is not an input error: the account may have been
			// deleted, or the export is older than the account. Say so and
			// leave the account causes unknown.
			msg := fmt.Sprintf("no record in %s%s has id %q", file, counted(n, " (%d records)"), t.UserID)
			if m := first(exact, folded); m != nil {
				msg += fmt.Sprintf("; the address %s belongs to id %q (%s)", t.Address, m.ID, m.Where)
			}
			p.Report(checks.Finding{Severity: checks.Warning, Record: file, Message: msg,
				Data: map[string]any{"user_id": t.UserID, "records": n}})
			for _, cause := range causes {
				p.Unknown(cause, "%s: check the account id, or whether the export is current (the account may have been deleted)", msg)
			}
			return &Account{}, nil
		}
		u = byID[0]
		c.duplicates(byID, fmt.Sprintf("id %q", t.UserID))
		c.wrongInbox(u, wantLocal, wantD)
	} else {
		if n == 0 {
			p.Report(checks.Finding{Severity: checks.Warning, Record: file, Message: fmt.Sprintf("%s holds no user records", file)})
			for _, cause := range causes {
				p.Unknown(cause, "%s holds no user records: export the users again", file)
			}
			return &Account{}, nil
		}
		m := first(exact, folded)
		if m == nil {
			p.Report(checks.Finding{Severity: checks.Info, Record: file, Cause: checks.NoAccount,
				Verdict: checks.Confirmed, Strength: checks.OfRecord,
				Message: fmt.Sprintf("no user record has the email %s (%s%s, domain compared ignoring case): the app had no account to send to",
					t.Address, counted(n, "%d records in "), file),
				Data: map[string]any{"address": t.Address, "records": n}})
			// Without an account there is nothing to be inactive or locked.
			for _, cause := range []checks.CauseID{checks.AccountInactive, checks.AccountLocked} {
				p.Report(checks.Finding{Severity: checks.OK, Record: file, Cause: cause, Verdict: checks.RuledOut,
					Strength: checks.OfRecord, Message: fmt.Sprintf("no account has the email %s, so none can be inactive or locked", t.Address)})
			}
			return &Account{}, nil
		}
		u = *m
		how := ""
		if len(exact) == 0 {
			how = ", matched only when ignoring case in the local part"
			c.duplicates(folded, "the address (ignoring case)")
		} else {
			c.duplicates(exact, "the address")
		}
		p.Report(checks.Finding{Severity: checks.OK, Record: c.where(u), Cause: checks.NoAccount,
			Verdict: checks.RuledOut, Strength: checks.OfRecord,
			Message: fmt.Sprintf("account id %q has the email %s%s", u.ID, u.Email, how),
			Data:    map[string]any{"id": u.ID, "email": u.Email, "line": u.Line}})
		p.Missing(checks.WrongInbox, []checks.Input{checks.InputUser}, "the account id named in the ticket would compare its email with %s", t.Address)
	}
	c.status(u)
	c.reset(u)
	return &Account{Found: true, ID: u.ID, Email: u.Email, Status: u.Status,
		LockedUntil: u.LockedUntil, ResetSentAt: u.ResetSentAt}, nil
}

type checker struct {
	p    *checks.Pass
	file string
	at   time.Time
	ttl  time.Duration
}

func (c *checker) where(u source.User) string { return u.Where }

func (c *checker) duplicates(us []source.User, by string) {
	if len(us) < 2 {
		return
	}
	lines := make([]string, len(us))
	for i, u := range us {
		lines[i] = u.Where
		if u.Line > 0 {
			lines[i] = fmt.Sprint(u.Line)
		}
	}
	c.p.Report(checks.Finding{Severity: checks.Warning, Record: c.file,
		Message: fmt.Sprintf("%d records match %s (lines %s); using the first", len(us), by, strings.Join(lines, ", "))})
}

// wrongInbox compares the email of the ticket's account with the address.
func (c *checker) wrongInbox(u source.User, local, domain string) {
	addr := c.p.Ticket.Address
	if addr == "" {
		return
	}
	data := map[string]any{"id": u.ID, "account_email": u.Email, "address": addr}
	switch matchAddress(u.Email, local, domain) {
	case exactMatch:
		c.p.Report(checks.Finding{Severity: checks.OK, Record: c.where(u), Cause: checks.WrongInbox,
			Verdict: checks.RuledOut, Strength: checks.OfRecord,
			Message: fmt.Sprintf("account id %q has the email %s, the address in the ticket", u.ID, u.Email), Data: data})
	case foldMatch:
		c.p.Report(checks.Finding{Severity: checks.OK, Record: c.where(u), Cause: checks.WrongInbox,
			Verdict: checks.RuledOut, Strength: checks.OfRecord,
			Message: fmt.Sprintf("account id %q has the email %s, which matches %s only when ignoring case in the local part (almost every mailbox ignores it)",
				u.ID, u.Email, addr), Data: data})
	default:
		email := u.Email
		if email == "" {
			email = "(none)"
		}
		c.p.Report(checks.Finding{Severity: checks.Info, Record: c.where(u), Cause: checks.WrongInbox,
			Verdict: checks.Confirmed, Strength: checks.OfRecord,
			Message: fmt.Sprintf("account id %q has the email %s, not %s: the email went to %s", u.ID, email, addr, email),
			Steps:   []string{fmt.Sprintf("ask the user to look in the inbox of %s, or update the account's email", email)},
			Data:    data})
	}
}

// status speaks to account-inactive and account-locked.
func (c *checker) status(u source.User) {
	rec := c.where(u)
	data := map[string]any{"id": u.ID, "status": u.Status}
	switch u.Status {
	case "inactive", "disabled", "pending":
		why := map[string]string{
			"inactive": "is inactive",
			"disabled": "is disabled",
			"pending":  "is pending (never activated)",
		}[u.Status]
		c.p.Report(checks.Finding{Severity: checks.Info, Record: rec, Cause: checks.AccountInactive,
			Verdict: checks.Confirmed, Strength: checks.OfRecord,
			Message: fmt.Sprintf("account id %q %s: the app sends no email to it", u.ID, why), Data: data})
	default:
		c.p.Report(checks.Finding{Severity: checks.OK, Record: rec, Cause: checks.AccountInactive,
			Verdict: checks.RuledOut, Strength: checks.OfRecord,
			Message: fmt.Sprintf("account id %q is %s", u.ID, u.Status), Data: data})
	}

	if !u.LockedUntil.IsZero() {
		data = map[string]any{"id": u.ID, "status": u.Status, "locked_until": u.LockedUntil.Format(time.RFC3339)}
	}
	until := u.LockedUntil.Format(time.RFC3339)
	switch {
	case u.LockedUntil.After(c.at):
		c.p.Report(checks.Finding{Severity: checks.Info, Record: rec, Cause: checks.AccountLocked,
			Verdict: checks.Confirmed, Strength: checks.OfRecord,
			Message: fmt.Sprintf("account id %q is locked until %s (%s from now)", u.ID, until, roundDur(u.LockedUntil.Sub(c.at))),
			Data:    data})
	case u.Status == "locked" && u.LockedUntil.IsZero():
		c.p.Report(checks.Finding{Severity: checks.Info, Record: rec, Cause: checks.AccountLocked,
			Verdict: checks.Confirmed, Strength: checks.OfRecord,
			Message: fmt.Sprintf("account id %q is locked (status locked, no end time)", u.ID), Data: data})
	case u.Status == "locked":
		c.p.Report(checks.Finding{Severity: checks.Info, Record: rec, Cause: checks.AccountLocked,
			Verdict: checks.Confirmed, Strength: checks.OfRecord,
			Message: fmt.Sprintf("account id %q has status locked; its lock time %s has passed (%s ago) but the record was not unlocked",
				u.ID, until, roundDur(c.at.Sub(u.LockedUntil))), Data: data})
	case !u.LockedUntil.IsZero():
		c.p.Report(checks.Finding{Severity: checks.OK, Record: rec, Cause: checks.AccountLocked,
			Verdict: checks.RuledOut, Strength: checks.OfRecord,
			Message: fmt.Sprintf("account id %q is not locked: its lock ended at %s", u.ID, until), Data: data})
	default:
		c.p.Report(checks.Finding{Severity: checks.OK, Record: rec, Cause: checks.AccountLocked,
			Verdict: checks.RuledOut, Strength: checks.OfRecord,
			Message: fmt.Sprintf("account id %q is not locked", u.ID), Data: data})
	}
}

// reset speaks to link-expired from the time of the last reset email.
func (c *checker) reset(u source.User) {
	if u.ResetSentAt.IsZero() {
		return // the record says nothing about resets
	}
	sent := u.ResetSentAt.Format(time.RFC3339)
	age := c.at.Sub(u.ResetSentAt)
	data := map[string]any{"id": u.ID, "reset_sent_at": sent, "age_seconds": int64(age.Seconds()), "link_ttl_seconds": int64(c.ttl.Seconds())}
	switch {
	case age < 0:
		c.p.Report(checks.Finding{Severity: checks.Info, Record: c.where(u),
			Message: fmt.Sprintf("account id %q records a reset sent at %s, after the time of the diagnosis (%s)", u.ID, sent, c.at.Format(time.RFC3339)),
			Data:    data})
	case age > c.ttl:
		c.p.Report(checks.Finding{Severity: checks.Info, Record: c.where(u), Cause: checks.LinkExpired,
			Verdict: checks.Possible, Strength: checks.Direct,
			Message: fmt.Sprintf("the last reset email to account id %q was sent %s ago (%s); its link expired after %s",
				u.ID, roundDur(age), sent, roundDur(c.ttl)),
			Steps: []string{"send a new reset email and ask the user to use the newest one at once"},
			Data:  data})
	default:
		c.p.Report(checks.Finding{Severity: checks.OK, Record: c.where(u), Cause: checks.LinkExpired,
			Verdict: checks.RuledOut, Strength: checks.Direct,
			Message: fmt.Sprintf("the last reset email to account id %q was sent %s ago (%s); its link is valid until %s",
				u.ID, roundDur(age), sent, u.ResetSentAt.Add(c.ttl).Format(time.RFC3339)),
			Data: data})
	}
}

// counted words n, the records a source looked at, with format; "" when
// the source cannot tell (n < 0).
func counted(n int, format string) string {
	if n < 0 {
		return ""
	}
	return fmt.Sprintf(format, n)
}

func first(lists ...[]source.User) *source.User {
	for _, l := range lists {
		if len(l) > 0 {
			return &l[0]
		}
	}
	return nil
}

// splitAddress returns the local part and the domain (lower-case A-labels
// when it converts) of an address.
func splitAddress(a string) (local, domain string) {
	local, d, ok := mailaddr.Split(strings.TrimSpace(a))
	if !ok {
		return local, ""
	}
	return local, mailaddr.NormalDomain(d)
}

// matchAddress compares a record's email with an address split by
// splitAddress: the domain case-insensitively (RFC 5321 §2.4: domains are
// case-insensitive), the local part exactly, or else ignoring case.
// RFC 5321 §2.4 lets a receiver treat local parts as case-sensitive, so an
// exact match is preferred and a case-insensitive one is said as such.
func matchAddress(email, local, domain string) match {
	el, ed, ok := mailaddr.Split(email)
	if !ok || domain == "" {
		return noMatch
	}
	if !strings.EqualFold(ed, domain) && (isASCII(ed) || mailaddr.NormalDomain(ed) != domain) {
		return noMatch
	}
	switch {
	case el == local:
		return exactMatch
	case strings.EqualFold(el, local):
		return foldMatch
	}
	return noMatch
}

// roundDur prints a duration for people: "3d2h", "5h10m", "24h", "4m", "9s".
func roundDur(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	days, h, m := int64(d/(24*time.Hour)), int64(d/time.Hour)%24, int64(d/time.Minute)%60
	switch {
	case d >= 48*time.Hour && h == 0:
		return fmt.Sprintf("%dd", days)
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd%dh", days, h)
	case d >= time.Hour && m == 0:
		return fmt.Sprintf("%dh", int64(d/time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%dh%dm", int64(d/time.Hour), m)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%ds", int64(d/time.Second))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
