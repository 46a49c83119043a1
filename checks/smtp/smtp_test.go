package smtp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/dane"
	"github.com/whymail/whymail/checks/mtasts"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/smtpprobe"
	"github.com/whymail/whymail/internal/smtpprobe/smtptest"
)

const zone = `$ORIGIN example.com.
@   IN SOA ns1 hostmaster 1 7200 900 1209600 3600
@   IN MX  10 mx
mx  IN A   192.0.2.25
`

// probe runs the smtp check for address (or a domain lint when it has no
// @) against a test server, every MX address dialled to the server.
func probe(t *testing.T, o smtptest.Options, pol *mtasts.Policy, address string) ([]string, string, *Result) {
	t.Helper()
	s, err := smtptest.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	var d net.Dialer
	p := smtpprobe.Prober{Timeout: 3 * time.Second, Roots: s.Roots,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, s.Addr)
		}}
	sts := mtasts.New(mtasts.Fetcher{Offline: true})
	c := New(p, sts)
	tk := &checks.Ticket{Mode: checks.Lint, Domain: "example.com"}
	if strings.Contains(address, "@") {
		tk = &checks.Ticket{Mode: checks.Diagnose, Address: address, Domain: "example.com"}
	}
	res := checktest.RunGiven(t, checktest.Zones(t, zone), tk, map[*checks.Check]any{sts: pol}, c)
	var ids []string
	var msgs []string
	for _, f := range res.Check("smtp").Findings {
		ids = append(ids, f.ID+" "+f.Severity.String())
		msgs = append(msgs, f.Message)
	}
	if s.Data.Load() != 0 {
		t.Error("the probe sent DATA")
	}
	r, _ := res.Check("smtp").Result.(*Result)
	return ids, strings.Join(msgs, "\n"), r
}

func TestSMTPCheck(t *testing.T) {
	enforce := &mtasts.Policy{Mode: "enforce", MX: []string{"mx.example.com"}, MaxAge: 604800}
	for _, tc := range []struct {
		name    string
		o       smtptest.Options
		pol     *mtasts.Policy
		address string
		want    []string
		mailbox string
	}{
		{"valid TLS, MTA-STS enforce", smtptest.Options{TLSNames: []string{"mx.example.com"}}, enforce, "",
			[]string{"smtp.banner ok", "smtp.tls ok", "smtp.mta-sts-ok ok"}, ""},
		{"no STARTTLS under enforce", smtptest.Options{}, enforce, "",
			[]string{"smtp.no-starttls error"}, ""},
		{"no STARTTLS, no policy", smtptest.Options{}, nil, "",
			[]string{"smtp.no-starttls warning"}, ""},
		{"wrong name under enforce", smtptest.Options{TLSNames: []string{"mail.other.example"}}, enforce, "",
			[]string{"smtp.cert-name-mismatch error", "smtp.mta-sts-cert-invalid error"}, ""},
		{"expired certificate", smtptest.Options{TLSNames: []string{"mx.example.com"}, Expired: true}, nil, "",
			[]string{"smtp.cert-untrusted warning"}, ""},
		{"mailbox exists", smtptest.Options{Mailboxes: []string{"alice"}}, nil, "alice@example.com",
			[]string{"smtp.mailbox-exists ok"}, "exists"},
		{"mailbox does not exist", smtptest.Options{Mailboxes: []string{"alice"}}, nil, "bob@example.com",
			[]string{"smtp.mailbox-does-not-exist error"}, "does-not-exist"},
		{"catch-all", smtptest.Options{CatchAll: true}, nil, "bob@example.com",
			[]string{"smtp.catch-all info"}, "catch-all"},
		{"greylisting is unknown", smtptest.Options{Greylist: true}, nil, "bob@example.com",
			[]string{"smtp.mailbox-unknown info"}, "unknown"},
		{"policy refusal is unknown", smtptest.Options{Policy: true}, nil, "bob@example.com",
			[]string{"smtp.mailbox-unknown info"}, "unknown"},
		{"turned away is unknown", smtptest.Options{Banner: "554 5.7.1 no thanks"}, nil, "bob@example.com",
			[]string{"smtp.turned-away info", "smtp.mailbox-unknown info"}, "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, msgs, r := probe(t, tc.o, tc.pol, tc.address)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("no %s; got %v:\n%s", w, got, msgs)
				}
			}
			if r == nil || r.Mailbox != tc.mailbox {
				t.Errorf("mailbox verdict %v, want %q", r, tc.mailbox)
			}
		})
	}
}

func TestSMTPUnreachableIsUnknown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	var d net.Dialer
	p := smtpprobe.Prober{Timeout: time.Second,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}}
	sts := mtasts.New(mtasts.Fetcher{Offline: true})
	res := checktest.RunGiven(t, checktest.Zones(t, zone), &checks.Ticket{Mode: checks.Diagnose, Address: "bob@example.com", Domain: "example.com"},
		map[*checks.Check]any{sts: (*mtasts.Policy)(nil)}, New(p, sts))
	for _, f := range res.Check("smtp").Findings {
		if f.Severity > checks.Info || (f.Cause != "" && f.Verdict != checks.Unknown) {
			t.Errorf("an unreachable server gave %s %s %s: %s", f.ID, f.Severity, f.Verdict, f.Message)
		}
	}
	if res.Check("smtp").Status == checks.StatusFailed {
		t.Error("a blocked port 25 failed the check (exit 3): it is unknown, not a DNS failure")
	}
}

// The certificate is checked against the host's usable DANE-EE records.
func TestSMTPDANE(t *testing.T) {
	s, err := smtptest.Start(smtptest.Options{TLSNames: []string{"mx.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum := sha256.Sum256(s.Leaf.RawSubjectPublicKeyInfo)
	for _, tc := range []struct {
		data string
		want string
	}{
		{hex.EncodeToString(sum[:]), "smtp.dane-match ok"},
		{strings.Repeat("ab", 32), "smtp.dane-mismatch error"},
	} {
		rr, err := dns.NewRR("_25._tcp.mx.example.com. IN TLSA 3 1 1 " + tc.data)
		if err != nil {
			t.Fatal(err)
		}
		var d net.Dialer
		p := smtpprobe.Prober{Timeout: 3 * time.Second, Roots: s.Roots,
			Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, s.Addr)
			}}
		sts := mtasts.New(mtasts.Fetcher{Offline: true})
		given := map[*checks.Check]any{
			sts:        (*mtasts.Policy)(nil),
			dane.Check: &dane.Result{Hosts: map[string]*dane.HostTLSA{"mx.example.com": {Name: "_25._tcp.mx.example.com", Records: []*dns.TLSA{rr.(*dns.TLSA)}, Usable: true}}},
		}
		res := checktest.RunGiven(t, checktest.Zones(t, zone), &checks.Ticket{Mode: checks.Lint, Domain: "example.com"}, given, New(p, sts))
		var got []string
		for _, f := range res.Check("smtp").Findings {
			got = append(got, f.ID+" "+f.Severity.String())
		}
		if !slices.Contains(got, tc.want) {
			t.Errorf("TLSA %s…: got %v, want %s", tc.data[:8], got, tc.want)
		}
	}
}
