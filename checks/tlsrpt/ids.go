package tlsrpt

import "github.com/whymail/whymail/checks"

// Finding IDs of the check (docs/findings.md).
var (
	idMissing = checks.ID("tlsrpt.missing")
	idInvalid = checks.ID("tlsrpt.invalid")
	idOK      = checks.ID("tlsrpt.ok")
)
