// Package address checks the recipient address itself: its syntax as an SMTP
// mailbox (RFC 5321/5322, IDNA, SMTPUTF8), role and disposable addresses, and
// a conservative guess at a misspelled mailbox-provider domain.
package address

import (
	_ "embed"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/whymail/whymail/checks"
)

// Check parses the ticket's address. Its result is a *Mailbox (nil
// when there is no address), with Valid false and a Reason when the syntax
// is wrong.
var Check = &checks.Check{
	Name: "address",
	Doc: "Parses the recipient address as an SMTP mailbox (RFC 5321/5322): lengths, dots, " +
		"quoting, domain labels, address literals, IDN domains to A-labels, UTF-8 local parts " +
		"that need SMTPUTF8; notes role accounts and disposable-mail domains.",
	ResultType: reflect.TypeFor[*Mailbox](),
	Run:        run,
}

func run(p *checks.Pass) (any, error) {
	addr := p.Ticket.Address
	if addr == "" {
		p.Skip("no address")
		return nil, nil
	}
	m, err := Parse(addr)
	if err != nil {
		var se *SyntaxError
		errors.As(err, &se)
		data := map[string]any{"address": addr, "reason": se.Reason}
		if se.Pos > 0 {
			data["position"] = se.Pos
		}
		f := checks.Finding{
			Severity: checks.Error,
			Record:   "address",
			Cause:    checks.AddressInvalid,
			Verdict:  checks.Confirmed,
			Strength: checks.Direct,
			Message:  fmt.Sprintf("%q is not a valid email address: %s", addr, se.Reason),
			Data:     data,
		}
		if se.Suggest != "" {
			data["suggestion"] = se.Suggest
			f.Steps = []string{fmt.Sprintf("diagnose the bare address %s instead", se.Suggest)}
		} else {
			f.Steps = []string{"ask the user for the exact address and correct it on their account"}
		}
		p.Report(f)
		return m, nil
	}
	data := map[string]any{"local": m.Local, "domain": m.Domain, "ascii_domain": m.ASCIIDomain}
	if m.SMTPUTF8 {
		// RFC 6531: the local part is UTF-8, so every server on the way
		// must offer SMTPUTF8; many (often the app's own) do not.
		data["smtputf8"] = true
		p.Report(checks.Finding{
			Severity: checks.Info,
			Record:   "address",
			Cause:    checks.AddressInvalid,
			Verdict:  checks.Possible,
			Strength: checks.Indirect,
			Message: fmt.Sprintf("the local part %q is not ASCII: the address is valid only with SMTPUTF8 (RFC 6531), "+
				"which many mail servers, possibly the app's own, do not support", m.Local),
			Steps: []string{"check that the app's mail service supports SMTPUTF8, or ask the user for an ASCII address"},
			Data:  data,
		})
	} else {
		msg := fmt.Sprintf("%s is a well-formed address", Format(m))
		if m.ASCIIDomain != strings.ToLower(m.Domain) {
			msg += fmt.Sprintf(" (domain %s in DNS form)", m.ASCIIDomain)
		}
		p.Report(checks.Finding{
			Severity: checks.OK,
			Record:   "address",
			Cause:    checks.AddressInvalid,
			Verdict:  checks.RuledOut,
			Strength: checks.Direct,
			Message:  msg,
			Data:     data,
		})
	}
	if IsAddressLiteral(m) {
		p.Report(checks.Finding{
			Severity: checks.Info,
			Record:   "address",
			Message: fmt.Sprintf("the domain is an address literal %s: valid syntax (RFC 5321 §4.1.3), "+
				"but most mail servers refuse mail to literals; real recipients use a domain name", m.Domain),
			Data: map[string]any{"literal": m.ASCIIDomain},
		})
	}
	if role := Role(m.Local); role != "" {
		p.Report(checks.Finding{
			Severity: checks.Info,
			Record:   "address",
			Message: fmt.Sprintf("%s@ is a role address: it is often a shared, filtered or forwarded mailbox "+
				"that the person asking may not read", role),
			Data: map[string]any{"role": role},
		})
	}
	if d := Disposable(m.ASCIIDomain); d != "" {
		p.Report(checks.Finding{
			Severity: checks.Info,
			Record:   "address",
			Message: fmt.Sprintf("%s is a disposable-mail domain (listed as %s by disposable-email-domains): "+
				"such inboxes expire and often drop mail", m.ASCIIDomain, d),
			Steps: []string{"ask the user for a permanent address"},
			Data:  map[string]any{"disposable": d},
			Note:  true,
		})
	}
	return m, nil
}

// roles are local parts that name a function rather than a person
// (RFC 2142 names several of them).
var roles = map[string]bool{}

func init() {
	for _, r := range strings.Fields(`
		abuse accounting accounts admin administrator billing careers contact
		customercare customerservice do-not-reply donotreply enquiries feedback
		finance hello help helpdesk hostmaster hr info inquiries it jobs legal
		mail mailer-daemon marketing media news newsletter noc no-reply noreply
		office orders postmaster press privacy root sales security service
		support team webmaster`) {
		roles[r] = true
	}
}

// Role returns the role name when local is a role account (admin,
// noreply, postmaster, ...), compared case-insensitively and without a
// +tag or -tag subaddress; otherwise "".
func Role(local string) string {
	l := strings.ToLower(local)
	if roles[l] {
		return l
	}
	if i := strings.IndexByte(l, '+'); i > 0 && roles[l[:i]] {
		return l[:i]
	}
	return ""
}

//go:embed data/disposable.conf
var disposableText string

var disposable = sync.OnceValue(func() map[string]bool {
	set := make(map[string]bool, 9000)
	for _, l := range strings.Split(disposableText, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			set[strings.ToLower(l)] = true
		}
	}
	return set
})

// Disposable returns the listed domain when domain (A-labels) or one of
// its parents is a disposable-mail domain; otherwise "".
func Disposable(domain string) string {
	set := disposable()
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	for d != "" {
		if set[d] {
			return d
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
	}
	return ""
}
