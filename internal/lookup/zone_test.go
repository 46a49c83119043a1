package lookup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/whymail/whymail/internal/lookup"
)

const (
	parentZone = `$ORIGIN example.com.
@          SOA   ns1 hostmaster 1 7200 3600 1209600 300
@          NS    ns1
@          MX    10 mx
@          TXT   "parent"
mx         A     192.0.2.25
www        CNAME web
web        CNAME @
alias      CNAME host.example.net.
dangling   CNAME gone
outside    CNAME mail.example.org.
loop1      CNAME loop2
loop2      CNAME loop1
self       CNAME self
a.b.c      A     192.0.2.3
*.wild     TXT   "wild"
real.wild  A     192.0.2.4
x.ent.wild A     192.0.2.5
host.sub   A     192.0.2.99
child      NS    ns.elsewhere.net.
`
	subZone = `$ORIGIN sub.example.com.
@     SOA  ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
@     TXT  "sub"
mail  A    192.0.2.50
`
	netZone = `example.net. 3600 IN SOA ns1.example.net. hostmaster.example.net. 1 7200 3600 1209600 300
host.example.net. 3600 IN A 198.51.100.7
`
)

func TestZonesLookup(t *testing.T) {
	// Loaded in an order where the shorter origin comes first.
	z := zones(t, parentZone, netZone, subZone)
	if got, want := z.Origins(), []string{"sub.example.com.", "example.com.", "example.net."}; !slices.Equal(got, want) {
		t.Errorf("Origins = %q, want %q", got, want)
	}
	tests := []struct {
		name   string
		qtype  uint16
		status lookup.Status
		want   []string // rdata of the question type
		chain  int      // CNAMEs in the answer
		server string   // zone source (zone0 parent, zone1 net, zone2 sub)
	}{
		{"example.com", dns.TypeMX, lookup.StatusOK, []string{"10 mx.example.com."}, 0, "zone zone0"},
		{"MX.Example.COM", dns.TypeA, lookup.StatusOK, []string{"192.0.2.25"}, 0, "zone zone0"},
		// NXDOMAIN versus NODATA.
		{"nope.example.com", dns.TypeA, lookup.StatusNXDomain, nil, 0, "zone zone0"},
		{"mx.example.com", dns.TypeAAAA, lookup.StatusNoData, nil, 0, "zone zone0"},
		// Empty non-terminals exist (RFC 8020): NODATA, and NXDOMAIN below them.
		{"b.c.example.com", dns.TypeA, lookup.StatusNoData, nil, 0, "zone zone0"},
		{"c.example.com", dns.TypeTXT, lookup.StatusNoData, nil, 0, "zone zone0"},
		{"x.c.example.com", dns.TypeA, lookup.StatusNXDomain, nil, 0, "zone zone0"},
		// The longest origin answers: sub.example.com, not example.com's host.sub.
		{"sub.example.com", dns.TypeTXT, lookup.StatusOK, []string{`"sub"`}, 0, "zone zone2"},
		{"mail.sub.example.com", dns.TypeA, lookup.StatusOK, []string{"192.0.2.50"}, 0, "zone zone2"},
		{"host.sub.example.com", dns.TypeA, lookup.StatusNXDomain, nil, 0, "zone zone2"},
		// CNAME chains.
		{"www.example.com", dns.TypeMX, lookup.StatusOK, []string{"10 mx.example.com."}, 2, "zone zone0"},
		{"www.example.com", dns.TypeCNAME, lookup.StatusOK, []string{"web.example.com."}, 1, "zone zone0"},
		{"www.example.com", dns.TypeAAAA, lookup.StatusNoData, nil, 2, "zone zone0"},
		{"alias.example.com", dns.TypeA, lookup.StatusOK, []string{"198.51.100.7"}, 1, "zone zone1"},
		{"dangling.example.com", dns.TypeA, lookup.StatusNXDomain, nil, 1, "zone zone0"},
		{"outside.example.com", dns.TypeA, lookup.StatusRefused, nil, 1, ""},
		{"loop1.example.com", dns.TypeA, lookup.StatusServFail, nil, 2, "zone zone0"},
		{"self.example.com", dns.TypeA, lookup.StatusServFail, nil, 1, "zone zone0"},
		// Wildcards (RFC 4592).
		{"anything.wild.example.com", dns.TypeTXT, lookup.StatusOK, []string{`"wild"`}, 0, "zone zone0"},
		{"a.b.wild.example.com", dns.TypeTXT, lookup.StatusOK, []string{`"wild"`}, 0, "zone zone0"},
		{"anything.wild.example.com", dns.TypeA, lookup.StatusNoData, nil, 0, "zone zone0"},
		{"real.wild.example.com", dns.TypeTXT, lookup.StatusNoData, nil, 0, "zone zone0"},
		{"ent.wild.example.com", dns.TypeTXT, lookup.StatusNoData, nil, 0, "zone zone0"},
		{"y.ent.wild.example.com", dns.TypeTXT, lookup.StatusNXDomain, nil, 0, "zone zone0"},
		// A delegation to a zone not loaded: cannot tell.
		{"www.child.example.com", dns.TypeA, lookup.StatusRefused, nil, 0, ""},
		{"child.example.com", dns.TypeMX, lookup.StatusRefused, nil, 0, ""},
		{"child.example.com", dns.TypeNS, lookup.StatusOK, []string{"ns.elsewhere.net."}, 0, "zone zone0"},
		// Outside every zone.
		{"example.org", dns.TypeA, lookup.StatusRefused, nil, 0, ""},
		{"com", dns.TypeNS, lookup.StatusRefused, nil, 0, ""},
		{"notexample.com", dns.TypeA, lookup.StatusRefused, nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+dns.TypeToString[tt.qtype], func(t *testing.T) {
			a, err := z.Lookup(context.Background(), lookup.Question{Name: tt.name, Type: tt.qtype})
			if err != nil {
				t.Fatal(err)
			}
			if a.Status() != tt.status {
				t.Errorf("status %s, want %s", a.Status(), tt.status)
			}
			if got := rdata(a); !slices.Equal(got, tt.want) {
				t.Errorf("records %q, want %q", got, tt.want)
			}
			chain := a.Of(dns.TypeCNAME)
			if tt.qtype == dns.TypeCNAME {
				chain = nil
			}
			if len(chain) != tt.chain && tt.qtype != dns.TypeCNAME {
				t.Errorf("%d CNAMEs in the answer, want %d: %v", len(chain), tt.chain, a.Records)
			}
			for _, rr := range a.Of(tt.qtype) {
				if rr.Header().Rrtype != dns.TypeCNAME && tt.chain == 0 && !strings.EqualFold(rr.Header().Name, dns.Fqdn(tt.name)) {
					t.Errorf("record owner %s, want %s", rr.Header().Name, tt.name)
				}
			}
			if tt.server != "" && a.Server != tt.server {
				t.Errorf("Server = %q, want %q", a.Server, tt.server)
			}
		})
	}
}

func TestZonesEmptyAndCancelled(t *testing.T) {
	a, err := (&lookup.Zones{}).Lookup(context.Background(), lookup.Question{Name: "example.com", Type: dns.TypeA})
	if err != nil || a.Status() != lookup.StatusRefused {
		t.Errorf("no zones: %v %v, want refused", a, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := zones(t, parentZone).Lookup(ctx, lookup.Question{Name: "example.com", Type: dns.TypeA}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestZoneErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, text string
		line       int
		msg        string
	}{
		{"bad-a.zone", "$ORIGIN example.com.\n@ SOA ns h 1 2 3 4 5\n\nmx A 300.1.1.1\n", 4, `bad A: "300.1.1.1"`},
		{"bad-type.zone", "$ORIGIN example.com.\n@ 300 SOA ns h 1 2 3 4 5\nfoo 300 BOGUS x\n", 3, "BOGUS"},
		{"include.zone", "$ORIGIN example.com.\n$INCLUDE /etc/passwd\n", 2, "$INCLUDE"},
		{"quote.zone", "$ORIGIN example.com.\n@ SOA ns h 1 2 3 4 5\n@ TXT \"unterminated\n", 3, ""},
		{"no-origin.zone", "a.example.com. A 192.0.2.1\n", 0, "no $ORIGIN and no SOA"},
		{"empty.zone", "$ORIGIN example.com.\n; nothing\n", 0, "no records"},
		{"twice.zone", subZone, 0, "zone sub.example.com. is already loaded from "},
		{"outside.zone", "$ORIGIN example.com.\n@ SOA ns h 1 2 3 4 5\nwww.example.org. A 192.0.2.1\n", 0, "outside the zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := filepath.Join(dir, "good.zone")
			os.WriteFile(good, []byte(subZone), 0o644)
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			z, err := lookup.LoadZoneFiles(good, path)
			var ze *lookup.ZoneError
			if !errors.As(err, &ze) {
				t.Fatalf("LoadZoneFiles = %v, %v; want a *ZoneError", z, err)
			}
			if ze.File != path || ze.Line != tt.line {
				t.Errorf("error at %s:%d, want %s:%d", ze.File, ze.Line, path, tt.line)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			// The file is named once, at the start, with its line.
			if strings.Count(err.Error(), path) != 1 || !strings.HasPrefix(err.Error(), path+":") {
				t.Errorf("error %q names the file badly", err)
			}
			if strings.Contains(err.Error(), "at line") || strings.Contains(err.Error(), "dns: ") {
				t.Errorf("error %q keeps the parser's own position or prefix", err)
			}
		})
	}
	_, err := lookup.LoadZoneFiles(filepath.Join(dir, "missing.zone"))
	var ze *lookup.ZoneError
	if !errors.As(err, &ze) || ze.Line != 0 || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want a *ZoneError wrapping ErrNotExist", err)
	}
}

// A zone without $TTL (common in hand-written files) still loads.
func TestZoneNoTTL(t *testing.T) {
	z, err := lookup.ParseZones("@ SOA ns h 1 2 3 4 5\n@ MX 0 .\n", "example.com")
	if err != nil {
		t.Fatal(err)
	}
	mx, _, err := lookup.MX(context.Background(), z, "example.com")
	if err != nil || len(mx) != 1 || mx[0].Mx != "." {
		t.Errorf("MX = %v, %v; want the null MX", mx, err)
	}
}

// The origin is the SOA owner, or else the file's $ORIGIN.
func TestZoneOrigin(t *testing.T) {
	tests := []struct {
		text, origin, want string
	}{
		{"$ORIGIN Example.COM.\nwww A 192.0.2.1\n", "", "example.com."},
		{"$ORIGIN example.com.\nsub SOA ns h 1 2 3 4 5\nwww.sub A 192.0.2.1\n", "", "sub.example.com."},
		{"www A 192.0.2.1\n", "example.org", "example.org."},
	}
	for _, tt := range tests {
		z, err := lookup.ParseZones(tt.text, tt.origin)
		if err != nil {
			t.Errorf("%q: %v", tt.text, err)
			continue
		}
		if got := z.Origins(); !slices.Equal(got, []string{tt.want}) {
			t.Errorf("%q: origins %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestZoneWhere(t *testing.T) {
	text := `$ORIGIN example.com.
$TTL 300
; a comment line
@      IN SOA ns1 hostmaster (
              1 7200 900 1209600 3600 )

@      IN MX  10 mx   ; trailing comment with "quote (
mx     IN A   192.0.2.25
@      IN TXT "v=spf1 ; not a comment (" "-all"
       IN TXT "google-site-verification=x"
_dmarc IN TXT ( "v=DMARC1; "
               "p=none" )
`
	z, err := lookup.ParseZones(text, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		typ   uint16
		match func(dns.RR) bool
		line  int
	}{
		{"example.com", dns.TypeSOA, nil, 4},
		{"example.com", dns.TypeMX, nil, 7},
		{"mx.example.com", dns.TypeA, nil, 8},
		{"example.com", dns.TypeTXT, func(rr dns.RR) bool { return strings.HasPrefix(rr.(*dns.TXT).Txt[0], "v=spf1") }, 9},
		{"example.com", dns.TypeTXT, func(rr dns.RR) bool { return strings.HasPrefix(rr.(*dns.TXT).Txt[0], "google") }, 10},
		{"_dmarc.example.com.", dns.TypeTXT, nil, 11},
	} {
		file, line := z.Where(tc.name, tc.typ, tc.match)
		if file != "zone text" || line != tc.line {
			t.Errorf("Where(%s %s) = %q:%d, want zone text:%d", tc.name, dns.TypeToString[tc.typ], file, line, tc.line)
		}
	}
	if file, _ := z.Where("nosuch.example.com", dns.TypeA, nil); file != "" {
		t.Errorf("Where found a record that is not there in %q", file)
	}
}
