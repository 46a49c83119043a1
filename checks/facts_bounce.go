package checks

import "time"

// BounceResult is the result of the "bounce" check: what the bounce
// messages given with --bounce say about the recipient.
type BounceResult struct {
	// Files lists each file read and how many messages it held.
	Files []BounceFile
	// Recipients are the bounce records about the ticket's address, in file
	// order; Others counts records about other addresses.
	Recipients []BounceRecord
	Others     int
}

// BounceFile is one --bounce file as read.
type BounceFile struct {
	File     string
	Format   string // eml, mbox, maildir
	Messages int
	Bounces  int // messages that were a bounce, feedback report or auto-reply
}

// BounceRecord is one recipient of one bounce message.
type BounceRecord struct {
	File      string // file, with the message's position for mbox and Maildir ("x.mbox#3")
	Kind      string // dsn, text, feedback, autoreply
	Format    string // rfc3464, qmail, exim, gmail, postfix, sendmail, ...
	Recipient string
	Action    string // failed, delayed, delivered, relayed, expanded
	Status    string // RFC 3463 status
	Code      int    // SMTP reply code, 0 if none
	// Reason is smtpreply's reason (user-unknown, mailbox-full, ...); Cause
	// its catalog cause, "" for deliveries, auto-replies and complaints.
	Reason     string
	Cause      CauseID
	Permanent  bool
	List       string // blocklist named in the reply
	Diagnostic string
	RemoteMTA  string
	At         time.Time // Last-Attempt-Date, else the bounce's Date
	// The returned message, when the bounce carried its headers.
	MessageID string
	Subject   string
}
