package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
)

func TestBaselineOnlyNewFail(t *testing.T) {
	earlier := NewLint(checks.Warning, false)
	earlier.Add("example.com", result(
		checks.Finding{ID: "dmarc.policy-none", Check: "dmarc", Record: "dmarc", Severity: checks.Warning, Message: "p=none"},
		checks.Finding{ID: "spf.void-term", Check: "spf", Record: "spf", Severity: checks.Warning, Message: "term a:x"},
	))
	var buf bytes.Buffer
	if err := WriteJSON(&buf, earlier); err != nil {
		t.Fatal(err)
	}
	b, err := ReadBaseline(&buf, "base.json")
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 2 {
		t.Fatalf("baseline holds %d findings, want 2", b.Len())
	}
	now := NewLint(checks.Warning, false)
	now.Baseline = b
	now.Add("example.com", result(
		checks.Finding{ID: "dmarc.policy-none", Check: "dmarc", Record: "dmarc", Severity: checks.Warning, Message: "p=none"},
		// Reworded: still known by its ID.
		checks.Finding{ID: "spf.void-term", Check: "spf", Record: "spf", Severity: checks.Warning, Message: "term a:x finds nothing"},
		// The same ID once more than before: new.
		checks.Finding{ID: "spf.void-term", Check: "spf", Record: "spf", Severity: checks.Warning, Message: "term a:y"},
	))
	if !now.Failed || now.AcceptedCount.Baseline != 2 {
		t.Fatalf("Failed=%v, baseline-accepted=%d; want a failure from the third finding and 2 known", now.Failed, now.AcceptedCount.Baseline)
	}
	// The same findings on another domain are all new.
	other := NewLint(checks.Warning, false)
	other.Baseline = b
	other.Add("example.org", result(checks.Finding{ID: "dmarc.policy-none", Check: "dmarc", Record: "dmarc", Severity: checks.Warning, Message: "p=none"}))
	if !other.Failed {
		t.Error("a baseline of example.com accepted a finding of example.org")
	}
	if _, err := ReadBaseline(strings.NewReader(`{"schema": "whymail.diagnose/v1"}`), "x"); err == nil {
		t.Error("a diagnosis was read as a baseline")
	}
}

func TestAcceptExpires(t *testing.T) {
	f := checks.Finding{ID: "dmarc.policy-none", Check: "dmarc", Record: "dmarc", Severity: checks.Warning, Message: "p=none"}
	day := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		now    time.Time
		failed bool
	}{
		{day.Add(23 * time.Hour), false}, // the expiry date is the last day it holds
		{day.Add(25 * time.Hour), true},
	} {
		l := NewLint(checks.Warning, false)
		l.Now = tc.now
		l.Accept = []Acceptance{{ID: f.ID, Expires: day}}
		l.Add("example.com", result(f))
		if l.Failed != tc.failed {
			t.Errorf("at %v: Failed = %v, want %v", tc.now, l.Failed, tc.failed)
		}
	}
}
