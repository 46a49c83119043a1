package smtp

import "github.com/whymail/whymail/checks"

// Finding IDs of the smtp check (docs/findings.md).
var (
	idUnreachable    = checks.ID("smtp.unreachable")
	idBroken         = checks.ID("smtp.conversation-broken")
	idTurnedAway     = checks.ID("smtp.turned-away")
	idBanner         = checks.ID("smtp.banner")
	idNoSTARTTLS     = checks.ID("smtp.no-starttls")
	idTLSFailed      = checks.ID("smtp.starttls-failed")
	idCertUntrusted  = checks.ID("smtp.cert-untrusted")
	idCertName       = checks.ID("smtp.cert-name-mismatch")
	idTLSOK          = checks.ID("smtp.tls")
	idSTSOK          = checks.ID("smtp.mta-sts-ok")
	idSTSCert        = checks.ID("smtp.mta-sts-cert-invalid")
	idDANEOK         = checks.ID("smtp.dane-match")
	idDANEMismatch   = checks.ID("smtp.dane-mismatch")
	idCatchAll       = checks.ID("smtp.catch-all")
	idMailboxExists  = checks.ID("smtp.mailbox-exists")
	idMailboxMissing = checks.ID("smtp.mailbox-does-not-exist")
	idMailboxUnknown = checks.ID("smtp.mailbox-unknown")
)
