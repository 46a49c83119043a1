package lookup_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/whymail/whymail/internal/lookup"
)

// fake answers each type with an rcode and records, or fails.
type fake map[uint16]string // type -> "ok 192.0.2.1", "nodata", "nxdomain", "servfail", "refused", "timeout", "loop"

func (f fake) Lookup(_ context.Context, q lookup.Question) (*lookup.Answer, error) {
	q = lookup.Question{Name: dns.Fqdn(strings.ToLower(q.Name)), Type: q.Type}
	a := &lookup.Answer{Question: q}
	spec := strings.Fields(f[q.Type])
	if len(spec) == 0 {
		spec = []string{"nodata"}
	}
	switch spec[0] {
	case "ok":
		for _, ip := range spec[1:] {
			rr, err := dns.NewRR(fmt.Sprintf("%s 300 IN %s %s", q.Name, dns.TypeToString[q.Type], ip))
			if err != nil {
				panic(err)
			}
			a.Records = append(a.Records, rr)
		}
	case "nodata":
	case "nxdomain":
		a.Rcode = dns.RcodeNameError
	case "servfail":
		a.Rcode = dns.RcodeServerFailure
	case "refused":
		a.Rcode = dns.RcodeRefused
	case "timeout":
		return nil, fmt.Errorf("no answer: %w", lookup.ErrTimeout)
	case "loop": // NOERROR with a chain that comes back, as some resolvers answer
		for _, l := range []string{q.Name + " CNAME b.example.", "b.example. CNAME " + q.Name} {
			rr, _ := dns.NewRR(l)
			a.Records = append(a.Records, rr)
		}
	}
	return a, nil
}

// A host has no address only when both answers say so; a failed half is a
// failure, whatever the other half says.
func TestAddrsHalves(t *testing.T) {
	tests := []struct {
		a, aaaa string
		addrs   []string
		status  lookup.Status
		err     bool
	}{
		{"ok 192.0.2.1", "ok 2001:db8::1", []string{"192.0.2.1", "2001:db8::1"}, lookup.StatusOK, false},
		{"ok 192.0.2.1", "nodata", []string{"192.0.2.1"}, lookup.StatusOK, false},
		{"nodata", "ok 2001:db8::1", []string{"2001:db8::1"}, lookup.StatusOK, false},
		{"nodata", "nodata", nil, lookup.StatusNoData, false},
		{"nxdomain", "nxdomain", nil, lookup.StatusNXDomain, false},
		{"nodata", "nxdomain", nil, lookup.StatusNXDomain, false},
		// The defect of issue 8: these were NODATA without an error.
		{"timeout", "nodata", nil, lookup.StatusTimeout, true},
		{"servfail", "nodata", nil, lookup.StatusServFail, true},
		{"nodata", "timeout", nil, lookup.StatusTimeout, true},
		{"nodata", "servfail", nil, lookup.StatusServFail, true},
		{"refused", "nxdomain", nil, lookup.StatusRefused, true},
		{"nxdomain", "timeout", nil, lookup.StatusTimeout, true},
		// One half failed, the other gave addresses: both are said.
		{"ok 192.0.2.1", "timeout", []string{"192.0.2.1"}, lookup.StatusTimeout, true},
		{"servfail", "ok 2001:db8::1", []string{"2001:db8::1"}, lookup.StatusServFail, true},
		// A CNAME loop answered NOERROR is not "no address".
		{"loop", "loop", nil, lookup.StatusServFail, true},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.aaaa, func(t *testing.T) {
			addrs, st, err := lookup.Addrs(context.Background(), fake{dns.TypeA: tt.a, dns.TypeAAAA: tt.aaaa}, "h.example")
			var got []string
			for _, a := range addrs {
				got = append(got, a.String())
			}
			if !slices.Equal(got, tt.addrs) || st != tt.status || (err != nil) != tt.err {
				t.Errorf("got %v %s %v, want %v %s err=%v", got, st, err, tt.addrs, tt.status, tt.err)
			}
			if err != nil && lookup.ErrStatus(err) != st {
				t.Errorf("ErrStatus(%v) = %s, status %s", err, lookup.ErrStatus(err), st)
			}
		})
	}
}

// AddrsLike asks only the family of the IP compared with.
func TestAddrsLike(t *testing.T) {
	r := fake{dns.TypeA: "ok 192.0.2.1", dns.TypeAAAA: "timeout"}
	addrs, st, err := lookup.AddrsLike(context.Background(), r, "h.example", netip.MustParseAddr("192.0.2.9"))
	if err != nil || st != lookup.StatusOK || len(addrs) != 1 {
		t.Errorf("IPv4: %v %s %v, want the A record", addrs, st, err)
	}
	_, st, err = lookup.AddrsLike(context.Background(), r, "h.example", netip.MustParseAddr("2001:db8::9"))
	if err == nil || st != lookup.StatusTimeout {
		t.Errorf("IPv6: %s %v, want the AAAA timeout", st, err)
	}
	_, st, err = lookup.AddrsLike(context.Background(), r, "h.example", netip.MustParseAddr("::ffff:192.0.2.9"))
	if err != nil || st != lookup.StatusOK {
		t.Errorf("IPv4-mapped: %s %v, want A", st, err)
	}
}

// A CNAME loop is named, from a zone file (SERVFAIL with the chain) and
// from a resolver that answers NOERROR with the chain.
func TestCNAMELoop(t *testing.T) {
	z := zones(t, `$ORIGIN example.com.
@     SOA  ns1 hostmaster 1 7200 3600 1209600 300
loop  CNAME loop2
loop2 CNAME loop
chain CNAME loop
ok    CNAME www
www   A    192.0.2.1
`)
	tests := []struct {
		r    lookup.Resolver
		name string
		loop string
	}{
		{z, "loop.example.com", "loop.example.com -> loop2.example.com -> loop.example.com"},
		{z, "chain.example.com", "chain.example.com -> loop.example.com -> loop2.example.com -> loop.example.com"},
		{z, "ok.example.com", ""},
		{fake{dns.TypeA: "loop"}, "a.example", "a.example -> b.example -> a.example"},
	}
	for _, tt := range tests {
		a, err := lookup.Do(context.Background(), tt.r, tt.name, dns.TypeA)
		if tt.loop == "" {
			if err != nil || a.Loop() != nil {
				t.Errorf("%s: %v, loop %v; want an answer", tt.name, err, a.Loop())
			}
			continue
		}
		if got := lookup.LoopText(lookup.LoopOf(err)); got != tt.loop {
			t.Errorf("%s: loop %q, want %q", tt.name, got, tt.loop)
		}
		if lookup.ErrStatus(err) != lookup.StatusServFail || !strings.Contains(err.Error(), "CNAME loop "+tt.loop) {
			t.Errorf("%s: error %v (%s), want servfail naming the loop", tt.name, err, lookup.ErrStatus(err))
		}
	}
}
