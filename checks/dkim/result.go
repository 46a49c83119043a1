package dkim

import "github.com/emersion/go-msgauth/authres"

// Result is the result of Check for the sender domain.
type Result struct {
	Domain     string
	Probed     bool // selectors came from the common list, not from the agent
	Keys       []KeyRecord
	Signatures []Signature // verified on the sent message, when given
}

// KeyRecord is what one selector publishes, as the result reports it.
type KeyRecord struct {
	Selector string
	Found    bool
	KeyType  string // rsa, ed25519
	Bits     int
	Revoked  bool // empty p=
	Testing  bool // t=y
}

// Signature is one DKIM-Signature of a message and its verification.
type Signature struct {
	Domain   string              // d=
	Selector string              // s=
	Result   authres.ResultValue // pass, fail, temperror, permerror (RFC 8601 §2.7.1)
	Reason   string
}
