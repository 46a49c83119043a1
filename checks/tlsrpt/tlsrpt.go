// Package tlsrpt checks a domain's SMTP TLS Reporting record (RFC 8460):
// the _smtp._tls TXT record that tells senders where to report TLS and
// MTA-STS failures.
package tlsrpt

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"golang.org/x/net/idna"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/lookup"
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
	fields := strings.Split(txt, ";")
	if strings.TrimRight(fields[0], " \t") != "v=TLSRPTv1" {
		return nil, fmt.Errorf("record must start with \"v=TLSRPTv1;\" (case-sensitive), not %q", clip(fields[0]))
	}
	r := &Record{}
	seenRUA := false
	for i, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		if f == "" {
			if i == len(fields)-2 {
				break // one trailing ";" is allowed
			}
			return nil, fmt.Errorf("empty field between \";\" separators")
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("field %q is not name=value", clip(f))
		}
		switch {
		case name == "rua":
			if seenRUA {
				return nil, fmt.Errorf("rua= appears twice")
			}
			seenRUA = true
			for _, u := range strings.Split(value, ",") {
				u = strings.Trim(u, " \t")
				if err := checkURI(u); err != nil {
					return nil, fmt.Errorf("rua destination %q: %v", clip(u), err)
				}
				r.RUA = append(r.RUA, u)
			}
		case name == "v":
			return nil, fmt.Errorf("v= appears twice")
		case !validExtName(name):
			return nil, fmt.Errorf("field name %q is not valid (letters, digits, _ - . up to 32)", clip(name))
		case !validExtValue(value):
			return nil, fmt.Errorf("field %s has an invalid value %q (no spaces, \"=\" or \";\")", name, clip(value))
		default:
			if r.Extensions == nil {
				r.Extensions = map[string]string{}
			}
			r.Extensions[name] = value
		}
	}
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

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// validExtName: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
func validExtName(s string) bool {
	if len(s) < 1 || len(s) > 32 || !isAlnum(s[0]) {
		return false
	}
	for _, c := range []byte(s) {
		if !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// validExtValue: 1*(%x21-3A / %x3C / %x3E-7E)
func validExtValue(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// domain is the linted domain for `whymail domain`, else the sender domain.
func domain(t *checks.Ticket) (string, error) {
	d := t.SenderDomain()
	if t.Address == "" && t.Domain != "" {
		d = t.Domain
	}
	d = strings.TrimSuffix(strings.TrimSpace(d), ".")
	if d == "" {
		return "", nil
	}
	a, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid domain name: %v", d, err)
	}
	return strings.ToLower(a), nil
}

func run(p *checks.Pass) (any, error) {
	d, err := domain(p.Ticket)
	switch {
	case err != nil:
		p.Skip("%v", err)
		return nil, nil
	case d == "":
		p.Skip("no domain: give --sender (or run whymail domain) to check TLS-RPT")
		return nil, nil
	}
	name := "_smtp._tls." + d
	txts, _, err := lookup.TXT(p.Context, p.DNS, name)
	if err != nil {
		p.Report(checks.Finding{Severity: checks.Warning, Record: "tls-rpt",
			Message: fmt.Sprintf("could not look up the TLS-RPT record %s TXT (%s)", name, lookup.ErrStatus(err))})
		return nil, err
	}
	// RFC 8460 §3: records not beginning with "v=TLSRPTv1" are discarded;
	// if the number left is not one, senders assume no TLS-RPT.
	var recs []string
	for _, t := range txts {
		switch {
		case strings.HasPrefix(t, "v=TLSRPTv1"):
			recs = append(recs, t)
		case strings.HasPrefix(strings.ToLower(strings.TrimSpace(t)), "v=tlsrptv1"):
			p.Report(checks.Finding{Severity: checks.Error, Record: "tls-rpt", Data: map[string]any{"record": t},
				Message: fmt.Sprintf("TXT record %q at %s looks like TLS-RPT but does not begin exactly with \"v=TLSRPTv1\" (case-sensitive, no leading space): senders ignore it", t, name)})
		}
	}
	switch len(recs) {
	case 0:
		p.Report(checks.Finding{Severity: checks.Info, Record: "tls-rpt",
			Message: fmt.Sprintf("no TLS-RPT record at %s: optional; with one, senders report TLS and MTA-STS failures to you", name),
			Steps:   []string{fmt.Sprintf("publish %s TXT \"v=TLSRPTv1; rua=mailto:tls-reports@%s\" to receive reports", name, d)}})
		return nil, nil
	case 1:
	default:
		p.Report(checks.Finding{Severity: checks.Error, Record: "tls-rpt",
			Message: fmt.Sprintf("%d TLS-RPT records at %s: senders treat more than one as none (RFC 8460 §3); keep one", len(recs), name),
			Data:    map[string]any{"records": recs}})
		return nil, nil
	}
	rec, err := ParseRecord(recs[0])
	if err != nil {
		p.Report(checks.Finding{Severity: checks.Error, Record: "tls-rpt",
			Message: fmt.Sprintf("TLS-RPT record %q is invalid: %v; senders ignore it (RFC 8460 §3)", recs[0], err),
			Data:    map[string]any{"record": recs[0]}})
		return nil, nil
	}
	p.Report(checks.Finding{Severity: checks.OK, Record: "tls-rpt",
		Message: fmt.Sprintf("TLS-RPT record %q: reports go to %s", recs[0], strings.Join(rec.RUA, ", ")),
		Data:    map[string]any{"record": recs[0], "rua": rec.RUA}})
	return nil, nil
}
