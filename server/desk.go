// Package server is whymail's HTTP front end: the page agents use, the
// versioned JSON API helpdesk apps call, their authentication, and the
// adapters that verify each helpdesk's signature. It knows nothing of
// flags or files: its front end (cmd/whymail serve) builds a Desk from
// the desk's configuration, and every source and DNS setting comes from
// that Desk. A request carries only a ticket (address, account id, time,
// sender, language), never a file, a DSN, a URL or a DNS server (docs/design.md,
// "How to add a renderer or a front end"; docs/api.md).
package server

import (
	"context"
	"strings"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/mailaddr"
	"github.com/whymail/whymail/report"
)

// A Desk is what one support desk's configuration decides: where DNS
// answers come from, the sources of evidence, the sender's settings and
// the check sets. It is built once at start and shared by every request.
type Desk struct {
	// DNS returns the resolver of one run: a per-run lookup.Cache in front
	// of the DNS shared across requests.
	DNS func() *lookup.Cache
	// Ticket holds the settings every ticket starts from: Sender, HELO,
	// SendingIPs, DKIMSelectors, DNSBLZones, LinkTTL, StatusMap, LogZone,
	// and Sources. Its At, when set, is the time a request without "at"
	// is diagnosed as of (the demo's); zero means now.
	Ticket checks.Ticket
	// Diagnose and Domain are the check sets of a diagnosis and of a
	// sender domain's lint.
	Diagnose, Domain []*checks.Check
	// Address gives the verdict of one address of a batch.
	Address func(ctx context.Context, dns lookup.Resolver, address string) *report.AddressVerdict
	// Catalog words the causes, in the desk's language Lang (a tag of
	// report.Languages; "" is English) unless a request asks for another.
	Catalog report.Catalog
	Lang    string
}

// A Ticket is what a request may say: nothing else reaches a run.
type Ticket struct {
	Address string
	User    string
	At      time.Time // zero: the desk's time, else now
	Sender  string    // "": the desk's sender
	Lang    string    // a tag of report.Languages; "": the desk's language
}

// ticket builds the run's ticket from the desk's settings and the request's.
func (d *Desk) ticket(in Ticket) *checks.Ticket {
	t := d.Ticket // a copy: the desk's slices are only read
	t.Mode = checks.Diagnose
	t.Address = strings.TrimSpace(in.Address)
	t.UserID = strings.TrimSpace(in.User)
	t.Domain = ""
	if _, dom, ok := mailaddr.Split(t.Address); ok {
		t.Domain = dom
	}
	switch {
	case !in.At.IsZero():
		t.At = in.At.UTC()
	case t.At.IsZero():
		t.At = time.Now().UTC()
	}
	if in.Sender != "" {
		t.Sender = in.Sender
	}
	if t.LinkTTL == 0 {
		t.LinkTTL = 24 * time.Hour
	}
	return &t
}

// diagnose runs the desk's diagnosis of in. A deadline that expires turns
// the checks it cut short into failures: the report is incomplete, not an
// error. The error is a bad input found by a check (a source's data).
func (d *Desk) diagnose(ctx context.Context, in Ticket) (*report.Diagnosis, error) {
	cat := d.Catalog
	if in.Lang != "" {
		c, err := report.CatalogFor(in.Lang)
		if err != nil {
			return nil, err
		}
		cat = c
	}
	t := d.ticket(in)
	runner := &checks.Runner{DNS: d.DNS()}
	res, err := runner.Run(ctx, d.Diagnose, t)
	if err != nil {
		return nil, err
	}
	return report.Diagnose(res, cat, Words), nil
}

// lang is the language a ticket's diagnosis is worded in.
func (d *Desk) lang(in Ticket) string {
	switch {
	case in.Lang != "":
		return in.Lang
	case d.Lang != "":
		return d.Lang
	}
	return "en"
}

// lint runs the desk's domain checks for domain.
func (d *Desk) lint(ctx context.Context, domain string) (*report.Lint, error) {
	t := &checks.Ticket{Mode: checks.Lint, Domain: domain, Sender: domain, HELO: d.Ticket.HELO,
		SendingIPs: d.Ticket.SendingIPs, DKIMSelectors: d.Ticket.DKIMSelectors,
		DNSBLZones: d.Ticket.DNSBLZones, At: time.Now().UTC()}
	runner := &checks.Runner{DNS: d.DNS()}
	res, err := runner.Run(ctx, d.Domain, t)
	if err != nil {
		return nil, err
	}
	l := report.NewLint(checks.Error, false)
	l.Words = Words
	l.Add(domain, res)
	return l, nil
}

// Words names inputs as the server's users meet them: the request's fields
// (the page's boxes) for the ticket, the desk's configuration for the rest.
// The JSON documents of the API and of the page carry the same words.
func Words(ins []checks.Input) string {
	var words []string
	for _, in := range ins {
		switch in {
		case checks.InputAddress:
			words = append(words, `the address ("address")`)
		case checks.InputUser:
			words = append(words, `the account id ("user")`)
		case checks.InputSender:
			words = append(words, `the sender ("sender", or in the desk config)`)
		default:
			words = append(words, `"`+string(in)+`" in the desk config`)
		}
	}
	return strings.Join(words, ", ")
}
