package spf

import (
	blitiri "blitiri.com.ar/go/spf"

	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/lookup"
)

// fuzzDNS answers TXT for example.com and inc.example.com with the fuzzed
// records, A for any name with 192.0.2.1, and NODATA for the rest.
type fuzzDNS struct{ root, inc string }

func (z fuzzDNS) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	name := strings.ToLower(dns.Fqdn(q.Name))
	a := &lookup.Answer{Question: q, Server: "fuzz"}
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: 60}
	}
	switch q.Type {
	case dns.TypeTXT:
		var txt string
		switch name {
		case "example.com.":
			txt = z.root
		case "inc.example.com.":
			txt = z.inc
		default:
			a.Rcode = dns.RcodeNameError
			return a, nil
		}
		for _, rec := range strings.Split(txt, "\n") {
			var parts []string
			for len(rec) > 255 {
				parts, rec = append(parts, rec[:255]), rec[255:]
			}
			a.Records = append(a.Records, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: append(parts, rec)})
		}
	case dns.TypeA:
		a.Records = append(a.Records, &dns.A{Hdr: hdr(dns.TypeA), A: []byte{192, 0, 2, 1}})
	}
	return a, nil
}

// FuzzEvaluate runs check_host, the record tree and the whole lint over
// fuzzed published records (outside input): no panic, no hang, a result
// RFC 7208 §2.6 knows, and a check that ends without an input error.
func FuzzEvaluate(f *testing.F) {
	f.Add("v=spf1 include:inc.example.com -all", "v=spf1 ip4:192.0.2.0/24 ~all", "alice")
	f.Add("v=spf1 redirect=inc.example.com", "v=spf1 include:example.com", "a.b")
	f.Add("v=spf1 a:%{ir}.%{l1r-}.%{d2}/24//64 exists:%{i}.inc.example.com exp=inc.example.com -all", "v=spf1 %{", "x+y")
	f.Add("v=spf1 mx ptr ?all\nv=spf1 -all", "spf2.0/pra", "")
	f.Fuzz(func(t *testing.T, root, inc, local string) {
		if len(root)+len(inc)+len(local) > 4096 {
			return
		}
		r := fuzzDNS{root: root, inc: inc}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ip := netip.MustParseAddr("192.0.2.1")
		start := time.Now()
		ev := CheckHost(ctx, r, ip, "helo.example.com", local+"@example.com")
		if !slices.Contains([]blitiri.Result{blitiri.None, blitiri.Neutral, blitiri.Pass, blitiri.Fail, blitiri.SoftFail, blitiri.TempError, blitiri.PermError}, ev.Result) {
			t.Fatalf("result %q (%s)", ev.Result, ev.Reason)
		}
		if n := Expand(ctx, r, "example.com"); n == nil || n.Domain != "example.com" {
			t.Fatalf("tree %+v", n)
		}
		ticket := &checks.Ticket{Sender: local + "@example.com", HELO: "helo.example.com", SendingIPs: []netip.Addr{ip}}
		if _, err := checktest.RunErr(r, ticket, Lint); err != nil {
			t.Fatalf("lint: %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("took %s", d)
		}
	})
}
