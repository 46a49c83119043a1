package mx

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/lookup"
)

const soa = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns.example.com. host.example.com. 1 7200 3600 1209600 300\n"

// other is a second zone, for MX hosts outside the recipient's domain.
const other = `$ORIGIN mailhost.net.
@ SOA ns.mailhost.net. host.mailhost.net. 1 7200 3600 1209600 300
mx1 A 192.0.2.10
mx2 AAAA 2001:db8::10
alias CNAME mx1
`

// faults answers like its zones, except that the names in it time out
// ("timeout") or answer SERVFAIL ("servfail"), as a broken authoritative
// server would.
type faults struct {
	next  lookup.Resolver
	names map[string]string
}

func (f faults) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	switch f.names[strings.ToLower(strings.TrimSuffix(q.Name, "."))] {
	case "timeout":
		return nil, fmt.Errorf("udp 127.0.0.1:53: %w", lookup.ErrTimeout)
	case "servfail":
		return &lookup.Answer{Question: q, Rcode: dns.RcodeServerFailure, Server: "test"}, nil
	}
	return f.next.Lookup(ctx, q)
}

type verdicts map[checks.CauseID]checks.Verdict

func TestRules(t *testing.T) {
	tests := []struct {
		name   string
		zone   string // records of example.com, after the SOA
		domain string
		faults map[string]string // names that time out or fail
		want   verdicts          // the verdict of each cause spoken to (and only those)
		// wantErr: the check fails (exit 3).
		wantErr bool
		// wantSev: the worst severity among the findings about the "mx" record.
		wantSev checks.Severity
		// wantMsg: substrings some finding's message must hold.
		wantMsg []string
		// check the result.
		exists, accepts checks.Tristate
		nullMX, impl    bool
		hosts           int
	}{
		{
			name: "working MX", zone: "@ MX 10 mx1.mailhost.net.\n@ MX 20 mx2.mailhost.net.\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.RuledOut},
			wantSev: checks.OK, wantMsg: []string{"accepts mail at mx1.mailhost.net (preference 10: 192.0.2.10); mx2.mailhost.net (preference 20: 2001:db8::10)"},
			exists: checks.Yes, accepts: checks.Yes, hosts: 2,
		},
		{
			name: "NXDOMAIN", zone: "@ MX 10 mx1.mailhost.net.\n", domain: "nope.example.com",
			want:    verdicts{checks.DomainNotFound: checks.Confirmed},
			wantMsg: []string{"nope.example.com does not exist (NXDOMAIN)"},
			exists:  checks.No, accepts: checks.No,
		},
		{
			name: "null MX", zone: "@ MX 0 .\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.Confirmed},
			wantSev: checks.Info, wantMsg: []string{"null MX (RFC 7505)"},
			exists: checks.Yes, accepts: checks.No, nullMX: true,
		},
		{
			name: "null MX with non-zero preference", zone: "@ MX 10 .\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.Confirmed},
			wantSev: checks.Error, wantMsg: []string{"preference 10; RFC 7505 §3 requires preference 0"},
			exists: checks.Yes, accepts: checks.No, nullMX: true,
		},
		{
			name: "null MX beside others", zone: "@ MX 0 .\n@ MX 10 mx1.mailhost.net.\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.RuledOut},
			wantSev: checks.Error, wantMsg: []string{"null MX (\".\") beside 1 other MX record(s)"},
			exists: checks.Yes, accepts: checks.Yes, hosts: 1,
		},
		{
			name: "implicit MX from A", zone: "@ A 192.0.2.1\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.Possible},
			wantSev: checks.Warning, wantMsg: []string{"implicit MX, RFC 5321 §5.1", "192.0.2.1"},
			exists: checks.Yes, accepts: checks.Yes, impl: true, hosts: 1,
		},
		{
			name: "implicit MX from AAAA", zone: "@ AAAA 2001:db8::1\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.Possible},
			wantSev: checks.Warning, wantMsg: []string{"2001:db8::1"},
			exists: checks.Yes, accepts: checks.Yes, impl: true, hosts: 1,
		},
		{
			name: "implicit MX on loopback", zone: "@ A 127.0.0.1\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.Confirmed},
			wantSev: checks.Warning, wantMsg: []string{"its own address 127.0.0.1 is one no sender on the internet can reach"},
			exists: checks.Yes, accepts: checks.No, impl: true, hosts: 1,
		},
		{
			name: "no MX no address", zone: "@ TXT \"v=spf1 -all\"\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.Confirmed},
			wantSev: checks.Warning, wantMsg: []string{"no MX record and no A/AAAA record (nodata)"},
			exists: checks.Yes, accepts: checks.No,
		},
		{
			name: "CNAME target", zone: "@ MX 10 alias.mailhost.net.\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.RuledOut},
			wantSev: checks.Error, wantMsg: []string{"alias.mailhost.net is an alias (CNAME to mx1.mailhost.net); RFC 2181 §10.3"},
			exists: checks.Yes, accepts: checks.Yes, hosts: 1,
		},
		{
			name: "IP literal target", zone: "@ MX 10 192.0.2.1.\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.Confirmed},
			wantSev: checks.Error, wantMsg: []string{"MX target 192.0.2.1 is an IP address", "192.0.2.1 is an IP address"},
			exists: checks.Yes, accepts: checks.No, hosts: 1,
		},
		{
			name: "dead MX hosts", zone: "@ MX 10 gone.mailhost.net.\n@ MX 20 mx.example.com.\nmx TXT \"no address\"\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.Confirmed},
			wantSev: checks.Error,
			wantMsg: []string{"MX gone.mailhost.net has no A/AAAA record (NXDOMAIN: no such name)",
				"MX mx.example.com has no A/AAAA record (NODATA", "none of the 2 MX host(s) of example.com can receive mail"},
			exists: checks.Yes, accepts: checks.No, hosts: 2,
		},
		{
			name: "MX host on loopback", zone: "@ MX 10 mx.example.com.\nmx A 127.0.0.1\nmx AAAA ::1\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.Confirmed},
			wantSev: checks.Error, wantMsg: []string{"MX mx.example.com resolves only to 127.0.0.1, ::1, an address no sender on the internet can reach"},
			exists: checks.Yes, accepts: checks.No, hosts: 1,
		},
		{
			name: "MX host private beside a public one", zone: "@ MX 10 mx.example.com.\n@ MX 20 mx1.mailhost.net.\nmx A 10.1.2.3\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.RuledOut},
			wantSev: checks.Warning, wantMsg: []string{"resolves only to 10.1.2.3"},
			exists: checks.Yes, accepts: checks.Yes, hosts: 2,
		},
		{
			name: "partly dead MX hosts", zone: "@ MX 10 gone.mailhost.net.\n@ MX 20 mx1.mailhost.net.\n", domain: "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.RuledOut},
			wantSev: checks.Warning, wantMsg: []string{"MX gone.mailhost.net has no A/AAAA record (NXDOMAIN"},
			exists: checks.Yes, accepts: checks.Yes, hosts: 2,
		},
		{
			name: "SERVFAIL on MX", zone: "@ MX 10 mx1.mailhost.net.\n", domain: "example.com", faults: map[string]string{"example.com": "servfail"},
			want:    verdicts{checks.DomainNotFound: checks.Unknown, checks.DomainNoMail: checks.Unknown},
			wantErr: true, wantMsg: []string{"MX lookup for example.com failed (servfail)"},
			exists: checks.Maybe, accepts: checks.Maybe,
		},
		{
			name: "SERVFAIL from a CNAME loop", zone: "loop CNAME loop2\nloop2 CNAME loop\n", domain: "loop.example.com",
			want:    verdicts{checks.DomainNotFound: checks.Unknown, checks.DomainNoMail: checks.Unknown},
			wantErr: true, wantMsg: []string{"MX lookup for loop.example.com failed (servfail, CNAME loop loop.example.com -> loop2.example.com -> loop.example.com)"},
			exists: checks.Maybe, accepts: checks.Maybe,
		},
		{
			name: "MX host in a CNAME loop", zone: "@ MX 10 loop.example.com.\n@ MX 20 mx1.mailhost.net.\nloop CNAME loop2\nloop2 CNAME loop\n",
			domain:  "example.com",
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.RuledOut},
			wantSev: checks.Error, wantMsg: []string{"MX loop.example.com could not be resolved (SERVFAIL"},
			exists: checks.Yes, accepts: checks.Yes, hosts: 2,
		},
		{
			name: "timeout on MX", zone: "@ MX 10 mx1.mailhost.net.\n", domain: "example.com", faults: map[string]string{"example.com": "timeout"},
			want:    verdicts{checks.DomainNotFound: checks.Unknown, checks.DomainNoMail: checks.Unknown},
			wantErr: true, wantMsg: []string{"failed (timeout)"},
			exists: checks.Maybe, accepts: checks.Maybe,
		},
		{
			name: "outside every zone", zone: "@ MX 10 mx1.mailhost.net.\n", domain: "example.org",
			want:    verdicts{checks.DomainNotFound: checks.Unknown, checks.DomainNoMail: checks.Unknown},
			wantErr: true, wantMsg: []string{"failed (refused)"},
			exists: checks.Maybe, accepts: checks.Maybe,
		},
		{
			name: "every MX host fails", zone: "@ MX 10 broken.example.com.\n@ MX 20 mx1.mailhost.net.\n",
			domain: "example.com", faults: map[string]string{"broken.example.com": "servfail", "mx1.mailhost.net": "timeout"},
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.Unknown},
			wantErr: true, wantSev: checks.Error, wantMsg: []string{"could not be resolved (SERVFAIL", "could not be resolved (timeout"},
			exists: checks.Yes, accepts: checks.Maybe, hosts: 2,
		},
		{
			name: "one MX host fails, one dead", zone: "@ MX 10 gone.mailhost.net.\n@ MX 20 mx1.mailhost.net.\n",
			domain: "example.com", faults: map[string]string{"mx1.mailhost.net": "timeout"},
			want:    verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.Unknown},
			wantErr: true, wantSev: checks.Error,
			exists: checks.Yes, accepts: checks.Maybe, hosts: 2,
		},
		{
			name: "IDN domain in A-labels", zone: "xn--bcher-kva MX 10 mx1.mailhost.net.\n", domain: "Bücher.example.com",
			want:   verdicts{checks.DomainNotFound: checks.RuledOut, checks.DomainNoMail: checks.RuledOut},
			exists: checks.Yes, accepts: checks.Yes, hosts: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := checktest.Zones(t, soa+tc.zone, other)
			tk := &checks.Ticket{Domain: tc.domain, Address: "alice@" + tc.domain}
			res := checktest.Run(t, faults{z, tc.faults}, tk, Check)
			cr := res.Check("mx")
			if failed := cr.Status == checks.StatusFailed; failed != tc.wantErr {
				t.Errorf("status %s (%s), want failed=%v", cr.Status, cr.Reason, tc.wantErr)
			}
			got := verdicts{}
			worst := checks.OK
			for _, f := range cr.Findings {
				if f.Cause != "" {
					if v, dup := got[f.Cause]; dup {
						t.Errorf("two verdicts on %s: %s and %s", f.Cause, v, f.Verdict)
					}
					// The "not a known gateway" note is TestProvidersAndGateways' business.
					if f.Cause != checks.CorporateFilter || f.Verdict != checks.Unknown {
						got[f.Cause] = f.Verdict
					}
				}
				if f.Record == "mx" {
					worst = max(worst, f.Severity)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("verdicts %v, want %v", got, tc.want)
			}
			if !tc.wantErr && worst != tc.wantSev {
				t.Errorf("worst mx severity %s, want %s", worst, tc.wantSev)
			}
			all := strings.Join(checktest.Messages(res, "mx"), "\n")
			for _, m := range tc.wantMsg {
				if !strings.Contains(all, m) {
					t.Errorf("no message holds %q; messages:\n%s", m, all)
				}
			}
			md, _ := cr.Result.(*Domain)
			if md == nil {
				t.Fatalf("result %T, want *Domain", cr.Result)
			}
			if md.Exists != tc.exists || md.AcceptsMail != tc.accepts || md.NullMX != tc.nullMX || md.Implicit != tc.impl || len(md.Hosts) != tc.hosts {
				t.Errorf("result exists=%s accepts=%s null=%v implicit=%v hosts=%d, want %s %s %v %v %d",
					md.Exists, md.AcceptsMail, md.NullMX, md.Implicit, len(md.Hosts),
					tc.exists, tc.accepts, tc.nullMX, tc.impl, tc.hosts)
			}
		})
	}
}

// TestImplicitAddressFails: the MX question answers NODATA, the address
// questions fail: unknown, never a verdict.
func TestImplicitAddressFails(t *testing.T) {
	z := checktest.Zones(t, soa+"@ TXT \"x\"\n")
	r := resolverFunc(func(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
		if q.Type != dns.TypeMX {
			return nil, fmt.Errorf("read udp: %w", lookup.ErrTimeout)
		}
		return z.Lookup(ctx, q)
	})
	res := checktest.Run(t, r, &checks.Ticket{Domain: "example.com"}, Check)
	cr := res.Check("mx")
	if cr.Status != checks.StatusFailed {
		t.Errorf("status %s, want failed", cr.Status)
	}
	if v := checktest.Best(res, checks.DomainNoMail); v != checks.Unknown {
		t.Errorf("domain-no-mail %s, want unknown", v)
	}
	if v := checktest.Best(res, checks.DomainNotFound); v != checks.RuledOut {
		t.Errorf("domain-not-found %s, want ruled-out (NODATA proves the name exists)", v)
	}
}

type resolverFunc func(context.Context, lookup.Question) (*lookup.Answer, error)

func (f resolverFunc) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	return f(ctx, q)
}

func TestBadDomain(t *testing.T) {
	for _, d := range []string{"", "exa mple.com", "[192.0.2.1]", "-bad-.com"} {
		res := checktest.Run(t, nil, &checks.Ticket{Domain: d}, Check)
		cr := res.Check("mx")
		if cr.Status != checks.StatusSkipped || cr.Reason == "" {
			t.Errorf("%q: status %s (%q), want skipped with a reason", d, cr.Status, cr.Reason)
		}
		for _, c := range []checks.CauseID{checks.DomainNotFound, checks.DomainNoMail} {
			if v := checktest.Best(res, c); v != checks.Unknown {
				t.Errorf("%q: %s %s, want unknown", d, c, v)
			}
		}
	}
}

func TestProvidersAndGateways(t *testing.T) {
	tests := []struct {
		mx       []string // MX hosts, most preferred first
		provider string
		gateway  string
		filter   checks.Verdict // corporate-filter, "" when not spoken to
		step     string         // in the corporate-filter steps
	}{
		// Business mailbox services that quarantine on their own: possible, with their quarantine in the steps.
		{[]string{"aspmx.l.google.com", "alt1.aspmx.l.google.com"}, "Google Workspace", "", checks.Possible, "admin quarantine"},
		{[]string{"smtp.google.com"}, "Google Workspace", "", checks.Possible, "Email Log Search"},
		{[]string{"aspmx2.googlemail.com"}, "Google Workspace", "", checks.Possible, "Google Admin console"},
		{[]string{"gmail-smtp-in.l.google.com", "alt1.gmail-smtp-in.l.google.com"}, "Gmail", "", checks.RuledOut, ""},
		{[]string{"example-com.mail.protection.outlook.com"}, "Microsoft 365", "", checks.Possible, "Microsoft 365 Defender quarantine (security.microsoft.com/quarantine"},
		{[]string{"hotmail-com.olc.protection.outlook.com"}, "Outlook.com", "", checks.RuledOut, ""},
		{[]string{"mta5.am0.yahoodns.net"}, "Yahoo Mail", "", checks.RuledOut, ""},
		{[]string{"mx01.mail.icloud.com"}, "iCloud Mail", "", checks.RuledOut, ""},
		{[]string{"mx.zoho.eu"}, "Zoho Mail", "", "", ""},
		{[]string{"in1-smtp.messagingengine.com"}, "Fastmail", "", "", ""},
		{[]string{"mail.protonmail.ch"}, "Proton Mail", "", "", ""},
		{[]string{"mx00.gmx.net"}, "GMX", "", checks.RuledOut, ""},
		{[]string{"mx-ha03.web.de"}, "WEB.DE", "", checks.RuledOut, ""},
		{[]string{"mx.yandex.ru"}, "Yandex Mail", "", checks.RuledOut, ""},
		{[]string{"mxs.mail.ru"}, "Mail.ru", "", checks.RuledOut, ""},
		{[]string{"mx0a-001234.pphosted.com"}, "", "Proofpoint", checks.Possible, "Proofpoint quarantine"},
		{[]string{"mx1-us1.ppe-hosted.com"}, "", "Proofpoint Essentials", checks.Possible, "Proofpoint Essentials quarantine"},
		{[]string{"us-smtp-inbound-1.mimecast.com"}, "", "Mimecast", checks.Possible, "Mimecast Message Tracking and the Held queue"},
		{[]string{"je-smtp-inbound-1.mimecast-offshore.com"}, "", "Mimecast", checks.Possible, "Mimecast"},
		{[]string{"d123.ess.barracudanetworks.com"}, "", "Barracuda Email Security", checks.Possible, "Barracuda Message Log"},
		{[]string{"mx1.hc1234-56.iphmx.com"}, "", "Cisco Secure Email", checks.Possible, "Message Tracking"},
		{[]string{"mx-01-eu-central-1.prod.hydra.sophos.com"}, "", "Sophos Email", checks.Possible, "Sophos Central"},
		{[]string{"example-com.mail.tmes.trendmicro.com"}, "", "Trend Micro Email Security", checks.Possible, "Trend Micro"},
		{[]string{"example.in.hes.trendmicro.eu"}, "", "Trend Micro Email Security", checks.Possible, "Trend Micro"},
		{[]string{"cluster1.eu.mailcontrol.com"}, "", "Forcepoint Email Security", checks.Possible, "Forcepoint"},
		{[]string{"cluster1.eu.messagelabs.com"}, "", "Broadcom (Symantec) Email Security.cloud", checks.Possible, "Track and Trace"},
		{[]string{"mx01.hornetsecurity.com"}, "", "Hornetsecurity", checks.Possible, "Hornetsecurity"},
		{[]string{"mx.eu.mailmarshal.cloud"}, "", "Trustwave MailMarshal", checks.Possible, "MailMarshal"},
		{[]string{"mx.antispamcloud.com"}, "", "N-able SpamExperts", checks.Possible, "SpamExperts"},
		{[]string{"example.s8a1.psmtp.com"}, "", "Google Postini (legacy)", checks.Possible, "Postini"},
		// A gateway in front of Microsoft 365: both named, the gateway's quarantine in the steps.
		{[]string{"us-smtp-inbound-1.mimecast.com", "example-com.mail.protection.outlook.com"}, "Microsoft 365", "Mimecast", checks.Possible, "Mimecast"},
		// Look-alikes are not recognised.
		{[]string{"mail.notgoogle.com", "google.com.evil.example"}, "", "", "", ""},
		{[]string{"mx.example.net"}, "", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.mx[0], func(t *testing.T) {
			// Answer every MX host with an address, as a zone-free resolver.
			zone := soa
			for i, h := range tc.mx {
				zone += fmt.Sprintf("@ MX %d %s.\n", 10*(i+1), h)
			}
			z := checktest.Zones(t, zone)
			r := resolverFunc(func(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
				if a, err := z.Lookup(ctx, q); err != nil || a.Status() != lookup.StatusRefused {
					return a, err
				}
				return checktest.Zones(t, fmt.Sprintf("$ORIGIN %s\n@ SOA a. b. 1 1 1 1 1\n@ A 192.0.2.7\n", q.Name)).Lookup(ctx, q)
			})
			res := checktest.Run(t, r, &checks.Ticket{Domain: "example.com", Address: "bob@example.com"}, Check)
			md := res.Check("mx").Result.(*Domain)
			if md.Provider != tc.provider || md.Gateway != tc.gateway {
				t.Errorf("provider %q gateway %q, want %q %q", md.Provider, md.Gateway, tc.provider, tc.gateway)
			}
			want := tc.filter
			if want == "" {
				want = checks.Unknown // neither a gateway nor a consumer mailbox: cannot tell
			}
			if v := checktest.Best(res, checks.CorporateFilter); v != want {
				t.Errorf("corporate-filter %q, want %q", v, want)
			}
			if tc.step != "" {
				var steps string
				for _, f := range res.Check("mx").Findings {
					if f.Cause == checks.CorporateFilter {
						steps = strings.Join(f.Steps, "\n")
					}
				}
				if !strings.Contains(steps, tc.step) || !strings.Contains(steps, "bob@example.com") {
					t.Errorf("steps %q, want them to name %q and the address", steps, tc.step)
				}
			}
			msgs := strings.Join(checktest.Messages(res, "mx"), "\n")
			for _, name := range []string{tc.provider, tc.gateway} {
				if name != "" && !strings.Contains(msgs, name) {
					t.Errorf("no message names %s:\n%s", name, msgs)
				}
			}
		})
	}
}

func TestRecogniseTable(t *testing.T) {
	seen := map[string]string{}
	for _, op := range Operators {
		if op.Name == "" || len(op.Hosts) == 0 {
			t.Errorf("operator %+v lacks a name or hosts", op)
		}
		if op.Kind == Gateway && op.Quarantine == "" {
			t.Errorf("gateway %s has no quarantine to name in steps", op.Name)
		}
		for _, h := range op.Hosts {
			if h != strings.ToLower(h) || strings.HasPrefix(h, ".") || strings.HasSuffix(h, ".") {
				t.Errorf("%s: host %q must be lower-case without leading or final dot", op.Name, h)
			}
			if prev, dup := seen[h]; dup {
				t.Errorf("host %s listed by %s and %s", h, prev, op.Name)
			}
			seen[h] = op.Name
		}
	}
	if op := Recognise("ASPMX.L.GOOGLE.COM."); op == nil || op.Name != "Google Workspace" {
		t.Errorf("Recognise is not case- and dot-insensitive: %v", op)
	}
	for _, h := range []string{"notgoogle.com", "google.com.evil.example", "xgoogle.com."} {
		if op := Recognise(h); op != nil && op.Name == "Google Workspace" {
			t.Errorf("Recognise(%q) = Google Workspace: only google.com and names under it are", h)
		}
	}
	if op := Recognise("google.com"); op == nil || op.Name != "Google Workspace" {
		t.Errorf("Recognise(google.com) = %v, want Google Workspace", op)
	}
}

// TestHostsResolvedConcurrently: with 30 ms per DNS answer, five MX hosts
// cost about two round trips (MX, then every host's A and AAAA at once),
// not eleven.
func TestHostsResolvedConcurrently(t *testing.T) {
	zone := soa
	for i := range 5 {
		zone += fmt.Sprintf("@ MX %d mx%d\nmx%d A 192.0.2.%d\n", 10*i, i, i, 10+i)
	}
	z := checktest.Zones(t, zone)
	slow := resolverFunc(func(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
		time.Sleep(30 * time.Millisecond)
		return z.Lookup(ctx, q)
	})
	start := time.Now()
	res := checktest.Run(t, slow, &checks.Ticket{Domain: "example.com"}, Check)
	took := time.Since(start)
	if md := res.Check("mx").Result.(*Domain); len(md.Hosts) != 5 || md.AcceptsMail != checks.Yes {
		t.Fatalf("result %+v", md)
	}
	if took > 200*time.Millisecond {
		t.Errorf("took %s; serial lookups would take 330ms, concurrent about 60ms", took)
	}
}

// TestVerifyAsksWhatAnMTAWould: checking addresses in bulk, MX hosts are
// asked one after another in preference order until one has an address a
// sender can reach, as a sending MTA tries them, and a host's AAAA only
// when its A records give no such address, and not after NXDOMAIN. The
// verdict is that of asking everything. A diagnosis asks both families of
// every host at once.
func TestVerifyAsksWhatAnMTAWould(t *testing.T) {
	zone := soa + `@ MX 10 gone.mailhost.net.
@ MX 20 internal
@ MX 30 v6only
@ MX 40 pub
internal A 10.0.0.1
v6only AAAA 2001:db8::3
pub A 192.0.2.1
pub AAAA 2001:db8::1
first MX 10 pub
first MX 20 internal
noMX A 192.0.2.9
noMX AAAA 2001:db8::9
`
	z := checktest.Zones(t, zone, other)
	all := "gone.mailhost.net.,internal.example.com.,pub.example.com.,v6only.example.com."
	for _, tt := range []struct {
		mode      checks.Mode
		domain    string
		a, aaaa   string          // the host address questions asked, sorted
		reachable map[string]bool // of the hosts asked
		hosts     int             // in the result
	}{
		{checks.Verify, "example.com", "gone.mailhost.net.,internal.example.com.,v6only.example.com.", "internal.example.com.,v6only.example.com.",
			map[string]bool{"gone.mailhost.net": false, "internal.example.com": false, "v6only.example.com": true}, 4},
		{checks.Diagnose, "example.com", all, all,
			map[string]bool{"gone.mailhost.net": false, "internal.example.com": false, "v6only.example.com": true, "pub.example.com": true}, 4},
		{checks.Verify, "first.example.com", "pub.example.com.", "", map[string]bool{"pub.example.com": true}, 2},
		{checks.Diagnose, "first.example.com", "internal.example.com.,pub.example.com.", "internal.example.com.,pub.example.com.",
			map[string]bool{"internal.example.com": false, "pub.example.com": true}, 2},
		{checks.Verify, "nomx.example.com", "nomx.example.com.", "", nil, 1}, // implicit MX
		{checks.Diagnose, "nomx.example.com", "nomx.example.com.", "nomx.example.com.", nil, 1},
	} {
		t.Run(tt.mode.String()+"/"+tt.domain, func(t *testing.T) {
			var mu sync.Mutex
			asked := map[uint16][]string{}
			r := resolverFunc(func(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
				if q.Type == dns.TypeA || q.Type == dns.TypeAAAA {
					mu.Lock()
					asked[q.Type] = append(asked[q.Type], strings.ToLower(dns.Fqdn(q.Name)))
					mu.Unlock()
				}
				return z.Lookup(ctx, q)
			})
			res := checktest.Run(t, r, &checks.Ticket{Mode: tt.mode, Domain: tt.domain}, Check)
			for qt, want := range map[uint16]string{dns.TypeA: tt.a, dns.TypeAAAA: tt.aaaa} {
				got := asked[qt]
				slices.Sort(got)
				if g := strings.Join(slices.Compact(got), ","); g != want {
					t.Errorf("%s asked of %s, want %s", dns.TypeToString[qt], g, want)
				}
			}
			md := res.Check("mx").Result.(*Domain)
			if md.AcceptsMail != checks.Yes {
				t.Fatalf("accepts mail %v, want yes", md.AcceptsMail)
			}
			// Every host stays in the result, asked or not: the provider
			// is read from their names.
			if len(md.Hosts) != tt.hosts {
				t.Errorf("%d hosts in the result, want %d", len(md.Hosts), tt.hosts)
			}
			var reachable map[string]bool
			for _, f := range res.Findings() {
				if f.ID == idAcceptsMail && tt.reachable != nil {
					reachable = map[string]bool{}
					for h := range tt.reachable {
						reachable[h] = strings.Contains(f.Message, h+" (")
					}
				}
			}
			if !maps.Equal(reachable, tt.reachable) {
				t.Errorf("hosts named as taking mail %v, want %v", reachable, tt.reachable)
			}
		})
	}
}
