package ptr

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/lookup"
)

const reverse4 = `
$TTL 300
$ORIGIN 2.0.192.in-addr.arpa.
@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300
1   PTR mail.example.com.
2   PTR nowhere.example.com.
3   PTR 192-0-2-3.dynamic.isp.example.net.
4   PTR a.example.com.
4   PTR mail.example.com.
5   PTR broken.other.test.
7   PTR dsl-pool.isp.example.net.
`

const reverse6 = `
$TTL 300
$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR mail6.example.com.
`

const forward = `
$TTL 300
$ORIGIN example.com.
@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300
mail    A    192.0.2.1
mail    A    192.0.2.4
mail6   AAAA 2001:db8::1
a       A    198.51.100.9
nowhere TXT  "no address here"
`

const ispZone = `
$TTL 300
$ORIGIN isp.example.net.
@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300
192-0-2-3.dynamic A 192.0.2.3
dsl-pool          A 192.0.2.7
`

func TestPTR(t *testing.T) {
	z := checktest.Zones(t, reverse4, reverse6, forward, ispZone)
	tests := []struct {
		ip        string
		wantSev   checks.Severity // worst severity
		wantAuth  checks.Verdict  // sender-auth verdict, "" for none
		wantInMsg string
	}{
		{"192.0.2.1", checks.OK, "", "resolves back to it (forward-confirmed)"},
		{"2001:db8::1", checks.OK, "", "mail6.example.com, which resolves back"},
		{"192.0.2.2", checks.Warning, checks.Possible, "not forward-confirmed: nowhere.example.com -> no address"},
		{"192.0.2.3", checks.Warning, "", "looks generic (it contains the IP address)"},
		{"192.0.2.4", checks.Info, "", "has 2 PTR records"},
		{"192.0.2.5", checks.Warning, checks.Unknown, "address lookup failed (broken.other.test: refused)"},
		{"192.0.2.6", checks.Error, checks.Possible, "has no PTR record (nxdomain at 6.2.0.192.in-addr.arpa)"},
		{"192.0.2.7", checks.Warning, "", `looks generic (it contains "dsl")`},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			res := checktest.Run(t, z, &checks.Ticket{SendingIPs: []netip.Addr{netip.MustParseAddr(tt.ip)}}, Check)
			cr := res.Check("ptr")
			if cr.Status == checks.StatusFailed {
				t.Fatalf("failed: %s", cr.Reason)
			}
			worst := checks.OK
			var msgs []string
			for _, f := range cr.Findings {
				worst = max(worst, f.Severity)
				msgs = append(msgs, f.Message)
			}
			if worst != tt.wantSev {
				t.Errorf("worst severity %v, want %v; findings:\n%s", worst, tt.wantSev, strings.Join(msgs, "\n"))
			}
			if got := checktest.Best(res, checks.SenderAuth); got != tt.wantAuth {
				t.Errorf("sender-auth verdict %q, want %q", got, tt.wantAuth)
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tt.wantInMsg) {
				t.Errorf("no message contains %q:\n%s", tt.wantInMsg, strings.Join(msgs, "\n"))
			}
		})
	}
}

func TestPTRSkipAndFail(t *testing.T) {
	res := checktest.Run(t, nil, &checks.Ticket{}, Check)
	if cr := res.Check("ptr"); cr.Status != checks.StatusSkipped || !strings.Contains(cr.Reason, "no sending IP") {
		t.Errorf("no IPs: status %s (%s), want skipped for no sending IP", cr.Status, cr.Reason)
	}
	if needs := checktest.Needs(res, checks.SenderAuth); !slices.Equal(needs, []checks.Input{checks.InputSendingIP}) {
		t.Errorf("no IPs: sender-auth needs %v, want the sending IPs", needs)
	}
	if got := checktest.Best(res, checks.SenderAuth); got != checks.Unknown {
		t.Errorf("no IPs: sender-auth %q, want unknown", got)
	}
	// No reverse zone loaded: every PTR question is refused; unknown, but
	// the check completes.
	z := checktest.Zones(t, forward)
	one := &checks.Ticket{SendingIPs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}
	res = checktest.Run(t, z, one, Check)
	if cr := res.Check("ptr"); cr.Status == checks.StatusFailed {
		t.Errorf("refused: failed (%s)", cr.Reason)
	}
	if got := checktest.Best(res, checks.SenderAuth); got != checks.Unknown {
		t.Errorf("refused: sender-auth %q, want unknown", got)
	}
	// Every PTR lookup timing out: the check fails.
	res = checktest.Run(t, timeouts{z}, one, Check)
	if cr := res.Check("ptr"); cr.Status != checks.StatusFailed {
		t.Errorf("timeout: status %s, want failed", cr.Status)
	}
	if got := checktest.Best(res, checks.SenderAuth); got != checks.Unknown {
		t.Errorf("timeout: sender-auth %q, want unknown", got)
	}
}

func TestPTRConcurrentIPs(t *testing.T) {
	z := checktest.Zones(t, reverse4, forward, ispZone)
	var ips []netip.Addr
	for _, s := range []string{"192.0.2.1", "192.0.2.6", "192.0.2.3"} {
		ips = append(ips, netip.MustParseAddr(s))
	}
	res := checktest.Run(t, z, &checks.Ticket{SendingIPs: ips}, Check)
	msgs := strings.Join(checktest.Messages(res, "ptr"), "\n")
	for _, want := range []string{"192.0.2.1 has PTR mail.example.com", "192.0.2.6 has no PTR", "192-0-2-3.dynamic.isp.example.net of sending IP 192.0.2.3 looks generic"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("missing %q in:\n%s", want, msgs)
		}
	}
}

func TestGeneric(t *testing.T) {
	tests := []struct {
		name, ip string
		generic  bool
	}{
		{"mail.example.com", "192.0.2.1", false},
		{"mx1.example.com", "192.0.2.1", false},
		{"ec2-192-0-2-1.compute-1.amazonaws.com", "192.0.2.1", true},
		{"1.2.0.192.static.isp.net", "192.0.2.1", true},
		{"host192000002001.isp.net", "192.0.2.1", true},
		{"c0000201.isp.net", "192.0.2.1", true},
		{"dyn-10.isp.net", "192.0.2.1", true},
		{"pool-abc.isp.net", "192.0.2.1", true},
		{"smtp2.example.com", "192.0.2.2", false},
		{"poolside.example.com", "192.0.2.2", false},
		{"2001-db8--1.isp.net", "2001:db8::1", true},
		{"mail.example.com", "2001:db8::1", false},
		{"host-0211-22ff-fe33-4455.isp.net", "2001:db8::211:22ff:fe33:4455", true},
		// A pool word in the registrable domain names no pool.
		{"mail.dyn.com", "192.0.2.3", false},
		{"mx.cable.example", "192.0.2.3", false},
		{"dsl-7.pool.cable.example", "192.0.2.3", true},
	}
	for _, tt := range tests {
		got := Generic(tt.name, netip.MustParseAddr(tt.ip)) != ""
		if got != tt.generic {
			t.Errorf("Generic(%q, %s) = %v, want %v", tt.name, tt.ip, got, tt.generic)
		}
	}
}

// timeouts times out every reverse question and passes the rest on.
type timeouts struct{ lookup.Resolver }

func (r timeouts) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	if strings.HasSuffix(q.Name, ".arpa.") || strings.HasSuffix(q.Name, ".arpa") {
		return nil, lookup.ErrTimeout
	}
	return r.Resolver.Lookup(ctx, q)
}

func FuzzGeneric(f *testing.F) {
	f.Add("ec2-192-0-2-1.compute-1.amazonaws.com", "192.0.2.1")
	f.Add("host-0211-22ff-fe33-4455.isp.net", "2001:db8::211:22ff:fe33:4455")
	f.Fuzz(func(t *testing.T, name, ip string) {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return
		}
		Generic(name, a) // must not panic
	})
}
