package dane

import "github.com/whymail/whymail/checks"

// Finding IDs of the dnssec check (docs/findings.md).
var (
	idSecure       = checks.ID("dnssec.signed")
	idNoDS         = checks.ID("dnssec.no-ds")
	idUnsigned     = checks.ID("dnssec.unsigned")
	idHostUnsigned = checks.ID("dnssec.mx-host-unsigned")
	idBogus        = checks.ID("dnssec.bogus")
	idUnknown      = checks.ID("dnssec.unknown")
)

// Finding IDs of the dane check.
var (
	idTLSALookupFailed = checks.ID("dane.lookup-failed")
	idNoTLSA           = checks.ID("dane.no-tlsa")
	idNoDANE           = checks.ID("dane.unavailable")
	idTLSAInvalid      = checks.ID("dane.tlsa-invalid")
	idPKIXUsage        = checks.ID("dane.pkix-usage")
	idTLSAUnsigned     = checks.ID("dane.tlsa-unsigned")
	idTLSABadSignature = checks.ID("dane.tlsa-bad-signature")
	idTLSAOK           = checks.ID("dane.tlsa-usable")
)
