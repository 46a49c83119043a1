package delivery

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/bounce"
	"github.com/whymail/whymail/checks/dmarc"
	"github.com/whymail/whymail/checks/dnsbl"
	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/checks/spf"
	"github.com/whymail/whymail/internal/checktest"
)

func TestSpamFolder(t *testing.T) {
	delivered := &maillog.Delivery{Outcome: maillog.OutcomeDelivered}
	goodSPF := &spf.Result{Evaluations: []spf.Evaluation{{IP: netip.MustParseAddr("192.0.2.1"), Result: "pass"}}}
	badSPF := &spf.Result{Evaluations: []spf.Evaluation{{IP: netip.MustParseAddr("192.0.2.1"), Result: "softfail"}}}
	goodDMARC := &dmarc.Result{Found: true, Pass: checks.Yes}
	failDMARC := &dmarc.Result{Found: true, Pass: checks.No}
	listed := &dnsbl.Result{Listings: []dnsbl.Listing{{Subject: "192.0.2.1", Zone: "zen.spamhaus.org", Code: "127.0.0.2"}}}
	tests := []struct {
		name    string
		log     *maillog.Delivery
		spf     *spf.Result
		dmarc   *dmarc.Result
		dnsbl   *dnsbl.Result
		want    checks.Verdict // "" means no finding
		skipped bool
	}{
		{"no log", nil, goodSPF, goodDMARC, nil, "", true},
		{"deferred", &maillog.Delivery{Outcome: maillog.OutcomeDeferred}, badSPF, failDMARC, nil, checks.RuledOut, false},
		{"nothing logged", &maillog.Delivery{Outcome: maillog.OutcomeNone}, badSPF, failDMARC, nil, "", true},
		{"bounced", &maillog.Delivery{Outcome: maillog.OutcomeBounced}, badSPF, nil, nil, checks.RuledOut, false},
		{"bounced, then a line lost", &maillog.Delivery{Outcome: maillog.OutcomeBounced, Doubt: "But 1 line names the recipient and could not be read."}, badSPF, nil, nil, "", false},
		{"delivered, healthy sender", delivered, goodSPF, goodDMARC, &dnsbl.Result{}, checks.Possible, false},
		{"delivered, sender not checked", delivered, nil, nil, nil, checks.Possible, false},
		{"delivered, softfail", delivered, badSPF, goodDMARC, nil, checks.Likely, false},
		{"delivered, dmarc fails", delivered, goodSPF, failDMARC, nil, checks.Likely, false},
		{"delivered, no dmarc", delivered, goodSPF, &dmarc.Result{}, nil, checks.Likely, false},
		{"delivered, listed", delivered, goodSPF, goodDMARC, listed, checks.Likely, false},
		{"opened, weak sender", &maillog.Delivery{Outcome: maillog.OutcomeDelivered, Events: []maillog.Event{{Kind: "delivered"}, {Kind: "opened", Source: "events.json:3"}}},
			badSPF, failDMARC, nil, checks.Possible, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := checktest.RunGiven(t, nil, &checks.Ticket{}, map[*checks.Check]any{
				maillog.Check: checktest.Result(tt.log), spf.Lint: checktest.Result(tt.spf),
				dmarc.Check: checktest.Result(tt.dmarc), dnsbl.Check: checktest.Result(tt.dnsbl),
			}, Check)
			if got := checktest.Best(res, checks.SpamFolder); got != tt.want {
				t.Errorf("spam-folder = %q, want %q (%v)", got, tt.want, checktest.Messages(res, "delivery"))
			}
			if tt.name == "delivered, sender not checked" && !strings.Contains(checktest.Messages(res, "delivery")[0], "the sender was not checked") {
				t.Errorf("message %q does not say the sender was not checked", checktest.Messages(res, "delivery")[0])
			}
			if got := res.Check("delivery").Status == checks.StatusSkipped; got != tt.skipped {
				t.Errorf("skipped = %v, want %v", got, tt.skipped)
			}
		})
	}
}

// Exchange Online answers 250 and returns a 5.1.10 report later: the 250
// no longer supports spam-folder (nor delayed).
func TestLaterNDROverrides250(t *testing.T) {
	at := time.Date(2026, 11, 22, 9, 50, 1, 0, time.UTC)
	delivered := &maillog.Delivery{Outcome: maillog.OutcomeDelivered, Events: []maillog.Event{
		{Kind: maillog.Delivered, Time: at, Source: "mail.log:4", MessageID: "reset-7@app.example.net"}}}
	ndr := bounce.Record{File: "ndr.eml", Recipient: "alice@example.com", Status: "5.1.10", Permanent: true,
		Cause: checks.MailboxUnknown, Diagnostic: "550 5.1.10 RESOLVER.ADR.RecipientNotFound"}
	byID, byTime, older := ndr, ndr, ndr
	byID.MessageID = "<reset-7@app.example.net>"
	byTime.At = at.Add(2 * time.Minute)
	older.At = at.Add(-time.Hour)
	for _, tt := range []struct {
		name string
		b    *bounce.Result
		want checks.Verdict
	}{
		{"same Message-ID", &bounce.Result{Recipients: []bounce.Record{byID}}, checks.RuledOut},
		{"dated after", &bounce.Result{Recipients: []bounce.Record{byTime}}, checks.RuledOut},
		{"an older bounce", &bounce.Result{Recipients: []bounce.Record{older}}, checks.Possible},
		{"no bounce", nil, checks.Possible},
	} {
		res := checktest.RunGiven(t, nil, &checks.Ticket{}, map[*checks.Check]any{
			maillog.Check: delivered, spf.Lint: nil, dmarc.Check: nil, dnsbl.Check: nil, bounce.Check: checktest.Result(tt.b),
		}, Check)
		if got := checktest.Best(res, checks.SpamFolder); got != tt.want {
			t.Errorf("%s: spam-folder = %q, want %q (%v)", tt.name, got, tt.want, checktest.Messages(res, "delivery"))
		}
		if tt.want == checks.RuledOut && checktest.Best(res, checks.Delayed) != checks.RuledOut {
			t.Errorf("%s: delayed not ruled out", tt.name)
		}
	}
}
