package lookuptest_test

import (
	"strings"
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
