package spf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"go.yaml.in/yaml/v3"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/lookup"
)

const suiteDir = "../../../shared/corpus/spf-openspf-test-suite/"

// The RFC 7208 suite's YAML (see SOURCE.md in suiteDir).
type suite struct {
	Description string
	Tests       map[string]suiteTest
	ZoneData    map[string][]yaml.Node `yaml:"zonedata"`
}

type suiteTest struct {
	Description string
	Spec        yaml.Node
	Helo        string
	Host        string
	MailFrom    string `yaml:"mailfrom"`
	Result      strings1
	Explanation string
}

// strings1 is a string or a list of strings.
type strings1 []string

func (s *strings1) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		*s = l
		return nil
	}
	var one string
	if err := n.Decode(&one); err != nil {
		return err
	}
	*s = []string{one}
	return nil
}

func loadSuite(t *testing.T, file string) []suite {
	f, err := os.Open(suiteDir + file)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not present: %v", file, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []suite
	dec := yaml.NewDecoder(f)
	for {
		var s suite
		err := dec.Decode(&s)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// timeouts wraps a resolver: every question about the listed names times out.
type timeouts struct {
	next  lookup.Resolver
	names map[string]bool
}

func (r timeouts) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	if !r.names[strings.ToLower(dns.Fqdn(q.Name))] {
		return r.next.Lookup(ctx, q)
	}
	// TIMEOUT in the suite: a question the name has no records for times
	// out ("TXT record present, but SPF lookup times out").
	a, err := r.next.Lookup(ctx, q)
	if err == nil && len(a.Records) > 0 {
		return a, nil
	}
	return nil, fmt.Errorf("lookup %s: %w", q, lookup.ErrTimeout)
}

// zoneOf turns a scenario's zonedata into zone text under the root (so
// every name is in the zone and a missing one is NXDOMAIN), served by
// lookup.Zones; TIMEOUT names time out through the timeouts wrapper.
func zoneOf(t *testing.T, data map[string][]yaml.Node) lookup.Resolver {
	var lines []string
	slow := map[string]bool{}
	hdr := func(name string, typ uint16) dns.RR_Header {
		return dns.RR_Header{Name: dns.Fqdn(name), Rrtype: typ, Class: dns.ClassINET, Ttl: 300}
	}
	add := func(rr dns.RR) { lines = append(lines, rr.String()) }
	names := make([]string, 0, len(data))
	for n := range data {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		var spf [][]string
		hasTXT := false
		for _, n := range data[name] {
			if n.Kind == yaml.ScalarNode {
				switch n.Value {
				case "TIMEOUT":
					slow[strings.ToLower(dns.Fqdn(name))] = true
				default:
					t.Fatalf("%s: unknown marker %q", name, n.Value)
				}
				continue
			}
			var m map[string]yaml.Node
			if err := n.Decode(&m); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for typ, v := range m {
				var vals strings1
				if typ != "MX" {
					if err := v.Decode(&vals); err != nil {
						t.Fatalf("%s %s: %v", name, typ, err)
					}
				}
				switch typ {
				case "SPF":
					if len(vals) == 1 && vals[0] == "NONE" {
						continue
					}
					spf = append(spf, vals)
					add(&dns.SPF{Hdr: hdr(name, dns.TypeSPF), Txt: vals})
				case "TXT":
					hasTXT = true
					if len(vals) == 1 && vals[0] == "NONE" {
						continue
					}
					add(&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: vals})
				case "A":
					add(&dns.A{Hdr: hdr(name, dns.TypeA), A: netip.MustParseAddr(vals[0]).AsSlice()})
				case "AAAA":
					add(&dns.AAAA{Hdr: hdr(name, dns.TypeAAAA), AAAA: netip.MustParseAddr(vals[0]).AsSlice()})
				case "PTR":
					add(&dns.PTR{Hdr: hdr(name, dns.TypePTR), Ptr: dns.Fqdn(vals[0])})
				case "CNAME":
					add(&dns.CNAME{Hdr: hdr(name, dns.TypeCNAME), Target: dns.Fqdn(vals[0])})
				case "MX":
					var mx []any
					if err := v.Decode(&mx); err != nil {
						t.Fatalf("%s MX: %v", name, err)
					}
					add(&dns.MX{Hdr: hdr(name, dns.TypeMX), Preference: uint16(mx[0].(int)), Mx: dns.Fqdn(mx[1].(string))})
				default:
					t.Fatalf("%s: unknown type %s", name, typ)
				}
			}
		}
		// The suite's convention: SPF records are also served as TXT
		// unless the name lists TXT records of its own.
		if !hasTXT {
			for _, v := range spf {
				add(&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: v})
			}
		}
	}
	z, err := lookup.ParseZones(strings.Join(lines, "\n")+"\n", ".")
	if err != nil {
		t.Fatalf("zone: %v\n%s", err, strings.Join(lines, "\n"))
	}
	return timeouts{next: z, names: slow}
}

// excluded lists the cases of rfc7208-tests.yml our design does not apply
// to, with the reason.
var excluded = map[string]string{
	"a-colon-domain":            blitiriSlash,
	"a-colon-domain-ip4mapped":  blitiriSlash,
	"mx-colon-domain":           blitiriSlash,
	"mx-colon-domain-ip4mapped": blitiriSlash,
	"p-macro-multiple": "blitiri expands %{p} to \"unknown\" by design (RFC 7208 §7.3: p SHOULD NOT be used; " +
		"the case allows pass or softfail, both needing a validated PTR name)",
}

const blitiriSlash = "blitiri reads \"/\" in a domain-spec as the start of a CIDR length and gives permerror " +
	"(its documented choice); our parser accepts the term, as the ABNF does (TestParseSuiteDomains)"

func TestRFC7208(t *testing.T) {
	suites := loadSuite(t, "rfc7208-tests.yml")
	passed, total := 0, 0
	for _, s := range suites {
		r := zoneOf(t, s.ZoneData)
		names := make([]string, 0, len(s.Tests))
		for n := range s.Tests {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			tc := s.Tests[name]
			if why, ok := excluded[name]; ok {
				t.Logf("excluded %s: %s", name, why)
				continue
			}
			total++
			ok := t.Run(s.Description+"/"+name, func(t *testing.T) {
				ip, err := netip.ParseAddr(tc.Host)
				if err != nil {
					t.Fatalf("host %q: %v", tc.Host, err)
				}
				ev := CheckHost(context.Background(), r, ip, tc.Helo, tc.MailFrom)
				if !slices.Contains(tc.Result, string(ev.Result)) {
					t.Errorf("check_host(%s, %q, helo %q) = %s (%s), want %v\n%s\ntrace:\n  %s", ip, tc.MailFrom, tc.Helo,
						ev.Result, ev.Reason, tc.Result, tc.Description, strings.Join(ev.Trace, "\n  "))
				}
				lintCase(t, r, ip, tc)
			})
			if ok {
				passed++
			}
		}
	}
	t.Logf("rfc7208: %d/%d passed (%d excluded)", passed, total, len(excluded))
	if passed < total {
		t.Errorf("rfc7208: %d/%d passed; want all", passed, total)
	}
}

// lintCase runs the whole check over a case and asserts that it agrees with
// the suite: its evaluation gives the expected result, and a syntax error it
// reports in the sender's own record goes with an expected permerror.
func lintCase(t *testing.T, r lookup.Resolver, ip netip.Addr, tc suiteTest) {
	t.Helper()
	sender := tc.MailFrom
	if sender == "" {
		sender = tc.Helo
	}
	if !strings.Contains(sender, "@") {
		sender = "postmaster@" + sender
	} else if strings.HasPrefix(sender, "@") {
		sender = "postmaster" + sender
	}
	ticket := &checks.Ticket{Sender: sender, HELO: tc.Helo, SendingIPs: []netip.Addr{ip}}
	res, err := checktest.RunErr(r, ticket, Lint)
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	cr := res.Check("spf")
	if cr.Status == checks.StatusFailed {
		if !slices.Contains(tc.Result, "temperror") {
			t.Errorf("lint failed (%s), but the case expects %v", cr.Reason, tc.Result)
		}
		return
	}
	sr, _ := cr.Result.(*Result)
	if sr == nil || len(sr.Evaluations) == 0 {
		t.Fatalf("lint result %#v: want an evaluation", cr.Result)
	}
	if got := sr.Evaluations[0].Result; !slices.Contains(tc.Result, string(got)) {
		t.Errorf("lint evaluation = %s (%s), want %v", got, sr.Evaluations[0].Reason, tc.Result)
	}
	for _, f := range cr.Findings {
		if f.Severity == checks.Error && strings.Contains(f.Message, "(RFC 7208 §4.6)") &&
			f.Data["domain"] == strings.ToLower(sr.Domain) && !slices.Contains(tc.Result, "permerror") {
			t.Errorf("lint reports a syntax error in the sender's record (%s), but the case expects %v", f.Message, tc.Result)
		}
	}
}
