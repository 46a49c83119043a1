package dmarc

import "github.com/whymail/whymail/checks"

// Result is the result of Check.
type Result struct {
	Domain    string // the From domain
	OrgDomain string // where the record was found when it fell back
	Found     bool
	Record    string
	Policy    string // none, quarantine, reject
	// Pass says whether a message from the sender would pass DMARC given the
	// SPF and DKIM results; AlignedBy names the identifier that aligned.
	Pass      checks.Tristate
	AlignedBy string // "spf", "dkim", or ""
}
