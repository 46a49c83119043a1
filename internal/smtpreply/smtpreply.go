// Package smtpreply classifies SMTP replies and bounce diagnostics into
// reasons (user unknown, mailbox full, blocklisted, ...) and maps them to
// the causes of the catalog. Bounce parsing and mail-log reading share it.
package smtpreply

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"

	"github.com/whymail/whymail/checks"
)

// Reason is what a reply says went wrong, finer than a cause.
type Reason string

const (
	UserUnknown     Reason = "user-unknown"
	MailboxFull     Reason = "mailbox-full"
	HostUnknown     Reason = "host-unknown"
	Blocklisted     Reason = "blocklisted"
	AuthFailure     Reason = "auth-failure"
	Policy          Reason = "policy"
	Spam            Reason = "spam"
	TooBig          Reason = "too-big"
	RateLimited     Reason = "rate-limited"
	Expired         Reason = "expired"
	Greylisted      Reason = "greylisted"
	MailboxDisabled Reason = "mailbox-disabled"
	RelayDenied     Reason = "relay-denied"
	Network         Reason = "network"
	Other           Reason = "other"
	// SystemError: the receiving system failed (out of resources, a
	// delivery program or mail loop failed); it is worth retrying.
	SystemError Reason = "system-error"
	// SenderRejected: the receiver refused the envelope sender (MAIL FROM),
	// not the recipient: 5.1.7 / 5.1.8, "sender address rejected".
	SenderRejected Reason = "sender-rejected"
	// Delivered is a 2xx / 2.x.x reply: not a failure.
	Delivered Reason = "delivered"
)

// Class is one classified reply.
type Class struct {
	Reason    Reason
	Code      int            // SMTP basic code (550), 0 if none
	Status    string         // RFC 3463 enhanced status "5.1.1", "" if none
	Permanent bool           // 5xx / 5.x.x
	Cause     checks.CauseID // the catalog cause, "" when none applies
	List      string         // the blocklist named in the text, if any
	Text      string         // the reply text as given
}

// Temporary reports whether the reply is a transient failure (4xx / 4.x.x).
func (c Class) Temporary() bool {
	return !c.Permanent && (strings.HasPrefix(c.Status, "4.") || (c.Code >= 400 && c.Code < 500))
}

var (
	// RFC 3463 §2: class "." subject "." detail
	statusRE = regexp.MustCompile(`(?:^|[^0-9.])([245])\.([0-9]{1,3})\.([0-9]{1,3})(?:[^0-9.]|\.(?:[^0-9]|$)|$)`)
)

// ParseCode finds the SMTP basic code and RFC 3463 enhanced status in text.
// In a transcript with several replies the first failure (4xx/5xx) wins
// over earlier successes.
func ParseCode(text string) (code int, status string) {
	n := 0
	for i := 0; i < len(text) && n < 40; i++ {
		c := text[i]
		if c != '2' && c != '4' && c != '5' || i > 0 && (isDigit(text[i-1]) || text[i-1] == '.') {
			continue
		}
		if !replyContext(text, i) {
			// A number in running text ("Mailman v2.0.13", "wxPython
			// 2.3.0", "Size (in bytes): 222") is not a reply.
			continue
		}
		if st, ok := statusAt(text, i); ok {
			n++
			if status == "" || status[0] == '2' && st[0] != '2' {
				status = st
			}
			continue
		}
		// RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39, then SP or "-".
		if i+2 < len(text) && text[i+1] >= '0' && text[i+1] <= '5' && isDigit(text[i+2]) &&
			(i+3 == len(text) || text[i+3] == ' ' || text[i+3] == '-') {
			n++
			v := int(c-'0')*100 + int(text[i+1]-'0')*10 + int(text[i+2]-'0')
			if code == 0 || code < 400 && c != '2' {
				code = v
			}
		}
	}
	return code, status
}

// replyWords are the words after which a reply code or status follows in
// running text ("host said: 550", "Remote Server returned '550 5.1.1").
var replyWords = map[string]bool{
	"said": true, "says": true, "returned": true, "replied": true, "reply": true, "replies": true,
	"response": true, "responded": true, "answered": true, "was": true, "is": true, "error": true, "errors": true,
	"code": true, "status": true, "dsn": true, "smtp": true, "esmtp": true, "reason": true, "failed": true,
	"failure": true, "rejected": true, "deferred": true, "bounced": true, "diagnostic": true, "with": true,
	"permanent": true, "temporary": true, "message": true, "server": true, "text": true, "details": true,
	"problem": true, "result": true, "out": true, "remote": true, "host": true, "info": true, "explanation": true, "x-postfix": true, "x-notes": true,
}

// replyContext reports whether a code or status at text[i] stands where a
// DSN field, an SMTP reply or a diagnostic puts one: at the start of the
// text or of a line, after punctuation that opens or separates a reply
// (";", "#", "(", "[", quotes, ">>>"), after another reply code ("550
// 5.1.1", "550-'5.7.1"), or after a word that introduces a reply ("said:",
// "returned", "error"). A number after any other word, or stuck to a
// letter ("v2.0.13"), is part of the prose.
func replyContext(text string, i int) bool {
	j := i
	for j > 0 && strings.IndexByte(" \t-'\"`<>=(*", text[j-1]) >= 0 {
		j--
	}
	if j == 0 {
		return true
	}
	switch p := text[j-1]; {
	case p == '\n' || p == '\r' || p == ';' || p == '#' || p == '[' || p == ']' || p == ')' || p == ',' || p == '|' || p == '{':
		return true
	case p == '.' || p == '!' || p == '?':
		// The end of a sentence (". 550"), not a dotted number.
		return j < i
	case p == ':':
		// "said: 550", "]: 550", "<bob@example.com>: 550"; not "Size: 222".
		k := j - 1
		for k > 0 && (text[k-1] == ' ' || text[k-1] == '\t') {
			k--
		}
		if k == 0 {
			return true
		}
		if q := text[k-1]; q == ']' || q == '>' || q == ')' && k >= 2 && text[k-2] == ']' || q == '\'' || q == '"' {
			return true
		}
		if n := k; isDigit(text[k-1]) {
			// "550: 5.1.1"
			for n > 0 && isDigit(text[n-1]) {
				n--
			}
			return k-n == 3
		}
		return replyWordBefore(text, k)
	case isDigit(p):
		// After a basic reply code: "550 5.1.1", "550-5.7.1".
		k := j
		for k > 0 && isDigit(text[k-1]) {
			k--
		}
		return j-k == 3 && j < i && (k == 0 || !isDigit(text[k-1]) && text[k-1] != '.')
	case p >= 0x80:
		// Other scripts: no word list to go by.
		return true
	}
	return j < i && replyWordBefore(text, j)
}

// replyWordBefore reports whether the word ending at text[:end] introduces
// a reply.
func replyWordBefore(text string, end int) bool {
	k := end
	for k > 0 && (isDigit(text[k-1]) || text[k-1] >= 'a' && text[k-1] <= 'z' || text[k-1] >= 'A' && text[k-1] <= 'Z' || text[k-1] == '-' || text[k-1] == '_') {
		k--
	}
	if k == end {
		return false
	}
	w := strings.ToLower(text[k:end])
	if replyWords[w] {
		return true
	}
	// A header-style label: "Diagnostic-Code", "X-Postfix-Status".
	return strings.HasSuffix(w, "-code") || strings.HasSuffix(w, "_code") || strings.HasSuffix(w, "-status")
}

// statusAt reads an RFC 3463 §2 status ("5.1.1", class "." subject "."
// detail, each 1-3 digits) at text[i:].
func statusAt(text string, i int) (string, bool) {
	j := i + 1
	if j >= len(text) || text[j] != '.' {
		return "", false
	}
	digits := func(k int) int {
		e := k
		for e < len(text) && e-k < 4 && isDigit(text[e]) {
			e++
		}
		if e == k || e-k > 3 {
			return -1
		}
		return e
	}
	k := digits(j + 1)
	// RFC 3463 §3 defines subjects 0 to 7: "2.753.1" is a version.
	if k != j+2 || text[j+1] > '7' || k >= len(text) || text[k] != '.' {
		return "", false
	}
	e := digits(k + 1)
	if e < 0 {
		return "", false
	}
	// Not part of a longer dotted number (an IP address, a version).
	if e < len(text) && (isDigit(text[e]) || text[e] == '.' && e+1 < len(text) && isDigit(text[e+1])) {
		return "", false
	}
	return text[i:e], true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Classify classifies a reply whose code and enhanced status, if any, are in
// the text itself ("550 5.1.1 <a@b>: Recipient address rejected").
func Classify(text string) Class {
	code, status := ParseCode(text)
	return classify(code, status, text)
}

// ClassifyStatus classifies a reply whose enhanced status is known
// separately (a DSN's Status: field, Postfix's dsn=); status may be "".
func ClassifyStatus(status, text string) Class {
	code, st := ParseCode(text)
	if s := normStatus(status); s != "" {
		st = s
	}
	return classify(code, st, text)
}

func normStatus(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t("); i >= 0 {
		s = s[:i]
	}
	if m := statusRE.FindStringSubmatch(s); m != nil {
		return m[1] + "." + m[2] + "." + m[3]
	}
	return ""
}

type rule struct {
	reason Reason
	re     *Matcher
}

func (r *rule) match(lower string) bool { return r.re.MatchLower(lower) }

// Matcher is a case-insensitive alternation of wordings, matched against
// lower-cased text. Go's regexp walks a long alternation slowly (and (?i)
// more slowly still), so the pattern is split into its top-level branches,
// and a branch runs only when one of the literals it requires occurs in
// the text (strings.Contains is cheap).
type Matcher struct {
	pattern  string
	once     sync.Once
	re       *regexp.Regexp
	branches []branch
}

// NewMatcher returns a matcher of a pattern written in lower case. It is
// compiled on first use (it panics then if it does not compile): the
// package's rules took milliseconds to compile at start-up, paid by every
// whymail process.
func NewMatcher(pattern string) *Matcher { return &Matcher{pattern: pattern} }

// rx compiles a rule; rules are matched against the lower-cased text,
// which is much faster than (?i) over a long alternation.
func rx(s string) *Matcher { return NewMatcher(s) }

// String returns the pattern.
func (m *Matcher) String() string { return m.pattern }

// MatchLower reports whether lower, a lower-cased text, holds a match.
func (m *Matcher) MatchLower(lower string) bool {
	m.once.Do(m.prepare)
	for _, b := range m.branches {
		if b.needles != nil {
			found := false
			for _, n := range b.needles {
				if strings.Contains(lower, n) {
					found = true
					break
				}
			}
			if !found {
				continue
			}
		}
		if b.re.MatchString(lower) {
			return true
		}
	}
	return false
}

type branch struct {
	re      *regexp.Regexp
	needles []string // nil: always run
}

// prepare splits the pattern into branches and finds their literals.
func (r *Matcher) prepare() {
	r.re = regexp.MustCompile(r.pattern)
	re, err := syntax.Parse(r.pattern, syntax.Perl)
	if err != nil {
		r.branches = []branch{{re: r.re}}
		return
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpAlternate {
		subs = re.Sub
	}
	for _, sub := range subs {
		bre, err := regexp.Compile(sub.String())
		if err != nil {
			r.branches = []branch{{re: r.re}}
			return
		}
		r.branches = append(r.branches, branch{re: bre, needles: needlesOf(sub)})
	}
}

// needlesOf returns strings at least one of which occurs in every match
// of re, or nil when there is no such set of useful (2+ byte) literals.
func needlesOf(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 || len(string(re.Rune)) < 2 {
			return nil
		}
		return []string{string(re.Rune)}
	case syntax.OpCapture, syntax.OpPlus:
		return needlesOf(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return needlesOf(re.Sub[0])
		}
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			n := needlesOf(sub)
			if n == nil {
				return nil
			}
			all = append(all, n...)
		}
		return all
	case syntax.OpConcat:
		// The child whose shortest needle is longest, with adjacent
		// literals joined.
		var best []string
		score := func(ns []string) int {
			m := -1
			for _, n := range ns {
				if m < 0 || len(n) < m {
					m = len(n)
				}
			}
			return m
		}
		run := ""
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral && sub.Flags&syntax.FoldCase == 0 {
				run += string(sub.Rune)
				if len(run) >= 2 && len(run) > score(best) {
					best = []string{run}
				}
				continue
			}
			run = ""
			if n := needlesOf(sub); n != nil && score(n) > score(best) {
				best = n
			}
		}
		return best
	}
	return nil
}

// firstRules are unambiguous wordings tried before everything else.
var firstRules = []*rule{
	{reason: UserUnknown, re: rx(`recipientnotfound|not found by smtp address lookup|not listed in (?:the )?(?:public |domino )?(?:name|address|directory)|recipient name is not recognized|no valid recipients|does ?n[o']t have an? (?:[^ ]+ )?account|invalid final delivery userid|destinataire invalide|invalid recipient`)},
	{reason: MailboxDisabled, re: rx(`temporar(?:y|ily) locked|disabled recipient`)},
	{reason: SystemError, re: rx(`procmail: |pipe to \||mailer error|\bon hold\b`)},
	{reason: Spam, re: rx(`spam classification|classified as spam|detected as spam|identified as spam|rejected as spam|spam detected|looks like spam`)},
	{reason: RateLimited, re: rx(`frequency limited|too many connections|connection (?:rate )?limit`)},
	{reason: UserUnknown, re: rx(`not our (?:user|customer)|recipient address rejected: access denied|recipient address rejected\.?\s*$`)},
	{reason: HostUnknown, re: rx(`do(?:es)?n[o']t receive e?mail|does not receive e?mail|null mx`)},
	// The receiver could not look up the sending IP's name: its check of
	// the sender, not a DNS failure on the way to it.
	{reason: AuthFailure, re: rx(`ip name lookup failed`)},
	{reason: Network, re: rx(`dns error|host name lookup failure|name lookup fail|no relevant answers`)},
	// Content, not the sending host: a link on a URI blocklist, a
	// malformed or non-conforming message, content rules.
	{reason: Spam, re: rx(`\buribl\b|\bsurbl\b|blacklisted (?:url|link|domain in)|(?:url|link|domain) (?:in (?:the )?message )?(?:is )?(?:black|block)listed|spamassassin|spam ?score|unacceptable content|(?:rejected|refused|blocked|declined) (?:due to|because of|for) (?:its |the |message |suspicious |prohibited )?content|content (?:policy|violation|restriction|check|rule)|message content (?:rejected|refused|not accepted)|contains? (?:a )?(?:virus|malware|prohibited|forbidden|banned)`)},
	{reason: Policy, re: rx(`policy violation|not (?:a )?member of (?:this|the) (?:mailing )?list|non-?member (?:post|submission)|only (?:list )?members (?:may|can) post|duplicate header|not (?:rfc ?(?:5322|2822|822) )?compliant|malformed (?:header|message)|recipient(?:'s)? preferences|not accepting (?:e-?mail|mail|messages) from|(?:\ban address that has been |e-?mail address (?:is |has been )?|sender (?:address )?(?:is |has been )?|recipient (?:address )?(?:is |has been )?)(?:black|block)listed`)},
}

// textRules are tried in order before the enhanced status: the wording of
// a reply is usually more specific than its code (a 5.7.1 that says
// "blocked using zen.spamhaus.org" is a blocklisting).
var textRules = []*rule{
	{reason: Blocklisted, re: rx(`blocked using |blocked for spam|my name was rejected|invalid ip|service refus|host blocked|source bloqu|smtp server of your isp|dynamic ip|dial-?up|residential|dynamically assigned|user complaints|unexpected volume|weren't sent|banned sending ip|request removal from|client host rejected|may not be mail exchanger|\(bl\)|ip address (?:is |has been )?(?:blocked|banned|black)|poor reputation|bad reputation|spamhaus|(?:is |are |been |was |ip |address )listed (?:at|on|in|by) |\bdnsbl\b|\brbl\b|blacklist|blocklist|block list|black list|spamcop|barracudacentral|sorbs\.net|uceprotect|\bis on a blocklist|reputation`)},
	{reason: AuthFailure, re: rx(`unverif(?:y|i)able sending ip|ip name lookup failed|mismatches client ip|no ptr|ptr record|rdns|reverse (?:dns|lookup)|cannot find your hostname|hostname (?:does not|doesn't) match|client host .* unknown|\bdmarc\b|\bspf\b|\bdkim\b|sender policy framework|domainkeys|not authenticated|unauthenticated (?:email|mail|message)|authentication (?:failed|failure|check)|fails? authentication|5\.7\.2[5-7]\b|reverse dns|\bptr record`)},
	{reason: Greylisted, re: rx(`grey ?list|gray ?list|greylisting|please try again later|try again later|temporarily (?:deferred|rejected)|deferred for`)},
	{reason: RateLimited, re: rx(`receiving mail at a rate|rate limit|rate-limit|ratelimit|too many (?:messages|connections|recipients|emails|mails|concurrent)|sending rate|try again in|throttl|exceeded (?:the )?(?:message |connection |sending )?(?:rate|limit)|unusual rate`)},
	{reason: MailboxFull, re: rx(`mailbox (?:is )?full|over ?quota|quota (?:exceeded|full)|exceeded (?:the |its |their )?(?:storage|quota)|insufficient (?:disk )?(?:space|storage)|mailbox size limit|out of storage|disk full|full mailbox|mailbox has exceeded|mailbox exceeded|mail ?folder is full|mailbox exceeds|exceeds allowed size|storage (?:space|allocation) exceeded|\bquota\b`)},
	{reason: SenderRejected, re: rx(`sender address rejected|domain of sender address|sender (?:address |domain )?(?:is )?(?:rejected|refused|denied|invalid|unknown|not (?:allowed|accepted))|sender verif(?:y|ication) fail|bad sender|invalid sender|unverified sender|sender domain (?:must|does not|not found|unknown)|from address (?:rejected|not allowed)|envelope sender|mail from (?:rejected|refused)`)},
	{reason: MailboxDisabled, re: rx(`(?:account|mailbox|address|user) has been (?:disabled|suspended|deactivated|discontinued|closed|terminated|expired|locked|frozen)|mailbox (?:is )?(?:disabled|inactive|suspended|frozen|locked)|account (?:is )?(?:disabled|inactive|suspended|deactivated|blocked|locked|expired)|(?:disabled|suspended|inactive|deactivated) (?:account|mailbox|user)|user (?:account )?(?:is )?(?:disabled|suspended|inactive)|no longer (?:active|in use)`)},
	// The Exim router failures (lowest numbered MX ..., can't route by DNS)
	// say the recipient domain's MX cannot be used: no mail reaches it.
	{reason: HostUnknown, re: rx(`unrou?teable (?:mail )?(?:address|domain)|(?:could ?n[o']t|could not|unable to) find (?:a |any )?mail exchanger|do(?:es)?n[o']t receive e?mail|does not receive e?mail|indicated no smtp service|domain is not reachable|host (?:or domain name )?not found|host unknown|unknown host|domain (?:not found|does not exist|name not found)|no such domain|name service error|nxdomain|no mx|mx (?:record )?(?:not found|lookup failed)|unrouteable mail domain|domain of .* does not exist|domain has no mail|null mx|does not accept mail|name or service not known|lowest numbered mx record points to local host|all relevant mx records point to non-existent hosts|all host address lookups failed permanently|can't route by dns|\bhost [a-z0-9-]+(?:\.[a-z0-9-]+)+ not found|(?:^|[\s<(])(?:[a-z0-9-]+\.){2,}[a-z]{2,}>? does not exist`)},
	{reason: UserUnknown, re: rx(`check if address is correct|user unknown|unknown user|no such (?:user|mailbox|recipient|account|address)|does not exist|doesn't exist|does ?n[o']t have an? (?:[^ ]+ )?account|invalid final delivery userid|destinataire invalide|unknown (?:recipient|mailbox|address|local[- ]part)|invalid (?:recipient|mailbox|address|user)|address (?:unknown|not found)|mailbox (?:not found|unavailable|does not|unknown)|user (?:not found|doesn't|does not)|not a valid (?:mailbox|user|recipient)|recipient not found|(?:receiver|addressee) not found|no mailbox|not our customer|addressee unknown|account (?:does not exist|not found)|no account|bad destination mailbox|user not local|email account that you tried to reach does not exist`)},
	{reason: Expired, re: rx(`was aborted after \d|envelope expired|too long in (?:the )?queue|retry time(?:out)? (?:not reached|exceeded)|message expired|expired after|delivery time expired|\btimed? ?out.*queue|queue lifetime|failing for a long time|could not deliver for the last|delivery failed \d+ attempts|after multiple retries|delivery period has expired|in the queue too long|(?:delivered|undeliverable|deliver it) for too long|maximum (?:retry|queue)|retry limit`)},
	{reason: SystemError, re: rx(`hop count exceeded|routing loop|mail loop|loops back|too many hops|insufficient system (?:resources|storage)|system resources|pipe to \||procmail|child status|mailer error|local delivery failed|service (?:currently |temporarily )?unavailable|temporary (?:failure|error|problem)|upstream error|internal (?:server )?error|system error|server error|resources temporarily|mail system problem|out of memory`)},
	{reason: TooBig, re: rx(`message (?:size|length) exceeds|too (?:big|large)|exceeds? (?:the )?(?:maximum|size|fixed)|size limit|message size|maximum (?:allowed )?(?:message )?size|too long`)},
	{reason: RelayDenied, re: rx(`relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited)|not permitted to relay|unable to relay|we do not relay|relay not permitted|no relaying|not allowed to relay`)},
	{reason: Spam, re: rx(`\bspam\b|junk mail|bulk mail|unsolicited|content (?:rejected|filter)|message (?:rejected|refused) (?:as|due to)|virus|malware|phishing|suspicious|looks like spam|\buce\b`)},
	{reason: Network, re: rx(`no route to host|name server reply|did not accept our requests to connect|host not reachable|not reachable|connection (?:refused|timed out|reset|closed|lost)|timed out|timeout|network is unreachable|could not connect|unable to connect|lost connection|conversation with .* timed out|tls (?:handshake|negotiation)|certificate|starttls|(?:does not|doesn't) support tls|tls (?:is )?required`)},
	{reason: Policy, re: rx(`policy|not allowed|not permitted|refused|denied|prohibited|rejected|blocked|administrative prohibition`)},
}

var allRules = append(firstRules[:len(firstRules):len(firstRules)], textRules...)

// policyRule is the generic refusal wording, tried only after the status.
var policyRule = textRules[len(textRules)-1]

// statusReason maps RFC 3463 enhanced status codes to reasons (§3.1-3.8 and
// the IANA registry additions of RFC 7372 and RFC 7505).
func statusReason(status string) Reason {
	switch status[2:] {
	case "1.1", "1.0", "1.6":
		return UserUnknown
	case "1.2", "1.10", "3.2":
		// RFC 7505 §4.2: 5.1.10 is a null MX; X.3.2 a system not accepting mail.
		return HostUnknown
	case "7.13":
		return MailboxDisabled
	case "3.0", "3.5":
		return SystemError
	case "1.3":
		return UserUnknown
	case "1.7", "1.8":
		return SenderRejected
	case "7.27":
		return AuthFailure
	case "2.1":
		return MailboxDisabled
	case "2.2":
		return MailboxFull
	case "2.3", "3.4":
		return TooBig
	case "4.7":
		return Expired
	case "4.1":
		if status[0] == '5' {
			// Exchange Online's 5.4.1 "Recipient address rejected: Access denied".
			return Policy
		}
		return Network
	case "4.4":
		// RFC 3463 §3.5 X.4.4: unable to route (no MX, no address).
		return HostUnknown
	case "4.0", "4.2", "4.3", "4.6":
		return Network
	case "7.25", "7.26", "7.20", "7.21", "7.22", "7.23", "7.24", "7.5", "7.7", "7.30":
		return AuthFailure
	case "7.28":
		return RateLimited
	case "7.1", "7.0", "7.2", "7.3":
		return Policy
	case "7.8", "7.9", "7.10", "7.11":
		// RFC 4954 §6: SMTP AUTH of the client, not the sender domain.
		return Policy
	}
	switch status[2] {
	case '1':
		return UserUnknown
	case '7', '6', '5':
		return Policy
	}
	return Other
}

// CauseOf maps a reason to the catalog cause it stands for. Temporary
// failures of any reason are `delayed`: the mail is still queued.
func CauseOf(r Reason, permanent bool) checks.CauseID {
	switch r {
	case Delivered:
		return ""
	case UserUnknown, MailboxDisabled:
		return checks.MailboxUnknown
	case MailboxFull:
		return checks.MailboxFull
	case HostUnknown:
		// A permanent answer, or one that the domain takes no mail (a
		// null MX, RFC 7505), however it was coded.
		if permanent {
			return checks.DomainNoMail
		}
	case Blocklisted:
		return checks.SenderBlocklisted
	case AuthFailure:
		return checks.SenderAuth
	case Policy, Spam, TooBig, RelayDenied, SenderRejected:
		if permanent {
			return checks.RejectedByRecipient
		}
	case Greylisted, Expired, RateLimited, Network, SystemError:
		return checks.Delayed
	}
	if !permanent {
		return checks.Delayed
	}
	return checks.RejectedByRecipient
}

func classify(code int, status, text string) Class {
	c := Class{Code: code, Status: status, Text: text}
	switch {
	case status != "":
		c.Permanent = status[0] == '5'
	case code != 0:
		c.Permanent = code >= 500
	}
	if status != "" && status[0] == '2' || status == "" && code >= 200 && code < 300 {
		c.Reason = Delivered
		return c
	}
	lower := strings.ToLower(text)
	for _, r := range allRules {
		if r == policyRule {
			break
		}
		if r.match(lower) {
			c.Reason = r.reason
			break
		}
	}
	if c.Reason == "" && status != "" {
		c.Reason = statusReason(status)
	}
	if c.Reason == "" || c.Reason == Other {
		if textRules[len(textRules)-1].match(lower) {
			c.Reason = Policy
		}
	}
	if c.Reason == "" {
		switch {
		case code == 552:
			c.Reason = TooBig
		case code == 550 || code == 553 || code == 554:
			c.Reason = Policy
		case code == 450 || code == 451:
			c.Reason = Greylisted
		case code == 421:
			c.Reason = Network
		default:
			c.Reason = Other
		}
	}
	if status == "" && code == 0 {
		// No code: the reason decides. Greylisting, rate limits and network
		// trouble are retried; the rest ends delivery.
		switch c.Reason {
		case Greylisted, RateLimited, Network:
		default:
			c.Permanent = true
		}
	}
	if c.Reason == HostUnknown && !c.Permanent && noMailRE.MatchString(text) {
		c.Permanent = true
	}
	if c.Reason == HostUnknown && tryAgainRE.MatchString(text) {
		// "Host not found, try again": a DNS failure, not an answer.
		c.Reason = Network
	}
	if c.Reason == Blocklisted {
		c.List = listName(text)
	}
	c.Cause = CauseOf(c.Reason, c.Permanent)
	return c
}

var noMailRE = regexp.MustCompile(`(?i)no mx found|do(?:es)?n[o']t receive e?mail|does not receive e?mail|null mx|does not accept mail|not accepting (?:network )?(?:messages|mail)`)

var tryAgainRE = regexp.MustCompile(`(?i)host not found, try again|temporary failure|servfail|timed? ?out|name server reply|no relevant answers`)

var listRE = regexp.MustCompile(`(?i)(?:blocked using|listed (?:at|on|in|by)|see|rbl|dnsbl)[: ]+((?:https?://)?[a-z0-9][a-z0-9.-]*\.[a-z]{2,})`)

var knownLists = []string{"zen.spamhaus.org", "sbl.spamhaus.org", "xbl.spamhaus.org", "pbl.spamhaus.org", "dbl.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org", "dnsbl.sorbs.net", "cbl.abuseat.org", "dnsbl-1.uceprotect.net", "psbl.surriel.com", "bl.mailspike.net", "spamhaus.org", "spamcop.net", "barracudacentral.org", "sorbs.net", "uceprotect.net", "abuseat.org"}

// listName returns the blocklist a reply names, if any.
func listName(text string) string {
	lower := strings.ToLower(text)
	if m := listRE.FindStringSubmatch(lower); m != nil {
		s := strings.TrimPrefix(strings.TrimPrefix(m[1], "https://"), "http://")
		s = strings.TrimPrefix(s, "www.")
		if strings.Contains(s, ".") && !strings.HasPrefix(s, "your") {
			return strings.TrimRight(s, ".")
		}
	}
	for _, l := range knownLists {
		if strings.Contains(lower, l) {
			return l
		}
	}
	return ""
}
