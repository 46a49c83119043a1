package main

import (
	"strings"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/report"
)

// zoneLocator says in which zone file, and on which line, the record a
// finding is about was read, for SARIF results and annotations on the
// line of a pull request. It knows the record groups of the lint: the
// owner name and type each is published at.
func zoneLocator(z *lookup.Zones) func(domain string, f checks.Finding) *report.Location {
	if z == nil {
		return nil
	}
	return func(domain string, f checks.Finding) *report.Location {
		str := func(k string) string {
			s, _ := f.Data[k].(string)
			return s
		}
		name, typ := domain, uint16(dns.TypeTXT)
		var match func(dns.RR) bool
		txtPrefix := func(p string) func(dns.RR) bool {
			return func(rr dns.RR) bool {
				t, ok := rr.(*dns.TXT)
				return ok && strings.HasPrefix(strings.ToLower(strings.Join(t.Txt, "")), strings.ToLower(p))
			}
		}
		switch f.Record {
		case "spf":
			if d := str("domain"); d != "" {
				name = d
			}
			match = txtPrefix("v=spf1")
		case "dmarc":
			name = "_dmarc." + domain
			if n := str("name"); n != "" {
				name = n
			}
			match = txtPrefix("v=dmarc1")
		case "dkim":
			if n := str("name"); n != "" {
				name = n
			} else {
				return nil
			}
		case "mx":
			typ = dns.TypeMX
		case "domain":
			typ = dns.TypeSOA
		case "mta-sts":
			name = "_mta-sts." + domain
		case "tls-rpt":
			name = "_smtp._tls." + domain
		case "bimi":
			name = "default._bimi." + domain
		case "dane":
			if n := str("tlsa"); n != "" {
				name, typ = n, dns.TypeTLSA
			} else {
				return nil
			}
		default:
			return nil
		}
		file, line := z.Where(name, typ, match)
		if file == "" && match != nil {
			file, line = z.Where(name, typ, nil)
		}
		if file == "" {
			return nil
		}
		return &report.Location{File: file, Line: line}
	}
}
