package bounce

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/smtpreply"
	"github.com/whymail/whymail/source"
)

// Record is one recipient of one parsed bounce, flat: the check's result
// holds those about the ticket's address, and the `whymail bounce` command
// prints every one (one JSON object per recipient).
type Record struct {
	// File is the file, with the message's position for mbox and Maildir ("x.mbox#3").
	File      string `json:"file"`
	Kind      Kind   `json:"kind"`
	Format    string `json:"format"` // rfc3464, qmail, exim, gmail, postfix, sendmail, ...
	Recipient string `json:"recipient"`
	Action    Action `json:"action"`
	Status    string `json:"status"` // RFC 3463 status
	Code      int    `json:"code,omitempty"`
	// Reason is smtpreply's reason (user-unknown, mailbox-full, ...), or
	// complaint or auto-reply; Cause its catalog cause, "" for deliveries,
	// auto-replies and complaints.
	Reason     smtpreply.Reason `json:"reason"`
	Cause      checks.CauseID   `json:"cause"`
	Permanent  bool             `json:"permanent"`
	List       string           `json:"list,omitempty"` // blocklist named in the reply
	Diagnostic string           `json:"diagnostic"`
	RemoteMTA  string           `json:"remote_mta"`
	// At is the Last-Attempt-Date, else the bounce's Date.
	At time.Time `json:"-"`
	// The returned message, when the bounce carried its headers.
	MessageID string `json:"message_id,omitempty"`
	Subject   string `json:"subject,omitempty"`
}

// The reasons of records that are not failures.
const (
	ReasonComplaint smtpreply.Reason = "complaint"
	ReasonAutoReply smtpreply.Reason = "auto-reply"
)

// Classify reads the messages of each source and returns one Record per
// recipient of every bounce among them, in order. A message that is not a
// bounce yields no record; a message that is not an email message at all
// is an *InputError naming it, and so is a source that cannot be read.
func Classify(ctx context.Context, srcs ...source.Messages) ([]Record, error) {
	var out []Record
	for _, src := range srcs {
		err := src.Messages(ctx, func(m source.Message) error {
			b, err := parseBytes(m.Data, 0)
			if err != nil {
				return messageError(m.Name, err)
			}
			for _, r := range b.Recipients {
				out = append(out, record(m.Name, b, r))
			}
			return nil
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// messageError is the input error of a message that does not parse.
func messageError(name string, err error) error {
	if errors.Is(err, ErrNotMessage) {
		return checks.Inputf(name, 0, "not an email message (want a bounce in .eml, mbox or Maildir form, or an Amazon SES notification's JSON)")
	}
	return checks.Inputf(name, 0, "%v", err)
}

// record flattens one recipient of bounce b, read from name.
func record(name string, b *Bounce, r Recipient) Record {
	at := r.LastAttempt
	if at.IsZero() {
		at = b.Date
	}
	rec := Record{
		File: name, Kind: b.Kind, Format: b.Format, Recipient: r.Address,
		Action: r.Action, Status: firstField(r.Status), Code: r.Class.Code,
		Reason: r.Class.Reason, Cause: r.Class.Cause, Permanent: r.Class.Permanent,
		List: r.Class.List, Diagnostic: r.Diagnostic, RemoteMTA: r.RemoteMTA, At: at,
		MessageID: b.Original.MessageID, Subject: b.Original.Subject,
	}
	if rec.Status == "" {
		rec.Status = r.Class.Status
	}
	switch b.Kind {
	case Feedback:
		rec.Reason, rec.Cause = ReasonComplaint, ""
	case AutoReply:
		rec.Reason, rec.Cause = ReasonAutoReply, ""
	}
	return rec
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
