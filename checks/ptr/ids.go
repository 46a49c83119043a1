package ptr

import "github.com/whymail/whymail/checks"

// Finding IDs of the check (docs/findings.md).
var (
	idNotChecked    = checks.ID("ptr.not-checked")
	idMissing       = checks.ID("ptr.missing")
	idLookupFailed  = checks.ID("ptr.lookup-failed")
	idSeveral       = checks.ID("ptr.several")
	idForwardFailed = checks.ID("ptr.forward-lookup-failed")
	idNotConfirmed  = checks.ID("ptr.not-forward-confirmed")
	idConfirmed     = checks.ID("ptr.forward-confirmed")
	idGeneric       = checks.ID("ptr.generic")
)
