package server

import (
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/internal/mailaddr"
	"github.com/whymail/whymail/report"
)

// DiagnoseRequest is the body of POST /v1/diagnose and the query of /d.
type DiagnoseRequest struct {
	Address string `json:"address"`
	User    string `json:"user,omitempty"`
	At      string `json:"at,omitempty"`
	Sender  string `json:"sender,omitempty"`
	// Lang asks for the causes' words and the reply to the user in one
	// of report.Languages ("fr"); empty is the desk's language.
	Lang string `json:"lang,omitempty"`
}

// DomainRequest is the body of POST /v1/domain.
type DomainRequest struct {
	Domain string `json:"domain"`
}

// AddressRequest is the body of POST /v1/address.
type AddressRequest struct {
	Addresses []string `json:"addresses"`
}

// Bounds of a request's fields: an address is at most 254 octets (RFC
// 5321 §4.5.3.1.3 with its brackets), the rest is generous.
const (
	maxAddress = 320
	maxField   = 256
)

// ticket validates the request, naming the bad field.
func (r DiagnoseRequest) ticket() (Ticket, *apiError) {
	addr := strings.TrimSpace(r.Address)
	switch {
	case addr == "":
		return Ticket{}, errorf(http.StatusBadRequest, CodeMissingField, "address", `"address" is empty: give the recipient address from the ticket`)
	case len(addr) > maxAddress:
		return Ticket{}, errorf(http.StatusBadRequest, CodeInvalidField, "address", `"address" is %d bytes long: an address has at most %d`, len(addr), maxAddress)
	case hasControl(addr):
		return Ticket{}, errorf(http.StatusBadRequest, CodeInvalidField, "address", `"address" holds control characters`)
	}
	t := Ticket{Address: addr, User: strings.TrimSpace(r.User), Sender: strings.TrimSpace(r.Sender)}
	if len(t.User) > maxField || hasControl(t.User) {
		return Ticket{}, errorf(http.StatusBadRequest, CodeInvalidField, "user", `"user" must be an account id of at most %d printable characters`, maxField)
	}
	if at := strings.TrimSpace(r.At); at != "" {
		v, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return Ticket{}, errorf(http.StatusBadRequest, CodeInvalidField, "at", `"at" is %q: want an RFC 3339 time such as 2026-11-22T10:00:00Z`, clip(at))
		}
		t.At = v.UTC()
	}
	if t.Sender != "" {
		d := strings.TrimSuffix(mailaddr.Domain(t.Sender), ".")
		if len(t.Sender) > maxAddress || hasControl(t.Sender) || !isDomain(d) {
			return Ticket{}, errorf(http.StatusBadRequest, CodeInvalidField, "sender", `"sender" is %q: want an address or a domain`, clip(t.Sender))
		}
	}
	if l := strings.TrimSpace(r.Lang); l != "" {
		tag, err := report.Language(l)
		if err != nil || len(l) > maxField || hasControl(l) {
			return Ticket{}, errorf(http.StatusBadRequest, CodeInvalidField, "lang", `"lang" is %q: the languages are %s`, clip(l), strings.Join(report.Languages(), ", "))
		}
		t.Lang = tag
	}
	return t, nil
}

// domain validates the request's domain.
func (r DomainRequest) domain() (string, *apiError) {
	d := strings.TrimSuffix(strings.TrimSpace(r.Domain), ".")
	if d == "" {
		return "", errorf(http.StatusBadRequest, CodeMissingField, "domain", `"domain" is empty: give the sender domain to check`)
	}
	if !isDomain(d) {
		return "", errorf(http.StatusBadRequest, CodeInvalidField, "domain", `"domain" is %q: not a domain name`, clip(r.Domain))
	}
	return strings.ToLower(d), nil
}

// addresses validates the batch: at most max addresses of at most
// maxAddress bytes each (an empty one gets the verdict invalid).
func (r AddressRequest) addresses(max int) ([]string, *apiError) {
	switch {
	case len(r.Addresses) == 0:
		return nil, errorf(http.StatusBadRequest, CodeMissingField, "addresses", `"addresses" is empty: give a list of addresses`)
	case len(r.Addresses) > max:
		return nil, errorf(http.StatusBadRequest, CodeInvalidField, "addresses", `"addresses" has %d addresses: at most %d a request`, len(r.Addresses), max)
	}
	for i, a := range r.Addresses {
		if len(a) > maxAddress || hasControl(a) {
			return nil, errorf(http.StatusBadRequest, CodeInvalidField, "addresses", `"addresses"[%d] is not an address (too long, or control characters)`, i)
		}
	}
	return r.Addresses, nil
}

func isDomain(d string) bool {
	if d == "" || len(d) > 253 || strings.ContainsAny(d, " @/\\") || hasControl(d) {
		return false
	}
	_, ok := dns.IsDomainName(d)
	return ok
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// clip shortens a value quoted back in a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
