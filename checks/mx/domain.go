package mx

import (
	"net/netip"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
)

// Domain is the result of Check: how the domain receives mail.
type Domain struct {
	Domain string        // A-label form
	Status lookup.Status // of the MX question
	// Exists is No on NXDOMAIN.
	Exists checks.Tristate
	// AcceptsMail is No for a null MX, no MX and no address, or dead MX hosts.
	AcceptsMail checks.Tristate
	NullMX      bool
	// Implicit is set when there is no MX and the domain's own address
	// receives mail (RFC 5321 §5.1).
	Implicit bool
	// Hosts are by preference. In Verify mode only those up to the first
	// that can take mail are asked; the rest have no Addrs and no Status.
	Hosts []Host
	// Provider is the mailbox provider recognised from the MX hosts
	// ("Google Workspace"), Gateway the mail security gateway ("Mimecast").
	Provider string
	Gateway  string
}

// Host is one MX target.
type Host struct {
	Name       string
	Preference uint16
	Addrs      []netip.Addr
	Status     lookup.Status // of its address lookups
}
