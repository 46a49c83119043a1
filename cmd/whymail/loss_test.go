package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

// TestDiagnoseUnderLoss runs diagnose many times against a server that
// loses 5% and 20% of UDP packets (fixed seed): no run may say what the
// run without loss does not, and at 5% almost every run is complete.
func TestDiagnoseUnderLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("many runs")
	}
	z := faultZoneSet(t)
	tickets := [][]string{
		{"alice@example.com", "--sender", "app@example.com", "--sending-ip", "198.51.100.20"},
		{"alice@example.com", "--sender", "app@example.com", "--sending-ip", "203.0.113.9"},
		{"bob@implicit.example.com"},
		{"dan@nomail.example.com"}, // domain-no-mail confirmed: it must stay so, or become unknown
		{"eve@nope.example.com"},   // domain-not-found confirmed
		{"carol@looped.example.com"},
	}
	clean := lookuptest.Serve(t, z)
	// A try waits from 125 ms (the first) to 1 s (the last): room for a
	// loaded machine (-race, CI) to answer, so that what the test measures
	// is loss, not the machine's speed.
	args := func(ticket []string, addr string) []string {
		return append(append([]string{"diagnose"}, ticket...), "--dns", addr, "--timeout", "1s")
	}
	base := make([]outcome, len(tickets))
	for i, tk := range tickets {
		base[i] = diagnoseOutcome(t, args(tk, clean)...)
	}
	const runs = 36
	for _, tt := range []struct {
		rate          float64
		maxIncomplete int
	}{{0.05, 1}, {0.2, runs}} {
		t.Run(fmt.Sprint(tt.rate), func(t *testing.T) {
			var st lookuptest.Stats
			lossy := lookuptest.Serve(t, z, lookuptest.Loss(tt.rate, 42), lookuptest.Count(&st))
			var mu sync.Mutex
			incomplete := 0
			var wg sync.WaitGroup
			sem := make(chan struct{}, 12)
			for run := range runs {
				wg.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					i := run % len(tickets)
					got := diagnoseOutcome(t, args(tickets[i], lossy)...)
					for _, b := range honest(base[i], got) {
						t.Errorf("run %d, %v: false verdict: %s\n%s", run, tickets[i], b, got.text)
					}
					if got.incomplete && !base[i].incomplete {
						mu.Lock()
						incomplete++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			t.Logf("%.0f%% loss: %d of %d diagnose runs incomplete (%.1f%%) that are complete without loss; %d packets lost of %d queries",
				tt.rate*100, incomplete, runs, 100*float64(incomplete)/runs, st.Lost.Load(), st.Total())
			if incomplete > tt.maxIncomplete {
				t.Errorf("%d runs incomplete at %.0f%% loss, want at most %d", incomplete, tt.rate*100, tt.maxIncomplete)
			}
			if st.Lost.Load() == 0 {
				t.Error("no packet lost: the test tests nothing")
			}
		})
	}
}

// TestAddressUnderLoss checks a list at 5% and 20% loss: every verdict is
// the one without loss, or unknown.
func TestAddressUnderLoss(t *testing.T) {
	z := faultZoneSet(t)
	var in strings.Builder
	domains := []string{"example.com", "implicit.example.com", "nomail.example.com", "nope.example.com", "looped.example.com"}
	for i := range 200 {
		// A distinct subdomain per address would defeat the cache;
		// mostly the same domains, as a real list is.
		fmt.Fprintf(&in, "user%d@%s\n", i, domains[i%len(domains)])
		if i%10 == 0 {
			fmt.Fprintf(&in, "x%d@h%d.nope.example.com\n", i, i) // distinct NXDOMAIN questions
		}
	}
	verdicts := func(addr string) (map[string]string, int) {
		var out bytes.Buffer
		code := Main([]string{"address", "--input", "-", "--dns", addr, "--timeout", "1s", "--format", "json"},
			strings.NewReader(in.String()), &out, io.Discard)
		m := map[string]string{}
		for line := range strings.Lines(out.String()) {
			var v struct{ Address, Verdict string }
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("%v: %q", err, line)
			}
			m[v.Address] = v.Verdict
		}
		return m, code
	}
	base, code := verdicts(lookuptest.Serve(t, z))
	if code != ExitOK && code != ExitFailed {
		t.Fatalf("without loss: exit %d", code)
	}
	for _, rate := range []float64{0.05, 0.2} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			var st lookuptest.Stats
			got, code := verdicts(lookuptest.Serve(t, z, lookuptest.Loss(rate, 7), lookuptest.Count(&st)))
			unknown, anyUnknown := 0, false
			for a, want := range base {
				v := got[a]
				anyUnknown = anyUnknown || v == "unknown"
				switch {
				case v == want:
				case v == "unknown":
					unknown++
				default:
					t.Errorf("%s: %s, without loss %s", a, v, want)
				}
			}
			if len(got) != len(base) {
				t.Errorf("%d verdicts, want %d", len(got), len(base))
			}
			if anyUnknown != (code == ExitFailed) {
				t.Errorf("exit %d, unknown verdicts: %v", code, anyUnknown)
			}
			t.Logf("%.0f%% loss: %d of %d addresses unknown (%.1f%%); %d packets lost", rate*100, unknown, len(base),
				100*float64(unknown)/float64(len(base)), st.Lost.Load())
			if rate <= 0.05 && unknown > 0 {
				t.Errorf("%d addresses unknown at 5%% loss", unknown)
			}
		})
	}
}
