package maillog

import (
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
)

// TestInFlight: a newer email with no outcome yet decides over an older
// email's outcome.
func TestInFlight(t *testing.T) {
	tm := func(min, sec int) time.Time { return time.Date(2026, 11, 22, 9, min, sec, 0, time.UTC) }
	ev := func(min, sec int, kind Kind, qid, mid string) Event {
		return Event{Time: tm(min, sec), Source: "mail.log:1", Kind: kind, Recipient: "alice@example.com", QueueID: qid, MessageID: mid}
	}
	tests := []struct {
		name   string
		events []Event
		want   int // index of the in-flight event, -1 for none
	}{
		// Postfix-style: queue IDs plus Message-ID.
		{"postfix older bounce, newer queued", []Event{
			ev(30, 0, "queued", "9A8B7C6D5E", "reset-3@app"), ev(30, 1, "bounced", "9A8B7C6D5E", "reset-3@app"),
			ev(58, 0, "queued", "1B2C3D4E5F", "reset-4@app")}, 2},
		{"postfix older delivered, newer queued", []Event{
			ev(30, 0, "queued", "9A8B7C6D5E", "reset-3@app"), ev(30, 1, "delivered", "9A8B7C6D5E", "reset-3@app"),
			ev(58, 0, "queued", "1B2C3D4E5F", "reset-4@app")}, 2},
		{"postfix older deferred, newer queued", []Event{
			ev(30, 1, "deferred", "9A8B7C6D5E", "reset-3@app"), ev(58, 0, "queued", "1B2C3D4E5F", "")}, 1},
		{"postfix same queue ID queued then bounced", []Event{
			ev(58, 0, "queued", "9A8B7C6D5E", ""), ev(58, 1, "bounced", "9A8B7C6D5E", "")}, -1},
		// The newer email was queued before the older one bounced: still in flight.
		{"postfix interleaved", []Event{
			ev(30, 0, "queued", "9A8B7C6D5E", ""), ev(58, 0, "queued", "1B2C3D4E5F", ""), ev(59, 0, "bounced", "9A8B7C6D5E", "")}, 1},
		// An email queued before the decisive one started is older.
		{"older queued email", []Event{
			ev(20, 0, "queued", "1B2C3D4E5F", ""), ev(30, 0, "queued", "9A8B7C6D5E", ""), ev(30, 1, "bounced", "9A8B7C6D5E", "")}, -1},
		// The newer email has its own outcome: nothing in flight.
		{"newer delivered, older bounced late", []Event{
			ev(30, 0, "queued", "9A8B7C6D5E", ""), ev(58, 0, "queued", "1B2C3D4E5F", ""), ev(58, 5, "delivered", "1B2C3D4E5F", ""),
			ev(59, 0, "bounced", "9A8B7C6D5E", "")}, -1},
		// SendGrid-style: sg_message_id and smtp-id.
		{"sendgrid older bounce, newer processed", []Event{
			ev(30, 0, "queued", "msg7.filter0001", "reset-7@app"), ev(30, 5, "bounced", "msg7.filter0001", "reset-7@app"),
			ev(58, 0, "queued", "msg8.filter0001", "reset-8@app")}, 2},
		{"sendgrid same message processed then bounced", []Event{
			ev(58, 0, "queued", "msg7.filter0001", "reset-7@app"), ev(58, 5, "bounced", "msg7.filter0001", "reset-7@app")}, -1},
		// Mailgun: a new id per event, the same Message-ID: one email.
		{"mailgun ids per event", []Event{
			ev(30, 0, "bounced", "mg1", "reset-6@mg"), ev(58, 0, "queued", "mg2", "reset-6@mg")}, -1},
		// Nothing to tell the emails apart: one email.
		{"no IDs", []Event{ev(30, 0, "bounced", "", ""), ev(58, 0, "queued", "", "")}, -1},
		{"nothing decisive", []Event{ev(58, 0, "queued", "A", "")}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := inFlight(tt.events, decisive(tt.events))
			switch {
			case tt.want < 0 && got != nil:
				t.Errorf("in flight = %+v, want none", *got)
			case tt.want >= 0 && got != &tt.events[tt.want]:
				t.Errorf("in flight = %v, want event %d", got, tt.want)
			}
		})
	}
}

func TestCheckInFlight(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		want     map[checks.CauseID]checks.Verdict
		outcome  Outcome
		messages []string
	}{
		{"sendgrid older bounce, newer queued", "sendgrid_requeued.json",
			map[checks.CauseID]checks.Verdict{checks.Delayed: checks.Possible, checks.NotSent: checks.RuledOut,
				checks.MailboxUnknown: checks.Possible, checks.SpamFolder: "", checks.Suppressed: ""},
			OutcomeQueued, []string{
				"The newest email (queued at 2026-11-22 09:58:00 UTC, testdata/sendgrid_requeued.json:4) has no delivery outcome yet; " +
					"an earlier one bounced at 2026-11-22 09:30:05 UTC",
				"The earlier email, which bounced at 2026-11-22 09:30:05 UTC: The mail bounced"}},
		{"sendgrid older delivered, newer queued", "sendgrid_delivered_requeued.json",
			map[checks.CauseID]checks.Verdict{checks.Delayed: checks.Possible, checks.NotSent: checks.RuledOut,
				checks.SpamFolder: checks.Possible, checks.MailboxUnknown: ""},
			OutcomeQueued, []string{"has no delivery outcome yet; an earlier one was delivered at 2026-11-22 09:30:05 UTC"}},
		{"sendgrid same message queued then bounced", "sendgrid_same_bounced.json",
			map[checks.CauseID]checks.Verdict{checks.MailboxUnknown: checks.Confirmed, checks.Delayed: checks.RuledOut, checks.NotSent: checks.RuledOut},
			OutcomeBounced, []string{"The mail bounced"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := checktest.RunGiven(t, nil, ticket("alice@example.com", tt.file), given(nil, nil), Check)
			msgs := strings.Join(checktest.Messages(res, "maillog"), "\n")
			for c, v := range tt.want {
				if got := checktest.Best(res, c); got != v {
					t.Errorf("%s = %q, want %q\n%s", c, got, v, msgs)
				}
			}
			d, _ := res.Check("maillog").Result.(*Delivery)
			if d == nil {
				t.Fatalf("no *Delivery result")
			}
			if d.Outcome != tt.outcome {
				t.Errorf("outcome = %s, want %s", d.Outcome, tt.outcome)
			}
			for _, m := range tt.messages {
				if !strings.Contains(msgs, m) {
					t.Errorf("messages lack %q:\n%s", m, msgs)
				}
			}
			for _, f := range res.Findings() {
				if tt.outcome == OutcomeQueued && (f.Verdict == checks.Confirmed || f.Verdict == checks.Likely) {
					t.Errorf("%s %s while the newest email is in flight: %s", f.Cause, f.Verdict, f.Message)
				}
			}
		})
	}
}
