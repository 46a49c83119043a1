package address

// Mailbox is the result of Check: the recipient parsed.
type Mailbox struct {
	Address string // as typed
	Local   string // local part, unquoted
	Domain  string // domain as typed (may be Unicode)
	// ASCIIDomain is the domain in A-labels (IDNA), lower-case: what DNS is asked.
	ASCIIDomain string
	// Valid is false when the syntax is wrong; Reason says why.
	Valid  bool
	Reason string
	// SMTPUTF8 is set when the local part is not ASCII.
	SMTPUTF8 bool
}
