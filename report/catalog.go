// Package report turns the findings of a run into what people read: the
// cause catalog, the ranking of causes, and the renderers (text, JSON,
// Markdown, GitHub annotations). It knows nothing of DNS or files.
package report

import "github.com/whymail/whymail/checks"

// Entry is one cause of the catalog: what an agent reads and what they paste.
type Entry struct {
	ID    checks.CauseID
	Title string
	// Explanation says what the cause is, in a sentence or two.
	Explanation string
	// Steps are what the agent does next, most useful first.
	Steps []string
	// Reply is what the agent tells the user.
	Reply string
	// Common ranks causes of equal verdict and strength: higher is more
	// common in support tickets.
	Common int
	// SettledBy says what lets whymail speak to the cause, for the report
	// of a run that could not; Needs names the inputs among it, which the
	// front end words.
	SettledBy string
	Needs     []checks.Input
	// Default is the verdict when no check spoke to the cause: Unknown, or
	// Possible for a cause common enough to suspect on base rate alone.
	Default checks.Verdict
	// DefaultMessage explains Default.
	DefaultMessage string
	// NothingSent is set for causes that, once confirmed, mean no email
	// went to the address in the ticket, so causes about an email
	// delivered there cannot apply.
	NothingSent bool
	// NeedsDelivery is set for causes that only apply to an email that
	// was sent (spam folder, quarantine, deferral, bounce, expired link).
	NeedsDelivery bool
	// Explains lists the symptoms this cause accounts for when it is
	// likely or confirmed (docs/design.md: symptoms are not root causes).
	Explains []checks.CauseID
}

// Catalog is the English catalog. Other languages add a Catalog of their own
// with the same IDs.
type Catalog map[checks.CauseID]*Entry

// English is the catalog in English, one entry for every checks.Causes.
var English = Catalog{
	checks.AddressInvalid: {
		NothingSent: true,
		Title:       "The address on file is not a valid email address",
		Explanation: "The address breaks email syntax rules, so no mail system will accept it and nothing can be delivered.",
		Steps: []string{
			"Ask the user for their correct address and update the account.",
			"Check the signup form validates addresses so this cannot recur.",
		},
		Reply:     "We couldn't send you the email because the address we have on file isn't a valid email address. Could you confirm your email address so we can correct it and send the link again?",
		Common:    4,
		SettledBy: "the address itself",
		Explains:  []checks.CauseID{checks.DomainNotFound, checks.DomainNoMail, checks.MailboxUnknown},
	},
	checks.AddressTypo: {
		Title:       "The address is probably misspelled",
		Explanation: "The domain looks like a misspelling of a well-known mail provider, so the email went to (or was refused by) a domain the user does not read.",
		Steps: []string{
			"Confirm the intended address with the user (the suggestion is in the evidence).",
			"Correct the email on the account, then resend the email.",
		},
		Reply:     "It looks like the email address on your account may have a typo in it, so our email couldn't reach you. Could you confirm your correct email address? Once it's updated we'll send the link again.",
		Common:    7,
		SettledBy: "the address and its domain's DNS",
		Explains:  []checks.CauseID{checks.DomainNotFound, checks.DomainNoMail, checks.MailboxUnknown, checks.Delayed, checks.RejectedByRecipient},
	},
	checks.DomainNotFound: {
		Title:       "The recipient's domain does not exist",
		Explanation: "DNS says the domain after the @ does not exist (NXDOMAIN), so no mail can be delivered to it.",
		Steps: []string{
			"Check the address for a typo in the domain and confirm it with the user.",
			"If the domain used to exist, it may have expired: ask the user for a current address.",
		},
		Reply:     "The email domain on your account (the part after the @) doesn't seem to exist, so our email couldn't be delivered. Could you double-check your email address or give us another one?",
		Common:    3,
		SettledBy: "DNS for the recipient domain",
		Explains:  []checks.CauseID{checks.DomainNoMail, checks.Delayed, checks.MailboxUnknown},
	},
	checks.DomainNoMail: {
		Title:       "The recipient's domain does not accept email",
		Explanation: "The domain exists but publishes no working mail server: a null MX, no MX and no address, or MX hosts that do not resolve.",
		Steps: []string{
			"Confirm the address with the user; the domain cannot receive mail as it stands.",
			"If it is the user's company domain, their IT needs to fix its MX records.",
		},
		Reply:     "The email domain on your account isn't set up to receive email at the moment, so our message couldn't be delivered. Could you give us a different email address, or ask your email administrator to check it?",
		Common:    3,
		SettledBy: "DNS for the recipient domain",
		Explains:  []checks.CauseID{checks.Delayed, checks.MailboxUnknown},
	},
	checks.MailboxUnknown: {
		NeedsDelivery: true,
		Title:         "The mailbox does not exist",
		Explanation:   "The receiving server said there is no such user at that domain (5.1.1).",
		Steps: []string{
			"Confirm the exact address with the user; the part before the @ is likely wrong or the mailbox was closed.",
			"Update the account, then resend.",
		},
		Reply:     "The receiving mail server told us that mailbox doesn't exist. Could you confirm your exact email address? It's possible there's a small typo, or the mailbox has been closed.",
		Common:    5,
		SettledBy: "a bounce or the mail log",
		Needs:     []checks.Input{checks.InputBounce, checks.InputLog},
	},
	checks.MailboxFull: {
		NeedsDelivery: true,
		Title:         "The user's mailbox is full",
		Explanation:   "The receiving server refused or deferred the message because the mailbox is over its storage quota.",
		Steps: []string{
			"Tell the user to free space in their mailbox.",
			"Resend once they have; a 4.2.2 deferral may still deliver on its own.",
		},
		Reply:     "Your mailbox appears to be full, so our email couldn't be delivered. Please delete some messages to free up space, and let us know so we can send it again.",
		Common:    3,
		SettledBy: "a bounce or the mail log",
		Needs:     []checks.Input{checks.InputBounce, checks.InputLog},
		Explains:  []checks.CauseID{checks.Delayed},
	},
	checks.NoAccount: {
		NothingSent: true,
		Title:       "No account uses this address, so nothing was sent",
		Explanation: "The address matches no user record. Password-reset forms usually say \"email sent\" either way, so the user believes a message is on its way.",
		Steps: []string{
			"Ask the user which address they signed up with, or look the account up by name or other details.",
			"If they have no account, point them to sign-up instead.",
		},
		Reply:     "We couldn't find an account registered with that email address, so no email was sent. Is it possible you signed up with a different address? If you tell us your name or username we can look it up.",
		Common:    8,
		SettledBy: "the user records",
		Needs:     []checks.Input{checks.InputUsers},
		Explains:  []checks.CauseID{checks.NotSent},
	},
	checks.WrongInbox: {
		NothingSent: true, // to the address the user is looking in
		Title:       "The email went to a different address than the one being checked",
		Explanation: "The account's email on file differs from the address the user is looking in.",
		Steps: []string{
			"Tell the user which inbox the email went to (mask it if policy requires).",
			"If they no longer use that address, verify their identity and update it.",
		},
		Reply:     "Our email went to the address registered on your account, which is different from the one you mentioned. Please check that inbox too; if you no longer have access to it, reply and we'll help you update it.",
		Common:    6,
		SettledBy: "the user records and the account id",
		Needs:     []checks.Input{checks.InputUsers, checks.InputUser},
		Explains:  []checks.CauseID{checks.NoAccount},
	},
	checks.AccountInactive: {
		NothingSent: true,
		Title:       "The account is inactive, so the app sends it no email",
		Explanation: "The user record is inactive, disabled or pending, and the app does not send password resets to such accounts.",
		Steps: []string{
			"Check why the account is inactive (unverified sign-up, closed, disabled by an admin).",
			"Reactivate or re-verify it if policy allows, then resend.",
		},
		Reply:     "Your account isn't active at the moment, which is why no email arrived. We can help you reactivate it; please reply to confirm you'd like us to.",
		Common:    4,
		SettledBy: "the user records",
		Needs:     []checks.Input{checks.InputUsers},
		Explains:  []checks.CauseID{checks.NotSent},
	},
	checks.AccountLocked: {
		NothingSent: true,
		Title:       "The account is locked",
		Explanation: "The user record is locked (for example after too many attempts), and the app sends no reset until it is unlocked.",
		Steps: []string{
			"Check when the lock ends and why it was set.",
			"Unlock after verifying the user's identity, or tell them when to try again.",
		},
		Reply:     "Your account is temporarily locked for your security, so the reset email wasn't sent. We can unlock it after confirming a few details, or you can try again after the lock expires.",
		Common:    3,
		SettledBy: "the user records",
		Needs:     []checks.Input{checks.InputUsers},
		Explains:  []checks.CauseID{checks.NotSent},
	},
	checks.LinkExpired: {
		NeedsDelivery: true,
		Title:         "The email arrived but its link has expired",
		Explanation:   "The last reset email was sent longer ago than the link's lifetime, so the link in it no longer works.",
		Steps: []string{
			"Send a fresh reset email and ask the user to use it promptly.",
			"Ask them to use the newest email if they received several.",
		},
		Reply:     "The reset link we sent earlier has expired for your security. We've sent (or can send) a fresh one; please use it within the next day, and use the most recent email if you see several.",
		Common:    4,
		SettledBy: "the user records (reset_sent_at) or a sent message",
		Needs:     []checks.Input{checks.InputUsers, checks.InputMessage},
	},
	checks.Suppressed: {
		NothingSent: true,
		Title:       "The address is on the email provider's suppression list",
		Explanation: "After an earlier hard bounce, spam complaint or unsubscribe, the sending provider blocks every email to this address without trying to deliver it.",
		Steps: []string{
			"Confirm with the user that the address works now (the earlier bounce may have been temporary).",
			"Remove the address from the suppression list (see the provider steps), then resend.",
		},
		Reply:     "An earlier email to your address bounced, so our email system paused sending to it. We've checked the address and removed the block, and we'll send the email again now.",
		Common:    6,
		SettledBy: "the suppression lists",
		Needs:     []checks.Input{checks.InputSuppressions},
		Explains:  []checks.CauseID{checks.NotSent},
	},
	checks.SpamFolder: {
		NeedsDelivery: true,
		Title:         "The email was delivered but filed as spam",
		Explanation:   "The receiving provider accepted the message but its filters put it in the junk or spam folder (or a tab such as Promotions).",
		Steps: []string{
			"Ask the user to search their spam/junk folder (and Promotions/Updates tabs) for the sender.",
			"Ask them to mark it \"not spam\" and add the sender to their contacts.",
		},
		Reply:     "Our email may have been filtered into your spam or junk folder. Could you search for it there (and in any Promotions or Other tabs)? If you find it, marking it as \"not spam\" helps future emails reach your inbox.",
		Common:    10,
		SettledBy: "the mail log, to see whether it was delivered, and the sender, for its authentication",
		Needs:     []checks.Input{checks.InputLog, checks.InputSender},
		Default:   checks.Possible,
		DefaultMessage: "Spam filtering is the most common reason a delivered email is not seen; " +
			"nothing in this run ruled it out.",
	},
	checks.CorporateFilter: {
		NeedsDelivery: true,
		Title:         "A company or school mail gateway is holding it",
		Explanation:   "The recipient's mail passes through a security gateway that can quarantine messages before they reach the inbox.",
		Steps: []string{
			"Ask the user to check their quarantine digest or ask their IT team to release the message.",
			"Ask IT to allow-list the sending domain and IPs.",
		},
		Reply:     "Your organisation's email security system may be holding our message in quarantine. Could you check any quarantine summary emails, or ask your IT team to release it and allow emails from us?",
		Common:    5,
		SettledBy: "the recipient domain's MX hosts, and the mail log",
		Needs:     []checks.Input{checks.InputLog},
	},
	checks.SenderAuth: {
		Title:       "Our sending domain fails authentication (SPF, DKIM or DMARC)",
		Explanation: "Receivers check that mail really comes from the sending domain; a failure sends it to spam or gets it refused.",
		Steps: []string{
			"Escalate to whoever owns the sending domain's DNS with the failing records shown.",
			"Fix the record (SPF include for the sending service, DKIM key, DMARC alignment), then resend.",
		},
		Reply:     "We've found a problem on our side that can stop our emails from arriving, and our team is fixing it. Please check your spam folder in the meantime; we'll let you know once it's resolved.",
		Common:    5,
		SettledBy: "the sender, the sending IPs and a sent message",
		Needs:     []checks.Input{checks.InputSender, checks.InputSendingIP, checks.InputMessage},
		Explains:  []checks.CauseID{checks.SpamFolder, checks.RejectedByRecipient, checks.Delayed},
	},
	checks.SenderBlocklisted: {
		Title:       "Our sending server or domain is on a blocklist",
		Explanation: "A DNS blocklist lists the sending IP or domain, and receivers that use it refuse or filter our mail.",
		Steps: []string{
			"Escalate to the email platform owner with the list and the listed address.",
			"Follow the list's delisting procedure after fixing the cause of the listing.",
		},
		Reply:     "We've found a problem on our side that's stopping some of our emails from being delivered, and our team is working on it. We'll let you know once it's fixed.",
		Common:    3,
		SettledBy: "the sending IPs and the sender",
		Needs:     []checks.Input{checks.InputSendingIP, checks.InputSender},
		Explains:  []checks.CauseID{checks.SpamFolder, checks.RejectedByRecipient, checks.Delayed},
	},
	checks.RejectedByRecipient: {
		NeedsDelivery: true,
		Title:         "The receiving server refused it by policy",
		Explanation:   "The recipient's server rejected the message for a policy reason (5.7.x): content, reputation or a local rule.",
		Steps: []string{
			"Read the rejection text in the evidence; it usually names the rule.",
			"Ask the user's mail administrator to allow mail from the sending domain.",
		},
		Reply:     "Your email provider rejected our message. Could you ask your email administrator (or IT team) to allow emails from us? In the meantime you could use a different email address.",
		Common:    3,
		SettledBy: "a bounce or the mail log",
		Needs:     []checks.Input{checks.InputBounce, checks.InputLog},
	},
	checks.Delayed: {
		NeedsDelivery: true,
		Title:         "The email is delayed, or the sender gave up retrying",
		Explanation:   "The receiving server deferred it (temporary failure, greylisting, rate limit) or it is still in transit; the sender keeps retrying for days. When the evidence says the sender gave up (expired, a permanent failure after retries), it will not arrive and must be sent again.",
		Steps: []string{
			"If it is still being retried, ask the user to wait a little and check again; greylisting usually clears within 15-30 minutes.",
			"If the sender gave up (expired), fix what the deferral reason in the evidence names, then resend.",
		},
		Reply:     "Your email provider is delaying our message. This usually clears up within the hour and the email arrives on its own; if it hasn't arrived by then, let us know and we'll send it again.",
		Common:    5,
		SettledBy: "the mail log",
		Needs:     []checks.Input{checks.InputLog},
	},
	checks.NotSent: {
		NothingSent: true,
		Title:       "There is no record that the app sent it",
		Explanation: "The mail logs cover the time of the request and hold nothing for this address: the email was probably never handed to the mail system.",
		Steps: []string{
			"Escalate to engineering: the app did not hand the email to the mail system.",
			"Check the app's job queue and error logs for the request time.",
		},
		Reply:     "We couldn't find a record of the email being sent, so we've raised it with our technical team. We'll update you shortly, and you're welcome to request a new email in the meantime.",
		Common:    4,
		SettledBy: "the mail log",
		Needs:     []checks.Input{checks.InputLog},
	},
}

func init() {
	for id, e := range English {
		e.ID = id
		if e.Default == "" {
			e.Default = checks.Unknown
		}
	}
}
