package lookuptest_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

const zone = `$ORIGIN example.com.
@     SOA  ns1 hostmaster 1 7200 3600 1209600 300
@     MX   10 mx
mx    A    192.0.2.25
slow  A    192.0.2.26
`

func exchange(t *testing.T, network, addr, name string, qtype uint16) (*dns.Msg, error) {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: network, Timeout: 300 * time.Millisecond}
	r, _, err := c.Exchange(m, addr)
	return r, err
}

func TestServer(t *testing.T) {
	z, err := lookup.ParseZones(zone, "")
	if err != nil {
		t.Fatal(err)
	}
	var st lookuptest.Stats
	addr := lookuptest.Serve(t, z, lookuptest.Count(&st),
		lookuptest.Truncate("MX.example.com"), lookuptest.Drop("slow.example.com"),
		lookuptest.ServFail("broken.example.com"))
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("addr %q", addr)
	}
	tests := []struct {
		network, name string
		qtype         uint16
		rcode         int
		answers       int
		tc, aa        bool
		timeout       bool
	}{
		{"udp", "example.com", dns.TypeMX, dns.RcodeSuccess, 1, false, true, false},
		{"tcp", "example.com", dns.TypeMX, dns.RcodeSuccess, 1, false, true, false},
		{"udp", "mx.example.com", dns.TypeA, dns.RcodeSuccess, 0, true, false, false},
		{"tcp", "mx.example.com", dns.TypeA, dns.RcodeSuccess, 1, false, true, false},
		{"udp", "nope.example.com", dns.TypeA, dns.RcodeNameError, 0, false, true, false},
		{"udp", "broken.example.com", dns.TypeA, dns.RcodeServerFailure, 0, false, false, false},
		{"udp", "example.org", dns.TypeA, dns.RcodeRefused, 0, false, false, false},
		{"udp", "slow.example.com", dns.TypeA, 0, 0, false, false, true},
		{"tcp", "slow.example.com", dns.TypeA, 0, 0, false, false, true},
	}
	for _, tt := range tests {
		r, err := exchange(t, tt.network, addr, tt.name, tt.qtype)
		if tt.timeout {
			if err == nil {
				t.Errorf("%s %s: answered %v, want silence", tt.network, tt.name, r)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", tt.network, tt.name, err)
			continue
		}
		if r.Rcode != tt.rcode || len(r.Answer) != tt.answers || r.Truncated != tt.tc || r.Authoritative != tt.aa {
			t.Errorf("%s %s: rcode %s, %d answers, tc=%v aa=%v; want %s, %d, tc=%v aa=%v", tt.network, tt.name,
				dns.RcodeToString[r.Rcode], len(r.Answer), r.Truncated, r.Authoritative,
				dns.RcodeToString[tt.rcode], tt.answers, tt.tc, tt.aa)
		}
	}
	if u, c := st.UDP.Load(), st.TCP.Load(); u != 6 || c != 3 || st.Total() != 9 {
		t.Errorf("stats udp=%d tcp=%d total=%d, want 6, 3, 9", u, c, st.Total())
	}
	if got := st.Queries("MX.EXAMPLE.COM.", dns.TypeA); got != 2 {
		t.Errorf("Queries(mx A) = %d, want 2", got)
	}
	if got := st.Queries("mx.example.com", dns.TypeAAAA); got != 0 {
		t.Errorf("Queries(mx AAAA) = %d, want 0", got)
	}
}

func TestStartStop(t *testing.T) {
	z, _ := lookup.ParseZones(zone, "")
	addr, stop, err := lookuptest.Start(z, lookuptest.Delay(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := exchange(t, "udp", addr, "example.com", dns.TypeMX); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered in %v despite Delay(50ms)", d)
	}
	stop()
	if _, err := exchange(t, "tcp", addr, "example.com", dns.TypeMX); err == nil {
		t.Error("server still answers after stop")
	}
}

// Each fault applies to the name and type it names, and only there, and
// only as many times as it says.
func TestFaults(t *testing.T) {
	z, err := lookup.ParseZones(zone, "")
	if err != nil {
		t.Fatal(err)
	}
	var st lookuptest.Stats
	addr := lookuptest.Serve(t, z, lookuptest.Count(&st), lookuptest.Faults(
		lookuptest.Rule{Name: "mx.example.com", Type: dns.TypeA, Fault: lookuptest.FaultServFail},
		lookuptest.Rule{Name: "mx.example.com", Type: dns.TypeAAAA, Fault: lookuptest.FaultRefused},
		lookuptest.Rule{Name: "example.com", Type: dns.TypeMX, Fault: lookuptest.FaultWrongID},
		lookuptest.Rule{Name: "example.com", Type: dns.TypeTXT, Fault: lookuptest.FaultGarbage},
		lookuptest.Rule{Name: "example.com", Type: dns.TypeA, Fault: lookuptest.FaultTruncateNoTCP},
		lookuptest.Rule{Name: "slow.example.com", Fault: lookuptest.FaultDelay, Delay: 100 * time.Millisecond},
		lookuptest.Rule{Name: "slow.example.com", Type: dns.TypeAAAA, Fault: lookuptest.FaultDrop},
		lookuptest.Rule{Name: "mx.example.com", Type: dns.TypeTXT, Fault: lookuptest.FaultDrop, Times: 1},
	))
	tests := []struct {
		network, name string
		qtype         uint16
		rcode         int
		tc            bool
		err           string // what the client's error says, "" for an answer
		slow          bool
	}{
		{"udp", "mx.example.com", dns.TypeA, dns.RcodeServerFailure, false, "", false},
		{"udp", "mx.example.com", dns.TypeAAAA, dns.RcodeRefused, false, "", false},
		{"udp", "mx.example.com", dns.TypeMX, dns.RcodeSuccess, false, "", false}, // other types unharmed
		{"udp", "example.com", dns.TypeMX, 0, false, "timeout", false},            // miekg's client waits for the right ID
		{"udp", "example.com", dns.TypeTXT, 0, false, "buffer size too small", false},
		{"udp", "example.com", dns.TypeA, dns.RcodeSuccess, true, "", false},
		{"tcp", "example.com", dns.TypeA, 0, false, "EOF", false},
		{"tcp", "example.com", dns.TypeMX, 0, false, "id mismatch", false},
		{"udp", "slow.example.com", dns.TypeA, dns.RcodeSuccess, false, "", true},
		{"udp", "slow.example.com", dns.TypeAAAA, 0, false, "timeout", false},
		{"udp", "mx.example.com", dns.TypeTXT, 0, false, "timeout", false},         // dropped once (Times: 1),
		{"udp", "mx.example.com", dns.TypeTXT, dns.RcodeSuccess, false, "", false}, // then answered
	}
	for _, tt := range tests {
		start := time.Now()
		r, err := exchange(t, tt.network, addr, tt.name, tt.qtype)
		took := time.Since(start)
		what := tt.network + " " + tt.name + " " + dns.TypeToString[tt.qtype]
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", what, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		if r.Rcode != tt.rcode || r.Truncated != tt.tc || (tt.tc && len(r.Answer) > 0) {
			t.Errorf("%s: rcode %s tc=%v with %d answers, want %s tc=%v", what, dns.RcodeToString[r.Rcode], r.Truncated, len(r.Answer),
				dns.RcodeToString[tt.rcode], tt.tc)
		}
		if tt.slow != (took >= 100*time.Millisecond) {
			t.Errorf("%s: answered in %v, slow=%v", what, took, tt.slow)
		}
	}
	if got := st.Total(); got != int64(len(tests)) {
		t.Errorf("%d queries counted, want %d", got, len(tests))
	}
}

// Loss loses about the share asked, and the same packets for the same seed.
func TestLoss(t *testing.T) {
	z, _ := lookup.ParseZones(zone, "")
	run := func(seed uint64) (lost []int, stats *lookuptest.Stats) {
		st := &lookuptest.Stats{}
		addr := lookuptest.Serve(t, z, lookuptest.Count(st), lookuptest.Loss(0.2, seed))
		c := &dns.Client{Net: "udp", Timeout: 500 * time.Millisecond}
		// Distinct questions asked at once: each is its question's first
		// arrival, so only the seed decides, whatever the order.
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Go(func() {
				m := new(dns.Msg)
				m.SetQuestion(fmt.Sprintf("h%d.example.com.", i), dns.TypeA)
				if _, _, err := c.Exchange(m, addr); err != nil {
					mu.Lock()
					lost = append(lost, i)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(lost)
		return lost, st
	}
	a, st := run(7)
	b, _ := run(7)
	c, _ := run(8)
	// 1 - 0.8*0.8 = 36% of exchanges lose the query or the reply.
	if len(a) < 40 || len(a) > 110 {
		t.Errorf("%d of 200 exchanges lost at 20%% loss, want about 72", len(a))
	}
	if !slices.Equal(a, b) {
		t.Errorf("seed 7 lost %v, then %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 lost the same exchanges %v", a)
	}
	if got := st.Lost.Load(); got != int64(len(a)) {
		t.Errorf("Stats.Lost = %d for %d lost exchanges", got, len(a))
	}
}
