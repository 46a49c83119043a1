package bounce

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/internal/mailaddr"
	"github.com/whymail/whymail/internal/smtpreply"
	"github.com/whymail/whymail/source"
)

// Check reads the bounce messages and reports what they say about the
// ticket's address, and about the account's own address when the user
// record has another: the app sends there.
var Check = &checks.Check{
	Name: "bounce",
	Doc: "Reads the bounce messages given (.eml, mbox or Maildir; RFC 3464 " +
		"delivery status notifications and the plain-text bounces of common MTAs and " +
		"providers) and reports the failure they record for the recipient (or the account's address).",
	Requires:   []*checks.Check{account.Check},
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
}

// causes the check speaks to when it has no input.
var causes = []checks.CauseID{checks.MailboxUnknown, checks.MailboxFull}

func run(p *checks.Pass) (any, error) {
	t := p.Ticket
	if len(t.Sources.Bounces) == 0 {
		p.Skip("no bounce given: no bounce message to read")
		for _, c := range causes {
			p.Missing(c, []checks.Input{checks.InputBounce}, "no bounce message was given; a bounce would say whether the mailbox exists and has room")
		}
		return nil, nil
	}
	// The app sends to the address on the account: when the user record
	// has another than the ticket's, its bounces are the mail's too.
	other := ""
	if acct := checks.ResultOf[*account.Account](p, account.Check); acct != nil && acct.Found && acct.Email != "" {
		if ok, _ := mailaddr.Match(acct.Email, t.Address); !ok {
			other = acct.Email
		}
	}
	res := &Result{}
	for _, src := range t.Sources.Bounces {
		bf := FileSummary{File: src.Describe()}
		err := src.Messages(p.Context, func(m source.Message) error {
			bf.Format = m.Form
			bf.Messages++
			b, err := parseBytes(m.Data, 0)
			if err != nil {
				return messageError(m.Name, err)
			}
			if len(b.Recipients) == 0 {
				p.Report(checks.Finding{Severity: checks.Info, Record: m.Name,
					Message: fmt.Sprintf("%s is not a bounce: no delivery status and no failed recipient in its text (subject %q)", m.Name, b.Subject)})
				return nil
			}
			bf.Bounces++
			for _, r := range b.Recipients {
				rec := record(m.Name, b, r)
				mine := sameAddress(r.Address, t.Address) || sameAddress(r.OriginalRecipient, t.Address)
				if !mine && other != "" && (sameAddress(r.Address, other) || sameAddress(r.OriginalRecipient, other)) {
					res.Recipients = append(res.Recipients, rec)
					report(p, b, r, rec, caseNote(r, other)+
						fmt.Sprintf("; %s is the address on the account, where the app sends the mail, not to %s", other, t.Address))
					continue
				}
				if !mine {
					res.Others++
					not := t.Address
					if other != "" {
						not += " or " + other + " (the address on the account)"
					}
					msg := fmt.Sprintf("%s is a bounce for %s, not for %s (%s)", m.Name, r.Address, not, describe(rec))
					if r.Address == "" {
						msg = fmt.Sprintf("%s is a %s that names no recipient: it cannot be tied to %s", m.Name, kindWords(b.Kind), t.Address)
					}
					p.Report(checks.Finding{Severity: checks.Info, Record: m.Name, Message: msg, Data: data(rec)})
					continue
				}
				res.Recipients = append(res.Recipients, rec)
				report(p, b, r, rec, caseNote(r, t.Address))
			}
			return nil
		})
		if err != nil {
			return res, p.SourceFailed(src, err, causes...)
		}
		res.Files = append(res.Files, bf)
	}
	if len(res.Recipients) == 0 {
		about := t.Address
		if other != "" {
			about += " or " + other + ", the address on the account"
		}
		for _, c := range causes {
			p.Unknown(c, "the bounce files given hold nothing about %s", about)
		}
	}
	return res, nil
}

func kindWords(k Kind) string {
	if k == Feedback {
		return "complaint (feedback report)"
	}
	return "bounce"
}

func describe(rec Record) string {
	var parts []string
	if rec.Action != "" {
		parts = append(parts, "action "+string(rec.Action))
	}
	if rec.Status != "" {
		parts = append(parts, "status "+rec.Status)
	}
	if rec.Diagnostic != "" {
		d := rec.Diagnostic
		if len(d) > 240 {
			d = d[:240] + "..."
		}
		parts = append(parts, fmt.Sprintf("%q", d))
	}
	if rec.RemoteMTA != "" {
		parts = append(parts, "from "+rec.RemoteMTA)
	}
	return strings.Join(parts, ", ")
}

func data(rec Record) map[string]any {
	d := map[string]any{
		"file": rec.File, "kind": rec.Kind, "format": rec.Format, "recipient": rec.Recipient,
		"action": rec.Action, "status": rec.Status, "reason": rec.Reason,
		"diagnostic": rec.Diagnostic,
	}
	if rec.Code != 0 {
		d["code"] = rec.Code
	}
	if rec.RemoteMTA != "" {
		d["remote_mta"] = rec.RemoteMTA
	}
	if rec.List != "" {
		d["list"] = rec.List
	}
	if rec.MessageID != "" {
		d["message_id"] = rec.MessageID
	}
	if !rec.At.IsZero() {
		d["at"] = rec.At
	}
	return d
}

var reasonWords = map[smtpreply.Reason]string{
	smtpreply.UserUnknown:     "the mailbox does not exist",
	smtpreply.MailboxFull:     "the mailbox is full",
	smtpreply.HostUnknown:     "the domain accepts no mail",
	smtpreply.Blocklisted:     "the sender is on a blocklist",
	smtpreply.AuthFailure:     "the sender failed authentication (SPF/DKIM/DMARC)",
	smtpreply.Policy:          "the receiver refused it by policy",
	smtpreply.Spam:            "the receiver refused it as spam",
	smtpreply.TooBig:          "the message is too big",
	smtpreply.RateLimited:     "the receiver is rate-limiting the sender",
	smtpreply.Expired:         "it expired in the queue",
	smtpreply.Greylisted:      "the receiver deferred it (greylisting)",
	smtpreply.MailboxDisabled: "the mailbox is disabled",
	smtpreply.RelayDenied:     "the receiver does not relay for this domain",
	smtpreply.Network:         "the receiving server could not be reached",
	smtpreply.SenderRejected:  "the receiver refused the sender address",
	smtpreply.SystemError:     "the receiving system failed",
	smtpreply.Other:           "the reason is not recognised",
}

func report(p *checks.Pass, b *Bounce, r Recipient, rec Record, note string) {
	ev := describe(rec) + note
	switch {
	case b.Kind == Feedback:
		p.Report(checks.Finding{Severity: checks.Warning, Record: rec.File,
			Message: fmt.Sprintf("%s is a complaint (feedback report, type %q): %s marked the message as spam; providers suppress such addresses", rec.File, b.FeedbackType, rec.Recipient),
			Data:    data(rec)})
		return
	case b.Kind == AutoReply:
		p.Report(checks.Finding{Severity: checks.Info, Record: rec.File,
			Message: fmt.Sprintf("%s is an automatic reply from %s (%q): the message reached the mailbox", rec.File, rec.Recipient, b.Subject),
			Data:    data(rec)})
		return
	case !r.Failed():
		p.Report(checks.Finding{Severity: checks.Info, Record: rec.File,
			Message: fmt.Sprintf("%s reports the message %s for %s (%s)", rec.File, r.Action, rec.Recipient, ev),
			Data:    data(rec)})
		return
	}
	words := reasonWords[r.Class.Reason]
	if words == "" {
		words = string(r.Class.Reason)
	}
	if r.Class.List != "" {
		words += " (" + r.Class.List + ")"
	}
	sev := checks.Error
	kind := "bounced"
	if !r.Class.Permanent || r.Action == Delayed {
		sev, kind = checks.Warning, "delayed"
	}
	f := checks.Finding{Severity: sev, Record: rec.File, Cause: r.Class.Cause,
		Verdict: checks.Confirmed, Strength: checks.OfRecord, Data: data(rec),
		Message: fmt.Sprintf("%s: mail to %s %s: %s (%s)", rec.File, rec.Recipient, kind, words, ev)}
	if f.Cause == "" {
		f.Verdict = ""
	}
	if f.Cause == checks.Delayed && r.Class.Reason != smtpreply.Greylisted && r.Class.Reason != smtpreply.RateLimited && r.Class.Permanent {
		// Expired or failed for a transient reason and given up: it will not
		// arrive, but the cause is still the delivery trouble.
		f.Message += "; the sending server gave up"
	}
	p.Report(f)
}

// caseNote says so when the bounce's address matched the ticket's only
// with the local part case-folded.
func caseNote(r Recipient, addr string) string {
	local := func(a string) string {
		if i := strings.LastIndexByte(a, '@'); i >= 0 {
			return a[:i]
		}
		return a
	}
	for _, a := range []string{r.Address, r.OriginalRecipient} {
		if strings.EqualFold(a, addr) && local(a) == local(addr) {
			return ""
		}
	}
	return fmt.Sprintf("; the bounce names %s: only the case-folded local part matches %s", r.Address, addr)
}

// sameAddress compares addresses with the local part as given and the
// domain case-insensitively (RFC 5321 §2.4: only the domain is
// case-insensitive by rule); a case-folded local part matches too, since
// nearly every mailbox provider ignores case.
func sameAddress(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
