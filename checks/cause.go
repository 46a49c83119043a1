package checks

// CauseID names a cause of the catalog (docs/design.md). IDs are stable API: JSON
// carries them and tests name them.
type CauseID string

// The catalog's causes, in the order of the catalog in docs/design.md.
const (
	AddressInvalid      CauseID = "address-invalid"
	AddressTypo         CauseID = "address-typo"
	DomainNotFound      CauseID = "domain-not-found"
	DomainNoMail        CauseID = "domain-no-mail"
	MailboxUnknown      CauseID = "mailbox-unknown"
	MailboxFull         CauseID = "mailbox-full"
	NoAccount           CauseID = "no-account"
	WrongInbox          CauseID = "wrong-inbox"
	AccountInactive     CauseID = "account-inactive"
	AccountLocked       CauseID = "account-locked"
	LinkExpired         CauseID = "link-expired"
	Suppressed          CauseID = "suppressed"
	SpamFolder          CauseID = "spam-folder"
	CorporateFilter     CauseID = "corporate-filter"
	SenderAuth          CauseID = "sender-auth"
	SenderBlocklisted   CauseID = "sender-blocklisted"
	RejectedByRecipient CauseID = "rejected-by-recipient"
	Delayed             CauseID = "delayed"
	NotSent             CauseID = "not-sent"
)

// Causes lists every cause of the catalog in catalog order.
var Causes = []CauseID{
	AddressInvalid, AddressTypo, DomainNotFound, DomainNoMail,
	MailboxUnknown, MailboxFull, NoAccount, WrongInbox,
	AccountInactive, AccountLocked, LinkExpired, Suppressed,
	SpamFolder, CorporateFilter, SenderAuth, SenderBlocklisted,
	RejectedByRecipient, Delayed, NotSent,
}

// Verdict is how sure a finding is about its cause.
type Verdict string

const (
	// Confirmed: a source of record says so (bounce, log, suppression list, user record).
	Confirmed Verdict = "confirmed"
	// Likely: strong, direct evidence.
	Likely Verdict = "likely"
	// Possible: plausible, weak or indirect evidence, or a base rate.
	Possible Verdict = "possible"
	// Unknown: the check could not speak to the cause (missing input, DNS failed).
	Unknown Verdict = "unknown"
	// RuledOut: positive evidence that it is not the cause.
	RuledOut Verdict = "ruled-out"
)

// Rank orders verdicts for the report: a lower rank is shown first.
func (v Verdict) Rank() int {
	switch v {
	case Confirmed:
		return 0
	case Likely:
		return 1
	case Possible:
		return 2
	case Unknown:
		return 3
	case RuledOut:
		return 4
	}
	return 5
}

// Valid reports whether v is one of the five verdicts.
func (v Verdict) Valid() bool { return v.Rank() < 5 }
