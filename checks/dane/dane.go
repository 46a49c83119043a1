package dane

import (
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/mx"
	"github.com/whymail/whymail/internal/lookup"
)

// Check is the "dane" check: the TLSA records of each MX host (RFC 7672).
// Its result is a *Result.
var Check = &checks.Check{
	Name: "dane",
	Doc: "Looks up the TLSA records of each MX host (_25._tcp.HOST, RFC 7672): present, well-formed, " +
		"and usable only when the host's zone is signed with DNSSEC.",
	Requires:   []*checks.Check{mx.Check, DNSSEC},
	ResultType: reflect.TypeFor[*Result](),
	Run:        runDANE,
}

// Result is what the dane check found, by MX host.
type Result struct {
	Hosts map[string]*HostTLSA
}

// HostTLSA is the TLSA records of one MX host.
type HostTLSA struct {
	Name    string // _25._tcp.HOST
	Records []*dns.TLSA
	// Usable is set when the records are well-formed, DNSSEC-signed and
	// their signature verifies: DANE senders then require TLS with a
	// certificate matching them.
	Usable bool
}

func runDANE(p *checks.Pass) (any, error) {
	dom := checks.ResultOf[*mx.Domain](p, mx.Check)
	signed := checks.ResultOf[*Signed](p, DNSSEC)
	if dom == nil || len(dom.Hosts) == 0 {
		p.Skip("no MX hosts to look up TLSA records for")
		return nil, nil
	}
	res := &Result{Hosts: map[string]*HostTLSA{}}
	type job struct {
		host string
		name string
		a    *lookup.Answer
		sigs []*dns.RRSIG
		err  error
	}
	var jobs []*job
	for _, h := range dom.Hosts {
		host := strings.TrimSuffix(strings.ToLower(h.Name), ".")
		if host == "" || res.Hosts[host] != nil {
			continue
		}
		res.Hosts[host] = &HostTLSA{Name: "_25._tcp." + host}
		jobs = append(jobs, &job{host: host, name: "_25._tcp." + host})
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j.a, j.err = lookup.Do(p.Context, p.DNS, j.name, dns.TypeTLSA)
			if j.err == nil && len(j.a.Of(dns.TypeTLSA)) > 0 {
				if sa, err := lookup.Do(p.Context, p.DNS, j.name, dns.TypeRRSIG); err == nil {
					for _, rr := range sa.Of(dns.TypeRRSIG) {
						if s := rr.(*dns.RRSIG); s.TypeCovered == dns.TypeTLSA {
							j.sigs = append(j.sigs, s)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	var failed []string
	for _, j := range jobs {
		ht := res.Hosts[j.host]
		var zone *Zone
		if signed != nil {
			zone = signed.Hosts[j.host]
		}
		data := map[string]any{"host": j.host, "tlsa": j.name}
		if j.err != nil {
			failed = append(failed, j.name)
			p.Report(checks.Finding{ID: idTLSALookupFailed, Severity: checks.Warning, Record: "dane", Data: data,
				Message: fmt.Sprintf("could not look up the TLSA records of MX %s at %s (%s)", j.host, j.name, lookup.ErrStatus(j.err))})
			continue
		}
		var rrset []dns.RR
		for _, rr := range j.a.Of(dns.TypeTLSA) {
			ht.Records = append(ht.Records, rr.(*dns.TLSA))
			rrset = append(rrset, rr)
		}
		secure := zone != nil && zone.State == Secure
		if len(ht.Records) == 0 {
			if secure {
				p.Report(checks.Finding{ID: idNoTLSA, Severity: checks.Info, Record: "dane", Data: data,
					Message: fmt.Sprintf("MX %s has no TLSA record at %s: its zone is signed, so DANE (RFC 7672) could protect mail to it against downgrade and impersonation; publish \"3 1 1\" records of its key", j.host, j.name)})
			} else {
				p.Report(checks.Finding{ID: idNoDANE, Severity: checks.Info, Record: "dane", Data: data,
					Message: fmt.Sprintf("MX %s has no TLSA record (and its zone is not DNSSEC-secure): senders use TLS only opportunistically", j.host)})
			}
			continue
		}
		var texts []string
		valid := true
		for _, t := range ht.Records {
			texts = append(texts, tlsaText(t))
			for _, why := range lintTLSA(t) {
				valid = false
				p.Report(checks.Finding{ID: idTLSAInvalid, Severity: checks.Error, Record: "dane", Data: withRecord(data, t),
					Message: fmt.Sprintf("TLSA record %s of MX %s is invalid: %s; DANE senders ignore it, and if none is usable they treat the host as unauthenticated (RFC 7672 §2.2)", tlsaText(t), j.host, why)})
			}
			if t.Usage == 0 || t.Usage == 1 {
				p.Report(checks.Finding{ID: idPKIXUsage, Severity: checks.Warning, Record: "dane", Data: withRecord(data, t),
					Message: fmt.Sprintf("TLSA record %s of MX %s uses certificate usage %d (PKIX-%s): RFC 7672 §3.1.3 says SMTP senders treat it as unusable; use DANE-EE (3 1 1) or DANE-TA (2)", tlsaText(t), j.host, t.Usage, map[uint8]string{0: "TA", 1: "EE"}[t.Usage])})
			}
		}
		data["records"] = texts
		switch {
		case !secure:
			why := "its zone is not signed"
			if zone != nil && zone.Why != "" {
				why = fmt.Sprintf("its zone %s is %s (%s)", zone.Apex, zone.State, zone.Why)
			}
			p.Report(checks.Finding{ID: idTLSAUnsigned, Severity: checks.Error, Record: "dane", Data: data,
				Message: fmt.Sprintf("MX %s publishes TLSA records (%s), but %s: TLSA records are usable only when DNSSEC-validated (RFC 7672 §2.2), so senders ignore them; sign the zone and publish its DS", j.host, strings.Join(texts, "; "), why)})
		case zone.AD:
			ht.Usable = valid
		case !VerifySet(rrset, j.sigs, zone.Keys):
			p.Report(checks.Finding{ID: idTLSABadSignature, Severity: checks.Error, Record: "dane", Data: data,
				Cause: checks.Delayed, Verdict: checks.Possible, Strength: checks.Direct,
				Message: fmt.Sprintf("the TLSA records of MX %s have no RRSIG that verifies with the keys of %s: validating resolvers answer SERVFAIL for them, and DANE senders defer mail to the host", j.host, zone.Apex)})
		default:
			ht.Usable = valid
		}
		if ht.Usable {
			p.Report(checks.Finding{ID: idTLSAOK, Severity: checks.OK, Record: "dane", Data: data,
				Message: fmt.Sprintf("MX %s has DNSSEC-signed TLSA records (%s): DANE senders require TLS with a matching certificate", j.host, strings.Join(texts, "; "))})
		}
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("TLSA lookups failed: %s", strings.Join(failed, ", "))
	}
	return res, nil
}

func withRecord(data map[string]any, t *dns.TLSA) map[string]any {
	d := map[string]any{"record": tlsaText(t)}
	for k, v := range data {
		d[k] = v
	}
	return d
}

func tlsaText(t *dns.TLSA) string {
	return fmt.Sprintf("%d %d %d %s", t.Usage, t.Selector, t.MatchingType, strings.ToLower(t.Certificate))
}

// lintTLSA says what is wrong with one TLSA record (RFC 6698 §2.1, RFC 7218).
func lintTLSA(t *dns.TLSA) []string {
	var out []string
	if t.Usage > 3 {
		out = append(out, fmt.Sprintf("certificate usage %d is not defined (0 to 3)", t.Usage))
	}
	if t.Selector > 1 {
		out = append(out, fmt.Sprintf("selector %d is not defined (0 full certificate, 1 public key)", t.Selector))
	}
	data, err := hex.DecodeString(t.Certificate)
	switch {
	case err != nil:
		out = append(out, "the association data is not hexadecimal")
	case t.MatchingType == 1 && len(data) != 32:
		out = append(out, fmt.Sprintf("matching type 1 (SHA-256) needs 32 bytes of data, not %d", len(data)))
	case t.MatchingType == 2 && len(data) != 64:
		out = append(out, fmt.Sprintf("matching type 2 (SHA-512) needs 64 bytes of data, not %d", len(data)))
	case t.MatchingType > 2:
		out = append(out, fmt.Sprintf("matching type %d is not defined (0 full, 1 SHA-256, 2 SHA-512)", t.MatchingType))
	case t.MatchingType == 0 && len(data) < 32:
		out = append(out, fmt.Sprintf("matching type 0 (full data) holds only %d bytes", len(data)))
	}
	return out
}
