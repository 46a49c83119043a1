package spf

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/lookup"
)

// zone returns zone text for example.com with the given records (owner
// names relative to example.com).
func zone(lines ...string) string {
	return "$ORIGIN example.com.\n$TTL 300\n" + strings.Join(lines, "\n") + "\n"
}

// other is a second zone, example.net, for includes.
func other(lines ...string) string {
	return "$ORIGIN example.net.\n$TTL 300\n" + strings.Join(lines, "\n") + "\n"
}

func includes(n int, prefix string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " include:%s%d.example.net", prefix, i)
	}
	return b.String()
}

func leafRecords(n int, prefix string) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf(`%s%d IN TXT "v=spf1 ip4:192.0.2.%d -all"`, prefix, i, i))
	}
	return out
}

func TestLintRules(t *testing.T) {
	bigMX := []string{`@ IN TXT "v=spf1 mx:many.example.net -all"`}
	var manyMX []string
	for i := range 11 {
		manyMX = append(manyMX, fmt.Sprintf("many IN MX 10 mx%d.example.net.", i))
	}
	long := strings.Repeat("ip4:192.0.2.1 ", 17) // 238 octets per string
	for _, tc := range []struct {
		name   string
		zones  []string
		sender string
		sev    checks.Severity
		want   string // substring of a finding's message with that severity
	}{
		{"no record", []string{zone(`@ IN TXT "google-site-verification=abc"`)}, "", checks.Error, "has no TXT record starting with v=spf1"},
		{"no domain", []string{zone(`www IN A 192.0.2.1`)}, "nosuch.example.com", checks.Error, "does not exist (NXDOMAIN)"},
		{"two records", []string{zone(`@ IN TXT "v=spf1 -all"`, `@ IN TXT "v=spf1 mx -all"`)}, "", checks.Error, "has 2 v=spf1 records"},
		{"syntax error", []string{zone(`@ IN TXT "v=spf1 mx ip4:192.0.2 -all"`)}, "", checks.Error, `term 2 "ip4:192.0.2": "192.0.2" is not an IP address (RFC 7208 §5.6)`},
		{"syntax in include", []string{zone(`@ IN TXT "v=spf1 include:spf.example.net -all"`), other(`spf IN TXT "v=spf1 +a:foo -all"`)}, "", checks.Error, `reached by include:spf.example.net): term 1 "+a:foo"`},
		{"legacy SPF type", []string{zone(`@ IN TXT "v=spf1 -all"`, `@ IN SPF "v=spf1 -all"`)}, "", checks.Warning, "legacy SPF record type (type 99"},
		{"answer over 450", []string{zone(fmt.Sprintf(`@ IN TXT "v=spf1 %s" "%s-all"`, long, long[:200]))}, "", checks.Warning, "close to the 512"},
		{"answer over 512", []string{zone(fmt.Sprintf(`@ IN TXT "v=spf1 %s" "%s" "-all"`, long, long))}, "", checks.Error, "over the 512 that fit"},
		{"over 10 lookups", []string{zone(`@ IN TXT "v=spf1 mx a` + includes(5, "i") + ` include:deep.example.net -all"`),
			other(append(append(leafRecords(5, "i"), leafRecords(4, "d")...), `deep IN TXT "v=spf1`+includes(4, "d")+` -all"`)...)}, "", checks.Error,
			"needs 12 DNS lookups, over the limit of 10 (RFC 7208 §4.6.4): receivers get permerror when evaluation gets that far (the largest branch, include:deep.example.net, costs 5)"},
		// §6.1: redirect is ignored (not looked up) when the record has all.
		{"redirect ignored beside all", []string{zone(`@ IN TXT "v=spf1 mx` + includes(8, "i") + ` -all redirect=r.example.net"`),
			other(append(leafRecords(8, "i"), `r IN TXT "v=spf1 a mx -all"`)...)}, "", checks.OK, "needs 9 DNS lookups (limit 10"},
		{"exactly 10 is fine", []string{zone(`@ IN TXT "v=spf1 mx` + includes(9, "i") + ` -all"`), other(leafRecords(9, "i")...)}, "", checks.OK, "needs 10 DNS lookups (limit 10"},
		{"mx over 10", []string{zone(bigMX...), other(manyMX...)}, "", checks.Error, "many.example.net has 11 MX records, over the 10"},
		{"void lookup", []string{zone(`@ IN TXT "v=spf1 a:gone.example.com -all"`)}, "", checks.Warning, `term "a:gone.example.com": gone.example.com has no address (nxdomain)`},
		{"void limit", []string{zone(`@ IN TXT "v=spf1 a:g1.example.com mx:g2.example.com exists:g3.example.com -all"`)}, "", checks.Error, "3 terms whose lookups find nothing (a:g1.example.com, mx:g2.example.com, exists:g3.example.com), over the limit of 2 void lookups"},
		{"include loop", []string{zone(`@ IN TXT "v=spf1 include:a.example.net -all"`), other(`a IN TXT "v=spf1 include:b.example.net -all"`, `b IN TXT "v=spf1 include:a.example.net -all"`)}, "", checks.Error,
			"include:a.example.net loops back: a.example.net -> b.example.net -> a.example.net"},
		{"redirect to self", []string{zone(`@ IN TXT "v=spf1 redirect=example.com"`)}, "", checks.Error, "redirect=example.com loops back: example.com -> example.com"},
		{"include without record", []string{zone(`@ IN TXT "v=spf1 include:nospf.example.net -all"`), other(`nospf IN A 192.0.2.1`)}, "", checks.Error,
			"include:nospf.example.net: nospf.example.net has no SPF record (nodata), so receivers get permerror (RFC 7208 §5.2)"},
		{"include of other TXT", []string{zone(`@ IN TXT "v=spf1 include:nospf.example.net -all"`), other(`nospf IN TXT "hello"`)}, "", checks.Error,
			"nospf.example.net has no SPF record (only TXT records without v=spf1)"},
		{"redirect without record", []string{zone(`@ IN TXT "v=spf1 redirect=gone.example.net"`), other(`x IN A 192.0.2.1`)}, "", checks.Error, "(nxdomain), so receivers get permerror (RFC 7208 §6.1)"},
		{"ptr", []string{zone(`@ IN TXT "v=spf1 ptr -all"`)}, "", checks.Warning, `term "ptr": ptr should not be used (RFC 7208 §5.5)`},
		{"+all", []string{zone(`@ IN TXT "v=spf1 mx +all"`)}, "", checks.Error, `term "+all" lets every host on the internet send`},
		{"+all in include", []string{zone(`@ IN TXT "v=spf1 include:open.example.net -all"`), other(`open IN TXT "v=spf1 all"`)}, "", checks.Error, `(reached by include:open.example.net): term "all" lets every host`},
		{"?all", []string{zone(`@ IN TXT "v=spf1 mx ?all"`)}, "", checks.Warning, `ends with "?all"`},
		{"no all", []string{zone(`@ IN TXT "v=spf1 mx"`)}, "", checks.Warning, "has no all and no redirect"},
		{"no all after redirect", []string{zone(`@ IN TXT "v=spf1 redirect=_spf.example.net"`), other(`_spf IN TXT "v=spf1 ip4:192.0.2.1"`)}, "", checks.Warning, "SPF record of _spf.example.net has no all and no redirect"},
		{"redirect beside all", []string{zone(`@ IN TXT "v=spf1 -all redirect=_spf.example.net"`), other(`_spf IN TXT "v=spf1 -all"`)}, "", checks.Warning, `"redirect=_spf.example.net" is ignored because the record has "-all" (RFC 7208 §6.1)`},
		{"failing include", []string{zone(`@ IN TXT "v=spf1 include:example.org -all"`)}, "", checks.Warning, "example.org (reached by include:example.org): the TXT lookup failed (refused): receivers get temperror"},
		{"healthy", []string{zone(`@ IN TXT "v=spf1 mx include:_spf.example.net -all"`, `@ IN MX 10 mx`, `mx IN A 192.0.2.25`), other(`_spf IN TXT "v=spf1 ip4:198.51.100.0/24 -all"`)}, "", checks.OK, `SPF record of example.com: "v=spf1 mx include:_spf.example.net -all"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sender := tc.sender
			if sender == "" {
				sender = "app@example.com"
			}
			res := checktest.Run(t, checktest.Zones(t, tc.zones...), &checks.Ticket{Sender: sender}, Lint)
			cr := res.Check("spf")
			var got []string
			found := false
			for _, f := range cr.Findings {
				got = append(got, f.Severity.String()+": "+f.Message)
				if f.Severity == tc.sev && strings.Contains(f.Message, tc.want) && (f.Severity == checks.OK || f.Record == "spf") {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s finding containing %q; got:\n%s", tc.sev, tc.want, strings.Join(got, "\n"))
			}
			if tc.name == "healthy" {
				for _, f := range cr.Findings {
					if f.Severity >= checks.Warning {
						t.Errorf("healthy domain: %s: %s", f.Severity, f.Message)
					}
				}
			}
		})
	}
}

func TestTreeFinding(t *testing.T) {
	z := checktest.Zones(t,
		zone(`@ IN TXT "v=spf1 mx include:a.example.net include:b.example.net -all"`, `@ IN MX 10 mx`, `mx IN A 192.0.2.25`),
		other(`a IN TXT "v=spf1 include:a1.example.net include:a2.example.net -all"`,
			`a1 IN TXT "v=spf1 a -all"`, `a1 IN A 192.0.2.1`, `a2 IN TXT "v=spf1 ip4:192.0.2.2 -all"`,
			`b IN TXT "v=spf1 ip4:192.0.2.3 -all"`))
	res := checktest.Run(t, z, &checks.Ticket{Sender: "example.com"}, Lint)
	var tree *checks.Finding
	for _, f := range res.Check("spf").Findings {
		if f.Data["tree"] != nil {
			tree = &f
		}
	}
	if tree == nil || tree.Severity != checks.Info {
		t.Fatalf("no info finding with a tree: %v", checktest.Messages(res, "spf"))
	}
	want := `SPF include tree of example.com, DNS-querying terms per branch:
example.com: 6 DNS lookups in all (limit 10), 3 in its own record
  include:a.example.net: 4 lookups (1 for the term, 2 in its record, 1 below)
    include:a1.example.net: 2 lookups (1 for the term, 1 in its record, 0 below)
    include:a2.example.net: 1 lookups (1 for the term, 0 in its record, 0 below)
  include:b.example.net: 1 lookups (1 for the term, 0 in its record, 0 below)`
	if tree.Message != want {
		t.Errorf("tree message:\n%s\nwant:\n%s", tree.Message, want)
	}
	n := tree.Data["tree"].(*Node)
	if n.Total != 6 || len(n.Children) != 2 || n.Children[0].Total != 3 {
		t.Errorf("tree data %+v", n)
	}
	if r := res.Check("spf").Result.(*Result); r.Lookups != 6 || r.Record == "" {
		t.Errorf("result %+v", r)
	}
}

func TestNoSender(t *testing.T) {
	res := checktest.Run(t, nil, &checks.Ticket{}, Lint)
	cr := res.Check("spf")
	if cr.Status != checks.StatusSkipped || !strings.Contains(cr.Reason, "no sender given") {
		t.Errorf("status %s %q, want skipped for no sender", cr.Status, cr.Reason)
	}
	if needs := checktest.Needs(res, checks.SenderAuth); !slices.Contains(needs, checks.InputSender) {
		t.Errorf("sender-auth needs %v, want the sender among them", needs)
	}
	if v := checktest.Best(res, checks.SenderAuth); v != checks.Unknown {
		t.Errorf("sender-auth %q, want unknown", v)
	}
}

func TestRootLookupFails(t *testing.T) {
	// example.org is outside every zone: REFUSED.
	res := checktest.Run(t, checktest.Zones(t, zone(`@ IN TXT "v=spf1 -all"`)), &checks.Ticket{Sender: "a@example.org"}, Lint)
	cr := res.Check("spf")
	if cr.Status != checks.StatusFailed {
		t.Errorf("status %s, want failed", cr.Status)
	}
	if v := checktest.Best(res, checks.SenderAuth); v != checks.Unknown {
		t.Errorf("sender-auth %q, want unknown", v)
	}
	if m := checktest.Messages(res, "spf"); len(m) == 0 || !strings.Contains(m[0], "TXT lookup refused") {
		t.Errorf("messages %q", m)
	}
}

func TestEvaluation(t *testing.T) {
	zones := []string{
		zone(`@ IN TXT "v=spf1 mx include:_spf.example.net -all"`, `@ IN MX 10 mx`, `mx IN A 192.0.2.25`,
			`soft IN TXT "v=spf1 ip4:192.0.2.1 ~all"`, `broken IN TXT "v=spf1 ip4:192.0.2.1 include:nothing.example.net -all"`,
			`helo IN TXT "v=spf1 a -all"`, `helo IN A 192.0.2.25`, `late IN TXT "v=spf1 ip4:192.0.2.0/24 bogus -all"`),
		other(`_spf IN TXT "v=spf1 ip4:198.51.100.0/24 -all"`),
	}
	for _, tc := range []struct {
		sender, helo string
		ip           string
		result       string
		verdict      checks.Verdict
		want         string
	}{
		{"app@example.com", "", "192.0.2.25", "pass", checks.RuledOut, "SPF passes for 192.0.2.25 (MAIL FROM app@example.com): mx"},
		{"app@example.com", "", "198.51.100.7", "pass", checks.RuledOut, "include:_spf.example.net -> ip4:198.51.100.0/24"},
		{"app@example.com", "", "203.0.113.9", "fail", checks.Likely, "SPF fails for 203.0.113.9 (MAIL FROM app@example.com): the SPF record of example.com does not list this IP (-all)"},
		{"example.com", "", "203.0.113.9", "fail", checks.Likely, "MAIL FROM postmaster@example.com"},
		{"app@soft.example.com", "", "203.0.113.9", "softfail", checks.Possible, "SPF softfails for 203.0.113.9"},
		{"app@broken.example.com", "", "203.0.113.9", "permerror", checks.Likely, "SPF permerror for 203.0.113.9"},
		// §4.6: a syntax error anywhere is a permerror, even after a match.
		{"app@late.example.com", "", "192.0.2.1", "permerror", checks.Likely, `term 2 "bogus"`},
		{"app@nospf.example.com", "", "192.0.2.1", "none", checks.Possible, "nospf.example.com has no SPF record"},
	} {
		t.Run(tc.sender+"/"+tc.ip, func(t *testing.T) {
			ip := netip.MustParseAddr(tc.ip)
			res := checktest.Run(t, checktest.Zones(t, zones...), &checks.Ticket{Sender: tc.sender, HELO: tc.helo, SendingIPs: []netip.Addr{ip}}, Lint)
			r := res.Check("spf").Result.(*Result)
			if len(r.Evaluations) != 1 || string(r.Evaluations[0].Result) != tc.result {
				t.Fatalf("evaluations %+v, want %s", r.Evaluations, tc.result)
			}
			found := false
			for _, f := range res.Check("spf").Findings {
				if f.Cause == checks.SenderAuth && f.Verdict == tc.verdict && strings.Contains(f.Message, tc.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("no sender-auth %s finding with %q: %q", tc.verdict, tc.want, checktest.Messages(res, "spf"))
			}
		})
	}
}

func TestEvaluationHELO(t *testing.T) {
	z := checktest.Zones(t, zone(`@ IN TXT "v=spf1 ip4:192.0.2.1 -all"`, `mail IN TXT "v=spf1 a -all"`, `mail IN A 192.0.2.1`))
	res := checktest.Run(t, z, &checks.Ticket{Sender: "a@example.com", HELO: "mail.example.com",
		SendingIPs: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.9")}}, Lint)
	r := res.Check("spf").Result.(*Result)
	var got []string
	for _, e := range r.Evaluations {
		got = append(got, fmt.Sprintf("%s %s %s", e.IP, e.Domain, e.Result))
	}
	want := "192.0.2.1 example.com pass|192.0.2.1 mail.example.com pass|192.0.2.9 example.com fail|192.0.2.9 mail.example.com fail"
	if strings.Join(got, "|") != want {
		t.Errorf("evaluations %q, want %q", got, want)
	}
	if v := checktest.Best(res, checks.SenderAuth); v != checks.Likely {
		t.Errorf("sender-auth %s, want likely", v)
	}
}

// longTXT serves one TXT record whose single character-string is over 255
// octets, which zone files cannot express (the parser splits it) but a
// broken server or resolver library could hand over.
type longTXT struct{ lookup.Resolver }

func (r longTXT) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	if q.Type == dns.TypeTXT && strings.EqualFold(dns.Fqdn(q.Name), "example.com.") {
		rr := &dns.TXT{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300},
			Txt: []string{"v=spf1 " + strings.Repeat("ip4:192.0.2.1 ", 20) + "-all"}}
		return &lookup.Answer{Question: q, Rcode: dns.RcodeSuccess, Records: []dns.RR{rr}}, nil
	}
	return r.Resolver.Lookup(ctx, q)
}

func TestLongString(t *testing.T) {
	res := checktest.Run(t, longTXT{checktest.Zones(t, zone(`www IN A 192.0.2.1`))}, &checks.Ticket{Sender: "example.com"}, Lint)
	for _, f := range res.Check("spf").Findings {
		if f.Severity == checks.Error && strings.Contains(f.Message, "a TXT character-string is 291 octets; one string holds at most 255 (RFC 7208 §3.3)") {
			return
		}
	}
	t.Errorf("no error for a 291-octet string: %q", checktest.Messages(res, "spf"))
}

func TestNoSendingIP(t *testing.T) {
	for _, tc := range []struct {
		zone string
		want checks.Verdict
	}{
		{zone(`@ IN TXT "v=spf1 mx -all"`), checks.Unknown},
		{zone(`@ IN TXT "v=spf1 mx foo -all"`), checks.Likely},
		{zone(`@ IN TXT "nothing"`), checks.Possible},
	} {
		res := checktest.Run(t, checktest.Zones(t, tc.zone), &checks.Ticket{Sender: "example.com"}, Lint)
		if v := checktest.Best(res, checks.SenderAuth); v != tc.want {
			t.Errorf("%s: sender-auth %s, want %s", tc.zone, v, tc.want)
		}
	}
}

// Two SPF records are a permerror, and each is still expanded and counted,
// so that its own problems do not hide behind the first.
func TestTwoRecordsCountedEach(t *testing.T) {
	z := checktest.Zones(t,
		zone(`@ IN TXT "v=spf1 include:a.example.net -all"`,
			`@ IN TXT "v=spf1`+includes(11, "l")+` ?all"`),
		other(append(leafRecords(11, "l"), `a IN TXT "v=spf1 a mx -all"`, `a IN A 192.0.2.1`)...))
	res := checktest.Run(t, z, &checks.Ticket{Sender: "example.com"}, Lint)
	fs := res.Findings()
	want := []struct {
		sev  checks.Severity
		text string
	}{
		{checks.Error, "has 2 v=spf1 records"},
		{checks.Error, "record 1 needs 3 DNS lookups, record 2 needs 11 DNS lookups"},
		{checks.OK, "SPF of example.com (record 1 of 2) needs 3 DNS lookups"},
		{checks.Error, "SPF of example.com (record 2 of 2) needs 11 DNS lookups, over the limit of 10"},
		{checks.Warning, `example.com, record 2 ends with "?all"`},
		{checks.Info, "example.com record 2: 11 DNS lookups in all"},
	}
	for _, w := range want {
		if !slices.ContainsFunc(fs, func(f checks.Finding) bool {
			return f.Severity == w.sev && strings.Contains(f.Message, w.text)
		}) {
			t.Errorf("no %s finding with %q; findings:\n%s", w.sev, w.text, strings.Join(checktest.Messages(res, "spf"), "\n"))
		}
	}
	if got := res.Check("spf").Result.(*Result).Lookups; got != 11 {
		t.Errorf("Result.Lookups = %d, want the larger record's 11", got)
	}
}
