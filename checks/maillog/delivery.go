package maillog

import (
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/smtpreply"
)

// Delivery is the result of Check: what the mail logs and
// provider event files say happened to mail for the recipient.
type Delivery struct {
	Recipient string
	// Files says, per log file, what it was and which time it covers.
	Files []Coverage
	// Events is the recipient's delivery timeline, oldest first.
	Events []Event
	// Outcome is the state of the last attempt: delivered, deferred,
	// bounced, queued when the newest email was handed over but has no
	// outcome yet (an earlier email's outcome, in Events, is then not the
	// state), or none when the logs hold nothing for the recipient.
	Outcome Outcome
	// Gateway is the host the last delivery was handed to (Postfix relay=,
	// Exim H=, the provider's MX host), "" when unknown.
	Gateway string
	// Doubt says why Outcome may not be the last word, for evidence: lines
	// naming the recipient, as late as the outcome or later, could not be
	// read. "" when nothing read leaves it open.
	Doubt string
}

// Outcome is what finally happened to the recipient's mail.
type Outcome string

const (
	OutcomeDelivered Outcome = "delivered"
	OutcomeDeferred  Outcome = "deferred"
	OutcomeBounced   Outcome = "bounced"
	OutcomeQueued    Outcome = "queued"
	OutcomeNone      Outcome = "none"
)

// Coverage describes one log file as read.
type Coverage struct {
	File   string
	Format string // "postfix", "exim", "sendgrid", "ses", "mailgun", "postmark", or a mix joined by "+"
	// First and Last are the times of the first and last line or event
	// with a time; zero when none had one.
	First, Last time.Time
	Lines       int // lines (text logs) or records (event files) read
	Understood  int
	NotRelevant int // other programs, connection chatter, events of no delivery interest
	Unparsed    int // lines that could not be read, quoted in the findings
	// Zone is the time zone the timestamps without one were read in
	// (nil when every timestamp carried its zone).
	Zone *time.Location
}

// ReasonSuppressed is the reason of a provider's drop for an address on
// its own suppression list.
const ReasonSuppressed smtpreply.Reason = "suppressed"

// Kind is what one event of the timeline says happened to an email.
type Kind string

const (
	Queued       Kind = "queued"       // handed to the MTA or provider; no outcome yet
	Delivered    Kind = "delivered"    // the receiving server accepted it (2xx)
	Deferred     Kind = "deferred"     // a temporary failure; it will be retried
	Bounced      Kind = "bounced"      // a permanent failure
	Expired      Kind = "expired"      // the queue gave up retrying
	Dropped      Kind = "dropped"      // the provider did not try (suppression, policy)
	Rejected     Kind = "rejected"     // refused before it was queued
	Complaint    Kind = "complaint"    // the recipient reported it as spam
	Opened       Kind = "opened"       // the recipient opened it (a tracking pixel)
	Clicked      Kind = "clicked"      // the recipient followed a link in it
	Unsubscribed Kind = "unsubscribed" // the recipient unsubscribed
	Verified     Kind = "verified"     // an address verification probe: no mail was sent
)

// Event is one step of the recipient's timeline.
type Event struct {
	Time   time.Time
	Source string // file:line
	Kind   Kind
	// Recipient is the address the event is about, as logged.
	Recipient string
	QueueID   string // Postfix queue ID, Exim message ID, provider message ID
	MessageID string // the message's Message-ID header, when logged
	From      string
	Relay     string // host the attempt talked to (relay=, H=, mx-host)
	DSN       string // RFC 3463 enhanced status
	Reply     string // the remote reply or provider reason
	Delay     string // as logged (delay=, delays=)
	// Reason and Cause classify Reply (smtpreply); empty for deliveries.
	Reason    smtpreply.Reason
	Cause     checks.CauseID
	Permanent bool
	// Provider names the sending provider whose event this is ("SendGrid"),
	// "" for a line of an MTA's log.
	Provider string
	// ByProvider is set when the sending provider itself refused the
	// email (an Amazon SES Reject): no delivery was attempted.
	ByProvider bool
	// Inbound is set for a refusal by the logging MTA of mail coming in
	// over SMTP (Postfix smtpd's NOQUEUE reject): the app's submission
	// when From is the app's, else someone else's mail.
	Inbound bool
}
