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
	// Spam is the receiving side's spam verdict headers, nil when none.
	Spam *SpamVerdict
}

// SpamVerdict is what the receiver's filter wrote on the message.
type SpamVerdict struct {
	// SCL is Microsoft's spam confidence level (-1 to 9: -1 bypassed
	// filtering, 5-6 spam, 7-9 high confidence spam; the Junk Email folder
	// from 5), from X-MS-Exchange-Organization-SCL or the SCL of
	// X-Forefront-Antispam-Report; HasSCL says whether there was one.
	SCL    int
	HasSCL bool
	// SFV is the Forefront verdict: SPM spam, NSPM not spam, SKN/SKA
	// safe-listed, SKS marked spam by a rule, BLK blocked sender.
	SFV string
	// Flag is X-Spam-Flag (SpamAssassin and others): "YES" or "NO".
	Flag string
	// Status is X-Spam-Status as given ("Yes, score=7.1 required=5.0 ...").
	Status string
	// Headers quotes the fields read, "Name: value" each.
	Headers []string
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
	// DMARCDisposition is what the receiver did with a DMARC failure
	// ("quarantine", "reject", "none", Microsoft's "oreject" and
	// "pct.reject"), lower-cased: dis=, action= or policy.dmarc=.
	DMARCDisposition string
	Raw              string
}

// AuthDKIM is one dkim= result.
type AuthDKIM struct {
	Result authres.ResultValue
	Domain string // header.d, or the domain of header.i
}
