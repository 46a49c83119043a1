package checks

import "fmt"

// Input names something a front end can hand a run: a kind of evidence or
// a setting. Checks say which inputs would settle a cause as Inputs, never
// as the words of one front end; each front end words them (the command
// line as its flags, the web page as its fields).
type Input string

const (
	InputAddress      Input = "address"       // the recipient address of the ticket
	InputUser         Input = "user"          // the account id named in the ticket
	InputUsers        Input = "users"         // the app's user records
	InputSuppressions Input = "suppressions"  // the sending provider's suppression lists
	InputLog          Input = "log"           // mail logs or provider events
	InputBounce       Input = "bounce"        // bounce messages
	InputMessage      Input = "message"       // a copy of the sent message
	InputSender       Input = "sender"        // the address or domain the app sends from
	InputSendingIP    Input = "sending-ip"    // the IPs the app sends from
	InputDKIMSelector Input = "dkim-selector" // the DKIM selectors the app signs with
	InputDNSBL        Input = "dnsbl"         // the blocklists to ask
	InputDNS          Input = "dns"           // a DNS resolver to ask
	InputStatusMap    Input = "status-map"    // what the app's account status words mean
)

// Inputs lists every Input, so that a front end can check it words them all.
var Inputs = []Input{
	InputAddress, InputUser, InputUsers, InputSuppressions, InputLog, InputBounce,
	InputMessage, InputSender, InputSendingIP, InputDKIMSelector, InputDNSBL, InputDNS, InputStatusMap,
}

// Mode is what the command runs the checks for; a check that behaves
// differently for a lint reads it rather than guessing from the Ticket.
type Mode int

const (
	// Diagnose: one ticket, the causes of the catalog.
	Diagnose Mode = iota
	// Lint: a sender domain's records, for CI (`whymail domain`).
	Lint
	// Verify: addresses checked in bulk (`whymail address`).
	Verify
)

func (m Mode) String() string {
	switch m {
	case Diagnose:
		return "diagnose"
	case Lint:
		return "lint"
	case Verify:
		return "verify"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}
