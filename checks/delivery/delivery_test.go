package delivery

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
)

// fact returns a stand-in for a required check that hands over v.
func fact(name string, v any) *checks.Check {
	return &checks.Check{Name: name, Doc: "stand-in " + name, Run: func(*checks.Pass) (any, error) { return v, nil }}
}

func TestSpamFolder(t *testing.T) {
	delivered := &checks.Delivery{Outcome: checks.OutcomeDelivered}
	goodSPF := &checks.SPFResult{Evaluations: []checks.SPFEvaluation{{IP: netip.MustParseAddr("192.0.2.1"), Result: "pass"}}}
	badSPF := &checks.SPFResult{Evaluations: []checks.SPFEvaluation{{IP: netip.MustParseAddr("192.0.2.1"), Result: "softfail"}}}
	goodDMARC := &checks.DMARCResult{Found: true, Pass: checks.Yes}
	failDMARC := &checks.DMARCResult{Found: true, Pass: checks.No}
	listed := &checks.BlocklistResult{Listings: []checks.Listing{{Subject: "192.0.2.1", Zone: "zen.spamhaus.org", Code: "127.0.0.2"}}}
	tests := []struct {
		name    string
		log     *checks.Delivery
		spf     *checks.SPFResult
		dmarc   *checks.DMARCResult
		dnsbl   *checks.BlocklistResult
		want    checks.Verdict // "" means no finding
		skipped bool
	}{
		{"no log", nil, goodSPF, goodDMARC, nil, "", true},
		{"deferred", &checks.Delivery{Outcome: checks.OutcomeDeferred}, badSPF, failDMARC, nil, checks.RuledOut, false},
		{"nothing logged", &checks.Delivery{Outcome: checks.OutcomeNone}, badSPF, failDMARC, nil, "", true},
		{"bounced", &checks.Delivery{Outcome: checks.OutcomeBounced}, badSPF, nil, nil, checks.RuledOut, false},
		{"delivered, healthy sender", delivered, goodSPF, goodDMARC, &checks.BlocklistResult{}, checks.Possible, false},
		{"delivered, sender not checked", delivered, nil, nil, nil, checks.Possible, false},
		{"delivered, softfail", delivered, badSPF, goodDMARC, nil, checks.Likely, false},
		{"delivered, dmarc fails", delivered, goodSPF, failDMARC, nil, checks.Likely, false},
		{"delivered, no dmarc", delivered, goodSPF, &checks.DMARCResult{}, nil, checks.Likely, false},
		{"delivered, listed", delivered, goodSPF, goodDMARC, listed, checks.Likely, false},
		{"opened, weak sender", &checks.Delivery{Outcome: checks.OutcomeDelivered, Events: []checks.DeliveryEvent{{Kind: "delivered"}, {Kind: "opened", Source: "events.json:3"}}},
			badSPF, failDMARC, nil, checks.Possible, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log any
			if tt.log != nil {
				log = tt.log
			}
			res := checktest.Run(t, nil, &checks.Ticket{}, Check,
				fact("maillog", log), fact("spf", tt.spf), fact("dmarc", tt.dmarc), fact("dnsbl", tt.dnsbl))
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
