package dane

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

const child = `$ORIGIN signed.example.
@      IN SOA ns1 hostmaster 1 7200 900 1209600 3600
@      IN NS  ns1
ns1    IN A   192.0.2.53
@      IN MX  10 mx
mx     IN A   192.0.2.25
`

const tlsa311 = "_25._tcp.mx IN TLSA 3 1 1 8d02536c887482bc34ff54e41d2ba659bf85b341a0a20afadb5813dcfbcf286d\n"

// parent returns the zone of example. delegating signed.example., with ds
// (if any) at the cut.
func parent(ds string) string {
	return `$ORIGIN example.
@      IN SOA ns1 hostmaster 1 7200 900 1209600 3600
signed IN NS ns1.signed.example.
` + ds + "\n"
}

func sign(t *testing.T, text string, opt lookuptest.SignOptions) (string, string) {
	t.Helper()
	z, ds, err := lookuptest.SignZone(text, opt)
	if err != nil {
		t.Fatal(err)
	}
	return z, ds
}

// lint runs dnssec and dane over zones served by a loopback server and
// returns the findings as "ID severity" and the messages.
func lint(t *testing.T, zones ...string) ([]string, string) {
	t.Helper()
	z := checktest.Zones(t, zones...)
	n := lookuptest.Network(t, lookuptest.Serve(t, z))
	res := checktest.Run(t, n, &checks.Ticket{Mode: checks.Lint, Domain: "signed.example", Sender: "signed.example"}, DNSSEC, Check)
	var ids []string
	var msgs []string
	for _, f := range res.Findings() {
		if f.Check == "dnssec" || f.Check == "dane" {
			ids = append(ids, f.ID+" "+f.Severity.String())
			msgs = append(msgs, f.Message)
		}
	}
	return ids, strings.Join(msgs, "\n")
}

func TestDNSSECAndDANE(t *testing.T) {
	_, otherDS := sign(t, child, lookuptest.SignOptions{})
	for _, tc := range []struct {
		name string
		// zones builds the zones of the case.
		zones func() []string
		want  []string
	}{
		{"signed with DS and TLSA", func() []string {
			z, ds := sign(t, child+tlsa311, lookuptest.SignOptions{})
			return []string{parent(ds), z}
		}, []string{"dnssec.signed ok", "dane.tlsa-usable ok"}},
		{"signed, no TLSA", func() []string {
			z, ds := sign(t, child, lookuptest.SignOptions{})
			return []string{parent(ds), z}
		}, []string{"dnssec.signed ok", "dane.no-tlsa info"}},
		{"island: no DS at the parent", func() []string {
			z, _ := sign(t, child+tlsa311, lookuptest.SignOptions{})
			return []string{parent(""), z}
		}, []string{"dnssec.no-ds warning", "dane.tlsa-unsigned error"}},
		{"DS of another key", func() []string {
			z, _ := sign(t, child, lookuptest.SignOptions{})
			return []string{parent(otherDS), z}
		}, []string{"dnssec.bogus error"}},
		{"expired signatures", func() []string {
			z, ds := sign(t, child, lookuptest.SignOptions{Inception: time.Now().Add(-60 * 24 * time.Hour), Expiration: time.Now().Add(-24 * time.Hour)})
			return []string{parent(ds), z}
		}, []string{"dnssec.bogus error"}},
		{"DS at the parent, zone republished unsigned", func() []string {
			return []string{parent(otherDS), child}
		}, []string{"dnssec.bogus error"}},
		{"unsigned with TLSA", func() []string {
			return []string{parent(""), child + tlsa311}
		}, []string{"dnssec.unsigned info", "dnssec.mx-host-unsigned info", "dane.tlsa-unsigned error"}},
		{"unsigned, no TLSA", func() []string {
			return []string{parent(""), child}
		}, []string{"dnssec.unsigned info", "dane.unavailable info"}},
		{"malformed TLSA", func() []string {
			z, ds := sign(t, child+"_25._tcp.mx IN TLSA 3 1 1 8d02536c887482bc34ff54e41d2ba659\n", lookuptest.SignOptions{})
			return []string{parent(ds), z}
		}, []string{"dane.tlsa-invalid error"}},
		{"PKIX usage", func() []string {
			z, ds := sign(t, child+"_25._tcp.mx IN TLSA 1 1 1 8d02536c887482bc34ff54e41d2ba659bf85b341a0a20afadb5813dcfbcf286d\n", lookuptest.SignOptions{})
			return []string{parent(ds), z}
		}, []string{"dane.pkix-usage warning", "dane.tlsa-usable ok"}},
		{"TLSA left unsigned", func() []string {
			z, ds := sign(t, child+tlsa311, lookuptest.SignOptions{Skip: []uint16{dns.TypeTLSA}})
			return []string{parent(ds), z}
		}, []string{"dnssec.signed ok", "dane.tlsa-bad-signature error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, msgs := lint(t, tc.zones()...)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("no %s; got %v:\n%s", w, got, msgs)
				}
			}
		})
	}
}

func TestLintTLSA(t *testing.T) {
	for _, tc := range []struct {
		rr   string
		want string
	}{
		{"x. IN TLSA 3 1 1 8d02536c887482bc34ff54e41d2ba659bf85b341a0a20afadb5813dcfbcf286d", ""},
		{"x. IN TLSA 4 1 1 8d02536c887482bc34ff54e41d2ba659bf85b341a0a20afadb5813dcfbcf286d", "usage 4"},
		{"x. IN TLSA 3 2 1 8d02536c887482bc34ff54e41d2ba659bf85b341a0a20afadb5813dcfbcf286d", "selector 2"},
		{"x. IN TLSA 3 1 2 8d02536c887482bc34ff54e41d2ba659bf85b341a0a20afadb5813dcfbcf286d", "64 bytes"},
		{"x. IN TLSA 3 1 9 8d02536c887482bc34ff54e41d2ba659bf85b341a0a20afadb5813dcfbcf286d", "matching type 9"},
	} {
		rr, err := dns.NewRR(tc.rr)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(lintTLSA(rr.(*dns.TLSA)), "; ")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.rr, got, tc.want)
		}
	}
}

// A validating resolver's AD bit stands for the chain the check cannot
// follow itself (here: the parent zone is not served at all).
func TestDNSSECFromAD(t *testing.T) {
	z, _ := sign(t, child+tlsa311, lookuptest.SignOptions{})
	for _, ad := range []bool{false, true} {
		var opts []lookuptest.Option
		if ad {
			opts = append(opts, lookuptest.Validating())
		}
		n := lookuptest.Network(t, lookuptest.Serve(t, checktest.Zones(t, z), opts...))
		res := checktest.Run(t, n, &checks.Ticket{Mode: checks.Lint, Domain: "signed.example"}, DNSSEC, Check)
		signed := res.Check("dnssec").Result.(*Signed)
		want := Indeterminate
		if ad {
			want = Secure
		}
		if signed.Domain.State != want {
			t.Errorf("AD %v: state %s (%s), want %s", ad, signed.Domain.State, signed.Domain.Why, want)
		}
	}
}

// TestDNSSECWalkAsksAtOnce: the DNSKEY and DS questions of a name and its
// ancestors are asked together (the walk then reads the cache): for a
// four-label domain that is unsigned, the six of the domain are held by
// the server at once, not asked one round trip after another.
func TestDNSSECWalkAsksAtOnce(t *testing.T) {
	z := checktest.Zones(t, `$ORIGIN sub.example.
@      IN SOA ns1 hostmaster 1 7200 900 1209600 3600
a.b    IN MX 10 mx.a.b
mx.a.b IN A 192.0.2.25
`)
	var st lookuptest.Stats
	n := lookuptest.Network(t, lookuptest.Serve(t, z, lookuptest.Count(&st), lookuptest.Delay(40*time.Millisecond)))
	res := checktest.Run(t, n, &checks.Ticket{Mode: checks.Lint, Domain: "a.b.sub.example"}, DNSSEC)
	zs, _ := res.Check("dnssec").Result.(*Signed)
	if zs == nil || zs.Domain == nil || zs.Domain.State != Insecure {
		t.Fatalf("result %+v, want the domain insecure", zs.Domain)
	}
	for _, name := range []string{"a.b.sub.example.", "b.sub.example.", "sub.example."} {
		for _, qt := range []uint16{dns.TypeDNSKEY, dns.TypeDS} {
			if got := st.Queries(name, qt); got != 1 {
				t.Errorf("%s %s asked %d times, want once", name, dns.TypeToString[qt], got)
			}
		}
	}
	if p := st.Peak.Load(); p < 6 {
		t.Errorf("the server held at most %d questions at once; the walk's six should come together", p)
	}
}
