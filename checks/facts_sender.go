package checks

import "net/netip"

// SPFResult is the result of the "spf" check for the sender domain.
type SPFResult struct {
	Domain string
	Record string // the v=spf1 record, "" when there is none
	// Lookups counts DNS-querying terms across the include/redirect tree.
	Lookups     int
	Evaluations []SPFEvaluation // one per --sending-ip
}

// SPFEvaluation is check_host for one sending IP.
type SPFEvaluation struct {
	IP     netip.Addr
	Domain string // the domain check_host ran for
	// Result is RFC 7208 §2.6's name: none, neutral, pass, fail, softfail,
	// temperror, permerror.
	Result string
	Reason string // the term or error that decided it ("matched ip4:192.0.2.0/24")
}

// DKIMResult is the result of the "dkim" check for the sender domain.
type DKIMResult struct {
	Domain     string
	Probed     bool // selectors came from the common list, not from the agent
	Keys       []DKIMKey
	Signatures []DKIMSignature // verified on --message, when given
}

// DKIMKey is one selector's key record.
type DKIMKey struct {
	Selector string
	Found    bool
	KeyType  string // rsa, ed25519
	Bits     int
	Revoked  bool // empty p=
	Testing  bool // t=y
}

// DKIMSignature is one DKIM-Signature of a message and its verification.
type DKIMSignature struct {
	Domain   string // d=
	Selector string // s=
	Result   string // pass, fail, temperror, permerror
	Reason   string
}

// DMARCResult is the result of the "dmarc" check.
type DMARCResult struct {
	Domain    string // the From domain
	OrgDomain string // where the record was found when it fell back
	Found     bool
	Record    string
	Policy    string // none, quarantine, reject
	// Pass says whether a message from the sender would pass DMARC given the
	// SPF and DKIM results; AlignedBy names the identifier that aligned.
	Pass      Tristate
	AlignedBy string // "spf", "dkim", or ""
}

// BlocklistResult is the result of the "dnsbl" check.
type BlocklistResult struct {
	Listings []Listing
}

// Listing is one positive blocklist answer.
type Listing struct {
	Subject string // the IP or domain looked up
	Zone    string // the list's zone
	Code    string // the 127.0.0.x answer
	Meaning string // the list's meaning of Code
}
