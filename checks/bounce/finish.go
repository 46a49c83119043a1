package bounce

import (
	"bytes"
	"fmt"
	"net/mail"
	"strings"

	"github.com/emersion/go-message"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/smtpreply"
)

// finish decides what the message is and classifies its recipients.
func (p *parser) finish() {
	b := p.b
	text := p.text.String()
	own, rest := cutOriginal(text)
	if !p.haveOriginal && rest != "" {
		p.original([]byte(strings.TrimLeft(rest, "\r\n -")))
	}
	// The remote's words, not a reporting MTA's gloss of their status.
	own = dropGloss(clip(own, maxOwn))
	whole := b.Subject + "\n" + own

	switch {
	case p.feedback != nil:
		p.finishFeedback()
		return
	case !p.dsn && p.parseSES(text):
		return
	case p.dsn:
		b.Kind, b.Format = DSN, "rfc3464"
		p.finishDSN(own, whole)
		return
	}

	subject, ownLower := strings.ToLower(b.Subject), strings.ToLower(own)
	if p.complaint(subject, ownLower) {
		return
	}
	bounceLike := bounceSubject.MatchLower(subject) || isDaemon(b.From) || bounceBody.MatchLower(ownLower) || listRefusal.MatchLower(subject+"\n"+ownLower)
	auto := strings.HasPrefix(p.autoSubmitted, "auto-replied") || autoReplySubject.MatchString(b.Subject) || p.topHeader.Get("X-Autoreply") != "" || p.topHeader.Get("X-Autorespond") != ""
	challenge := !isDaemon(b.From) && challengeWords.MatchLower(subject+"\n"+ownLower) && !hasReply(own)
	if challenge || auto && !isDaemon(b.From) && !bounceBody.MatchLower(ownLower) {
		// An automatic reply (RFC 3834), or a challenge-response or
		// whitelist filter asking the sender to confirm: the message
		// reached the recipient's system; it is not a bounce.
		b.Kind, b.Format = AutoReply, "rfc3834"
		if challenge {
			b.Format = "challenge-response"
		}
		if a, err := mail.ParseAddress(b.From); err == nil {
			r := Recipient{Address: a.Address, Action: Delivered, Class: smtpreply.Class{Reason: smtpreply.Delivered}}
			if c := smtpreply.Classify(own); !challenge && (c.Reason == smtpreply.MailboxDisabled || c.Reason == smtpreply.UserUnknown) {
				// "This inbox is no longer in use": the auto-reply says the
				// mailbox is gone.
				b.Kind = Text
				c.Text = strings.Join(strings.Fields(own), " ")
				r.Action, r.Class, r.Diagnostic = Failed, c, clip(c.Text, 500)
			}
			b.Recipients = []Recipient{r}
		}
		return
	}
	if !bounceLike {
		return
	}
	exclude := map[string]bool{}
	for _, h := range []string{b.From, p.topHeader.Get("To"), p.topHeader.Get("Reply-To"), p.topHeader.Get("Return-Path"), b.Original.From} {
		for _, a := range addrRE.FindAllString(h, -1) {
			exclude[strings.ToLower(a)] = true
		}
	}
	var failed []string
	for _, v := range p.topHeader.Values("X-Failed-Recipients") {
		failed = append(failed, addrRE.FindAllString(v, -1)...)
	}
	var self bool
	rs := textRecipients(own, failed, exclude, p.listOwn, &self)
	if (len(rs) == 0 || self) && b.Original.To != "" {
		var to []Recipient
		list := false
		for _, a := range addrRE.FindAllString(b.Original.To, -1) {
			switch k := strings.ToLower(a); {
			case p.listOwn[k]:
				// A list post is addressed To the list: the list is not
				// where it failed.
				list = true
			case !exclude[k]:
				to = append(to, Recipient{Address: a, Diagnostic: localBlock(own, a)})
			}
		}
		if len(to) > 0 {
			rs = to
		} else if list && len(rs) == 0 {
			// A bounce of a list post that does not say which member
			// refused it: one that names no recipient.
			rs = []Recipient{{}}
		}
	}
	if listRefusal.MatchLower(subject + "\n" + ownLower) {
		// A list refusing a post names itself on the refusal line; the
		// other addresses are where to write for help.
		var lists []Recipient
		for _, r := range rs {
			if listRefusal.MatchLower(strings.ToLower(r.Diagnostic)) {
				lists = append(lists, r)
			}
		}
		if len(lists) > 0 {
			rs = lists
		}
	}
	if len(rs) == 0 {
		return
	}
	b.Kind, b.Format = Text, textFormat(ownLower)
	delayed := delaySignals.MatchLower(subject) || (delaySignals.MatchLower(ownLower) && !permanentSig.MatchLower(ownLower))
	for i := range rs {
		r := &rs[i]
		blk := r.Diagnostic
		if len(rs) == 1 {
			blk = strings.TrimSpace(blk)
		}
		r.Class = classifyText("", blk, whole)
		cmd := smtpCommand(blk)
		if cmd == "" && len(rs) == 1 {
			cmd = smtpCommand(own)
		}
		r.Class = byCommand(r.Class, orUnknown(cmd))
		r.Diagnostic = replyOf(blk)
		if r.Diagnostic == "" && len(rs) == 1 {
			r.Diagnostic = replyOf(strings.Join(strings.Fields(own), " "))
		}
		if r.Diagnostic == "" {
			r.Diagnostic = blk
		}
		r.Status = r.Class.Status
		r.Action = Failed
		if delayed && !r.Class.Permanent {
			r.Action = Delayed
			r.Class = asDelayed(r.Class)
		} else if r.Class.Code == 0 && r.Class.Status == "" {
			r.Class.Permanent = !delayed
		}
		r.Class.Cause = smtpreply.CauseOf(r.Class.Reason, r.Class.Permanent)
	}
	b.Recipients = rs
}

// localBlock returns the lines of own that name addr's local part without
// its domain, as old systems list a failed recipient ("Receiver not found:
// 71234.567", "bob (user not found)"); "" when none does.
func localBlock(own, addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return ""
	}
	local := strings.ToLower(addr[:at])
	lines := strings.Split(own, "\n")
	for i, l := range lines {
		ll := strings.ToLower(l)
		j := strings.Index(ll, local)
		if j < 0 {
			continue
		}
		before, after := byte(' '), byte(' ')
		if j > 0 {
			before = ll[j-1]
		}
		if e := j + len(local); e < len(ll) {
			after = ll[e]
		}
		if strings.IndexByte(" \t:<(\"'", before) >= 0 && strings.IndexByte(" \t>)\"',.;\r", after) >= 0 {
			return block(lines, i)
		}
	}
	return ""
}

// challengeWords are the wordings of challenge-response and whitelist
// filters (Boxbe, SpamArrest, "please confirm you are human") that hold a
// message until its sender proves to be a person.
var challengeWords = smtpreply.NewMatcher(`(?:confirm|verify|prove) (?:that )?you(?:'re| are) (?:a )?(?:human|real|person|not a)|(?:approved|allowed|safe) senders? list|\bwhite ?list|spam ?arrest|boxbe|challenge[- ]response|sender verification (?:request|required)|awaiting (?:your )?(?:verification|confirmation|approval)|(?:click|visit) (?:the |this )?(?:link|url) .{0,80}(?:deliver|verif|confirm)|to (?:have|get) your (?:e-?mail|message) delivered`)

// listRefusal is a mailing list refusing a post: the list is the recipient.
var listRefusal = smtpreply.NewMatcher(`not (?:a )?member of (?:this|the) (?:mailing )?list|are not member|permission to post|(?:posting|posts) (?:to this list )?(?:is |are )?restricted to (?:list )?members|non-?member (?:post|submission)|only (?:list )?members (?:may|can) post`)

// hasReply reports whether text quotes an SMTP failure reply.
func hasReply(text string) bool {
	code, st := smtpreply.ParseCode(text)
	return code >= 400 || st != "" && st[0] != '2'
}

// complaint reads the complaint forms that are not RFC 5965 reports:
// Microsoft's JMRP ("complaint about message from IP", the complained
// message attached) and a mail client's unsubscribe request (RFC 8058's
// mailto: form, sent automatically). It reports whether it did.
func (p *parser) complaint(subject, ownLower string) bool {
	b := p.b
	switch {
	case strings.HasPrefix(strings.TrimSpace(subject), "complaint about message from") && p.nested != nil:
		b.Kind, b.Format, b.FeedbackType = Feedback, "jmrp", "abuse"
		addr := ""
		if e, err := message.Read(bytes.NewReader(bytes.TrimLeft(p.nested, "\r\n"))); e != nil && (err == nil || message.IsUnknownCharset(err)) {
			addr = cleanAddr(e.Header.Get("X-HmXmrOriginalRecipient"))
		}
		b.Recipients = []Recipient{{Address: addr, Action: Failed, Class: smtpreply.Class{Reason: smtpreply.Spam, Text: "feedback report: abuse"}}}
		return true
	case strings.TrimSpace(subject) == "unsubscribe" && strings.HasPrefix(p.autoSubmitted, "auto-") && strings.Contains(ownLower, "unsubscribe"):
		a, err := mail.ParseAddress(b.From)
		if err != nil {
			return false
		}
		b.Kind, b.Format, b.FeedbackType = Feedback, "unsubscribe", "opt-out"
		b.Recipients = []Recipient{{Address: a.Address, Action: Failed, Class: smtpreply.Class{Reason: smtpreply.Spam, Text: "unsubscribe request"}}}
		return true
	}
	return false
}

var autoReplySubject = rx(`^(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|out of (?:the )?office|vacation|away from|abwesenheit|auto:|autoreply|réponse automatique|absence)`)

func isDaemon(from string) bool {
	l := strings.ToLower(from)
	return strings.Contains(l, "mailer-daemon") || strings.Contains(l, "postmaster") || strings.Contains(l, "mail delivery") || strings.Contains(l, "maildelivery") || strings.Contains(l, "mail administrator") || strings.Contains(l, "post_master") || strings.Contains(l, "mail delivery subsystem")
}

// textFormat names the MTA whose wording the lower-cased text has.
func textFormat(l string) string {
	switch {
	case strings.Contains(l, "qmail-send program") || strings.Contains(l, "qmail"):
		return "qmail"
	case strings.Contains(l, "created automatically by mail delivery software"):
		return "exim"
	case strings.Contains(l, "google tried to deliver") || strings.Contains(l, "delivery to the following recipient failed"):
		return "gmail"
	case strings.Contains(l, "this is the mail system at host"):
		return "postfix"
	case strings.Contains(l, "transcript of session follows") || strings.Contains(l, "the following addresses had permanent fatal errors"):
		return "sendmail"
	case strings.Contains(l, "yahoo"):
		return "yahoo"
	case strings.Contains(l, "office 365") || strings.Contains(l, "microsoft") || strings.Contains(l, "outlook"):
		return "outlook"
	}
	return "text"
}

// asDelayed turns a class into the transient form of itself: the mail is
// still queued (RFC 3464 §2.3.3 Action: delayed).
func asDelayed(c smtpreply.Class) smtpreply.Class {
	c.Permanent = false
	c.Cause = smtpreply.CauseOf(c.Reason, false)
	return c
}

func (p *parser) finishDSN(own, whole string) {
	b := p.b
	lines := strings.Split(own, "\n")
	var fromText []Recipient
	for i := range b.Recipients {
		if b.Recipients[i].Address == "" {
			if fromText == nil {
				fromText = textRecipients(own, nil, map[string]bool{}, p.listOwn, new(bool))
			}
			if len(fromText) > 0 {
				b.Recipients[i].Address = fromText[0].Address
				fromText = fromText[1:]
			}
		}
	}
	ownLower := strings.ToLower(own)
	expired := expiredBody.MatchLower(ownLower)
	retrying := delaySignals.MatchLower(strings.ToLower(b.Subject)) || delaySignals.MatchLower(ownLower) && !permanentSig.MatchLower(ownLower)
	for i := range b.Recipients {
		r := &b.Recipients[i]
		c := smtpreply.ClassifyStatus(r.Status, dropGloss(r.Diagnostic))
		c.Text = r.Diagnostic
		if i := strings.IndexByte(r.Status, '('); i > 0 && c.Reason == smtpreply.UserUnknown && bareUnknownRE.MatchString(c.Text) {
			// The comment on the status says in words more than the
			// reply's stock "User Unknown" ("5.2.1 (mailbox disabled, not
			// accepting messages)").
			if sc := smtpreply.ClassifyStatus("", r.Status[i:]); specific(sc) {
				c.Reason = sc.Reason
			}
		} else if i > 0 && !specific(c) {
			// A comment on the status ("5.2.1 (mailbox disabled, not
			// accepting messages)") may say more than the reply.
			if sc := smtpreply.ClassifyStatus(r.Status, r.Status[i:]); specific(sc) {
				sc.Text, sc.Code = c.Text, c.Code
				c = sc
			}
		}
		blk := ""
		if at := findLine(lines, r.Address); at >= 0 {
			blk = block(lines, at)
		}
		if r.Diagnostic == "" && blk != "" {
			// No Diagnostic-Code: the human part quotes the reply, which
			// says more than a status alone.
			if t := smtpreply.ClassifyStatus(r.Status, blk); strong(t) || t.Reason == smtpreply.SystemError || t.Reason == smtpreply.RateLimited {
				c = t
			}
		}
		if !specific(c) {
			// The Diagnostic-Code says nothing specific: read what the human
			// part says about this recipient, then about the message.
			whole := whole
			if r.Diagnostic != "" && len(b.Recipients) > 1 {
				// Several recipients, this one with its own reply: what
				// the message says in general may be about another.
				whole = ""
			}
			t := classifyText(r.Status, blk, whole)
			if st := smtpreply.ClassifyStatus(r.Status, ""); c.Reason == smtpreply.Policy && specific(st) && t.Reason == st.Reason && classifyText("", blk, whole).Reason != st.Reason {
				// The reply's wording was read over its status ("550 5.1.1
				// Refused due to recipient preferences"): the status alone,
				// again, from a human part that says nothing else, does not
				// undo it.
				t = c
			}
			if specific(t) || c.Reason == smtpreply.Other && t.Reason != smtpreply.Other {
				t.Text = c.Text
				if t.Text == "" {
					t.Text = t.Status
				}
				if c.Code != 0 {
					t.Code = c.Code
				}
				c = t
			}
			if r.Diagnostic == "" && blk != "" {
				r.Diagnostic = blk
			}
		}
		if _, st := smtpreply.ParseCode(r.Diagnostic); c.Reason == smtpreply.UserUnknown && strings.HasPrefix(st, "5.7.") && !noMailbox.MatchLower(strings.ToLower(r.Diagnostic)) {
			// RFC 3463 §3.8: X.7.x is a security or policy status; the
			// "user unknown" wording under it is a filter's. A reply that
			// says the mailbox does not exist is taken at its word.
			c.Reason = smtpreply.Policy
		}
		cmd := smtpCommand(r.Diagnostic + "\n" + blk)
		if cmd == "" && len(b.Recipients) == 1 {
			cmd = smtpCommand(own)
		}
		if _, st := smtpreply.ParseCode(r.Diagnostic); cmd == "" && r.Diagnostic != "" && !strings.HasPrefix(st, "5.1.") {
			// The remote's reply, with no sign of the command it answered:
			// read as a plain-text bounce's is (byCommand), so that the
			// same reply is one class in either form.
			cmd = "unknown"
		}
		c = byCommand(c, cmd)
		if expired && r.Action != Delayed && (c.Reason == smtpreply.Network || c.Reason == smtpreply.Other || c.Reason == smtpreply.Greylisted || c.Reason == smtpreply.HostUnknown && !c.Permanent) {
			c.Reason = smtpreply.Expired
		}
		if r.Action == "" {
			// No action, or one outside RFC 3464: the status says.
			st := c.Status
			if st == "" && c.Code >= 200 {
				st = fmt.Sprintf("%d.0.0", c.Code/100)
			}
			r.Action = actionOf(st, retrying)
		}
		noMail := false
		switch r.Action {
		case Delivered, Relayed, Expanded:
			c.Reason, c.Permanent = smtpreply.Delivered, false
		case Delayed:
			// Still queued, but for a domain that publishes no mail server
			// ("No MX found for domain": smtpreply makes such an answer
			// permanent however it was coded): retrying will not change
			// that, the domain is the cause.
			noMail = c.Reason == smtpreply.HostUnknown && c.Permanent
			c = asDelayed(c)
		case Failed:
			if r.Status == "" && c.Status == "" && c.Code == 0 {
				c.Permanent = true
			}
			if !c.Permanent && c.Reason != smtpreply.Delivered {
				// RFC 3464 §2.3.3: failed means no further attempts. With a
				// 4.x.x status the server retried until its queue lifetime
				// ran out: the mail will not arrive.
				c.Permanent = true
				switch c.Reason {
				case smtpreply.Other, smtpreply.Greylisted, smtpreply.Network, smtpreply.HostUnknown:
					c.Reason = smtpreply.Expired
				}
			}
		}
		c.Cause = smtpreply.CauseOf(c.Reason, c.Permanent)
		if noMail {
			c.Cause = checks.DomainNoMail
		}
		if c.Reason == smtpreply.Delivered {
			c.Cause = ""
		}
		r.Class = c
	}
}

// glossRE is a reporting MTA's gloss of a status in its own words before
// the remote server's reply it quotes: "5.1.0 - Unknown address error
// 550-'5.7.1 <bob@example.com>... Access denied'" (Amazon SES).
var glossRE = lazy(`\b[245]\.\d{1,3}\.\d{1,3} - [^'"\n]{1,80}?\b([245]\d\d[ -]['"])`)

// dropGloss cuts the glosses (glossRE) from a text: the remote's own words,
// not the reporting MTA's reading of a status, say what went wrong.
func dropGloss(text string) string {
	if !strings.Contains(text, " - ") {
		return text
	}
	return glossRE.ReplaceAllString(text, "$1")
}

// noMailbox is a reply saying in so many words that there is no mailbox.
var noMailbox = smtpreply.NewMatcher(`no (?:such )?mailbox|mailbox (?:does not|doesn't) exist|(?:address|account|recipient|user) (?:does not|doesn't) exist|no such (?:user|recipient|account)`)

var expiredBody = smtpreply.NewMatcher(`delivery time expired|too long in (?:the )?queue|could not be delivered (?:for|within) \d|retry time(?:out)? exceeded|message expired|has been in the queue too long|retry timeout exceeded|queue lifetime|giving up on it|expired after|delivery period has expired|time limit exceeded`)

func findLine(lines []string, addr string) int {
	if addr == "" {
		return -1
	}
	a := strings.ToLower(addr)
	for i, l := range lines {
		if strings.Contains(strings.ToLower(l), a) {
			return i
		}
	}
	return -1
}

func (p *parser) finishFeedback() {
	b := p.b
	b.Kind, b.Format = Feedback, "arf"
	if v := p.feedback["feedback-type"]; len(v) > 0 {
		b.FeedbackType = strings.ToLower(v[0])
	}
	var addrs []string
	for _, k := range []string{"original-rcpt-to", "removal-recipient"} {
		for _, v := range p.feedback[k] {
			if a := cleanAddr(v); a != "" {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) > 0 {
			break
		}
	}
	if len(addrs) == 0 {
		addrs = addrRE.FindAllString(b.Original.To, -1)
	}
	if len(addrs) == 0 {
		// A report that names no recipient (redacted, "Undisclosed
		// Recipients") is still a complaint about the message.
		addrs = []string{""}
	}
	for _, a := range addrs {
		b.Recipients = append(b.Recipients, Recipient{Address: a, Action: Failed, Class: smtpreply.Class{Reason: smtpreply.Spam, Text: "feedback report: " + b.FeedbackType}})
	}
}

func orUnknown(cmd string) string {
	if cmd == "" {
		return "unknown"
	}
	return cmd
}

// maxOwn bounds the explanation a bounce gives before the returned
// message: what the text scanners and the classifier read. Bounces say
// what went wrong in their first few KB; a long message without a
// returned-message marker (an ordinary message, up to maxMessage) is not
// read to its end.
const maxOwn = 64 << 10

// clip cuts s to at most n bytes, at the end of a line when there is one.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	if i := strings.LastIndexByte(s, '\n'); i > 0 {
		s = s[:i+1]
	}
	return s
}
