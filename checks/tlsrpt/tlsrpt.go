// Package tlsrpt checks a domain's SMTP TLS Reporting record (RFC 8460):
// the _smtp._tls TXT record that tells senders where to report TLS and
// MTA-STS failures.
package tlsrpt

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/tagvalue"
	"github.com/whymail/whymail/internal/txtrecord"
)

// Check is the "tls-rpt" check.
var Check = &checks.Check{
	Name: "tls-rpt",
	Doc:  "Checks the SMTP TLS Reporting record (_smtp._tls TXT, RFC 8460): version, and rua report destinations (mailto: or https:).",
	Run:  run,
}

// Record is a parsed TLS-RPT record.
type Record struct {
	RUA        []string // report destinations, mailto: or https: URIs
	Extensions map[string]string
}

// ParseRecord parses one _smtp._tls TXT record (RFC 8460 §3):
//
//	tlsrpt-record  = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
//	field-delim    = *WSP ";" *WSP
//	tlsrpt-version = %s"v=TLSRPTv1"
//	tlsrpt-rua     = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
//	tlsrpt-uri     = URI (mailto: or https:)
func ParseRecord(txt string) (*Record, error) {
	r := &Record{}
	seenRUA := false
	ext, err := tagvalue.ParseSTS(txt, "v=TLSRPTv1", func(name, value string) (bool, error) {
		if name != "rua" {
			return false, nil
		}
		if seenRUA {
			return true, fmt.Errorf("rua= appears twice")
		}
		seenRUA = true
		for _, u := range strings.Split(value, ",") {
			u = strings.Trim(u, " \t")
			if err := checkURI(u); err != nil {
				return true, fmt.Errorf("rua destination %q: %v", tagvalue.Clip(u), err)
			}
			r.RUA = append(r.RUA, u)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	r.Extensions = ext
	if !seenRUA {
		return nil, fmt.Errorf("rua= is missing: senders have nowhere to send reports")
	}
	return r, nil
}

// checkURI accepts the two schemes RFC 8460 §3 allows.
func checkURI(s string) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URI")
	}
	switch strings.ToLower(u.Scheme) {
	case "mailto":
		addr := u.Opaque
		if i := strings.IndexByte(addr, '?'); i >= 0 {
			addr = addr[:i]
		}
		if a, err := url.PathUnescape(addr); err == nil {
			addr = a
		}
		if _, err := mail.ParseAddress(addr); err != nil || !strings.Contains(addr, "@") {
			return fmt.Errorf("mailto: without a valid address")
		}
	case "https":
		if u.Host == "" {
			return fmt.Errorf("https: without a host")
		}
	case "http":
		return fmt.Errorf("http: is not allowed, use https:")
	default:
		return fmt.Errorf("scheme %q is not allowed (mailto: or https:)", u.Scheme)
	}
	return nil
}

// kind is the TLS-RPT record: RFC 8460 §3, records not beginning with
// "v=TLSRPTv1" are discarded.
var kind = txtrecord.Kind{IDs: txtrecord.DeclareIDs("tlsrpt"), Record: "tls-rpt", Name: "TLS-RPT", Version: "v=TLSRPTv1", Readers: "senders",
	Many: "none", Rule: "RFC 8460 §3"}

func run(p *checks.Pass) (any, error) {
	d, ok := kind.Domain(p)
	if !ok {
		return nil, nil
	}
	name := "_smtp._tls." + d
	recs, err := txtrecord.Find(p, kind, name)
	if err != nil {
		return nil, err
	}
	// RFC 8460 §3: if the number of records is not one, senders assume
	// no TLS-RPT.
	switch len(recs) {
	case 0:
		p.Report(checks.Finding{ID: idMissing, Severity: checks.Info, Record: "tls-rpt",
			Message: fmt.Sprintf("no TLS-RPT record at %s: optional; with one, senders report TLS and MTA-STS failures to you", name),
			Steps:   []string{fmt.Sprintf("publish %s TXT \"v=TLSRPTv1; rua=mailto:tls-reports@%s\" to receive reports", name, d)}})
		return nil, nil
	case 1:
	default:
		kind.ReportMany(p, name, recs)
		return nil, nil
	}
	rec, err := ParseRecord(recs[0])
	if err != nil {
		p.Report(checks.Finding{ID: idInvalid, Severity: checks.Error, Record: "tls-rpt",
			Message: fmt.Sprintf("TLS-RPT record %q is invalid: %v; senders ignore it (RFC 8460 §3)", recs[0], err),
			Data:    map[string]any{"record": recs[0]}})
		return nil, nil
	}
	p.Report(checks.Finding{ID: idOK, Severity: checks.OK, Record: "tls-rpt",
		Message: fmt.Sprintf("TLS-RPT record %q: reports go to %s", recs[0], strings.Join(rec.RUA, ", ")),
		Data:    map[string]any{"record": recs[0], "rua": rec.RUA}})
	return nil, nil
}
