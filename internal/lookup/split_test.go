package lookup_test

import (
	"context"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

func TestSplit(t *testing.T) {
	own, err := lookup.ParseZones(`$ORIGIN example.com.
@      IN SOA ns1 hostmaster 1 7200 900 1209600 3600
@      IN TXT "v=spf1 include:spf.provider.net -all"
www    IN CNAME host.provider.net.
sub    IN NS ns.provider.net.
`, "")
	if err != nil {
		t.Fatal(err)
	}
	// The live world also holds a stale copy of example.com: the file must win.
	stale, err := lookup.ParseZones(`$ORIGIN example.com.
@      IN SOA ns1 hostmaster 1 7200 900 1209600 3600
@      IN TXT "v=spf1 -all"
x.sub  IN A 192.0.2.9
`, "")
	if err != nil {
		t.Fatal(err)
	}
	_ = stale.Add(strings.NewReader(`$ORIGIN provider.net.
@      IN SOA ns1 hostmaster 1 7200 900 1209600 3600
spf    IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
host   IN A 192.0.2.80
`), "world", "")
	addr := lookuptest.Serve(t, stale)
	s := &lookup.Split{Zones: own, Rest: lookuptest.Network(t, addr)}
	ctx := context.Background()

	txt, a, err := lookup.TXT(ctx, s, "example.com")
	if err != nil || len(txt) != 1 || !strings.Contains(txt[0], "include:spf.provider.net") {
		t.Fatalf("example.com TXT = %q, %v; want the zone file's record", txt, err)
	}
	if !strings.HasPrefix(a.Server, "zone ") {
		t.Errorf("example.com answered by %q, want the zone file", a.Server)
	}
	txt, a, err = lookup.TXT(ctx, s, "spf.provider.net")
	if err != nil || len(txt) != 1 || !strings.Contains(txt[0], "ip4:192.0.2.0/24") {
		t.Fatalf("spf.provider.net TXT = %q, %v; want the server's record", txt, err)
	}
	if !strings.HasPrefix(a.Server, "udp 127.0.0.1:") {
		t.Errorf("spf.provider.net answered by %q, want the server", a.Server)
	}
	// A CNAME from the file out of it is followed live.
	a, err = lookup.Do(ctx, s, "www.example.com", dns.TypeA)
	if err != nil || len(a.Of(dns.TypeA)) != 1 || len(a.Of(dns.TypeCNAME)) != 1 {
		t.Fatalf("www.example.com A = %v, %v; want the CNAME then the live A", a, err)
	}
	// A name the file delegates is asked live.
	a, err = lookup.Do(ctx, s, "x.sub.example.com", dns.TypeA)
	if err != nil || len(a.Of(dns.TypeA)) != 1 {
		t.Fatalf("x.sub.example.com A = %v, %v; want the live answer for the delegated name", a, err)
	}
	// A name in the file without the type is NODATA from the file, not asked live.
	a, err = lookup.Do(ctx, s, "example.com", dns.TypeMX)
	if err != nil || a.Status() != lookup.StatusNoData || !strings.HasPrefix(a.Server, "zone ") {
		t.Fatalf("example.com MX = %v, %v; want NODATA from the zone file", a, err)
	}
	if !own.Holds("EXAMPLE.com.") || !own.Holds("a.b.example.com") || own.Holds("provider.net") {
		t.Error("Holds is wrong")
	}
}
