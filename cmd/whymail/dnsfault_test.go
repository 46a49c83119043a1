package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

// faultZones serve the fault tests: a recipient domain with an MX host
// that has only an A record, a domain with an implicit MX, a sender domain
// whose SPF names a host (a:), its MX (mx) and an include, and the
// reverse zone of the sending IPs.
const faultZones = `$ORIGIN example.com.
@        SOA  ns1 hostmaster 1 7200 900 1209600 3600
@        MX   10 mx
mx       A    192.0.2.25
@        TXT  "v=spf1 a:web.example.com mx include:_spf.example.com -all"
web      A    203.0.113.9
_spf     TXT  "v=spf1 ip4:198.51.100.0/24 -all"
implicit A    192.0.2.80
nomail   TXT  "a name without MX or address"
looped   MX   10 alias.example.com.
alias    CNAME alias2
alias2   CNAME alias
`

const faultReverseZone = `$ORIGIN 113.0.203.in-addr.arpa.
@        SOA  ns1.example.com. hostmaster.example.com. 1 7200 900 1209600 3600
9        PTR  web.example.com.
`

// outcome is what a run said: exit status, INCOMPLETE, and each cause's verdict.
type outcome struct {
	code       int
	incomplete bool
	verdicts   map[string]string
	text       string
}

func diagnoseOutcome(t testing.TB, args ...string) outcome {
	t.Helper()
	var out bytes.Buffer
	code := Main(append(args, "--format", "json", "--at", "2026-11-22T10:00:00Z"), nil, &out, io.Discard)
	var doc struct {
		Incomplete bool `json:"incomplete"`
		Causes     []struct {
			ID      string `json:"id"`
			Verdict string `json:"verdict"`
		} `json:"causes"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v: exit %d, output not JSON: %v\n%s", args, code, err, out.String())
	}
	o := outcome{code: code, incomplete: doc.Incomplete, verdicts: map[string]string{}, text: out.String()}
	for _, c := range doc.Causes {
		o.verdicts[c.ID] = c.Verdict
	}
	return o
}

// honest compares a run under faults with the run without: a complete run
// must say the same. An incomplete one may only have weakened verdicts to
// unknown, or to possible (when the check whose evidence ruled a cause out
// failed, the report still shows the weak evidence of the others); a
// confirmed, likely or ruled-out the run without the fault does not give
// is false. It returns what was false.
func honest(base, got outcome) []string {
	var bad []string
	if got.incomplete != (got.code == ExitFailed) {
		bad = append(bad, fmt.Sprintf("incomplete=%v with exit %d", got.incomplete, got.code))
	}
	for _, id := range slices.Sorted(maps.Keys(got.verdicts)) {
		v, want := got.verdicts[id], base.verdicts[id]
		if v != want && !(got.incomplete && (v == "unknown" || v == "possible")) {
			bad = append(bad, fmt.Sprintf("%s %s, without the fault %s", id, v, or(want, "not said")))
		}
	}
	if !got.incomplete {
		for id, want := range base.verdicts {
			if _, ok := got.verdicts[id]; !ok {
				bad = append(bad, fmt.Sprintf("%s not said, without the fault %s", id, want))
			}
		}
	}
	return bad
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func faultZoneSet(t testing.TB) *lookup.Zones {
	z := &lookup.Zones{}
	for i, text := range []string{faultZones, faultReverseZone} {
		if err := z.Add(strings.NewReader(text), fmt.Sprint("zone", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	return z
}

type faultRule = lookuptest.Rule

func rule(name string, t uint16, f lookuptest.Fault) faultRule {
	return faultRule{Name: name, Type: t, Fault: f}
}

// TestDiagnoseDNSFaults injects each fault of issue 8 on loopback and
// requires an honest report: the verdicts of the run without the fault, or
// unknown with exit 3 and INCOMPLETE; never a confirmed domain-no-mail or
// an SPF fail that the DNS did not say.
func TestDiagnoseDNSFaults(t *testing.T) {
	z := faultZoneSet(t)
	drop, servfail := lookuptest.FaultDrop, lookuptest.FaultServFail
	tests := []struct {
		name       string
		args       []string
		rules      []faultRule
		incomplete bool   // the fault must leave the run incomplete
		text       string // the report must say this
	}{
		{"mx host A times out, AAAA nodata", []string{"alice@example.com"},
			[]faultRule{rule("mx.example.com", dns.TypeA, drop)}, true, "could not be resolved (timeout"},
		{"mx host A servfail, AAAA nodata", []string{"alice@example.com"},
			[]faultRule{rule("mx.example.com", dns.TypeA, servfail)}, true, "could not be resolved (SERVFAIL"},
		{"mx host A wrong ID", []string{"alice@example.com"},
			[]faultRule{rule("mx.example.com", dns.TypeA, lookuptest.FaultWrongID)}, true, ""},
		{"mx host A garbage", []string{"alice@example.com"},
			[]faultRule{rule("mx.example.com", dns.TypeA, lookuptest.FaultGarbage)}, true, "malformed reply"},
		{"mx host A truncated, TCP dead", []string{"alice@example.com"},
			[]faultRule{rule("mx.example.com", dns.TypeA, lookuptest.FaultTruncateNoTCP)}, true, ""},
		{"mx host AAAA times out, A answers", []string{"alice@example.com"},
			[]faultRule{rule("mx.example.com", dns.TypeAAAA, drop)}, false, ""},
		{"mx host AAAA refused, A answers", []string{"alice@example.com"},
			[]faultRule{rule("mx.example.com", dns.TypeAAAA, lookuptest.FaultRefused)}, false, ""},
		{"implicit MX: A times out, AAAA nodata", []string{"bob@implicit.example.com"},
			[]faultRule{rule("implicit.example.com", dns.TypeA, drop)}, true, ""},
		{"implicit MX: AAAA servfail, A answers", []string{"bob@implicit.example.com"},
			[]faultRule{rule("implicit.example.com", dns.TypeAAAA, servfail)}, false, ""},
		{"MX host is a CNAME loop", []string{"carol@looped.example.com"}, nil, true,
			"CNAME loop alias.example.com -> alias2.example.com -> alias.example.com"},
		{"spf a: host A times out", []string{"alice@example.com", "--sender", "app@example.com", "--sending-ip", "203.0.113.9"},
			[]faultRule{rule("web.example.com", dns.TypeA, drop)}, true, "temperror"},
		{"spf a: host A servfail", []string{"alice@example.com", "--sender", "app@example.com", "--sending-ip", "203.0.113.9"},
			[]faultRule{rule("web.example.com", dns.TypeA, servfail)}, true, "temperror"},
		{"spf a: host AAAA times out (IPv4 sender)", []string{"alice@example.com", "--sender", "app@example.com", "--sending-ip", "203.0.113.9"},
			[]faultRule{rule("web.example.com", dns.TypeAAAA, drop)}, false, ""},
		{"spf mx term: MX host A times out", []string{"alice@example.com", "--sender", "app@example.com", "--sending-ip", "192.0.2.25"},
			[]faultRule{rule("mx.example.com", dns.TypeA, drop)}, true, "temperror"},
		{"spf include: target times out", []string{"alice@example.com", "--sender", "app@example.com", "--sending-ip", "198.51.100.20"},
			[]faultRule{rule("_spf.example.com", dns.TypeTXT, drop)}, true, "temperror"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clean := lookuptest.Serve(t, z)
			faulty := lookuptest.Serve(t, z, lookuptest.Faults(tt.rules...))
			dnsArgs := func(addr string) []string {
				return append([]string{"diagnose"}, append(slices.Clone(tt.args), "--dns", addr, "--timeout", "100ms")...)
			}
			base := diagnoseOutcome(t, dnsArgs(clean)...)
			got := diagnoseOutcome(t, dnsArgs(faulty)...)
			t.Logf("without fault: exit %d %v; with: exit %d incomplete=%v %v", base.code, base.verdicts, got.code, got.incomplete, got.verdicts)
			for _, b := range honest(base, got) {
				t.Errorf("false verdict: %s", b)
			}
			if got.incomplete != tt.incomplete {
				t.Errorf("incomplete=%v (exit %d), want %v", got.incomplete, got.code, tt.incomplete)
			}
			if tt.text != "" && !strings.Contains(got.text, tt.text) {
				t.Errorf("the report does not say %q", tt.text)
			}
		})
	}
}
