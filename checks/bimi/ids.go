package bimi

import "github.com/whymail/whymail/checks"

// Finding IDs of the check (docs/findings.md).
var (
	idOrgFallback      = checks.ID("bimi.org-fallback")
	idMissing          = checks.ID("bimi.missing")
	idDeclined         = checks.ID("bimi.declined")
	idLogo             = checks.ID("bimi.logo")
	idNoAuthority      = checks.ID("bimi.no-mark-certificate")
	idNeedsEnforcement = checks.ID("bimi.needs-dmarc-enforcement")
)
var (
	idEmptyTag        = checks.ID("bimi.empty-tag")
	idNotTagValue     = checks.ID("bimi.not-tag-value")
	idTagName         = checks.ID("bimi.tag-name-invalid")
	idTagRepeated     = checks.ID("bimi.tag-repeated")
	idVersion         = checks.ID("bimi.version-not-first")
	idNoLogo          = checks.ID("bimi.logo-missing")
	idManyLogos       = checks.ID("bimi.logo-several")
	idLogoURL         = checks.ID("bimi.logo-invalid")
	idLogoNotSVG      = checks.ID("bimi.logo-not-svg")
	idAuthorityNoLogo = checks.ID("bimi.authority-without-logo")
	idAuthorityURL    = checks.ID("bimi.authority-invalid")
	idAuthorityNotPEM = checks.ID("bimi.authority-not-pem")
	idAVP             = checks.ID("bimi.avp-invalid")
	idUnknownTag      = checks.ID("bimi.unknown-tag")
)
