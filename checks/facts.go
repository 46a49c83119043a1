package checks

import (
	"net/netip"
	"time"

	"github.com/whymail/whymail/internal/lookup"
)

// This file declares the typed results checks hand to the checks that
// require them. Each area adds its own in a facts_<area>.go file; they live
// here so that no check package imports another.

// Mailbox is the result of the "address" check: the recipient parsed.
type Mailbox struct {
	Address string // as typed
	Local   string // local part, unquoted
	Domain  string // domain as typed (may be Unicode)
	// ASCIIDomain is the domain in A-labels (IDNA), lower-case: what DNS is asked.
	ASCIIDomain string
	// Valid is false when the syntax is wrong; Reason says why.
	Valid  bool
	Reason string
	// SMTPUTF8 is set when the local part is not ASCII.
	SMTPUTF8 bool
}

// Tristate is yes, no, or could not tell.
type Tristate int

const (
	Maybe Tristate = iota // could not tell (DNS failed, not checked)
	Yes
	No
)

func (t Tristate) String() string { return [...]string{"unknown", "yes", "no"}[t] }

// MarshalText prints a Tristate by name.
func (t Tristate) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// MailDomain is the result of the "mx" check: how the domain receives mail.
type MailDomain struct {
	Domain string        // A-label form
	Status lookup.Status // of the MX question
	// Exists is No on NXDOMAIN.
	Exists Tristate
	// AcceptsMail is No for a null MX, no MX and no address, or dead MX hosts.
	AcceptsMail Tristate
	NullMX      bool
	// Implicit is set when there is no MX and the domain's own address
	// receives mail (RFC 5321 §5.1).
	Implicit bool
	Hosts    []MailHost // by preference
	// Provider is the mailbox provider recognised from the MX hosts
	// ("Google Workspace"), Gateway the mail security gateway ("Mimecast").
	Provider string
	Gateway  string
}

// MailHost is one MX target.
type MailHost struct {
	Host       string
	Preference uint16
	Addrs      []netip.Addr
	Status     lookup.Status // of its address lookups
}

// Account is the result of the "account" check: the user record that
// belongs to the ticket, if any.
type Account struct {
	Found       bool
	ID          string
	Email       string
	Status      string // active, inactive, disabled, locked, pending
	LockedUntil time.Time
	ResetSentAt time.Time
}
