package checks

import (
	"net/netip"
	"strings"
	"time"

	"github.com/whymail/whymail/internal/mailaddr"
	"golang.org/x/net/idna"
)

// A Ticket is everything one run knows before any check runs: the ticket
// itself (address, account, time, sender) and the sources of evidence.
// Checks read it through Pass.Ticket and never change it.
type Ticket struct {
	// Mode is what the command runs the checks for.
	Mode Mode
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
	// DKIMSelectors to check; empty means probe the common ones, unless
	// NoDKIMProbe: then DKIM is skipped (a batch that asks not to probe).
	DKIMSelectors []string
	NoDKIMProbe   bool
	// DNSBLZones overrides the default blocklist zones when not empty.
	DNSBLZones []string

	// UserID names the ticket's account.
	UserID string
	// LinkTTL is how long a reset link lives (default 24h).
	LinkTTL time.Duration
	// StatusMap turns the app's account status words into whymail's
	// (active, inactive, disabled, locked, pending), lower-case; a word
	// in neither is unknown to the account check.
	StatusMap map[string]string
	// LogZone is the time zone of log timestamps that carry none
	// (traditional syslog); nil means the local zone of this machine. A
	// log in Sources.Logs may have its own (ZonedLog).
	LogZone *time.Location

	// Sources are where the evidence comes from: nil or empty for what the
	// front end was not given.
	Sources Sources
}

// SenderDomain is the domain part of Sender (Sender itself when it has no
// @), lower-case and in A-labels, the form DNS is asked in. A domain that
// IDNA refuses is returned as given, so that its lookups fail visibly.
func (t *Ticket) SenderDomain() string {
	d := strings.TrimSuffix(mailaddr.Domain(strings.TrimSpace(t.Sender)), ".")
	if a, err := idna.Lookup.ToASCII(d); err == nil {
		return a
	}
	return d
}

// Given reports whether the front end gave the run input in: a source of
// evidence, a setting, the ticket's address or account id. The report uses
// it not to ask for what was given (DNS counts as given: every run has it).
func (t *Ticket) Given(in Input) bool {
	s := t.Sources
	switch in {
	case InputAddress:
		return t.Address != ""
	case InputUser:
		return t.UserID != ""
	case InputUsers:
		return s.Users != nil
	case InputSuppressions:
		return len(s.Suppressions) > 0
	case InputLog:
		return len(s.Logs) > 0
	case InputBounce:
		return len(s.Bounces) > 0
	case InputMessage:
		return s.Message != nil
	case InputSender:
		return t.Sender != ""
	case InputSendingIP:
		return len(t.SendingIPs) > 0
	case InputDKIMSelector:
		return len(t.DKIMSelectors) > 0
	case InputDNSBL:
		return len(t.DNSBLZones) > 0
	case InputStatusMap:
		return len(t.StatusMap) > 0
	case InputDNS:
		return true
	}
	return false
}
