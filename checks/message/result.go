package message

import (
	"time"

	"github.com/emersion/go-msgauth/authres"
	"github.com/whymail/whymail/checks"
)

// Result is the result of Check: what a copy of the sent message shows.
type Result struct {
	MessageID string
	Subject   string
	Date      time.Time // the Date header, zero when missing or unreadable
	From      string    // address of the From header
	// FromDomain, ReturnPathDomain and DKIMDomains are the identifiers
	// DMARC aligns (RFC 7489 §3.1).
	FromDomain       string
	ReturnPathDomain string
	DKIMDomains      []string // d= of each DKIM-Signature
	// SPFAligned / DKIMAligned: relaxed alignment with the From domain.
	SPFAligned  checks.Tristate
	DKIMAligned checks.Tristate
	// Hops is the Received chain, oldest first.
	Hops []Hop
	// Slowest indexes Hops (-1 when no delay could be measured).
	Slowest int
	// Auth is the receiving side's Authentication-Results (the topmost).
	Auth *AuthResults
}

// Hop is one Received header field (RFC 5321 §4.4).
type Hop struct {
	From, By, With, ID, For string
	Time                    time.Time // zero when the date did not parse
	// Delay is the time since the previous hop (or since Date for the
	// first); negative when the clocks disagree, zero when unknown.
	Delay time.Duration
}

// AuthResults is one Authentication-Results header field (RFC 8601).
type AuthResults struct {
	AuthServID string
	SPF        authres.ResultValue // pass, fail, softfail, neutral, none, temperror, permerror; "" when absent
	SPFDomain  string              // smtp.mailfrom
	DKIM       []AuthDKIM
	DMARC      authres.ResultValue
	DMARCFrom  string // header.from
	Raw        string
}

// AuthDKIM is one dkim= result.
type AuthDKIM struct {
	Result authres.ResultValue
	Domain string // header.d, or the domain of header.i
}
