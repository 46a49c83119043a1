package maillog

import (
	"time"

	"github.com/whymail/whymail/checks"
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
}

// Event is one step of the recipient's timeline.
type Event struct {
	Time   time.Time
	Source string // file:line
	// Kind is queued, delivered, deferred, bounced, expired, dropped,
	// rejected, complaint, opened, clicked, unsubscribed.
	Kind string
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
	Reason    string
	Cause     checks.CauseID
	Permanent bool
}
