package spf

import "github.com/whymail/whymail/checks"

// Finding IDs of the check (docs/findings.md).
var (
	idNotChecked          = checks.ID("spf.not-checked")
	idLookupFailed        = checks.ID("spf.lookup-failed")
	idLegacyType          = checks.ID("spf.legacy-rr-type")
	idMissing             = checks.ID("spf.missing")
	idRecord              = checks.ID("spf.record")
	idTree                = checks.ID("spf.include-tree")
	idLoop                = checks.ID("spf.loop")
	idTruncated           = checks.ID("spf.tree-too-large")
	idIncludeLookupFailed = checks.ID("spf.include-lookup-failed")
	idStringTooLong       = checks.ID("spf.string-too-long")
	idTooLarge            = checks.ID("spf.answer-too-large")
	idLarge               = checks.ID("spf.answer-large")
	idMultiple            = checks.ID("spf.multiple-records")
	idIncludeNoRecord     = checks.ID("spf.include-without-record")
	idSyntax              = checks.ID("spf.syntax")
	idPTR                 = checks.ID("spf.ptr")
	idPlusAll             = checks.ID("spf.plus-all")
	idMacroTarget         = checks.ID("spf.macro-target")
	idTermLookupFailed    = checks.ID("spf.term-lookup-failed")
	idMXOver10            = checks.ID("spf.mx-too-many")
	idVoidTerm            = checks.ID("spf.void-term")
	idTooManyLookups      = checks.ID("spf.too-many-lookups")
	idLookups             = checks.ID("spf.lookups")
	idVoidLimit           = checks.ID("spf.too-many-void-lookups")
	idRedirectIgnored     = checks.ID("spf.redirect-ignored")
	idNeutralAll          = checks.ID("spf.neutral-all")
	idNoAll               = checks.ID("spf.no-all")
	idNoRecordAuth        = checks.ID("spf.none-for-auth")
	idBrokenAuth          = checks.ID("spf.broken-for-auth")
	idNeedsIP             = checks.ID("spf.needs-sending-ip")
)

// IDs of check_host results.
var (
	idPass       = checks.ID("spf.pass")
	idFail       = checks.ID("spf.fail")
	idSoftFail   = checks.ID("spf.softfail")
	idPermError  = checks.ID("spf.permerror")
	idTempError  = checks.ID("spf.temperror")
	idResultNone = checks.ID("spf.result-none")
	idNeutral    = checks.ID("spf.neutral")
)
