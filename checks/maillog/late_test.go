package maillog

import (
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
)

// TestSuperseded: the newest email (by its first event) decides, even when
// an earlier email's outcome is logged after the newest one's.
func TestSuperseded(t *testing.T) {
	tm := func(min, sec int) time.Time { return time.Date(2026, 11, 22, 9, min, sec, 0, time.UTC) }
	ev := func(min, sec int, kind Kind, qid, mid string) Event {
		return Event{Time: tm(min, sec), Source: "mail.log:1", Kind: kind, Recipient: "alice@example.com", QueueID: qid, MessageID: mid}
	}
	delayed := func(e Event, d string) Event { e.Delay = d; return e }
	tests := []struct {
		name   string
		events []Event
		want   int // index of the deciding event of the newest email, -1 when the last decisive event stands
	}{
		// Postfix-style: queue IDs plus Message-ID.
		{"postfix newer delivered, older bounced late", []Event{
			ev(30, 0, "queued", "9A8B7C6D5E", "reset-3@app"), ev(30, 1, "deferred", "9A8B7C6D5E", "reset-3@app"),
			ev(50, 0, "queued", "1B2C3D4E5F", "reset-4@app"), ev(50, 1, "delivered", "1B2C3D4E5F", "reset-4@app"),
			ev(55, 0, "queued", "9A8B7C6D5E", "reset-3@app"), ev(55, 1, "bounced", "9A8B7C6D5E", "reset-3@app")}, 3},
		{"postfix newer delivered, older expired late", []Event{
			ev(10, 0, "queued", "9A8B7C6D5E", ""), ev(10, 1, "deferred", "9A8B7C6D5E", ""),
			ev(50, 0, "queued", "1B2C3D4E5F", ""), ev(50, 1, "delivered", "1B2C3D4E5F", ""),
			ev(58, 0, "expired", "9A8B7C6D5E", "")}, 3},
		{"postfix newer delivered, older deferred late", []Event{
			ev(10, 0, "queued", "9A8B7C6D5E", ""), ev(50, 0, "queued", "1B2C3D4E5F", ""),
			ev(50, 1, "delivered", "1B2C3D4E5F", ""), ev(58, 0, "deferred", "9A8B7C6D5E", "")}, 2},
		{"postfix newer bounced, older delivered late", []Event{
			ev(10, 0, "queued", "9A8B7C6D5E", ""), ev(10, 1, "deferred", "9A8B7C6D5E", ""),
			ev(50, 0, "queued", "1B2C3D4E5F", ""), ev(50, 1, "bounced", "1B2C3D4E5F", ""),
			ev(58, 0, "delivered", "9A8B7C6D5E", "")}, 3},
		// The newest email deferred, then delivered: its last outcome decides.
		{"postfix newer deferred then delivered, older bounced late", []Event{
			ev(10, 0, "queued", "9A8B7C6D5E", ""), ev(50, 0, "queued", "1B2C3D4E5F", ""),
			ev(50, 1, "deferred", "1B2C3D4E5F", ""), ev(52, 0, "delivered", "1B2C3D4E5F", ""),
			ev(58, 0, "bounced", "9A8B7C6D5E", "")}, 3},
		// A newer email without a hand-over line starts at its outcome.
		{"postfix newer delivered without queued line", []Event{
			ev(10, 0, "queued", "9A8B7C6D5E", ""), ev(50, 1, "delivered", "1B2C3D4E5F", ""),
			ev(58, 0, "bounced", "9A8B7C6D5E", "")}, 1},
		// Postfix logs no hand-over per recipient; delay= on the late
		// bounce shows its email was queued at 09:30, before the newer one.
		{"postfix older bounced late, queued time from delay=", []Event{
			ev(50, 1, "delivered", "1B2C3D4E5F", ""), delayed(ev(55, 0, "bounced", "9A8B7C6D5E", ""), "1500 (1499/0/0.5/0.5)")}, 0},
		{"postfix newer bounced, delay= within its own queue time", []Event{
			ev(30, 1, "delivered", "9A8B7C6D5E", ""), delayed(ev(55, 0, "bounced", "1B2C3D4E5F", ""), "60 (59/0/0.5/0.5)")}, -1},
		// One email: the last decisive event stands.
		{"postfix same queue ID deferred then delivered", []Event{
			ev(50, 0, "queued", "9A8B7C6D5E", ""), ev(50, 1, "deferred", "9A8B7C6D5E", ""), ev(55, 0, "delivered", "9A8B7C6D5E", "")}, -1},
		{"postfix same queue ID delivered then DSN bounce", []Event{
			ev(50, 0, "queued", "9A8B7C6D5E", ""), ev(50, 1, "delivered", "9A8B7C6D5E", ""), ev(55, 0, "bounced", "9A8B7C6D5E", "")}, -1},
		// The newest outcome is already the newest email's: nothing to do.
		{"postfix older bounced, newer delivered after", []Event{
			ev(30, 0, "queued", "9A8B7C6D5E", ""), ev(30, 1, "bounced", "9A8B7C6D5E", ""),
			ev(50, 0, "queued", "1B2C3D4E5F", ""), ev(50, 1, "delivered", "1B2C3D4E5F", "")}, -1},
		// The newest email has no outcome: inFlight speaks for it.
		{"postfix newer only queued", []Event{
			ev(30, 0, "queued", "9A8B7C6D5E", ""), ev(50, 0, "queued", "1B2C3D4E5F", ""), ev(55, 0, "bounced", "9A8B7C6D5E", "")}, -1},
		// SendGrid-style: sg_message_id and smtp-id.
		{"sendgrid newer delivered, older bounced late", []Event{
			ev(30, 0, "queued", "msg7.filter0001", "reset-7@app"), ev(30, 5, "deferred", "msg7.filter0001", "reset-7@app"),
			ev(50, 0, "queued", "msg8.filter0001", "reset-8@app"), ev(50, 5, "delivered", "msg8.filter0001", "reset-8@app"),
			ev(55, 0, "bounced", "msg7.filter0001", "reset-7@app")}, 3},
		{"sendgrid newer opened, older dropped late", []Event{
			ev(30, 0, "queued", "msg7.filter0001", "reset-7@app"),
			ev(50, 0, "queued", "msg8.filter0001", "reset-8@app"), ev(50, 5, "delivered", "msg8.filter0001", "reset-8@app"),
			ev(51, 0, "opened", "msg8.filter0001", "reset-8@app"), ev(55, 0, "dropped", "msg7.filter0001", "reset-7@app")}, 3},
		{"sendgrid same message deferred then delivered", []Event{
			ev(50, 0, "queued", "msg7.filter0001", "reset-7@app"), ev(50, 5, "deferred", "msg7.filter0001", "reset-7@app"),
			ev(55, 0, "delivered", "msg7.filter0001", "reset-7@app")}, -1},
		// Mailgun: a new id per event, the same Message-ID: one email.
		{"mailgun ids per event", []Event{
			ev(30, 0, "queued", "mg1", "reset-6@mg"), ev(50, 0, "delivered", "mg2", "reset-6@mg"), ev(55, 0, "bounced", "mg3", "reset-6@mg")}, -1},
		// Nothing to tell the emails apart: one email.
		{"no IDs", []Event{ev(30, 0, "queued", "", ""), ev(50, 0, "delivered", "", ""), ev(55, 0, "bounced", "", "")}, -1},
		{"nothing decisive", []Event{ev(58, 0, "queued", "A", "")}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := superseded(tt.events, decisive(tt.events))
			switch {
			case tt.want < 0 && got != nil:
				t.Errorf("superseded by %+v, want none", *got)
			case tt.want >= 0 && got == nil:
				t.Errorf("superseded by none, want event %d", tt.want)
			case tt.want >= 0 && *got != tt.events[tt.want]:
				t.Errorf("superseded by %+v, want event %d", *got, tt.want)
			}
			if tt.want >= 0 && inFlight(tt.events, decisive(tt.events)) != nil {
				t.Errorf("in flight as well as superseded")
			}
		})
	}
}

// settled returns the verdict the strongest evidence gives a cause (the
// report's rule: strength first, then confirmed > likely > possible >
// ruled-out).
func settled(res *checks.Result, cause checks.CauseID) checks.Verdict {
	order := map[checks.Verdict]int{checks.Confirmed: 0, checks.Likely: 1, checks.Possible: 2, checks.RuledOut: 3, checks.Unknown: 4}
	var best *checks.Finding
	for _, f := range res.Findings() {
		if f.Cause != cause {
			continue
		}
		if best == nil || f.Strength > best.Strength || f.Strength == best.Strength && order[f.Verdict] < order[best.Verdict] {
			best = &f
		}
	}
	if best == nil {
		return ""
	}
	return best.Verdict
}

func TestCheckLateOutcome(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		outcome  Outcome
		settled  map[checks.CauseID]checks.Verdict // by the strongest evidence
		best     map[checks.CauseID]checks.Verdict // strongest verdict at all
		messages []string
	}{
		{"postfix newer delivered, older bounced late", "postfix_late_bounce.log", OutcomeDelivered,
			map[checks.CauseID]checks.Verdict{checks.MailboxUnknown: checks.RuledOut, checks.NotSent: checks.RuledOut,
				checks.Delayed: checks.RuledOut, checks.SpamFolder: checks.Possible},
			map[checks.CauseID]checks.Verdict{checks.MailboxUnknown: checks.Possible},
			[]string{
				"The log shows the mail was delivered: testdata/postfix_late_bounce.log:6",
				"An earlier email (queued at 2026-11-22 09:30:00 UTC) bounced at 2026-11-22 09:55:01 UTC: The mail bounced",
				"the newest email (first logged at 2026-11-22 09:50:00 UTC) was delivered at 2026-11-22 09:50:01 UTC"}},
		{"sendgrid newer delivered, older bounced late", "sendgrid_late_bounce.json", OutcomeDelivered,
			map[checks.CauseID]checks.Verdict{checks.MailboxUnknown: checks.RuledOut, checks.NotSent: checks.RuledOut,
				checks.Delayed: checks.RuledOut},
			map[checks.CauseID]checks.Verdict{checks.MailboxUnknown: checks.Possible},
			[]string{"An earlier email (queued at 2026-11-22 09:30:00 UTC) bounced at 2026-11-22 09:55:00 UTC: The mail bounced"}},
		{"sendgrid newer bounced, older delivered late", "sendgrid_late_delivered.json", OutcomeBounced,
			map[checks.CauseID]checks.Verdict{checks.MailboxFull: checks.Confirmed, checks.Delayed: checks.RuledOut},
			map[checks.CauseID]checks.Verdict{checks.SpamFolder: checks.Possible, checks.MailboxFull: checks.Confirmed},
			[]string{"The mail bounced: testdata/sendgrid_late_delivered.json:5",
				"An earlier email (queued at 2026-11-22 09:30:00 UTC) was delivered at 2026-11-22 09:55:00 UTC: "}},
		// One email deferred, then delivered: no earlier email to speak of.
		{"postfix one email deferred then delivered", "postfix.log", "", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := checktest.RunGiven(t, nil, ticket("alice@example.com", tt.file), given(nil, nil), Check)
			msgs := strings.Join(checktest.Messages(res, "maillog"), "\n")
			d, _ := res.Check("maillog").Result.(*Delivery)
			if d == nil {
				t.Fatalf("no *Delivery result")
			}
			if tt.outcome != "" && d.Outcome != tt.outcome {
				t.Errorf("outcome = %s, want %s\n%s", d.Outcome, tt.outcome, msgs)
			}
			for c, v := range tt.settled {
				if got := settled(res, c); got != v {
					t.Errorf("%s settled as %q, want %q\n%s", c, got, v, msgs)
				}
			}
			for c, v := range tt.best {
				if got := checktest.Best(res, c); got != v {
					t.Errorf("%s = %q, want %q\n%s", c, got, v, msgs)
				}
			}
			for _, m := range tt.messages {
				if !strings.Contains(msgs, m) {
					t.Errorf("messages lack %q:\n%s", m, msgs)
				}
			}
			for _, f := range res.Findings() {
				if strings.HasPrefix(f.Message, "An earlier email") && f.Cause != "" {
					if f.Verdict != checks.Possible || f.Strength > checks.Indirect {
						t.Errorf("earlier email's evidence %s %s (strength %d), want possible, at most indirect: %s",
							f.Cause, f.Verdict, f.Strength, f.Message)
					}
				}
				if tt.outcome == "" && strings.Contains(f.Message, "An earlier email") {
					t.Errorf("earlier email reported for one email: %s", f.Message)
				}
			}
		})
	}
}
