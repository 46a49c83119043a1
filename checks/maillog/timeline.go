package maillog

// This file is the pure timeline: which event of the recipient's log says
// where the mail stands, when each email began, and whether a newer email
// supersedes an older one. It reports nothing; findings.go words it.

import (
	"strconv"
	"strings"
	"time"
)

// decisive returns the last event that says where the mail stands.
func decisive(ev []Event) *Event {
	for i := len(ev) - 1; i >= 0; i-- {
		switch ev[i].Kind {
		case Delivered, Deferred, Bounced, Expired, Dropped, Rejected:
			return &ev[i]
		case Opened, Clicked, Complaint:
			// The user saw it: it was delivered, whatever came before.
			e := ev[i]
			return &e
		}
	}
	return nil
}

// inFlight returns the newest queued event when it is a newer email than
// the one last decides about and has no outcome of its own yet: the user
// asked again (a second reset) and waits for that one, so an earlier
// email's bounce or delivery does not say where the mail stands.
func inFlight(ev []Event, last *Event) *Event {
	if last == nil {
		return nil
	}
	var q *Event
	for i := len(ev) - 1; i >= 0; i-- {
		if ev[i].Kind == Queued {
			q = &ev[i]
			break
		}
	}
	if q == nil || q.Time.IsZero() || !different(q, last) {
		return nil
	}
	// A queued email no later than the decisive email's start is older,
	// and the decisive one is the newest.
	if !q.Time.After(startOf(ev, last)) {
		return nil
	}
	for i := range ev {
		if !different(&ev[i], q) && decisive(ev[i:i+1]) != nil {
			return nil // the newer email has an outcome, just not the last one
		}
	}
	return q
}

// arrived returns when e's email reached the mail system as far as e
// tells: Postfix logs delay= (seconds since the message arrived) on each
// delivery attempt, so a late bounce still shows when its email was queued.
func arrived(e *Event) time.Time {
	if e.Time.IsZero() || e.Delay == "" {
		return e.Time
	}
	num, _, _ := strings.Cut(e.Delay, " ")
	d, err := strconv.ParseFloat(num, 64)
	if err != nil || d < 0 || d > 366*24*3600 {
		return e.Time
	}
	return e.Time.Add(-time.Duration(d * float64(time.Second)))
}

// startOf returns when e's email started: its first timed event (its
// queued event, or the outcome itself when the log shows no hand-over),
// or earlier when an attempt logs how long the email had been queued.
func startOf(ev []Event, e *Event) time.Time {
	start := arrived(e)
	for i := range ev {
		if t := arrived(&ev[i]); !different(&ev[i], e) && !t.IsZero() && (start.IsZero() || t.Before(start)) {
			start = t
		}
	}
	return start
}

// superseded returns the last outcome of the newest email (the one that
// started last) when that is another email than the one last decides
// about: an earlier email's bounce, deferral or expiry can be logged after
// a newer email's delivery (a late DSN, a queue expiring days later), and
// the newest email says where the mail stands. It returns nil when last is
// the newest email's own outcome or the newest email has no outcome yet
// (inFlight speaks for that).
func superseded(ev []Event, last *Event) *Event {
	if last == nil {
		return nil
	}
	// Each email's start, by queue ID and by Message-ID (different matches
	// either); events with neither cannot be told apart and start none.
	byQueue, byMsg := map[string]time.Time{}, map[string]time.Time{}
	earliest := func(m map[string]time.Time, k string, t time.Time) {
		if old, ok := m[k]; k != "" && (!ok || t.Before(old)) {
			m[k] = t
		}
	}
	for i := range ev {
		if t := arrived(&ev[i]); !t.IsZero() {
			earliest(byQueue, ev[i].QueueID, t)
			earliest(byMsg, ev[i].MessageID, t)
		}
	}
	var rep *Event
	var newest time.Time
	for i := range ev {
		e := &ev[i]
		if e.Time.IsZero() || e.QueueID == "" && e.MessageID == "" {
			continue
		}
		start, ok := byQueue[e.QueueID]
		if t, ok2 := byMsg[e.MessageID]; ok2 && (!ok || t.Before(start)) {
			start, ok = t, true
		}
		if ok && (rep == nil || start.After(newest)) {
			rep, newest = e, start
		}
	}
	if rep == nil || !different(rep, last) || !newest.After(startOf(ev, last)) {
		return nil
	}
	for i := len(ev) - 1; i >= 0; i-- {
		if !different(&ev[i], rep) {
			if d := decisive(ev[i : i+1]); d != nil {
				return d
			}
		}
	}
	return nil
}

// different reports whether two events are about different emails: they
// share neither the queue (provider message) ID nor the Message-ID, and
// one of the two can be compared. Provider event IDs can differ per event
// (Mailgun's id) while the Message-ID is the same, so either match makes
// them one email; with nothing to compare they count as one.
func different(a, b *Event) bool {
	qa, qb := a.QueueID != "" && b.QueueID != "", a.MessageID != "" && b.MessageID != ""
	if qa && a.QueueID == b.QueueID || qb && a.MessageID == b.MessageID {
		return false
	}
	return qa || qb
}

func outcome(kind Kind) Outcome {
	switch kind {
	case Delivered, Opened, Clicked, Complaint:
		return OutcomeDelivered
	case Deferred:
		return OutcomeDeferred
	}
	return OutcomeBounced
}
