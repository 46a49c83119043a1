package mx

import "github.com/whymail/whymail/checks"

// Finding IDs of the check (docs/findings.md).
var (
	idDomainNotFound       = checks.ID("mx.domain-not-found")
	idImplicitLookupFailed = checks.ID("mx.implicit-lookup-failed")
	idNoMailHost           = checks.ID("mx.no-mail-host")
	idImplicitUnreachable  = checks.ID("mx.implicit-unreachable")
	idImplicit             = checks.ID("mx.implicit")
	idImplicitWeb          = checks.ID("mx.implicit-web-only")
	idNullMXPreference     = checks.ID("mx.null-mx-preference")
	idNullMXMixed          = checks.ID("mx.null-mx-mixed")
	idNullMX               = checks.ID("mx.null-mx")
	idAcceptsMail          = checks.ID("mx.accepts-mail")
	idHostsDead            = checks.ID("mx.hosts-dead")
	idHostsUnresolved      = checks.ID("mx.hosts-unresolved")
	idTargetIP             = checks.ID("mx.target-ip")
	idTargetCNAME          = checks.ID("mx.target-cname")
	idHostInternal         = checks.ID("mx.host-internal")
	idHostNoAddress        = checks.ID("mx.host-no-address")
	idHostLookupFailed     = checks.ID("mx.host-lookup-failed")
	idGateway              = checks.ID("mx.gateway")
	idProvider             = checks.ID("mx.provider")
	idProviderQuarantine   = checks.ID("mx.provider-quarantine")
	idFilter               = checks.ID("mx.corporate-gateway")
	idConsumer             = checks.ID("mx.consumer-mailbox")
	idFilterUnknown        = checks.ID("mx.gateway-unknown")
	idDomainExists         = checks.ID("mx.domain-exists")
	idLookupFailed         = checks.ID("mx.lookup-failed")
)
