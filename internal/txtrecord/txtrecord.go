// Package txtrecord finds a domain's versioned policy TXT record at a fixed
// name (BIMI, MTA-STS, TLS-RPT): which domain to look at, and which TXT
// records there begin with the version tag. It is a library for the check
// packages.
package txtrecord

import (
	"fmt"
	"strings"

	"golang.org/x/net/idna"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
)

// Domain returns the domain whose policy records are looked at: the linted
// domain in a lint, otherwise the sender domain; in lower-case A-labels,
// without a final dot. It is "" when the ticket names none, and an error
// when the name is not a valid domain name.
func Domain(t *checks.Ticket) (string, error) {
	d := t.SenderDomain()
	if t.Mode == checks.Lint {
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

// Kind describes one kind of versioned TXT record.
type Kind struct {
	Record  string // the Finding.Record of the findings, "mta-sts"
	Name    string // its name in messages, "MTA-STS"
	Version string // the version tag the record begins with, "v=STSv1"
	// LeadingSpace allows spaces and tabs before the version tag (BIMI);
	// otherwise it must begin the record exactly (RFC 8461 §3.1, RFC 8460 §3).
	LeadingSpace bool
	Readers      string // who reads the record: "senders", "receivers"
	// Many is what readers take more than one record for, "none" or
	// "no policy"; Rule is the section that says so, if any.
	Many, Rule string
	// IDs are the finding IDs of what Find and ReportMany report.
	IDs IDs
}

// IDs are the finding IDs of the findings txtrecord reports for a kind.
type IDs struct {
	LookupFailed string // AREA.lookup-failed
	WrongVersion string // AREA.wrong-version
	Many         string // AREA.multiple-records
}

// DeclareIDs declares the finding IDs of a kind whose IDs begin with area
// ("tlsrpt"), once, as a check package's kind is declared.
func DeclareIDs(area string) IDs {
	return IDs{
		LookupFailed: checks.ID(area + ".lookup-failed"),
		WrongVersion: checks.ID(area + ".wrong-version"),
		Many:         checks.ID(area + ".multiple-records"),
	}
}

// Domain returns the domain whose record the check of p looks at (see
// Domain). When the ticket names none, or an invalid one, it marks the check
// skipped and returns false.
func (k Kind) Domain(p *checks.Pass) (string, bool) {
	d, err := Domain(p.Ticket)
	switch {
	case err != nil:
		p.Skip("%v", err)
		return "", false
	case d == "":
		p.Skip("no sender domain given, so there is no %s record to check", k.Name)
		return "", false
	}
	return d, true
}

// Find looks up the TXT records at name and returns the ones of kind k:
// those beginning with k.Version, case-sensitive; the others are discarded.
// A record that would be one but for the case of the version tag (or white
// space before it, where k does not allow that) is reported as an Error
// finding, since readers ignore it. A failed lookup is reported as a
// Warning finding and its error returned.
func Find(p *checks.Pass, k Kind, name string) ([]string, error) {
	txts, _, err := lookup.TXT(p.Context, p.DNS, name)
	if err != nil {
		p.Report(checks.Finding{ID: k.IDs.LookupFailed, Severity: checks.Warning, Record: k.Record,
			Message: fmt.Sprintf("could not look up the %s record %s TXT (%s)", k.Name, name, lookup.ErrStatus(err))})
		return nil, err
	}
	var recs []string
	for _, t := range txts {
		start := t
		if k.LeadingSpace {
			start = strings.TrimLeft(t, " \t")
		}
		switch {
		case hasVersion(start, k.Version):
			recs = append(recs, t)
		case strings.HasPrefix(strings.ToLower(strings.TrimSpace(t)), strings.ToLower(k.Version)):
			p.Report(checks.Finding{ID: k.IDs.WrongVersion, Severity: checks.Error, Record: k.Record, Data: map[string]any{"record": t},
				Message: fmt.Sprintf("TXT record %q at %s looks like %s but %s: %s ignore it", t, name, k.Name, k.wrongStart(), k.Readers)})
		}
	}
	return recs, nil
}

func (k Kind) wrongStart() string {
	if k.LeadingSpace {
		return fmt.Sprintf("does not begin with %q (case-sensitive)", k.Version)
	}
	return fmt.Sprintf("does not begin exactly with %q (case-sensitive, no leading space)", k.Version)
}

// ReportMany reports that there is more than one record of kind k at name
// as an Error finding: readers take that for none.
func (k Kind) ReportMany(p *checks.Pass, name string, recs []string) {
	rule := ""
	if k.Rule != "" {
		rule = " (" + k.Rule + ")"
	}
	p.Report(checks.Finding{ID: k.IDs.Many, Severity: checks.Error, Record: k.Record,
		Message: fmt.Sprintf("%d %s records at %s: %s treat more than one as %s%s; keep one", len(recs), k.Name, name, k.Readers, k.Many, rule),
		Data:    map[string]any{"records": recs}})
}

// hasVersion reports whether record starts with the version tag as a whole
// tag: followed by ";", white space or nothing, so that "v=STSv10" is not
// taken for "v=STSv1".
func hasVersion(record, version string) bool {
	if !strings.HasPrefix(record, version) {
		return false
	}
	rest := record[len(version):]
	return rest == "" || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t'
}
