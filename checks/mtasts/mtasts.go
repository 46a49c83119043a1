// Package mtasts checks a domain's MTA-STS setup (RFC 8461): the
// _mta-sts TXT record, the policy served at
// https://mta-sts.<domain>/.well-known/mta-sts.txt, and whether the
// policy's mx patterns cover the domain's real MX hosts.
package mtasts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/netguard"
	"github.com/whymail/whymail/internal/txtrecord"
)

// Fetcher says how the policy is fetched.
type Fetcher struct {
	// Offline skips the HTTPS fetch (no network, or zone files only).
	Offline bool
	// Port is the HTTPS port; "" means 443. Tests point it at a loopback server.
	Port string
	// RootCAs verifies the server's certificate; nil means the system roots.
	RootCAs *x509.CertPool
	// Timeout bounds the whole fetch; 0 means 8 seconds.
	Timeout time.Duration
	// Control, when set, is the dialer's Control hook: a server sets
	// netguard.Control so that a domain someone typed cannot make it
	// connect to loopback, private or other non-public addresses. The
	// command line leaves it nil (its tests serve policies on loopback).
	Control func(network, address string, c syscall.RawConn) error
}

// Check is the "mta-sts" check, fetching policies from the network.
var Check = New(Fetcher{})

// New returns the "mta-sts" check with its policy fetched as f says.
func New(f Fetcher) *checks.Check {
	return &checks.Check{
		Name: "mta-sts",
		Doc: "Checks the MTA-STS record (_mta-sts TXT), fetches the policy from https://mta-sts.<domain>/, " +
			"lints it, and matches its mx patterns against the domain's MX hosts.",
		// The policy, when one in mode enforce or testing was fetched.
		ResultType: reflect.TypeFor[*Policy](),
		Run:        func(p *checks.Pass) (any, error) { return run(p, f) },
	}
}

// kind is the MTA-STS record: RFC 8461 §3.1, records not beginning with
// "v=STSv1;" are discarded.
var kind = txtrecord.Kind{IDs: txtrecord.DeclareIDs("mtasts"), Record: "mta-sts", Name: "MTA-STS", Version: "v=STSv1", Readers: "senders",
	Many: "no policy", Rule: "RFC 8461 §3.1"}

const policyPath = "/.well-known/mta-sts.txt"

type mxResult struct {
	hosts  []string
	null   bool
	status lookup.Status
}

func run(p *checks.Pass, f Fetcher) (any, error) {
	domain, ok := kind.Domain(p)
	if !ok {
		return nil, nil
	}
	// Ask for the MX hosts at once; the policy's patterns are matched against them.
	mxc := make(chan mxResult, 1)
	go func() { mxc <- lookupMX(p, domain) }()

	name := "_mta-sts." + domain
	recs, err := txtrecord.Find(p, kind, name)
	if err != nil {
		return nil, err
	}
	switch {
	case len(recs) == 0:
		p.Report(checks.Finding{ID: idMissing, Severity: checks.Info, Record: "mta-sts",
			Message: fmt.Sprintf("no MTA-STS record at %s: optional; without it senders use TLS only opportunistically", name)})
		return nil, nil
	case len(recs) > 1:
		// RFC 8461 §3.1: if the number of records is not one, senders
		// assume there is no policy.
		kind.ReportMany(p, name, recs)
	default:
		if rec, err := ParseRecord(recs[0]); err != nil {
			p.Report(checks.Finding{ID: idInvalid, Severity: checks.Error, Record: "mta-sts",
				Message: fmt.Sprintf("MTA-STS record %q is invalid: %v; senders ignore it (RFC 8461 §3.1)", recs[0], err),
				Data:    map[string]any{"record": recs[0]}})
		} else {
			p.Report(checks.Finding{ID: idRecord, Severity: checks.OK, Record: "mta-sts",
				Message: fmt.Sprintf("MTA-STS record %q (policy id %s)", recs[0], rec.ID),
				Data:    map[string]any{"record": recs[0], "id": rec.ID}})
		}
	}

	host := "mta-sts." + domain
	url := "https://" + host + policyPath
	if f.Offline {
		p.Report(checks.Finding{ID: idOffline, Severity: checks.Info, Record: "mta-sts",
			Message: fmt.Sprintf("policy at %s not fetched (offline)", url)})
		return nil, nil
	}
	body, ferr := fetch(p, f, host)
	if ferr != nil {
		sev := checks.Warning
		if ferr.ours {
			sev = checks.Info
		}
		p.Report(checks.Finding{ID: idFetchFailed, Severity: sev, Record: "mta-sts",
			Message: fmt.Sprintf("could not fetch policy %s: %s", url, ferr.msg),
			Steps:   ferr.steps, Data: map[string]any{"url": url}})
		return nil, nil
	}
	pol, probs := ParsePolicy(body)
	for _, pr := range probs {
		p.Report(checks.Finding{ID: pr.ID, Severity: pr.Severity, Record: "mta-sts",
			Message: fmt.Sprintf("policy %s: %s", url, pr), Data: map[string]any{"url": url, "line": pr.Line}})
	}
	data := map[string]any{"url": url, "mode": pol.Mode, "max_age": pol.MaxAge, "mx": pol.MX}
	switch pol.Mode {
	case "enforce":
		p.Report(checks.Finding{ID: idEnforce, Severity: checks.OK, Record: "mta-sts", Data: data,
			Message: fmt.Sprintf("MTA-STS policy in mode enforce for mx %s (max_age %d)", strings.Join(pol.MX, ", "), pol.MaxAge)})
	case "testing":
		p.Report(checks.Finding{ID: idTestingMode, Severity: checks.Info, Record: "mta-sts", Data: data,
			Message: "MTA-STS policy in mode testing: senders report TLS failures (with TLS-RPT) but still deliver; switch to enforce once reports are clean"})
	case "none":
		p.Report(checks.Finding{ID: idModeNone, Severity: checks.Info, Record: "mta-sts", Data: data,
			Message: "MTA-STS policy in mode none: it withdraws the policy; senders stop applying it"})
		return nil, nil
	default:
		return nil, nil
	}
	if len(pol.MX) == 0 {
		return pol, nil
	}
	matchMX(p, <-mxc, domain, pol)
	return pol, nil
}

func lookupMX(p *checks.Pass, domain string) mxResult {
	mxs, a, err := lookup.MX(p.Context, p.DNS, domain)
	if err != nil {
		return mxResult{status: lookup.ErrStatus(err)}
	}
	r := mxResult{status: a.Status()}
	for _, mx := range mxs {
		h := strings.ToLower(strings.TrimSuffix(mx.Mx, "."))
		if h == "" { // RFC 7505 null MX: "0 ."
			r.null = true
			continue
		}
		r.hosts = append(r.hosts, h)
	}
	return r
}

// matchMX matches every MX host against the policy's patterns (RFC 8461
// §4.1): in enforce mode a host that matches none cannot receive mail from
// senders that honour MTA-STS.
func matchMX(p *checks.Pass, mx mxResult, domain string, pol *Policy) {
	hosts := mx.hosts
	switch {
	case mx.null:
		p.Report(checks.Finding{ID: idNullMX, Severity: checks.Info, Record: "mta-sts",
			Message: fmt.Sprintf("%s has a null MX (accepts no mail): its MTA-STS policy has nothing to protect", domain)})
		return
	case mx.status == lookup.StatusNXDomain:
		return
	case mx.status != lookup.StatusOK && mx.status != lookup.StatusNoData:
		p.Report(checks.Finding{ID: idMXLookupFailed, Severity: checks.Info, Record: "mta-sts",
			Message: fmt.Sprintf("could not match the policy's mx patterns: the MX lookup of %s failed (%s)", domain, mx.status)})
		return
	case len(hosts) == 0:
		hosts = []string{domain} // RFC 5321 §5.1: the implicit MX
	}
	var bad []string
	for _, h := range hosts {
		ok := false
		for _, pat := range pol.MX {
			if Match(pat, h) {
				ok = true
				break
			}
		}
		if !ok {
			bad = append(bad, h)
		}
	}
	data := map[string]any{"mx_hosts": hosts, "patterns": pol.MX, "unmatched": bad}
	if len(bad) == 0 {
		p.Report(checks.Finding{ID: idMXMatch, Severity: checks.OK, Record: "mta-sts", Data: data,
			Message: fmt.Sprintf("every MX host of %s (%s) matches the policy's mx patterns", domain, strings.Join(hosts, ", "))})
		return
	}
	step := fmt.Sprintf("add \"mx: %s\" lines to the policy (or fix the MX records), then change the id= of the _mta-sts record so senders refetch it", strings.Join(bad, "\", \"mx: "))
	if pol.Mode == "enforce" {
		p.Report(checks.Finding{ID: idMXNoMatchEnforce, Severity: checks.Error, Record: "mta-sts", Data: data, Steps: []string{step},
			Message: fmt.Sprintf("MX host %s of %s matches none of the MTA-STS mx patterns (%s) in mode enforce: senders honouring MTA-STS will not deliver to it, so their mail is delayed and then bounced",
				strings.Join(bad, ", "), domain, strings.Join(pol.MX, ", "))})
		return
	}
	p.Report(checks.Finding{ID: idMXNoMatchTesting, Severity: checks.Warning, Record: "mta-sts", Data: data, Steps: []string{step},
		Message: fmt.Sprintf("MX host %s of %s matches none of the MTA-STS mx patterns (%s): in mode testing senders only report it, but switching to enforce would stop delivery to it",
			strings.Join(bad, ", "), domain, strings.Join(pol.MX, ", "))})
}

// fetchError is why a policy could not be fetched. ours is set when the
// failure may be on our side (no network, our resolver), not the domain's.
type fetchError struct {
	msg   string
	ours  bool
	steps []string
}

// maxPolicy bounds the policy body: RFC 8461 §3.3 lets senders refuse
// anything larger than 64 KiB.
const maxPolicy = 64 << 10

// fetch gets the policy body: HTTPS, the host's address looked up through
// the run's DNS, certificate verified for host, no redirects, status 200
// (RFC 8461 §3.3).
func fetch(p *checks.Pass, f Fetcher, host string) (string, *fetchError) {
	timeout := f.Timeout
	if timeout == 0 {
		timeout = 8 * time.Second
	}
	port := f.Port
	if port == "" {
		port = "443"
	}
	ctx, cancel := context.WithTimeout(p.Context, timeout)
	defer cancel()

	addrs, st, err := lookup.Addrs(ctx, p.DNS, host)
	switch {
	case err != nil:
		return "", &fetchError{msg: fmt.Sprintf("lookup %s: %s", host, st), ours: true}
	case len(addrs) == 0:
		return "", &fetchError{msg: fmt.Sprintf("%s has no address (%s), so senders cannot fetch the policy and ignore the MTA-STS record", host, st),
			steps: []string{fmt.Sprintf("publish an A/AAAA record for %s on a web server that serves %s over HTTPS", host, policyPath)}}
	}
	if doc := documentation(addrs); doc.IsValid() {
		return "", &fetchError{msg: fmt.Sprintf("%s resolves to %s, a documentation address (RFC 5737, RFC 3849) no server answers on: not fetched", host, doc), ours: true}
	}
	dialer := &net.Dialer{Timeout: timeout / 2, Control: f.Control}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: f.RootCAs, ServerName: host},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var errs []error
			for _, a := range addrs {
				c, err := dialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
				if err == nil {
					return c, nil
				}
				errs = append(errs, err)
			}
			return nil, errors.Join(errs...)
		},
		DisableKeepAlives:     true,
		TLSHandshakeTimeout:   timeout / 2,
		ResponseHeaderTimeout: timeout / 2,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		Timeout:   timeout,
		// RFC 8461 §3.3: HTTP 3xx redirects MUST NOT be followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+policyPath, nil)
	if err != nil {
		return "", &fetchError{msg: err.Error(), ours: true}
	}
	resp, err := client.Do(req)
	if err != nil {
		var cv *tls.CertificateVerificationError
		if errors.As(err, &cv) {
			return "", &fetchError{msg: fmt.Sprintf("the certificate of %s is not valid (%v): senders refuse the policy", host, cv.Err),
				steps: []string{fmt.Sprintf("serve %s with a certificate for %s from a public CA (such as Let's Encrypt)", host, host)}}
		}
		var refused *netguard.RefusedError
		if errors.As(err, &refused) {
			return "", &fetchError{msg: fmt.Sprintf("%s resolves to %s, not a public address: this server does not connect there", host, refused.Addr), ours: true}
		}
		return "", &fetchError{msg: cleanNetErr(err, addrs), ours: true}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg := fmt.Sprintf("the server answered %s; senders need 200", resp.Status)
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			msg = fmt.Sprintf("the server answered %s to %s, and senders must not follow redirects (RFC 8461 §3.3)", resp.Status, resp.Header.Get("Location"))
		}
		return "", &fetchError{msg: msg, steps: []string{fmt.Sprintf("serve the policy itself at https://%s%s with status 200", host, policyPath)}}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPolicy+1))
	if err != nil {
		return "", &fetchError{msg: "reading the body: " + cleanNetErr(err, addrs), ours: true}
	}
	if len(body) > maxPolicy {
		return "", &fetchError{msg: "the policy is larger than 64 KiB; senders may refuse it"}
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "text/plain" {
		p.Report(checks.Finding{ID: idContentType, Severity: checks.Warning, Record: "mta-sts",
			Message: fmt.Sprintf("policy served as %q; RFC 8461 §3.3 wants text/plain and strict senders refuse anything else", resp.Header.Get("Content-Type"))})
	}
	return string(body), nil
}

// docNets are the address blocks reserved for documentation (RFC 5737,
// RFC 3849): example zones use them, and dialing them only waits for a timeout.
var docNets = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// documentation returns the first of addrs in a documentation block when
// they all are, else the zero Addr.
func documentation(addrs []netip.Addr) netip.Addr {
	for _, a := range addrs {
		in := false
		for _, n := range docNets {
			in = in || n.Contains(a.Unmap())
		}
		if !in {
			return netip.Addr{}
		}
	}
	if len(addrs) == 0 {
		return netip.Addr{}
	}
	return addrs[0]
}

func cleanNetErr(err error, addrs []netip.Addr) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Sprintf("timed out connecting to %v", addrs)
	}
	return err.Error()
}
