package bounce

import (
	"slices"
	"strings"
	"unicode"

	"github.com/whymail/whymail/internal/smtpreply"
)

// markers start the copy of the returned message in plain-text bounces.
var originalMarkers = rx(`(?m)^[ \t]*(?:-*[ \t]*(?:the )?(?:original|returned|unsent|undelivered|bounced)? ?message(?: headers?)? (?:follows|below)|-*[ \t]*(?:a )?copy of (?:the|your) (?:original )?message|-+ ?Below this line is a copy of the message|-+ ?This is a copy of the message|-+ ?Original message|-+ ?Original Message|-+ ?The header of the original message|-+ ?Returned message|-+ ?Unsent message below|-+ ?Message header follows|-+ ?original message follows|-+ ?Headers of the returned message|-+ ?This is a copy of the headers|-+ ?Your message follows|-+ ?Undelivered message follows|-+ ?The original message|Content-Type: message/rfc822|Content-Type: text/rfc822-headers|-+ ?Original message header|-+ ?\s*Original Message Header|-+ ?Bounced message|------ ?The message and )`)

var (
	addrRE = lazy(`[A-Za-z0-9!#$%&'*+/=?^_{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+`)
	// A line that is only an address, as qmail, Exim, Gmail and sendmail
	// list failed recipients ("<bob@example.com>:", "  bob@example.com").
	lineAddrRE = lazy(`^[ \t]*(?:Recipient(?: address)?:|To:|Original-Recipient:|Final-Recipient:)?[ \t]*(?:(?i:rfc-?822|smtp)[ \t]*[;:][ \t]*)?<?("?[^\s<>@"]+"?@[^\s<>@]+?)>?[ \t]*(?:\.\.\.|:)?[ \t]*(?:\([^)]*\))?[ \t]*$`)
	// "<bob@example.com>: host mx said: 550 ..." (Postfix), "<bob@example.com>... User unknown" (sendmail)
	leadAddrRE  = lazy(`^[ \t]*(?:[45]\d\d[ -](?:[45]\.\d{1,3}\.\d{1,3} )?)?<([^\s<>@]+@[^\s<>@]+)>(?::|\.\.\.| \(| -| host |\s*$)`)
	rcptBareRE  = lazy(`(?i)RCPT TO:[ \t]*([^\s<>@]+@[^\s<>@]+)`)
	startAddrRE = lazy(`^[ \t]*\*?[ \t]*(?:(?i:rfc-?822|smtp)[ \t]*[;:][ \t]*)?<?("?[^\s<>@"]+"?@[^\s<>@]+?)>?(?:[ \t]|:|\.\.\.|,|$)`)
	nameAddrRE  = lazy(`^>?[ \t]+<([^\s<>@]+@[^\s<>@]+)>`)
	rcptRE      = lazy(`(?i)(?:RCPT TO:?|recipient:?|to:|for|address(?:es)?:?|delivery to|mailbox|user)[ \t]*<([^\s<>@]+@[^\s<>@]+)>`)
)

func rx(s string) *lazyRE { return lazy(`(?i)` + s) }

// bounceWords marks a plain-text message as a bounce (rather than an
// ordinary message or an auto-reply). The matchers take lower-cased text.
var (
	bounceSubject = smtpreply.NewMatcher(`undeliver|undelivered|delivery (?:status|failure|failed|notification|problem|report)|returned mail|failure notice|mail delivery|non.?delivery|could not be delivered|returned to sender|delivery has failed|mail system error|bounce|nicht zustellbar|ne peut être|permanent (?:error|failure)|message not delivered|warning: could not send|warning: message|delayed mail|delivery delay|mail failure|failed delivery|rejected|error|notification`)
	bounceBody    = smtpreply.NewMatcher(`could not be delivered|couldn't be delivered|wasn't able to deliver|was not delivered|undeliverable|delivery (?:to the following|has failed|failed|problem)|permanent (?:error|failure)|fatal errors?|mail delivery (?:software|failed|system)|returned to you|failed permanently|following address(?:es)? failed|unable to deliver|could not deliver|not be delivered|delivery to the following|message (?:was )?(?:rejected|returned|bounced)|remote host said|said:|in reply to|non-?delivery|delivery status|has not (?:yet )?been delivered|delivery (?:is )?delayed|couldn't deliver|undelivered|will (?:continue|keep) trying|failed to deliver|not delivered|error occurred|smtp error`)
	delaySignals  = smtpreply.NewMatcher(`\(delay\)|delayed|warning: (?:could not send|message)|has not (?:yet )?been delivered|will (?:continue|keep|retry|be retried|try)|still (?:trying|being retried)|not yet been delivered|temporar(?:y|ily)|transient|will be retried|no action is required|deferred`)
	permanentSig  = smtpreply.NewMatcher(`permanent(?:ly)? (?:error|failure|fatal|failed)|failed permanently|given up|giving up|i'm not going to try again|gave up|fatal error`)
	skipLocal     = rx(`^(?:mailer-daemon|double-bounce|bounce[s]?|no-?reply|nobody)$`)
	// Role mailboxes are named in bounces as the contact ("write to
	// postmaster@..."); they are taken as the recipient only where a
	// recipient is listed, not from a passing mention.
	roleLocal = rx(`^(?:postmaster|root|abuse|hostmaster|webmaster)$`)
	// failureLine is a line that says a recipient failed ("delivery to
	// bob@example.com failed", "undeliverable to bob@example.com").
	failureLine = smtpreply.NewMatcher(`undeliverable to|(?:could not|couldn't|cannot|unable to) (?:be )?deliver(?:ed)? (?:your message |the message |mail |it )?to|deliver(?:y|ing)? (?:your mail |your message )?to .{0,80}(?:failed|failure|error|rejected|not possible)|failed (?:to deliver )?(?:to|for) [^ ]*@|error (?:delivering|sending) (?:mail |your mail )?to|(?:user|recipient|mailbox|address) (?:unknown|not found|rejected)`)
)

// cutOriginal returns the bounce's own explanation: its human-readable
// text up to the copy of the returned message. rest is what follows the
// marker.
func cutOriginal(text string) (own, rest string) {
	if loc := findMarker(text); loc != nil {
		rest = text[loc[1]:]
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			rest = rest[i+1:]
		}
		return text[:loc[0]], rest
	}
	return text, ""
}

// findMarker returns what originalMarkers.FindStringIndex(text) does, in
// time linear in the text: every marker holds "message" or "headers" (in
// any case), so the pattern runs only on the lines that hold one of them.
// A marker starts at the start of that line or, for "-----\n Original
// Message Header", on the lines of blanks and dashes just before it.
func findMarker(text string) []int {
	if strings.ContainsRune(text, '\u017f') {
		// ſ folds to s under (?i): leave such text to the pattern itself.
		return originalMarkers.FindStringIndex(text)
	}
	lower := asciiLower(text)
	for pos := 0; pos < len(text); {
		n := indexEither(lower[pos:], "message", "headers")
		if n < 0 {
			return nil
		}
		n += pos
		from := strings.LastIndexByte(text[:n], '\n') + 1
		for from > 0 {
			prev := strings.LastIndexByte(text[:from-1], '\n') + 1
			if strings.Trim(text[prev:from-1], " \t\r\f-") != "" {
				break
			}
			from = prev
		}
		to := len(text)
		if i := strings.IndexByte(text[n:], '\n'); i >= 0 {
			to = n + i
		}
		if loc := originalMarkers.FindStringIndex(text[from:to]); loc != nil {
			return []int{from + loc[0], from + loc[1]}
		}
		pos = to
	}
	return nil
}

// asciiLower lower-cases the ASCII letters of s, keeping every byte offset.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// indexEither returns the first index of a or b in s, -1 if neither occurs.
func indexEither(s, a, b string) int {
	i := strings.Index(s, a)
	lim := s
	if i >= 0 {
		lim = s[:min(len(s), i+len(b)-1)]
	}
	if j := strings.Index(lim, b); j >= 0 && (i < 0 || j < i) {
		return j
	}
	return i
}

// textRecipients finds the failed recipients of a plain-text bounce, in
// order of appearance, with the block of text that explains each.
//
// When the text names only the sender's own addresses, those come back and
// *self is set: the caller prefers the returned message's recipients.
//
// A returned list post's addresses that are the list's own (listOwn, and
// those of the list header fields the text quotes) are left out unless
// X-Failed-Recipients names them or a line that says the delivery failed
// names them alone; the returned message's To or Cc, quoted in the text,
// is taken only when nothing else is listed.
func textRecipients(own string, failed []string, exclude, listOwn map[string]bool, self *bool) []Recipient {
	lines := strings.Split(own, "\n")
	type hit struct {
		addr   string
		line   int
		quoted bool // named only on a To/Cc line quoting the returned message
	}
	// How an address was found: listed, quoted in a To/Cc line, or on a
	// line that says its delivery failed.
	const (
		listed = iota
		quoted
		tied
	)
	// The list's own addresses: those of the returned message and those
	// of the list header fields quoted in the text.
	lists := map[string]bool{}
	for a := range listOwn {
		lists[a] = true
	}
	for _, l := range lines {
		if strings.IndexByte(l, '@') >= 0 && listHeaderRE.MatchString(l) {
			for _, a := range listLineAddrs(l) {
				lists[a] = true
			}
		}
	}
	var tiers [3][]hit
	seen := [3]map[string]int{{}, {}, {}}
	add := func(t int, a string, i int, how int) {
		a = stripAddrType(strings.Trim(a, `'<>.,;:()[] `))
		a = cutScript(a)
		a = strings.Trim(a, `'<>.,;:()[] `)
		if strings.Count(a, `"`) == 1 || strings.HasPrefix(a, `"`) && strings.HasSuffix(a, `"`) && strings.Count(a, `"`) == 2 {
			a = strings.Trim(a, `"`)
		}
		k := strings.ToLower(a)
		at := strings.LastIndexByte(k, '@')
		if at <= 0 || t == 2 && exclude[k] || strings.ContainsAny(k, "/|=") || skipLocal.MatchString(k[:at]) || t == 2 && roleLocal.MatchString(k[:at]) || !strings.Contains(k[at:], ".") {
			return
		}
		if lists[k] && t != 1 && how != tied && !(t == 0 && how == listed && i >= 0 && replyOf(block(lines, i)) != "") {
			// The list's own address, not listed with a reply that refused
			// it nor on a line that says its delivery failed.
			return
		}
		if j, ok := seen[t][k]; ok {
			if how != quoted {
				tiers[t][j].quoted = false
			}
			return
		}
		seen[t][k] = len(tiers[t])
		tiers[t] = append(tiers[t], hit{a, i, how == quoted})
	}
	for _, a := range failed {
		at := findLine(lines, a)
		if at < 0 {
			at = findLine(lines, a[:max(strings.LastIndexByte(a, '@'), 0)])
		}
		add(1, a, at, listed)
	}
	for i, l := range lines {
		if strings.IndexByte(l, '@') < 0 {
			// Every pattern below needs an @.
			continue
		}
		l = strings.TrimRight(l, "\r")
		ll := strings.ToLower(l)
		if strings.Contains(ll, "message-id") || strings.Contains(ll, "mail from") || strings.Contains(ll, "envelope-from") || strings.Contains(ll, "return-path") || strings.HasPrefix(strings.TrimSpace(ll), "from:") || listHeaderRE.MatchString(l) {
			continue
		}
		promote := failureLine.MatchLower(ll) || listRefusal.MatchLower(ll)
		how := listed
		if quotedHeaderRE.MatchString(l) && !promote && replyOf(l) == "" {
			how = quoted
		}
		if m := lineAddrRE.FindStringSubmatch(l); m != nil {
			add(0, m[1], i, how)
			continue
		}
		if m := leadAddrRE.FindStringSubmatch(l); m != nil {
			add(0, m[1], i, how)
			continue
		}
		if m := startAddrRE.FindStringSubmatchIndex(l); m != nil {
			a := l[m[2]:m[3]]
			if n := nameAddrRE.FindStringSubmatch(l[m[3]:]); n != nil {
				// "bob@example.com <bob@example.net>: ...": a display name
				// that looks like an address, then the address.
				a = n[1]
			}
			add(0, a, i, how)
			continue
		}
		for _, m := range rcptRE.FindAllStringSubmatch(l, -1) {
			add(0, m[1], i, how)
		}
		if m := rcptBareRE.FindStringSubmatch(l); m != nil {
			add(0, m[1], i, how)
		}
		all := addrRE.FindAllString(l, -1)
		// A failure line that names a member and its list ("delivery to
		// bob@example.org (news@lists.example.org) failed") ties the
		// failure to the member.
		member := false
		for _, m := range all {
			if k := strings.ToLower(m); !lists[k] && !exclude[k] {
				member = true
			}
		}
		for _, m := range all {
			k := strings.ToLower(m)
			add(2, m, i, how)
			if promote && !exclude[k] && !(member && lists[k]) {
				// Named on a line that says it failed: a recipient, besides
				// any other listed.
				add(0, m, i, tied)
			}
		}
	}
	// The sender's own address often appears in the text ("Your message to
	// ... from <sender>"): drop it from the listed addresses unless it is
	// all there is (a bounce of mail to oneself).
	var kept, dropped []hit
	for _, h := range tiers[0] {
		if !exclude[strings.ToLower(h.addr)] {
			kept = append(kept, h)
		} else {
			dropped = append(dropped, h)
		}
	}
	tiers[0] = kept
	// The failed recipients listed in the text and in X-Failed-Recipients
	// together: a bounce for two recipients may list one of them in each.
	for _, h := range tiers[1] {
		k := strings.ToLower(h.addr)
		if _, ok := seen[0][k]; ok {
			// Quoted in a To line and named in X-Failed-Recipients.
			for n := range tiers[0] {
				if strings.EqualFold(tiers[0][n].addr, h.addr) {
					tiers[0][n].quoted = false
				}
			}
			continue
		}
		seen[0][k] = len(tiers[0])
		tiers[0] = append(tiers[0], h)
	}
	// The returned message's To or Cc, quoted in the text, is where it
	// was addressed: an address the text lists otherwise is where it
	// failed (the member of a list, the target of an alias). A role
	// mailbox listed alone is more likely the contact for help.
	if slices.ContainsFunc(tiers[0], func(h hit) bool {
		at := strings.LastIndexByte(h.addr, '@')
		return !h.quoted && !roleLocal.MatchString(h.addr[:at])
	}) {
		tiers[0] = slices.DeleteFunc(tiers[0], func(h hit) bool { return h.quoted })
	}
	var hits []hit
	for _, t := range [][]hit{tiers[0], tiers[2]} {
		if len(t) > 0 {
			hits = t
			break
		}
	}
	if len(hits) == 0 {
		// Only the sender's own addresses. Listed with the reply that
		// refused them, they are the recipients (mail to oneself);
		// otherwise (a greeting, "sent by") the returned message's
		// recipients come first (finish), then these.
		hits = dropped
		*self = true
		for _, h := range dropped {
			if blk := block(lines, h.line); replyOf(blk) != "" {
				*self = false
			}
		}
	}
	var out []Recipient
	for _, h := range hits {
		r := Recipient{Address: h.addr}
		if h.line >= 0 {
			r.Diagnostic = block(lines, h.line)
		}
		out = append(out, r)
	}
	return out
}

// cutScript cuts an address where the text runs on into a script that
// does not write spaces ("kijitora@example.jp您好"): CJK letters and
// punctuation end an ASCII domain.
func cutScript(a string) string {
	at := strings.LastIndexByte(a, '@')
	if at < 0 {
		return a
	}
	for i, r := range a[at:] {
		if r >= 0x2E80 && (unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) || r >= 0x3000 && r <= 0x303F || r >= 0xFF00 && r <= 0xFFEF) {
			if asciiDomain(a[at+1 : at+i]) {
				return a[:at+i]
			}
			return a
		}
	}
	return a
}

func asciiDomain(d string) bool {
	for i := 0; i < len(d); i++ {
		if d[i] >= 0x80 {
			return false
		}
	}
	return strings.Contains(d, ".")
}

// block returns the explanation that follows a recipient's line: the line
// itself and the lines after it up to a blank line (skipping blank lines
// right after the address) or the next recipient.
func block(lines []string, at int) string {
	var b []string
	first := strings.TrimSpace(lines[at])
	if !lineAddrRE.MatchString(lines[at]) {
		b = append(b, first)
	}
	blank := 0
	for i := at + 1; i < len(lines) && i < at+14; i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			if len(b) > 0 {
				break
			}
			blank++
			if blank > 2 {
				break
			}
			continue
		}
		if m := lineAddrRE.FindStringSubmatch(lines[i]); m != nil && !strings.Contains(strings.ToLower(first), strings.ToLower(strings.Trim(m[1], `"`))) {
			break
		}
		if m := leadAddrRE.FindStringSubmatch(lines[i]); m != nil && !strings.Contains(strings.ToLower(first), strings.ToLower(m[1])) {
			break
		}
		if m := startAddrRE.FindStringSubmatch(lines[i]); m != nil && !strings.Contains(strings.ToLower(first), strings.ToLower(strings.Trim(m[1], `"`))) {
			break
		}
		b = append(b, l)
	}
	return strings.Join(b, " ")
}

// replyRE finds the remote server's reply in bounce text: an SMTP reply
// code, after "said:" or the like when there is one.
var (
	replyRE    = rx(`(?:said|returned(?: was)?|replied|reply(?: was)?|response(?: was)?|error(?: was)?|reason)\W{0,3}[:\s]+([45]\d\d\b.*)|\b([45]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3}\b)?.*)`)
	replyEndRE = rx(`\s+(?:giving up on|i'm not going to try again|\(#[45]\.\d|-{3,}|\(in reply to ).*$`)
)

// replyLowerRE and replyEndLowerRE are replyRE and replyEndRE without (?i),
// for ASCII-lower-cased text: (?i) is slow over an alternation.
var (
	replyLowerRE    = lazy(strings.TrimPrefix(replyRE.String(), "(?i)"))
	replyEndLowerRE = lazy(strings.TrimPrefix(replyEndRE.String(), "(?i)"))
)

// replyOf returns the SMTP reply quoted in a block of bounce text, "" if none.
func replyOf(blk string) string {
	if foldsToASCII(blk) {
		m := replyRE.FindStringSubmatch(blk)
		if m == nil {
			return ""
		}
		r := m[1] + m[2]
		return strings.TrimSpace(replyEndRE.ReplaceAllString(r, ""))
	}
	// ASCII lower-casing keeps byte offsets: match the lower-cased text,
	// cut the original.
	m := replyLowerRE.FindStringSubmatchIndex(asciiLower(blk))
	if m == nil {
		return ""
	}
	var r string
	for _, g := range [][2]int{{m[2], m[3]}, {m[4], m[5]}} {
		if g[0] >= 0 {
			r += blk[g[0]:g[1]]
		}
	}
	// The end pattern runs to the end of the text: it matches at most once.
	if loc := replyEndLowerRE.FindStringIndex(asciiLower(r)); loc != nil {
		r = r[:loc[0]]
	}
	return strings.TrimSpace(r)
}

// foldsToASCII reports whether s holds a rune that (?i) matches to an
// ASCII letter: the Kelvin sign (k) or the long s (s).
func foldsToASCII(s string) bool {
	return strings.ContainsRune(s, '\u212a') || strings.ContainsRune(s, '\u017f')
}

// classifyText classifies a text-bounce recipient: its own block first,
// the whole explanation when the block says nothing specific.
func classifyText(status, blk, whole string) smtpreply.Class {
	c := smtpreply.ClassifyStatus(status, blk)
	if specific(c) {
		return c
	}
	w := smtpreply.ClassifyStatus(status, whole)
	if c.Reason == smtpreply.Other && w.Reason != smtpreply.Other || strong(w) {
		if c.Code != 0 && w.Code == 0 {
			w.Code = c.Code
		}
		if c.Status != "" {
			w.Status, w.Permanent = c.Status, c.Permanent
		}
		w.Text = c.Text
		if w.Text == "" {
			w.Text = strings.TrimSpace(whole)
		}
		return w
	}
	return c
}

func specific(c smtpreply.Class) bool {
	return c.Reason != smtpreply.Other && c.Reason != smtpreply.Policy && c.Reason != ""
}

// cmdRE finds the SMTP command a reply answered: Postfix "(in reply to RCPT
// TO command)", Exim "after RCPT TO:", sendmail's ">>> DATA" transcript.
var cmdRE = rx(`does not like (recipient)|\[(RCPT)_TO\]|(refused to talk to me|not accepting connections)|(?:smtp command\W*|did not like our |most progress was |in reply to (?:end of )?|after (?:end of )?|>>> ?|during |while sending )(RCPT TO|RCPT|MAIL FROM|MAIL|DATA|HELO|EHLO|initial connection|greeting|connect|STARTTLS|AUTH|BDAT)`)

// cmdLowerRE is cmdRE without (?i), for ASCII-lower-cased text.
var cmdLowerRE = lazy(strings.ToLower(strings.TrimPrefix(cmdRE.String(), "(?i)")))

// cmdWords are literals one of which every cmdRE match contains.
var cmdWords = []string{"does not like", "rcpt_to", "refused to talk", "not accepting connections", "smtp command", "did not like", "most progress", "in reply to", "after ", ">>>", "during ", "while sending"}

// smtpCommand returns the command ("rcpt", "mail", "data", "helo", "conn")
// the last reply in s answered, or "".
func smtpCommand(s string) string {
	fold := foldsToASCII(s)
	lower := asciiLower(s)
	if fold {
		lower = strings.ToLower(s)
	}
	hit := false
	for _, k := range cmdWords {
		if strings.Contains(lower, k) {
			hit = true
			break
		}
	}
	if !hit {
		return ""
	}
	var ms [][]string
	if fold {
		ms = cmdRE.FindAllStringSubmatch(s, -1)
	} else {
		ms = cmdLowerRE.FindAllStringSubmatch(lower, -1)
	}
	if len(ms) == 0 {
		return ""
	}
	m := ms[len(ms)-1]
	c := strings.ToLower(m[1] + m[2] + m[4])
	if m[3] != "" {
		c = "greeting"
	}
	if c == "recipient" {
		c = "rcpt"
	}
	switch {
	case strings.HasPrefix(c, "rcpt"):
		return "rcpt"
	case strings.HasPrefix(c, "mail"):
		return "mail"
	case c == "data" || c == "bdat":
		return "data"
	case c == "helo" || c == "ehlo" || c == "starttls" || c == "auth":
		return "helo"
	default:
		return "conn"
	}
}

var emptyUnknownRE = rx(`\b[45]\d\d[ :]*: user unknown`)

// kddiUnknownRE is au (KDDI)'s reply for an address it does not have:
// "550 <bob@ezweb.ne.jp>: User unknown", the address named. For mail its
// filter refused it leaves the address out (emptyUnknownRE).
var kddiUnknownRE = rx(`<[^<>@\s]+@(?:[a-z0-9-]+\.)*(?:ezweb\.ne\.jp|au\.com)>: user unknown`)

var bareUnknownRE = rx(`user unknown|unknown user|no such user|recipient not found|invalid address`)

var genericUnknownRE = rx(`user unknown|unknown user|no such user|not exist|recipient not found|invalid address|mailbox unavailable`)

// byCommand refines a class by the SMTP command the reply answered. A
// recipient refused after DATA was refused for its content (a filter),
// whatever the wording; a reply to MAIL FROM is about the sender.
func byCommand(c smtpreply.Class, cmd string) smtpreply.Class {
	if emptyUnknownRE.MatchString(c.Text) {
		// "550 : User unknown" with the address left out is how au/ezweb
		// (and gateways relaying for them) refuse mail their filter
		// blocked; the mailbox exists.
		c.Reason = smtpreply.Policy
	}
	switch cmd {
	case "data", "unknown":
		// RFC 5321 §3.3: a mailbox is accepted or refused at RCPT TO. A
		// "user unknown" given after DATA came from a content filter. In a
		// bounce that names no command ("unknown"), the bare wording
		// without an X.1.x status is what filtering gateways (McAfee,
		// MXLogic, SurfControl, docomo) answer: an MTA refusing an unknown
		// mailbox at RCPT says 5.1.1. Providers' own wordings ("doesn't
		// have a yahoo.com account") and au's addressed form
		// (kddiUnknownRE) are kept.
		re := genericUnknownRE
		if cmd == "unknown" {
			re = bareUnknownRE
		}
		if c.Reason == smtpreply.UserUnknown && !strings.HasPrefix(c.Status, "5.1.") && re.MatchString(c.Text) && !(cmd == "unknown" && kddiUnknownRE.MatchString(c.Text)) {
			c.Reason = smtpreply.Policy
		}
	case "conn", "helo":
		// Refused before the envelope: the sending host itself (RFC 5321
		// §3.1 554 greeting) - its address, name or reputation.
		switch c.Reason {
		case smtpreply.Policy, smtpreply.Other, smtpreply.MailboxFull:
			c.Reason = smtpreply.Blocklisted
		}
	case "mail":
		switch c.Reason {
		case smtpreply.UserUnknown, smtpreply.HostUnknown, smtpreply.MailboxDisabled, smtpreply.Other:
			c.Reason = smtpreply.SenderRejected
		}
	}
	c.Cause = smtpreply.CauseOf(c.Reason, c.Permanent)
	return c
}

// strong reasons are specific enough to take from the whole text of a
// bounce when the recipient's own block only says "rejected".
func strong(c smtpreply.Class) bool {
	switch c.Reason {
	case smtpreply.UserUnknown, smtpreply.MailboxFull, smtpreply.HostUnknown, smtpreply.Blocklisted, smtpreply.AuthFailure, smtpreply.MailboxDisabled, smtpreply.Expired, smtpreply.TooBig, smtpreply.Spam, smtpreply.RelayDenied:
		return true
	}
	return false
}
