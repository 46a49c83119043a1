// Package smtp probes the receiving mail servers themselves, on request
// only (the front end's SMTP probe setting): each MX host on port 25, its banner, EHLO,
// STARTTLS and certificate (against the MX name, the MTA-STS policy and
// DANE TLSA records), and, for a diagnosis, RCPT TO the recipient and a
// random local part to tell "no such mailbox" from "accepts everything".
// It never sends a message. Blocked ports, greylisting (4xx) and servers
// that answer alike for every address are reported as unknown, never as a
// verdict.
package smtp

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/dane"
	"github.com/whymail/whymail/checks/mtasts"
	"github.com/whymail/whymail/checks/mx"
	"github.com/whymail/whymail/internal/smtpprobe"
)

// MaxHosts bounds how many MX hosts are probed (by preference).
const MaxHosts = 3

// Result is what the probes found, one entry a probed MX host.
type Result struct {
	Hosts []*smtpprobe.Result
	// Mailbox is the probe's verdict on the recipient: "exists",
	// "does-not-exist", "catch-all" or "unknown"; "" when not asked.
	Mailbox string
}

// New returns the "smtp" check, probing with p. sts is the run's MTA-STS
// check, whose policy the certificates are checked against.
func New(p smtpprobe.Prober, sts *checks.Check) *checks.Check {
	return &checks.Check{
		Name: "smtp",
		Doc: "Probes each MX host on port 25 (only when asked): banner, EHLO, STARTTLS and the certificate " +
			"(MX name, MTA-STS policy, DANE), and RCPT TO the recipient and a random address to tell a missing mailbox from a catch-all; never sends.",
		Requires:   []*checks.Check{mx.Check, sts, dane.Check},
		ResultType: reflect.TypeFor[*Result](),
		Run:        func(pass *checks.Pass) (any, error) { return run(pass, p, sts) },
	}
}

func run(p *checks.Pass, pr smtpprobe.Prober, sts *checks.Check) (any, error) {
	dom := checks.ResultOf[*mx.Domain](p, mx.Check)
	if dom == nil || len(dom.Hosts) == 0 || dom.NullMX {
		p.Skip("no MX host to probe")
		return nil, nil
	}
	policy := checks.ResultOf[*mtasts.Policy](p, sts)
	tlsa := checks.ResultOf[*dane.Result](p, dane.Check)
	rcpt, random := "", ""
	if a := p.Ticket.Address; a != "" && strings.Contains(a, "@") {
		rcpt = a
		random = randomLocal() + a[strings.LastIndex(a, "@"):]
	}
	hosts := dom.Hosts
	if len(hosts) > MaxHosts {
		hosts = hosts[:MaxHosts]
	}
	res := &Result{Hosts: make([]*smtpprobe.Result, len(hosts))}
	var wg sync.WaitGroup
	for i, h := range hosts {
		name := strings.TrimSuffix(h.Name, ".")
		if len(h.Addrs) == 0 {
			res.Hosts[i] = &smtpprobe.Result{Host: name, ConnectErr: "no address"}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The first address, as a sender tries first; one is enough to
			// speak for the host's configuration.
			res.Hosts[i] = pr.Probe(p.Context, name, h.Addrs[0].String(), rcpt, random)
		}()
	}
	wg.Wait()
	for _, r := range res.Hosts {
		reportHost(p, r, policy, tlsa)
	}
	if rcpt != "" {
		res.Mailbox = mailbox(p, res.Hosts, rcpt)
	}
	return res, nil
}

func reportHost(p *checks.Pass, r *smtpprobe.Result, pol *mtasts.Policy, tlsa *dane.Result) {
	data := map[string]any{"host": r.Host, "addr": r.Addr, "probe": r}
	rep := func(id string, sev checks.Severity, format string, args ...any) {
		p.Report(checks.Finding{ID: id, Severity: sev, Record: "smtp", Data: data, Message: fmt.Sprintf(format, args...)})
	}
	enforce := pol != nil && pol.Mode == "enforce"
	switch {
	case r.ConnectErr != "":
		rep(idUnreachable, checks.Info, "could not connect to MX %s (%s) on port 25: %s; outbound port 25 is often blocked where this runs, so this says nothing about the server (unknown)", r.Host, r.Addr, r.ConnectErr)
		return
	case r.Banner == nil:
		rep(idBroken, checks.Info, "MX %s (%s) accepted the connection but the conversation broke off (%s): unknown", r.Host, r.Addr, r.Err)
		return
	case r.Banner.Code != 220:
		rep(idTurnedAway, checks.Info, "MX %s (%s) turned the probe away: %s; servers do this to unknown or listed clients, so this is unknown, not a verdict", r.Host, r.Addr, r.Banner)
		return
	}
	rep(idBanner, checks.OK, "MX %s (%s) answers: %s", r.Host, r.Addr, r.Banner)
	switch {
	case r.EHLO == nil:
		rep(idBroken, checks.Info, "MX %s: the conversation broke off after the banner (%s): unknown", r.Host, r.Err)
		return
	case !r.StartTLS:
		sev := checks.Warning
		if enforce {
			sev = checks.Error
		}
		rep(idNoSTARTTLS, sev, "MX %s does not offer STARTTLS: mail to it travels in clear text%s", r.Host,
			map[bool]string{true: ", and senders honouring the MTA-STS policy (mode enforce) will not deliver to it", false: ""}[enforce])
		return
	case r.TLS == nil:
		rep(idTLSFailed, checks.Error, "MX %s offers STARTTLS but the upgrade failed: %s; senders fall back to clear text or defer", r.Host, r.TLSErr)
		return
	}
	t := r.TLS
	data["tls"] = map[string]any{"version": t.Version, "cipher": t.Cipher, "names": t.Names, "issuer": t.Issuer, "not_after": t.NotAfter}
	certSev := checks.Warning // opportunistic senders accept any certificate
	if enforce {
		certSev = checks.Error
	}
	switch {
	case t.ChainErr != "":
		rep(idCertUntrusted, certSev, "MX %s: the certificate (%s, issued by %s) does not verify: %s%s", r.Host, strings.Join(t.Names, ", "), t.Issuer, t.ChainErr, stsWords(pol))
	case !t.NameOK:
		rep(idCertName, certSev, "MX %s: the certificate names %s, not the MX host%s", r.Host, strings.Join(t.Names, ", "), stsWords(pol))
	default:
		rep(idTLSOK, checks.OK, "MX %s: %s (%s), certificate for %s issued by %s, valid until %s", r.Host, t.Version, t.Cipher,
			strings.Join(t.Names, ", "), t.Issuer, t.NotAfter.UTC().Format("2006-01-02"))
	}
	if pol != nil && (pol.Mode == "enforce" || pol.Mode == "testing") {
		matched := false
		for _, pat := range pol.MX {
			matched = matched || mtasts.Match(pat, r.Host)
		}
		switch {
		case !matched:
			// The mta-sts check says so already, from DNS.
		case t.Valid():
			rep(idSTSOK, checks.OK, "MX %s satisfies the MTA-STS policy (mode %s): it matches the policy's mx patterns and its certificate is valid for it", r.Host, pol.Mode)
		default:
			rep(idSTSCert, certSev, "MX %s matches the MTA-STS policy's mx patterns, but its certificate is not valid for it: senders honouring the policy (mode %s) %s", r.Host, pol.Mode,
				map[bool]string{true: "will not deliver to it", false: "report the failure (TLS-RPT) and deliver anyway"}[enforce])
		}
	}
	if tlsa != nil && t.Leaf != nil {
		if ht := tlsa.Hosts[strings.ToLower(r.Host)]; ht != nil && ht.Usable {
			if matchesTLSA(t, ht.Records) {
				rep(idDANEOK, checks.OK, "MX %s: the certificate matches its DANE TLSA records", r.Host)
			} else {
				p.Report(checks.Finding{ID: idDANEMismatch, Severity: checks.Error, Record: "smtp", Data: data,
					Cause: checks.Delayed, Verdict: checks.Possible, Strength: checks.Direct, Message: fmt.Sprintf("MX %s: the certificate matches none of its DANE-EE TLSA records (%s): DANE senders will not deliver to it; publish the record of the current key (and the next, before a rotation)", r.Host, tlsaList(ht.Records))})
			}
		}
	}
}

func stsWords(pol *mtasts.Policy) string {
	if pol != nil && pol.Mode == "enforce" {
		return "; the MTA-STS policy is in mode enforce, so senders honouring it will not deliver to this host"
	}
	return "; senders that only use TLS opportunistically still deliver"
}

// matchesTLSA reports whether the certificate matches a DANE-EE (usage 3)
// TLSA record; usage 2 needs the chain and is not judged here.
func matchesTLSA(t *smtpprobe.TLS, recs []*dns.TLSA) bool {
	for _, r := range recs {
		if r.Usage != 3 {
			continue
		}
		data := t.Leaf.Raw
		if r.Selector == 1 {
			data = t.Leaf.RawSubjectPublicKeyInfo
		}
		var got string
		switch r.MatchingType {
		case 0:
			got = hex.EncodeToString(data)
		case 1:
			s := sha256.Sum256(data)
			got = hex.EncodeToString(s[:])
		case 2:
			s := sha512.Sum512(data)
			got = hex.EncodeToString(s[:])
		}
		if strings.EqualFold(got, r.Certificate) {
			return true
		}
	}
	return false
}

func tlsaList(recs []*dns.TLSA) string {
	var out []string
	for _, r := range recs {
		c := r.Certificate
		if len(c) > 16 {
			c = c[:16] + "…"
		}
		out = append(out, fmt.Sprintf("%d %d %d %s", r.Usage, r.Selector, r.MatchingType, strings.ToLower(c)))
	}
	return strings.Join(out, "; ")
}

// mailbox judges the RCPT answers of the hosts: the first host that gave
// a definite pair of answers decides. Greylisting (4xx), policy refusals
// (5.7.x) and a server that accepts the random address too (a catch-all,
// or a provider that answers alike for every address) are unknown.
func mailbox(p *checks.Pass, hosts []*smtpprobe.Result, rcpt string) string {
	rep := func(id string, sev checks.Severity, v checks.Verdict, st checks.Strength, data map[string]any, format string, args ...any) {
		p.Report(checks.Finding{ID: id, Severity: sev, Record: "smtp", Cause: checks.MailboxUnknown, Verdict: v, Strength: st,
			Data: data, Message: fmt.Sprintf(format, args...)})
	}
	var why []string
	for _, h := range hosts {
		if h.Rcpt == nil {
			switch {
			case h.Mail != nil && h.Mail.Code != 250:
				why = append(why, fmt.Sprintf("%s refused MAIL FROM:<> (%s)", h.Host, h.Mail))
			case h.ConnectErr != "":
				why = append(why, fmt.Sprintf("%s: %s", h.Host, h.ConnectErr))
			case h.Banner != nil && h.Banner.Code != 220:
				why = append(why, fmt.Sprintf("%s turned the probe away (%s)", h.Host, h.Banner))
			default:
				why = append(why, fmt.Sprintf("%s: no answer to RCPT TO", h.Host))
			}
			continue
		}
		data := map[string]any{"host": h.Host, "rcpt": h.Rcpt, "random": h.Random}
		rc, rnd := h.Rcpt.Code, 0
		if h.Random != nil {
			rnd = h.Random.Code
		}
		switch {
		case rc/100 == 4:
			why = append(why, fmt.Sprintf("%s answered RCPT TO %s with %s (temporary: greylisting or rate limiting)", h.Host, rcpt, h.Rcpt))
		case rc/100 == 5 && isPolicy(h.Rcpt):
			why = append(why, fmt.Sprintf("%s refused RCPT TO by policy (%s)", h.Host, h.Rcpt))
		case rc/100 == 2 && rnd/100 == 2:
			rep(idCatchAll, checks.Info, checks.Unknown, checks.Direct, data,
				"%s accepts RCPT TO %s, but also a random address at the domain (%s): it accepts every address (a catch-all, or a provider that answers alike), so whether the mailbox exists cannot be told this way", h.Host, rcpt, h.Random)
			return "catch-all"
		case rc/100 == 2 && rnd/100 == 5:
			rep(idMailboxExists, checks.OK, checks.RuledOut, checks.Direct, data,
				"%s accepts RCPT TO %s (%s) and refuses a random address at the domain (%s): the mailbox exists", h.Host, rcpt, h.Rcpt, h.Random)
			return "exists"
		case rc/100 == 5 && rnd/100 == 5:
			rep(idMailboxMissing, checks.Error, checks.Likely, checks.Direct, data,
				"%s refuses RCPT TO %s: %s; the mailbox most likely does not exist (the server refuses unknown addresses, as it did a random one)", h.Host, rcpt, h.Rcpt)
			return "does-not-exist"
		default:
			why = append(why, fmt.Sprintf("%s answered %s to the recipient and %s to a random address", h.Host, h.Rcpt, h.Random))
		}
	}
	rep(idMailboxUnknown, checks.Info, checks.Unknown, checks.Direct, map[string]any{"why": why},
		"the SMTP probe could not tell whether %s exists: %s", rcpt, strings.Join(why, "; "))
	return "unknown"
}

// isPolicy reports whether a 5xx reply refuses the client, not the
// address: 5.7.x, or a blocklist / policy reason in words.
func isPolicy(r *smtpprobe.Reply) bool {
	t := strings.ToLower(r.Text)
	return strings.HasPrefix(t, "5.7.") || strings.Contains(t, "blocked") || strings.Contains(t, "blacklist") ||
		strings.Contains(t, "blocklist") || strings.Contains(t, "spamhaus") || strings.Contains(t, "policy")
}

func randomLocal() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "whymail-probe-" + hex.EncodeToString(b)
}
