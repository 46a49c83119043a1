package dnsbl

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/lookup"
)

const soa = "@ 300 SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300\n"

// Zones playing the lists. Barracuda, PSBL and Mailspike are not loaded, so
// they answer REFUSED.
var zones = []string{
	`$ORIGIN zen.spamhaus.org.
$TTL 300
` + soa + `
2.0.0.127 A 127.0.0.2
1.2.0.192 A 127.0.0.2
1.2.0.192 TXT "https://check.spamhaus.org/sbl/query/SBL1"
2.2.0.192 A 127.0.0.4
2.2.0.192 A 127.0.0.10
3.2.0.192 A 127.255.255.254
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2 A 127.0.0.3
`,
	`$ORIGIN bl.spamcop.net.
$TTL 300
` + soa,
	`$ORIGIN dbl.spamhaus.org.
$TTL 300
` + soa + `
spam.example A 127.0.1.2
phish.example A 127.0.1.4
`,
	`$ORIGIN multi.surbl.org.
$TTL 300
` + soa + `
bad.example A 127.0.0.24
refused.example A 127.0.0.1
`,
	`$ORIGIN multi.uribl.com.
$TTL 300
` + soa + `
grey.example A 127.0.0.4
`,
	`$ORIGIN bl.example.net.
$TTL 300
` + soa + `
1.2.0.192 A 127.0.0.2
5.2.0.192 A 10.0.0.1
`,
}

func ips(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestDNSBL(t *testing.T) {
	z := checktest.Zones(t, zones...)
	tests := []struct {
		name     string
		ticket   checks.Ticket
		listings []string // "subject zone code"
		verdicts []checks.Verdict
		failed   bool
		msgs     []string // substrings some finding message holds
	}{
		{
			name:     "sbl listing with TXT reason",
			ticket:   checks.Ticket{SendingIPs: ips("192.0.2.1"), DNSBLZones: []string{"zen.spamhaus.org"}},
			listings: []string{"192.0.2.1 zen.spamhaus.org 127.0.0.2"},
			verdicts: []checks.Verdict{checks.Likely},
			msgs:     []string{"sending IP 192.0.2.1 is listed on Spamhaus ZEN (zen.spamhaus.org) with 127.0.0.2: SBL", "SBL1"},
		},
		{
			name:     "xbl and pbl together",
			ticket:   checks.Ticket{SendingIPs: ips("192.0.2.2"), DNSBLZones: []string{"zen.spamhaus.org"}},
			listings: []string{"192.0.2.2 zen.spamhaus.org 127.0.0.4", "192.0.2.2 zen.spamhaus.org 127.0.0.10"},
			verdicts: []checks.Verdict{checks.Likely, checks.Likely},
			msgs:     []string{"XBL: the IP sends mail from malware", "PBL (ISP maintained)"},
		},
		{
			name:     "spamhaus refuses a public resolver: unknown, never listed",
			ticket:   checks.Ticket{SendingIPs: ips("192.0.2.3"), DNSBLZones: []string{"zen.spamhaus.org"}},
			verdicts: []checks.Verdict{checks.Unknown},
			msgs:     []string{"Spamhaus ZEN (zen.spamhaus.org) refused to answer our resolver for 192.0.2.3 (127.255.255.254: Spamhaus refuses queries through public or open resolvers); query it from a resolver of your own"},
		},
		{
			name:     "default lists: clean where answered, unknown where refused",
			ticket:   checks.Ticket{SendingIPs: ips("192.0.2.9")},
			verdicts: []checks.Verdict{checks.Unknown, checks.Unknown, checks.Unknown, checks.RuledOut},
			msgs: []string{
				"could not check 192.0.2.9 on Barracuda Reputation Block List (b.barracudacentral.org): lookup refused",
				"192.0.2.9 not listed on any of the 2 blocklists that answered (zen.spamhaus.org, bl.spamcop.net); 3 could not be checked",
			},
		},
		{
			name:     "ipv6 asked only of lists that hold ipv6",
			ticket:   checks.Ticket{SendingIPs: ips("2001:db8::1"), DNSBLZones: []string{"zen.spamhaus.org", "bl.spamcop.net"}},
			listings: []string{"2001:db8::1 zen.spamhaus.org 127.0.0.3"},
			verdicts: []checks.Verdict{checks.Likely},
			msgs:     []string{"SBL CSS"},
		},
		{
			name:     "domain on the DBL through its organizational domain",
			ticket:   checks.Ticket{Sender: "noreply@mail.spam.example", DNSBLZones: []string{"dbl.spamhaus.org"}},
			listings: []string{"spam.example dbl.spamhaus.org 127.0.1.2"},
			verdicts: []checks.Verdict{checks.Likely},
			msgs:     []string{"sender domain spam.example is listed on Spamhaus DBL (dbl.spamhaus.org) with 127.0.1.2: spam domain"},
		},
		{
			name:     "surbl bitmask",
			ticket:   checks.Ticket{Sender: "bad.example", DNSBLZones: []string{"multi.surbl.org"}},
			listings: []string{"bad.example multi.surbl.org 127.0.0.24"},
			verdicts: []checks.Verdict{checks.Likely},
			msgs:     []string{"PH: phishing, MW: malware"},
		},
		{
			name:     "surbl 127.0.0.1 is a refusal",
			ticket:   checks.Ticket{Sender: "refused.example", DNSBLZones: []string{"multi.surbl.org"}},
			verdicts: []checks.Verdict{checks.Unknown},
			msgs:     []string{"SURBL blocks our resolver"},
		},
		{
			name:     "uribl grey",
			ticket:   checks.Ticket{Sender: "a@grey.example", DNSBLZones: []string{"multi.uribl.com", "dbl.spamhaus.org"}},
			listings: []string{"grey.example multi.uribl.com 127.0.0.4"},
			verdicts: []checks.Verdict{checks.Likely},
			msgs:     []string{"grey: seen in spam and in legitimate bulk mail"},
		},
		{
			name:     "clean domain on default lists",
			ticket:   checks.Ticket{Sender: "a@example.com"},
			verdicts: []checks.Verdict{checks.RuledOut},
			msgs:     []string{"example.com not listed on any of the 3 blocklists that answered (dbl.spamhaus.org, multi.surbl.org, multi.uribl.com)"},
		},
		{
			name:     "custom generic list and a defunct answer",
			ticket:   checks.Ticket{SendingIPs: ips("192.0.2.1", "192.0.2.5"), DNSBLZones: []string{"ip:bl.example.net"}},
			listings: []string{"192.0.2.1 bl.example.net 127.0.0.2"},
			verdicts: []checks.Verdict{checks.Likely, checks.Unknown},
			msgs:     []string{"answer 10.0.0.1 is outside 127.0.0.0/8: the list may be defunct", "could not check 192.0.2.5 on bl.example.net"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := checktest.Run(t, z, &tt.ticket, Check)
			cr := res.Check("dnsbl")
			if got := cr.Status == checks.StatusFailed; got != tt.failed {
				t.Errorf("failed = %v (%s), want %v", got, cr.Reason, tt.failed)
			}
			var got []string
			if br, ok := cr.Result.(*Result); ok {
				for _, l := range br.Listings {
					got = append(got, l.Subject+" "+l.Zone+" "+l.Code)
				}
			} else {
				t.Fatalf("result %T, want *Result", cr.Result)
			}
			if !slices.Equal(got, tt.listings) {
				t.Errorf("listings %q, want %q", got, tt.listings)
			}
			v := checktest.Verdicts(res)[checks.SenderBlocklisted]
			if !slices.Equal(v, tt.verdicts) {
				t.Errorf("sender-blocklisted verdicts %v, want %v", v, tt.verdicts)
			}
			all := strings.Join(checktest.Messages(res, "dnsbl"), "\n")
			for _, m := range tt.msgs {
				if !strings.Contains(all, m) {
					t.Errorf("no message contains %q:\n%s", m, all)
				}
			}
			for _, f := range cr.Findings {
				if f.Verdict == checks.Likely && (f.Data["list"] == nil || f.Data["code"] == nil || f.Data["subject"] == nil || len(f.Steps) == 0) {
					t.Errorf("listing finding lacks list/code/subject data or steps: %+v", f)
				}
			}
		})
	}
}

func TestSkipAndBadZone(t *testing.T) {
	res := checktest.Run(t, nil, &checks.Ticket{}, Check)
	if cr := res.Check("dnsbl"); cr.Status != checks.StatusSkipped {
		t.Errorf("nothing to query: status %s, want skipped", cr.Status)
	}
	if got := checktest.Best(res, checks.SenderBlocklisted); got != checks.Unknown {
		t.Errorf("nothing to query: %q, want unknown", got)
	}
	// Only domain lists, only an IP: nothing applies.
	res = checktest.Run(t, nil, &checks.Ticket{SendingIPs: ips("192.0.2.1"), DNSBLZones: []string{"dbl.spamhaus.org"}}, Check)
	if cr := res.Check("dnsbl"); cr.Status != checks.StatusSkipped || !strings.Contains(cr.Reason, "no configured blocklist applies") {
		t.Errorf("no applicable list: status %s (%s)", cr.Status, cr.Reason)
	}
	// A private IP is not asked of any list.
	res = checktest.Run(t, nil, &checks.Ticket{SendingIPs: ips("10.1.2.3")}, Check)
	if cr := res.Check("dnsbl"); cr.Status != checks.StatusSkipped || !strings.Contains(strings.Join(checktest.Messages(res, "dnsbl"), "\n"), "10.1.2.3 is not a public address") {
		t.Errorf("private IP: status %s, messages %q", cr.Status, checktest.Messages(res, "dnsbl"))
	}
	_, err := checktest.RunErr(nil, &checks.Ticket{SendingIPs: ips("192.0.2.1"), DNSBLZones: []string{"foo:bl.example.net"}}, Check)
	var ie *checks.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "foo:bl.example.net") {
		t.Errorf("bad zone: err %v, want an input error naming it", err)
	}
}

func TestLists(t *testing.T) {
	tests := []struct {
		in   []string
		want []string // zone/kind/ipv6
		err  bool
	}{
		{nil, []string{"zen.spamhaus.org/ip/true", "b.barracudacentral.org/ip/false", "bl.spamcop.net/ip/false", "psbl.surriel.com/ip/false", "bl.mailspike.net/ip/false", "dbl.spamhaus.org/domain/false", "multi.surbl.org/domain/false", "multi.uribl.com/domain/false"}, false},
		{[]string{"ZEN.spamhaus.org.", "zen.spamhaus.org"}, []string{"zen.spamhaus.org/ip/true"}, false},
		{[]string{"domain:dbl.example.org", "ip:bl.example.org", "rbl.example.org"}, []string{"dbl.example.org/domain/true", "bl.example.org/ip/true", "rbl.example.org/ip/true"}, false},
		{[]string{"domain:zen.spamhaus.org"}, []string{"zen.spamhaus.org/domain/true"}, false},
		{[]string{"nodots"}, nil, true},
		{[]string{"x:bl.example.org"}, nil, true},
		{[]string{"ip:"}, nil, true},
	}
	for _, tt := range tests {
		ls, err := Lists(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("Lists(%q) err %v, want err %v", tt.in, err, tt.err)
			continue
		}
		var got []string
		for _, l := range ls {
			got = append(got, l.Zone+"/"+l.Kind.String()+"/"+map[bool]string{true: "true", false: "false"}[l.IPv6])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Lists(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecode(t *testing.T) {
	zen, dbl, surbl, uribl := Defaults[0], Defaults[5], Defaults[6], Defaults[7]
	generic := &List{Zone: "bl.example.org"}
	tests := []struct {
		l       *List
		code    string
		listed  bool
		refused bool
		meaning string
	}{
		{zen, "127.0.0.2", true, false, "SBL"},
		{zen, "127.0.0.3", true, false, "SBL CSS"},
		{zen, "127.0.0.6", true, false, "XBL"},
		{zen, "127.0.0.9", true, false, "DROP"},
		{zen, "127.0.0.11", true, false, "PBL (Spamhaus maintained)"},
		{zen, "127.255.255.252", false, true, "mistyped"},
		{zen, "127.255.255.255", false, true, "excessive"},
		{dbl, "127.0.1.102", true, false, "abused legitimate"},
		{dbl, "127.0.1.255", false, true, "IP-address queries"},
		{dbl, "127.255.255.254", false, true, "public or open resolvers"},
		{surbl, "127.0.0.64", true, false, "ABUSE"},
		{surbl, "127.0.0.128", true, false, "CR: cracked"},
		{uribl, "127.0.0.1", false, true, "URIBL refuses"},
		{uribl, "127.0.0.14", true, false, "black: seen in spam only, grey: seen in spam and in legitimate bulk mail, red"},
		{generic, "127.0.0.2", true, false, "listed"},
		{generic, "127.0.0.1", false, true, "not a listing code"},
		{generic, "127.255.255.254", false, true, "refused"},
		{generic, "192.0.2.1", false, true, "outside 127.0.0.0/8"},
	}
	for _, tt := range tests {
		c := tt.l.decode(netip.MustParseAddr(tt.code))
		if c.Listed != tt.listed || c.Refused != tt.refused || !strings.Contains(c.Meaning, tt.meaning) {
			t.Errorf("%s %s = %+v, want listed %v refused %v meaning ~%q", tt.l.Zone, tt.code, c, tt.listed, tt.refused, tt.meaning)
		}
	}
}

func TestQueryName(t *testing.T) {
	zen := Defaults[0]
	tests := []struct {
		s    Subject
		want string
	}{
		{Subject{Kind: IPList, IP: netip.MustParseAddr("192.0.2.1")}, "1.2.0.192.zen.spamhaus.org."},
		{Subject{Kind: IPList, IP: netip.MustParseAddr("2001:db8::1")}, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org."},
		{Subject{Kind: DomainList, Text: "example.com"}, "example.com.zen.spamhaus.org."},
	}
	for _, tt := range tests {
		if got := QueryName(tt.s, zen); got != tt.want {
			t.Errorf("QueryName(%v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

// timeouts times out every question under zone and passes the rest on.
type timeouts struct {
	lookup.Resolver
	zone string
}

func (r timeouts) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	if strings.HasSuffix(strings.TrimSuffix(q.Name, "."), r.zone) {
		return nil, lookup.ErrTimeout
	}
	return r.Resolver.Lookup(ctx, q)
}

func TestFailure(t *testing.T) {
	z := checktest.Zones(t, zones...)
	// Every list timing out: the check could not complete.
	res := checktest.Run(t, timeouts{z, "zen.spamhaus.org"}, &checks.Ticket{SendingIPs: ips("192.0.2.1"), DNSBLZones: []string{"zen.spamhaus.org"}}, Check)
	if cr := res.Check("dnsbl"); cr.Status != checks.StatusFailed {
		t.Errorf("timeout: status %s, want failed", cr.Status)
	}
	if v := checktest.Verdicts(res)[checks.SenderBlocklisted]; !slices.Equal(v, []checks.Verdict{checks.Unknown}) {
		t.Errorf("timeout: verdicts %v, want [unknown]", v)
	}
	if all := strings.Join(checktest.Messages(res, "dnsbl"), "\n"); !strings.Contains(all, "could not check 192.0.2.1 on Spamhaus ZEN (zen.spamhaus.org): lookup timeout") {
		t.Errorf("timeout message: %s", all)
	}
	// Lists outside every --zone are refused: unknown, but the check completes.
	res = checktest.Run(t, z, &checks.Ticket{Sender: "example.com", DNSBLZones: []string{"dbl.example.org", "rbl.example.org"}}, Check)
	if cr := res.Check("dnsbl"); cr.Status == checks.StatusFailed {
		t.Errorf("refused: failed (%s), want unknown findings only", cr.Reason)
	}
}

func FuzzLists(f *testing.F) {
	f.Add("zen.spamhaus.org")
	f.Add("domain:dbl.example.org")
	f.Add("ip:")
	f.Fuzz(func(t *testing.T, s string) {
		ls, err := Lists([]string{s})
		if err != nil {
			return
		}
		for _, l := range ls {
			if l.Zone == "" || strings.ContainsAny(l.Zone, " \t/@") {
				t.Errorf("accepted zone %q from %q", l.Zone, s)
			}
		}
	})
}

func TestNoRuledOutWhileASubjectIsUnchecked(t *testing.T) {
	z := checktest.Zones(t, zones...)
	// The IP gets only a refusal; the domain is clean on the DBL.
	res := checktest.Run(t, z, &checks.Ticket{SendingIPs: ips("192.0.2.3"), Sender: "example.com",
		DNSBLZones: []string{"zen.spamhaus.org", "dbl.spamhaus.org"}}, Check)
	if v := checktest.Verdicts(res)[checks.SenderBlocklisted]; !slices.Equal(v, []checks.Verdict{checks.Unknown}) {
		t.Errorf("verdicts %v, want [unknown]: a clean domain must not rule out an unchecked IP", v)
	}
	if all := strings.Join(checktest.Messages(res, "dnsbl"), "\n"); !strings.Contains(all, "example.com not listed on any of the 1 blocklists that answered") {
		t.Errorf("clean domain not reported:\n%s", all)
	}
}
