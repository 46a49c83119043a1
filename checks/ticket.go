package checks

import (
	"net/netip"
	"time"
)

// A Ticket is everything one run knows before any check runs: the command's
// arguments and the inputs the agent pointed at. Checks read it through
// Pass.Ticket and never change it.
type Ticket struct {
	// Address is the recipient as typed in the ticket ("" for `whymail domain`).
	Address string
	// Domain is the domain whose mail setup is checked: the recipient's
	// domain (as typed) for diagnose, the linted domain for `whymail domain`.
	Domain string
	// At is the moment the diagnosis is made as of.
	At time.Time

	// Sender is the address or domain the app sends from; HELO its HELO name.
	Sender string
	HELO   string
	// SendingIPs are the addresses the app sends from.
	SendingIPs []netip.Addr
	// DKIMSelectors to check; empty means probe the common ones.
	DKIMSelectors []string
	// DNSBLZones overrides the default blocklist zones when not empty.
	DNSBLZones []string

	// UsersFile holds user records; UserID names the ticket's account.
	UsersFile string
	UserID    string
	// LinkTTL is how long a reset link lives (default 24h).
	LinkTTL time.Duration

	SuppressionFiles []string
	LogFiles         []string
	BounceFiles      []string
	MessageFile      string
}

// SenderDomain is the domain part of Sender, or Sender itself when it has no @.
func (t *Ticket) SenderDomain() string {
	for i := len(t.Sender) - 1; i >= 0; i-- {
		if t.Sender[i] == '@' {
			return t.Sender[i+1:]
		}
	}
	return t.Sender
}
