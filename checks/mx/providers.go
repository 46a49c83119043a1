package mx

import "strings"

// Kind says what an MX operator is to the recipient.
type Kind int

const (
	// Mailbox: the provider that hosts the recipient's mailboxes.
	Mailbox Kind = iota
	// Gateway: a mail security gateway in front of the mailboxes; it can
	// quarantine or hold a message the recipient never sees.
	Gateway
)

// An Operator is a mailbox provider or a mail security gateway recognised
// from the names of the MX hosts it runs.
type Operator struct {
	Name string
	Kind Kind
	// Consumer marks free or personal mailbox services (Gmail, Outlook.com):
	// no company IT sits between the sender and the inbox.
	Consumer bool
	// Hosts are MX host names: "example.com" matches example.com and every
	// name under it.
	Hosts []string
	// Quarantine says where that operator keeps held or filtered mail, for
	// the agent's steps: every gateway, and the business mailbox services
	// that quarantine on their own (Microsoft 365's Exchange Online
	// Protection, Google Workspace's admin quarantine).
	Quarantine string
	// Allow says where the recipient's admins allow a sender, when it is
	// not simply "in" the operator.
	Allow string
}

// Operators is the table MX hosts are recognised by. The most specific
// (longest) matching host name wins, so a consumer service may sit under
// its company's business one (gmail-smtp-in.l.google.com under google.com).
var Operators = []Operator{
	// Mailbox providers.
	{Name: "Gmail", Kind: Mailbox, Consumer: true, Hosts: []string{"gmail-smtp-in.l.google.com"}},
	{Name: "Google Workspace", Kind: Mailbox, Hosts: []string{"google.com", "googlemail.com"},
		Quarantine: "the Google Admin console's admin quarantine (Apps > Google Workspace > Gmail > Manage quarantines) and Email Log Search",
		Allow:      "the Gmail spam settings of the Google Admin console (an approved senders list)"},
	// Exchange Online Protection filters all mail to Microsoft 365 and
	// quarantines (high-confidence phishing, malware, spam by policy).
	{Name: "Microsoft 365", Kind: Mailbox, Hosts: []string{"mail.protection.outlook.com", "mx.microsoft"},
		Quarantine: "the Microsoft 365 Defender quarantine (security.microsoft.com/quarantine: Email & collaboration > Review > Quarantine) and Message trace",
		Allow:      "the Microsoft 365 Tenant Allow/Block List"},
	{Name: "Outlook.com", Kind: Mailbox, Consumer: true, Hosts: []string{"olc.protection.outlook.com", "hotmail.com", "msn.com"}},
	{Name: "Yahoo Mail", Kind: Mailbox, Consumer: true, Hosts: []string{"yahoodns.net"}},
	{Name: "iCloud Mail", Kind: Mailbox, Consumer: true, Hosts: []string{"mail.icloud.com"}},
	{Name: "Zoho Mail", Kind: Mailbox, Hosts: []string{"zoho.com", "zoho.eu", "zoho.in", "zoho.com.au", "zohomail.com"}},
	{Name: "Fastmail", Kind: Mailbox, Hosts: []string{"messagingengine.com"}},
	{Name: "Proton Mail", Kind: Mailbox, Hosts: []string{"protonmail.ch"}},
	{Name: "GMX", Kind: Mailbox, Consumer: true, Hosts: []string{"gmx.net", "gmx.com"}},
	{Name: "WEB.DE", Kind: Mailbox, Consumer: true, Hosts: []string{"web.de"}},
	{Name: "Yandex Mail", Kind: Mailbox, Consumer: true, Hosts: []string{"mx.yandex.ru", "mx.yandex.net"}},
	{Name: "Mail.ru", Kind: Mailbox, Consumer: true, Hosts: []string{"mxs.mail.ru"}},
	{Name: "Comcast (Xfinity)", Kind: Mailbox, Consumer: true, Hosts: []string{"mx.comcast.net"}},
	{Name: "GoDaddy Email", Kind: Mailbox, Hosts: []string{"secureserver.net"}},
	{Name: "Rackspace Email", Kind: Mailbox, Hosts: []string{"emailsrvr.com"}},

	// Mail security gateways. Libraesva and Vade Cloud are left out until
	// their MX host names are confirmed from their own documentation (Vade
	// Cloud's customers are moving to Hornetsecurity, listed below).
	{Name: "Proofpoint", Kind: Gateway, Hosts: []string{"pphosted.com"},
		Quarantine: "the Proofpoint quarantine and Smart Search (message trace)"},
	{Name: "Proofpoint Essentials", Kind: Gateway, Hosts: []string{"ppe-hosted.com"},
		Quarantine: "the Proofpoint Essentials quarantine and Email Logs"},
	{Name: "Mimecast", Kind: Gateway, Hosts: []string{"mimecast.com", "mimecast-offshore.com", "mimecast.co.za"},
		Quarantine: "Mimecast Message Tracking and the Held queue"},
	{Name: "Barracuda Email Security", Kind: Gateway, Hosts: []string{"barracudanetworks.com"},
		Quarantine: "the Barracuda Message Log (blocked and quarantined messages)"},
	{Name: "Cisco Secure Email", Kind: Gateway, Hosts: []string{"iphmx.com"},
		Quarantine: "Cisco Secure Email Message Tracking and the spam quarantine"},
	{Name: "Sophos Email", Kind: Gateway, Hosts: []string{"hydra.sophos.com"},
		Quarantine: "Sophos Central Message History and the email quarantine"},
	{Name: "Trend Micro Email Security", Kind: Gateway, Hosts: []string{
		"tmes.trendmicro.com", "tmes.trendmicro.eu", "tmes-anz.trendmicro.com", "tmems-jp.trendmicro.com",
		"in.hes.trendmicro.com", "in.hes.trendmicro.eu"},
		Quarantine: "Trend Micro Email Security Mail Tracking and the quarantine"},
	{Name: "Forcepoint Email Security", Kind: Gateway, Hosts: []string{"mailcontrol.com"},
		Quarantine: "the Forcepoint message log and quarantine"},
	{Name: "Broadcom (Symantec) Email Security.cloud", Kind: Gateway, Hosts: []string{"messagelabs.com"},
		Quarantine: "Email Security.cloud Track and Trace and the quarantine"},
	{Name: "Hornetsecurity", Kind: Gateway, Hosts: []string{"hornetsecurity.com"},
		Quarantine: "Hornetsecurity Email Live Tracking and the quarantine"},
	{Name: "Trustwave MailMarshal", Kind: Gateway, Hosts: []string{"mailmarshal.cloud"},
		Quarantine: "the MailMarshal message history and quarantine"},
	{Name: "N-able SpamExperts", Kind: Gateway, Hosts: []string{"antispamcloud.com", "spamexperts.com"},
		Quarantine: "the SpamExperts incoming log search and quarantine"},
	{Name: "FortiMail Cloud", Kind: Gateway, Hosts: []string{"fortimail.com"},
		Quarantine: "the FortiMail history log and quarantine"},
	{Name: "Cloudflare Email Security (Area 1)", Kind: Gateway, Hosts: []string{"mxrecord.io", "mxrecord.mx"},
		Quarantine: "the Cloudflare Email Security investigation page (quarantined messages)"},
	{Name: "Google Postini (legacy)", Kind: Gateway, Hosts: []string{"psmtp.com"},
		Quarantine: "the Postini message quarantine (a legacy service: the MX records may be stale)"},
}

// Recognise returns the operator that runs MX host h (any case, with or
// without the final dot), or nil.
func Recognise(h string) *Operator {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	var best *Operator
	bestLen := 0
	for i := range Operators {
		op := &Operators[i]
		for _, s := range op.Hosts {
			if len(s) > bestLen && isOrUnder(h, s) {
				best, bestLen = op, len(s)
			}
		}
	}
	return best
}

// isOrUnder reports whether host is domain or a name under it, without
// building "."+domain for each of the operators' domains.
func isOrUnder(host, domain string) bool {
	if !strings.HasSuffix(host, domain) {
		return false
	}
	n := len(host) - len(domain)
	return n == 0 || host[n-1] == '.'
}
