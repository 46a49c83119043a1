package maillog

import (
	"strings"
	"time"
)

// Line kinds: every line read is exactly one of these.
const (
	understood = iota
	notRelevant
	unparsed
)

// maxQueues bounds the queue table: beyond it, messages not seen for
// staleLines lines are forgotten (their removal was not in the log).
const (
	maxQueues  = 1 << 16
	staleLines = 1 << 22
)

// textReader reads Postfix and Exim logs line by line.
type textReader struct {
	*fileState
	q       queueTable
	evicted int
	postfix int // lines recognised as Postfix's
	exim    int
	syslog  int // syslog lines of any program
	// zoneless is set once a timestamp without a zone was read (in zone).
	zoneless bool
	// Lines each format's reader understood: the format label counts
	// these, so one Exim-looking garbage line does not relabel a log.
	postfixRead, eximRead int
	// The year window of traditional syslog timestamps: a month after
	// the diagnosis time, eleven months before.
	late, early time.Time
	// The last timestamp read of each kind, and its text: most lines
	// share their second with the line before.
	syslogStamp, eximStamp string
	syslogTime, eximTime   time.Time
	syslogZoneless         bool
	// stampSeen is set once syslogTime has widened the time covered.
	stampSeen bool
	// The second of the RFC 3339 timestamp last parsed, in two parts
	// around its fraction, and its time (zero when none).
	secHead, secZone string
	secTime          time.Time
	eximLoc          *time.Location
	zoneName         string
	zoneLoc          *time.Location
}

// tally counts a line of a format that was understood.
func tally(n *int, kind int) int {
	if kind == understood {
		*n++
	}
	return kind
}

// formats names the formats of the lines the reader understood; when it
// understood none, the format most lines were recognised as.
func (r *textReader) formats() []string {
	var out []string
	if r.postfixRead > 0 {
		out = append(out, "postfix")
	}
	if r.eximRead > 0 {
		out = append(out, "exim")
	}
	switch {
	case len(out) > 0:
	case r.postfix > r.exim:
		out = []string{"postfix"}
	case r.exim > r.postfix:
		out = []string{"exim"}
	case r.postfix > 0:
		out = []string{"postfix", "exim"}
	default:
		out = []string{"unknown"}
	}
	return out
}

func newTextReader(fs *fileState) *textReader {
	return &textReader{fileState: fs, q: newQueueTable(),
		late: fs.at.AddDate(0, 1, 0), early: fs.at.AddDate(0, -11, 0)}
}

// line classifies and reads one line.
func (r *textReader) line(n int, s string) int {
	if strings.TrimSpace(s) == "" {
		return notRelevant
	}
	if s[0] == ' ' || s[0] == '\t' {
		// An Exim entry continued on the next line; syslog indents nothing.
		return notRelevant
	}
	if t, host, prog, msg, ok := r.syslogHeader(s); ok {
		r.seen(t)
		if t == r.syslogTime {
			r.stampSeen = true
		}
		r.syslog++
		if !isPostfix(prog) && !isExim(prog) && (prog == "" || isPostfix(host) || isExim(host) || strings.HasSuffix(host, ":")) {
			// A syslogd note, or a line whose host or ": " after the
			// program is missing: a mail system's line that cannot be read.
			return r.lost(n, t, s)
		}
		return r.lostIf(r.program(n, t, prog, msg), n, t, s)
	}
	if t, rest, ok := r.eximHeader(s); ok {
		r.seen(t)
		r.exim++
		return tally(&r.eximRead, r.lostIf(r.eximLine(n, t, rest), n, t, s))
	}
	// "host prog[pid]: msg": syslog forwarded without its timestamp.
	if host, rest, ok := strings.Cut(s, " "); ok && host != "" {
		if prog, msg, ok := strings.Cut(rest, ": "); ok && strings.HasSuffix(prog, "]") && strings.Contains(prog, "[") && !strings.Contains(prog, " ") {
			prog = prog[:strings.IndexByte(prog, '[')]
			if isPostfix(prog) || isExim(prog) {
				return r.lostIf(r.program(n, time.Time{}, prog, msg), n, time.Time{}, s)
			}
		}
	}
	r.lost(n, time.Time{}, s)
	return unparsed
}

// lost marks line n as one that names a watched address and could not be
// read: it is unreadable, and what it said about the recipient is lost. A
// line that names no watched address is merely not relevant.
func (r *textReader) lost(n int, t time.Time, s string) int {
	if !r.names(s) {
		return notRelevant
	}
	r.lostLine(n, t)
	return unparsed
}

// lostIf turns the unreadable kind of a line into a lost line when it
// names a watched address.
func (r *textReader) lostIf(kind, n int, t time.Time, s string) int {
	if kind == unparsed && r.names(s) {
		r.lostLine(n, t)
	}
	return kind
}

// program reads the message of a syslog line by the program that wrote it.
func (r *textReader) program(n int, t time.Time, prog, msg string) int {
	switch {
	case isPostfix(prog):
		r.postfix++
		return tally(&r.postfixRead, r.postfixLine(n, t, service(prog), msg))
	case isExim(prog):
		// Exim logging to syslog: its own line, with or without its date.
		r.exim++
		if et, rest, ok := r.eximHeader(msg); ok {
			r.seen(et)
			return tally(&r.eximRead, r.eximLine(n, et, rest))
		}
		return tally(&r.eximRead, r.eximLine(n, t, msg))
	}
	return notRelevant
}

func isExim(prog string) bool { return strings.HasPrefix(prog, "exim") }

// month reads a month's abbreviation ("Jan"), or 0.
func month(s string) time.Month {
	if len(s) != 3 {
		return 0
	}
	switch s {
	case "Jan":
		return 1
	case "Feb":
		return 2
	case "Mar":
		return 3
	case "Apr":
		return 4
	case "May":
		return 5
	case "Jun":
		return 6
	case "Jul":
		return 7
	case "Aug":
		return 8
	case "Sep":
		return 9
	case "Oct":
		return 10
	case "Nov":
		return 11
	case "Dec":
		return 12
	}
	return 0
}

func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// clock reads "15:04:05" with optional fractional seconds.
func clock(s string) (h, m, sec, nsec int, ok bool) {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return
	}
	var ok1, ok2, ok3 bool
	h, ok1 = digits(s[0:2])
	m, ok2 = digits(s[3:5])
	sec, ok3 = digits(s[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return 0, 0, 0, 0, false
	}
	if len(s) > 8 {
		if s[8] != '.' && s[8] != ',' {
			return 0, 0, 0, 0, false
		}
		frac := s[9:]
		f, okf := digits(frac)
		if !okf || len(frac) > 9 {
			return 0, 0, 0, 0, false
		}
		for i := len(frac); i < 9; i++ {
			f *= 10
		}
		nsec = f
	}
	return h, m, sec, nsec, true
}

// syslogHeader reads "Nov 22 10:00:01 host prog[pid]: msg" (RFC 3164,
// the year taken from the diagnosis time: a month after At's month is last year's) and
// "2026-11-22T10:00:01.123+01:00 host prog[pid]: msg" (RFC 5424 / rsyslog
// high-precision timestamps).
func (r *textReader) syslogHeader(s string) (t time.Time, host, prog, msg string, ok bool) {
	var rest string
	if len(s) > 16 && s[15] == ' ' && s[:15] == r.syslogStamp && r.syslogZoneless {
		// The second of the line before, as syslogd writes it: "Nov 22 10:00:01".
		t, rest = r.syslogTime, s[16:]
		r.zoneless = true
	} else if len(s) > 16 && s[3] == ' ' {
		// "Nov  2" as syslogd pads it, and "Nov 2" as some relays write it.
		i := 4
		for i < len(s) && s[i] == ' ' {
			i++
		}
		sp := strings.IndexByte(s[i:], ' ')
		if sp < 0 {
			return
		}
		dayEnd := i + sp
		sp = strings.IndexByte(s[dayEnd+1:], ' ')
		if sp < 0 {
			return
		}
		end := dayEnd + 1 + sp
		if s[:end] == r.syslogStamp && r.syslogZoneless {
			t = r.syslogTime
		} else {
			mon := month(s[:3])
			if mon == 0 {
				return
			}
			day, okd := digits(s[i:dayEnd])
			if !okd || day < 1 || day > 31 {
				return
			}
			h, m, sec, nsec, okc := clock(s[dayEnd+1 : end])
			if !okc {
				return
			}
			// The year is the one that puts the line nearest the diagnosis time: up to a
			// month after it (clock skew, time zones, a log read later),
			// else in the eleven months before. "Jan 1" read with the diagnosis on
			// Dec 31 is next year's, "Dec 31" with it on Jan 1 last year's.
			year := r.at.Year()
			t = time.Date(year, mon, day, h, m, sec, nsec, r.zone)
			switch {
			case t.After(r.late):
				t = time.Date(year-1, mon, day, h, m, sec, nsec, r.zone)
			case t.Before(r.early):
				t = time.Date(year+1, mon, day, h, m, sec, nsec, r.zone)
			}
			r.syslogStamp, r.syslogTime, r.syslogZoneless, r.stampSeen = strings.Clone(s[:end]), t, true, false
		}
		r.zoneless = true
		rest = s[end+1:]
	} else if len(s) > 20 && s[4] == '-' && s[10] == 'T' {
		sp := strings.IndexByte(s, ' ')
		if sp < 0 {
			return
		}
		if s[:sp] == r.syslogStamp && !r.syslogZoneless {
			t = r.syslogTime
		} else if ts, hit := r.sameSecond(s[:sp]); hit {
			t = ts
		} else {
			var err error
			t, err = time.Parse(time.RFC3339Nano, s[:sp])
			if err != nil {
				return
			}
			r.syslogStamp, r.syslogTime, r.syslogZoneless, r.stampSeen = strings.Clone(s[:sp]), t, false, false
			r.second(s[:sp], t)
		}
		rest = s[sp+1:]
	} else {
		return
	}
	sp := strings.IndexByte(rest, ' ')
	if sp <= 0 {
		return
	}
	host, rest = rest[:sp], rest[sp+1:]
	colon := strings.Index(rest, ": ")
	if colon <= 0 {
		if strings.HasSuffix(rest, ":") {
			colon = len(rest) - 1
		} else {
			return
		}
	}
	prog = rest[:colon]
	if strings.IndexByte(prog, ' ') >= 0 {
		// "last message repeated 3 times" and other syslogd notes.
		return t, host, "", rest, true
	}
	if i := strings.IndexByte(prog, '['); i >= 0 {
		prog = prog[:i]
	}
	msg = ""
	if colon+2 <= len(rest) {
		msg = rest[colon+2:]
	}
	return t, host, prog, msg, true
}

// isPostfix recognises postfix/smtp, postfix-out/qmgr, postfix/submission/smtpd.
func isPostfix(prog string) bool { return strings.HasPrefix(prog, "postfix") }

func service(prog string) string {
	if i := strings.LastIndexByte(prog, '/'); i >= 0 {
		return prog[i+1:]
	}
	return prog
}

// isQueueID recognises Postfix queue IDs: short ones are upper-case hex
// (at least 5 digits), long ones (enable_long_queue_ids) are base-52
// letters and digits with at least 10 characters.
func isQueueID(s string) bool {
	if len(s) < 5 || len(s) > maxQueueID {
		return false
	}
	// Without a branch a byte: queue IDs are random, their letters and
	// digits mixed.
	all, each := uint8(0), uint8(idChar)
	for i := 0; i < len(s); i++ {
		c := queueIDChar[s[i]]
		all |= c
		each &= c
	}
	return each&idChar != 0 && queueIDOf(len(s), all)
}

// queueIDOf reports whether n bytes of a queue ID, of the classes all,
// are one.
func queueIDOf(n int, all uint8) bool {
	if n < 5 || n > maxQueueID {
		return false
	}
	return all&idLetter == 0 || n >= 10 && all&idDigit != 0
}

// queueIDEnd returns the length of the run of queue ID bytes that s
// starts with, up to maxQueueID+1 of them, and their classes.
func queueIDEnd(s string) (n int, all uint8) {
	for n < len(s) && n <= maxQueueID {
		c := queueIDChar[s[n]]
		if c == 0 {
			break
		}
		all |= c
		n++
	}
	return n, all
}

// The classes of queueIDChar.
const (
	idChar   = 1 << iota // any byte of a queue ID
	idDigit              // 0-9
	idLetter             // a letter not an upper-case hex digit
)

var queueIDChar = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = idChar | idDigit
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = idChar
		if c > 'F' {
			t[c] |= idLetter
		}
		t[c-'A'+'a'] = idChar | idLetter
	}
	return t
}()

// field returns the value of key= in a Postfix "k=v, k=v" list, with <>
// kept off addresses; "" if absent.
func field(s, key string) string {
	i := 0
	for {
		j := strings.Index(s[i:], key)
		if j < 0 {
			return ""
		}
		j += i
		if j == 0 || s[j-1] == ' ' || s[j-1] == ',' {
			v := s[j+len(key):]
			if strings.HasPrefix(v, "<") {
				if k := strings.IndexByte(v, '>'); k >= 0 {
					return v[1:k]
				}
			}
			if k := strings.IndexAny(v, ", "); k >= 0 {
				v = v[:k]
			}
			return v
		}
		i = j + len(key)
	}
}

// parenthesised returns the text in the parentheses after status=word.
func parenthesised(s string) string {
	i := strings.IndexByte(s, '(')
	if i < 0 {
		return ""
	}
	j := strings.LastIndexByte(s, ')')
	if j < i {
		return s[i+1:]
	}
	return s[i+1 : j]
}

// postfixLine reads one Postfix message (the part after "prog[pid]: ").
func (r *textReader) postfixLine(n int, t time.Time, svc, msg string) int {
	if !r.maybe {
		return r.postfixUnnamed(n, t, msg)
	}
	colon := strings.Index(msg, ": ")
	if colon < 0 {
		return r.unlessNamed(msg, notRelevant)
	}
	id, rest := msg[:colon], msg[colon+2:]
	if id == "NOQUEUE" {
		// "NOQUEUE: reject: RCPT from host[ip]: 550 5.1.1 <x>: ...; from=<> to=<> proto=ESMTP helo=<>"
		to := field(rest, "to=")
		if !r.watch(to) {
			if readable(to) {
				return understood // another recipient's
			}
			return r.unlessNamed(rest, understood)
		}
		reply := refusalReply(rest)
		// smtpd refused a recipient in an SMTP session: mail coming in,
		// whoever sent it; from= says whether it was the app's.
		r.addEvent(-1, r.classified(Event{Time: t, Source: r.source(n), Kind: Rejected,
			Recipient: to, From: field(rest, "from="), Reply: reply, Inbound: true}, ""))
		return understood
	}
	if !isQueueID(id) {
		// connect from, disconnect from, warning:, statistics:, ...; a
		// line naming the recipient whose queue ID is garbled is lost.
		if postfixNote(id) {
			return notRelevant
		}
		return r.unlessNamed(msg, notRelevant)
	}
	q := r.get(id, n)
	switch {
	case strings.HasPrefix(rest, "to="):
		return r.postfixDelivery(n, t, id, q, rest)
	case strings.HasPrefix(rest, "reject: ") || strings.HasPrefix(rest, "milter-reject: ") || strings.HasPrefix(rest, "discard: "):
		to := field(rest, "to=")
		if !r.watch(to) {
			if readable(to) {
				return understood
			}
			return r.unlessNamed(rest, understood)
		}
		reply := refusalReply(rest)
		e := Event{Time: t, Source: r.source(n), Kind: Rejected, Recipient: to, QueueID: id, Reply: reply}
		if f := field(rest, "from="); f != "" {
			e.From = f
		}
		// smtpd and cleanup refuse mail coming in (a milter, a header or
		// body check); the app's own submission comes in too.
		e.Inbound = true
		r.addEvent(q, r.classified(e, ""))
	default:
		r.postfixQueued(n, t, id, q, rest)
	}
	_ = svc
	return understood
}

// postfixUnnamed reads a Postfix message that names no watched address
// (the prefilter said so): postfixLine, its watch and names saying no, in
// short. Before the first ": " is the queue ID; a colon before it makes
// it none, nor NOQUEUE.
func (r *textReader) postfixUnnamed(n int, t time.Time, msg string) int {
	k, all := queueIDEnd(msg)
	if k+1 >= len(msg) || msg[k] != ':' || msg[k+1] != ' ' {
		// The first ": " is after a byte no queue ID (nor NOQUEUE) holds.
		return notRelevant
	}
	id, rest := msg[:k], msg[k+2:]
	if !queueIDOf(k, all) {
		if id == "NOQUEUE" {
			return understood
		}
		return notRelevant
	}
	// Another recipient's to= or refusal is seen, and no more.
	r.postfixQueued(n, t, id, r.get(id, n), rest)
	return understood
}

// postfixQueued reads the lines of a queued message other than its
// deliveries and refusals: its Message-ID, sender, expiry and removal.
func (r *textReader) postfixQueued(n int, t time.Time, id string, q int32, rest string) {
	switch {
	case rest == "removed":
		r.remove(q)
	case strings.HasPrefix(rest, "message-id="):
		r.q.set(&r.q.recs[q].mid, strings.Trim(rest[len("message-id="):], "<>"))
	case strings.HasPrefix(rest, "from=") || strings.HasPrefix(rest, "uid="):
		if f := field(rest, "from="); f != "" || strings.HasPrefix(rest, "from=<>") {
			r.q.set(&r.q.recs[q].from, f)
		}
		if r.q.recs[q].tied && field(rest, "status=") == "expired" {
			// qmgr: "from=<>, status=expired, returned to sender": the
			// queue lifetime ran out for every recipient still pending
			// (last deferred); one already delivered or bounced in the
			// same queue ID did not expire.
			pending := map[string]int{}
			var order []string
			for _, i := range r.q.evs[q] {
				rc := strings.ToLower(r.events[i].Recipient)
				if _, ok := pending[rc]; !ok {
					order = append(order, rc)
				}
				pending[rc] = i
			}
			for _, rc := range order {
				last := r.events[pending[rc]]
				if last.Kind != Deferred {
					continue
				}
				r.addEvent(q, Event{Time: t, Source: r.source(n), Kind: Expired, Recipient: last.Recipient,
					QueueID: strings.Clone(id), Relay: last.Relay, DSN: last.DSN, Reply: last.Reply, Reason: last.Reason,
					Cause: last.Cause, Permanent: true})
			}
		}
	}
}

// postfixDelivery reads "to=<a>, [orig_to=<b>,] relay=h[ip]:25, delay=1,
// delays=a/b/c/d, dsn=X.Y.Z, status=word (reply)" of smtp, lmtp, local,
// virtual, pipe, error and discard.
func (r *textReader) postfixDelivery(n int, t time.Time, id string, q int32, rest string) int {
	to, orig := field(rest, "to="), field(rest, "orig_to=")
	var rcpt string
	switch {
	case r.watch(to):
		rcpt = to
	case orig != "" && r.watch(orig):
		rcpt = orig
	default:
		// Another recipient's, unless to= cannot be read (cut, garbled)
		// and the line names a watched address.
		if readable(to) {
			return understood
		}
		return r.unlessNamed(rest, understood)
	}
	status := field(rest, "status=")
	e := Event{Time: t, Source: r.source(n), Recipient: rcpt, QueueID: id,
		Relay: field(rest, "relay="), DSN: field(rest, "dsn="), Delay: field(rest, "delay=")}
	if d := field(rest, "delays="); d != "" {
		e.Delay += " (" + d + ")"
	}
	if i := strings.Index(rest, "status="); i >= 0 {
		e.Reply = parenthesised(rest[i:])
	}
	switch status {
	case "sent":
		e.Kind = Delivered
	case "deferred":
		e.Kind = Deferred
	case "bounced", "undeliverable":
		e.Kind = Bounced
	case "expired":
		e.Kind = Expired
	case "deliverable", "undeliverable-but-not-cached":
		e.Kind = Verified
	default:
		// No status (the line was cut before status=) or a word this
		// reader does not know: the line cannot be read, and what it said
		// of the recipient is lost; it decides nothing.
		return unparsed
	}
	r.addEvent(q, r.classified(e, e.DSN))
	return understood
}

// readable reports whether a to= value read as an address: not empty,
// its angle brackets closed.
func readable(addr string) bool {
	return addr != "" && !strings.ContainsAny(addr, "<>") && strings.Contains(addr, "@")
}

// unlessNamed returns kind for a line that could not be read for a
// watched address, unless s names one: then the line is unreadable.
func (r *textReader) unlessNamed(s string, kind int) int {
	if r.names(s) {
		return unparsed
	}
	return kind
}

// postfixNote recognises the messages Postfix logs without a queue ID
// ("warning: ...", "connect from ...", "statistics: ..."): lower-case
// words, never a queue ID garbled.
func postfixNote(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c == ' ' || c == '-') {
			return strings.HasPrefix(s, "connect from ") || strings.HasPrefix(s, "disconnect from ") ||
				strings.HasPrefix(s, "lost connection ") || strings.HasPrefix(s, "timeout ") ||
				strings.HasPrefix(s, "Anonymous TLS") || strings.HasPrefix(s, "Trusted TLS") ||
				strings.HasPrefix(s, "Untrusted TLS") || strings.HasPrefix(s, "Verified TLS")
		}
	}
	return true
}

// eximHeader reads "2026-11-22 10:00:01[.123] [+0100] [[pid]] rest".
func (r *textReader) eximHeader(s string) (t time.Time, rest string, ok bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != ' ' {
		return
	}
	sp := strings.IndexByte(s[11:], ' ')
	end := len(s)
	if sp >= 0 {
		end = 11 + sp
	}
	// Most entries have the stamp of the one before, read already.
	same := r.eximStamp != "" && s[:end] == r.eximStamp
	if !same {
		if _, valid := eximStamp(s[:end]); !valid {
			return
		}
	}
	loc := r.zone
	zoneless := true
	rest = ""
	if end < len(s) {
		rest = s[end+1:]
	}
	// log_timezone: "+0100"
	if len(rest) >= 5 && (rest[0] == '+' || rest[0] == '-') && (len(rest) == 5 || rest[5] == ' ') {
		if z, okz := digits(rest[1:5]); okz {
			if r.zoneLoc == nil || rest[:5] != r.zoneName {
				off := (z/100*60 + z%100) * 60
				if rest[0] == '-' {
					off = -off
				}
				r.zoneName = strings.Clone(rest[:5])
				r.zoneLoc = time.FixedZone(r.zoneName, off)
			}
			loc, zoneless = r.zoneLoc, false
			rest = strings.TrimPrefix(rest[5:], " ")
		}
	}
	// log_selector +pid: "[1234]"
	if strings.HasPrefix(rest, "[") {
		if i := strings.Index(rest, "] "); i > 0 {
			if _, okp := digits(rest[1:i]); okp {
				rest = rest[i+2:]
			}
		}
	}
	if zoneless {
		r.zoneless = true
	}
	if !same || loc != r.eximLoc {
		f, _ := eximStamp(s[:end])
		r.eximStamp, r.eximLoc = strings.Clone(s[:end]), loc
		r.eximTime = time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], f[6], loc)
	}
	return r.eximTime, rest, true
}

// eximStamp reads "2026-11-22 10:00:01[.123]": year, month, day, hour,
// minute, second, nanosecond.
func eximStamp(s string) (f [7]int, ok bool) {
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return f, false
	}
	h, m, sec, nsec, okc := clock(s[11:])
	if !okc {
		return f, false
	}
	return [7]int{y, mo, d, h, m, sec, nsec}, true
}

// isEximID recognises Exim message IDs: "1abcDE-0001Ab-Cd" (before 4.97)
// and "1abcDE-000000005vi-0000" (4.97 on).
func isEximID(s string) bool {
	// Three parts between dashes, letters and digits: 6, 6 and 2 of
	// them, or 6, 11 and 4.
	var second int
	switch len(s) {
	case 16:
		second = 13
	case 23:
		second = 18
	default:
		return false
	}
	if s[6] != '-' || s[second] != '-' {
		return false
	}
	each := uint8(idChar)
	for i := 0; i < len(s); i++ {
		if i != 6 && i != second {
			each &= queueIDChar[s[i]]
		}
	}
	return each&idChar != 0
}

// eximLine reads an Exim main log entry after its timestamp (Exim
// specification, chapter "Log files": the flags <= => -> >> *> ** == (=).
func (r *textReader) eximLine(n int, t time.Time, rest string) int {
	sp := strings.IndexByte(rest, ' ')
	if sp < 0 || !isEximID(rest[:sp]) {
		if isEximID(rest) {
			return understood
		}
		if sp > 0 {
			// A delivery entry whose message ID is garbled.
			if flag, _, _ := strings.Cut(rest[sp+1:], " "); eximDelivery(flag) {
				return r.unlessNamed(rest, notRelevant)
			}
		}
		// Connection events, ACL rejections (mail coming in), queue runs,
		// daemon starts.
		return notRelevant
	}
	id, rest := rest[:sp], rest[sp+1:]
	flag, body, _ := strings.Cut(rest, " ")
	if eximDelivery(flag) && r.eximRecipient(body) == "" {
		// Another recipient's, unless its address cannot be read and the
		// entry names a watched one.
		return r.unlessNamed(body, understood)
	}
	q := r.get(id, n)
	switch flag {
	case "<=":
		from, _, _ := strings.Cut(body, " ")
		if from != "<>" {
			r.q.set(&r.q.recs[q].from, from)
		}
		if mid := eximField(body, "id="); mid != "" {
			r.q.set(&r.q.recs[q].mid, strings.Trim(mid, "<>"))
		}
	case "*>":
		// Delivery suppressed (exim -N, a test run): nothing was sent,
		// and nothing is decided.
	case "=>", "->", ">>":
		// => a delivery, -> another address of the same delivery, >> a
		// cutthrough delivery.
		if rcpt := r.eximRecipient(body); rcpt != "" {
			e := Event{Time: t, Source: r.source(n), Kind: Delivered, Recipient: rcpt, QueueID: id,
				Relay: eximField(body, "H="), Reply: eximQuoted(body, "C=")}
			r.addEvent(q, r.classified(e, ""))
		}
	case "**", "==":
		if rcpt := r.eximRecipient(body); rcpt != "" {
			e := Event{Time: t, Source: r.source(n), Kind: Bounced, Recipient: rcpt, QueueID: id,
				Relay: eximField(body, "H="), Reply: eximReason(body)}
			if flag == "==" {
				e.Kind = Deferred
			}
			r.addEvent(q, r.classified(e, ""))
		}
	case "Completed":
		r.remove(q)
	}
	return understood
}

// eximDelivery recognises the flags of Exim's delivery entries: => a
// delivery, -> an additional address, >> cutthrough, *> suppressed by -N,
// ** a failure, == a deferral.
func eximDelivery(flag string) bool {
	switch flag {
	case "=>", "->", ">>", "*>", "**", "==":
		return true
	}
	return false
}

// eximRecipient returns the watched address of "addr [(parent)] [<orig>]
// R=...", or "". The address may end the entry's fields with a colon
// ("addr: Unrouteable address", "addr <orig>: ..."): it is not part of
// it. A pipe, file or autoreply delivery names the address it was for in
// the parentheses or angle brackets, after a "delivery address" that may
// hold spaces.
func (r *textReader) eximRecipient(body string) string {
	if !r.maybe {
		return ""
	}
	first, _, _ := strings.Cut(body, " ")
	first = strings.TrimSuffix(first, ":")
	if r.watch(first) {
		return first
	}
	if strings.HasPrefix(first, "<") && r.watch(strings.Trim(first, "<>")) {
		return strings.Trim(first, "<>")
	}
	head := body
	if i := strings.Index(head, " R="); i >= 0 {
		head = head[:i]
	} else if i := strings.Index(head, ": "); i >= 0 {
		head = head[:i]
	}
	if i := strings.LastIndexByte(head, '<'); i >= 0 {
		if j := strings.IndexByte(head[i:], '>'); j > 0 && r.watch(head[i+1:i+j]) {
			return head[i+1 : i+j]
		}
	}
	if i := strings.LastIndexByte(head, '('); i >= 0 {
		if j := strings.IndexByte(head[i:], ')'); j > 0 && r.watch(head[i+1:i+j]) {
			return head[i+1 : i+j]
		}
	}
	return ""
}

// eximField returns the word after " key" (H=host, id=...).
func eximField(body, key string) string {
	i := 0
	for {
		j := strings.Index(body[i:], key)
		if j < 0 {
			return ""
		}
		if i += j; i == 0 || body[i-1] == ' ' {
			break
		}
		i++
	}
	v := body[i+len(key):]
	if j := strings.IndexAny(v, " :"); j >= 0 {
		v = v[:j]
	}
	return v
}

// eximQuoted returns the quoted value of key="...".
func eximQuoted(body, key string) string {
	i := strings.Index(body, " "+key+`"`)
	if i < 0 {
		return ""
	}
	v := body[i+len(key)+2:]
	if j := strings.IndexByte(v, '"'); j >= 0 {
		v = v[:j]
	}
	return v
}

// eximReason returns the error text of a ** or == entry: after
// "defer (errno): " or the first ": ".
func eximReason(body string) string {
	if i := strings.Index(body, "defer ("); i >= 0 {
		if j := strings.Index(body[i:], "): "); j >= 0 {
			return body[i+j+3:]
		}
	}
	if i := strings.Index(body, ": "); i >= 0 {
		return body[i+2:]
	}
	return ""
}

// refusalReply is the server's words in a Postfix reject line's rest:
// after the client's "]: ", before "; from=".
func refusalReply(rest string) string {
	reply := rest
	if i := strings.Index(rest, "]: "); i >= 0 {
		reply = rest[i+3:]
	}
	if i := strings.LastIndex(reply, "; from="); i >= 0 {
		reply = reply[:i]
	}
	return reply
}
