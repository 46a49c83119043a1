package lookup_test

import (
	"context"
	"errors"
	"testing"

	"github.com/miekg/dns"
	"github.com/whymail/whymail/internal/lookup"
)

// FuzzParseZones: zone text from outside (--zone) never panics, a failure
// is always a *ZoneError, and a zone that loads answers every question.
func FuzzParseZones(f *testing.F) {
	for _, seed := range []string{parentZone, subZone, netZone, exampleZone,
		"$ORIGIN example.com.\nwww A 192.0.2.1\n",
		"@ SOA ns h 1 2 3 4 5\n@ MX 0 .\n",
		"$ORIGIN example.com.\n@ SOA ns h 1 2 3 4 5\nmx A 300.1.1.1\n",
		"$INCLUDE x\n", "$GENERATE 1-3 h$ A 192.0.2.$\n", "\"", "( (", "$TTL -1\n",
		"*.x 300 IN TXT \"a\" \"b\"\na CNAME a\n",
	} {
		f.Add(seed, "")
		f.Add(seed, "example.com")
	}
	f.Fuzz(func(t *testing.T, text, origin string) {
		z, err := lookup.ParseZones(text, origin)
		if err != nil {
			var ze *lookup.ZoneError
			if !errors.As(err, &ze) {
				t.Fatalf("error %T %v is not a *ZoneError", err, err)
			}
			if ze.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, o := range z.Origins() {
			for _, name := range []string{o, "www." + o, "a.b." + o, "*." + o, "x.example.org."} {
				for _, qt := range []uint16{dns.TypeA, dns.TypeMX, dns.TypeTXT, dns.TypeCNAME, dns.TypeNS, dns.TypeANY} {
					a, err := z.Lookup(context.Background(), lookup.Question{Name: name, Type: qt})
					if err != nil || a == nil {
						t.Fatalf("Lookup %s: %v %v", name, a, err)
					}
					_ = a.Status()
				}
			}
		}
	})
}
