package dnsbl

import "github.com/whymail/whymail/checks"

// Finding IDs of the check (docs/findings.md).
var (
	idBadDomain  = checks.ID("dnsbl.bad-domain")
	idPrivateIP  = checks.ID("dnsbl.private-ip")
	idNotChecked = checks.ID("dnsbl.not-checked")
	idListed     = checks.ID("dnsbl.listed")
	idListFailed = checks.ID("dnsbl.list-failed")
	idClean      = checks.ID("dnsbl.clean")
)
