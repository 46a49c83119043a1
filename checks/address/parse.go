package address

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Length limits, in octets.
const (
	// MaxLocal is the longest local part (RFC 5321 §4.5.3.1.1).
	MaxLocal = 64
	// MaxDomain is the longest domain (RFC 5321 §4.5.3.1.2).
	MaxDomain = 255
	// MaxLabel is the longest DNS label (RFC 1035 §2.3.4).
	MaxLabel = 63
	// MaxAddress is the longest whole address: a reverse-path or
	// forward-path is at most 256 octets including the angle brackets
	// (RFC 5321 §4.5.3.1.3), which leaves 254 (RFC 3696 errata 1690).
	MaxAddress = 254
)

// maxInput bounds the text Parse looks at in detail.
const maxInput = 4096

// A SyntaxError says why a string is not a mailbox.
type SyntaxError struct {
	// Reason says what is wrong, in plain words, naming the character and
	// its position when there is one.
	Reason string
	// Pos is the 1-based character position the reason points at, or 0.
	Pos int
	// Suggest is the address the input probably stands for, when the
	// problem is wrapping rather than the address ("Alice <a@b.com>").
	Suggest string
}

func (e *SyntaxError) Error() string { return e.Reason }

// Parse reads s as the mailbox of an SMTP envelope (RFC 5321 §4.1.2
// Mailbox, with the UTF-8 extensions of RFC 6531 §3.3): a dot-atom or
// quoted-string local part, "@", and a domain name or an address literal.
// Leading and trailing white space is ignored. Comments, folding white space
// and the obsolete forms that RFC 5322 keeps for reading old headers are not
// envelope syntax and are refused, as is a display name ("Alice <a@b.com>"):
// the reason says to give the bare address.
//
// Parse always returns a Mailbox; when s is not a valid address, Valid is
// false, Reason says why and the error is a *SyntaxError with the same
// reason. A Unicode domain is converted to A-labels with the IDNA Lookup
// profile (RFC 5891, UTS #46); a local part that is not ASCII sets SMTPUTF8.
func Parse(s string) (*Mailbox, error) {
	m := &Mailbox{Address: s}
	err := parse(m, strings.TrimFunc(s, unicode.IsSpace))
	if err != nil {
		m.Valid = false
		m.Reason = err.Reason
		return m, err
	}
	m.Valid = true
	return m, nil
}

// Format writes a valid mailbox back as an address: the local part as a
// dot-atom when it is one (RFC 5321 §4.1.2 asks for that form), quoted
// otherwise, "@" and the domain as typed. Parse(Format(m)) gives m's parts.
func Format(m *Mailbox) string {
	return quoteLocal(m.Local) + "@" + m.Domain
}

// IsAddressLiteral reports whether the domain of m is an address literal
// such as [192.0.2.1].
func IsAddressLiteral(m *Mailbox) bool {
	return strings.HasPrefix(m.Domain, "[")
}

func quoteLocal(local string) string {
	if isDotAtom(local) {
		return local
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range local {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if r != '.' && !isAtext(r) {
			return false
		}
	}
	return true
}

// isAtext reports whether r may appear in an atom: RFC 5322 §3.2.3 atext,
// extended with every non-ASCII character by RFC 6531 §3.3.
func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r >= utf8.RuneSelf:
		return r != utf8.RuneError && unicode.IsPrint(r)
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// pos converts a byte offset in s to a 1-based character position.
func pos(s string, off int) int {
	return utf8.RuneCountInString(s[:off]) + 1
}

// describe names a character for a reason: 'x', space, or a code point.
func describe(r rune) string {
	switch r {
	case ' ':
		return "a space"
	case '\t':
		return "a tab"
	case '\r':
		return "a carriage return (CR)"
	case '\n':
		return "a line feed (LF)"
	case 0:
		return "a NUL character"
	case 0x7f:
		return "a DEL control character"
	case utf8.RuneError:
		return "a byte that is not UTF-8"
	case '\u00a0':
		return "a no-break space (U+00A0)"
	case ',':
		return "a comma"
	case ';':
		return "a semicolon"
	case '\\':
		return "a backslash"
	case '"':
		return "a quote"
	}
	if r < ' ' || (r >= 0x80 && r < 0xa0) {
		return fmt.Sprintf("the control character U+%04X", r)
	}
	if !unicode.IsPrint(r) {
		return fmt.Sprintf("the invisible character U+%04X", r)
	}
	if r >= utf8.RuneSelf {
		return fmt.Sprintf("%q (U+%04X)", r, r)
	}
	return strconv.QuoteRune(r)
}

func errf(p int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Reason: fmt.Sprintf(format, args...), Pos: p}
}

func parse(m *Mailbox, s string) *SyntaxError {
	if s == "" {
		return errf(0, "the address is empty")
	}
	if len(s) > maxInput {
		// Far beyond any limit; refusing early keeps the work bounded.
		return errf(0, "the address is %d octets long; the limit is %d (RFC 5321 §4.5.3.1.3)", len(s), MaxAddress)
	}
	if err := wrapped(s); err != nil {
		return err
	}
	if !utf8.ValidString(s) {
		for i, r := range s {
			if r == utf8.RuneError {
				return errf(pos(s, i), "byte 0x%02x at position %d is not UTF-8", s[i], pos(s, i))
			}
		}
	}

	// The local part runs to the first @ outside a quoted string.
	var at int
	if s[0] == '"' {
		end, local, err := quoted(s)
		if err != nil {
			return err
		}
		m.Local = local
		switch {
		case end == len(s):
			return errf(0, "there is no @ after the quoted local part")
		case s[end] == '.':
			// obs-local-part (RFC 5322 §4.4): allowed in old headers, not in SMTP.
			return errf(pos(s, end), "a dot follows the quoted local part at position %d: quote the whole local part instead (mixing quoted and unquoted parts is obsolete syntax)", pos(s, end))
		case s[end] == '(':
			return errf(pos(s, end), "'(' at position %d is not allowed: comments are not part of an address", pos(s, end))
		case s[end] != '@':
			r, _ := utf8.DecodeRuneInString(s[end:])
			return errf(pos(s, end), "%s at position %d follows the quoted local part; expected @", describe(r), pos(s, end))
		}
		at = end
	} else {
		at = strings.IndexByte(s, '@')
		if at < 0 {
			return errf(0, "there is no @: an address is local-part@domain")
		}
		if at == 0 {
			return errf(1, "there is nothing before the @ (no local part)")
		}
		if err := dotAtom(s, 0, at, "local part"); err != nil {
			return err
		}
		m.Local = s[:at]
	}
	for _, r := range m.Local {
		if r >= utf8.RuneSelf {
			// RFC 6531 §3.3: a UTF-8 local part needs the SMTPUTF8 extension.
			m.SMTPUTF8 = true
			break
		}
	}
	if at > MaxLocal {
		return errf(0, "the local part is %d octets long; the limit is %d (RFC 5321 §4.5.3.1.1)", at, MaxLocal)
	}

	d := s[at+1:]
	if d == "" {
		return errf(0, "there is nothing after the @ (no domain)")
	}
	if i := strings.IndexByte(d, '@'); i >= 0 && !strings.HasPrefix(d, "[") {
		if j := strings.IndexAny(d[:i], ",; \t"); j >= 0 {
			p := pos(s, at+1+j)
			return errf(p, "this looks like more than one address (%s at position %d); give one", describe(rune(d[j])), p)
		}
		p := pos(s, at+1+i)
		return errf(p, "there is a second @ at position %d; an address has one @ (a local part containing @ must be quoted)", p)
	}
	m.Domain = d
	var err *SyntaxError
	if d[0] == '[' {
		m.ASCIIDomain, err = literal(s, at+1)
	} else {
		m.ASCIIDomain, err = domain(s, at+1)
	}
	if err != nil {
		return err
	}
	if len(m.ASCIIDomain) > MaxDomain {
		return errf(0, "the domain is %d octets long; the limit is %d (RFC 5321 §4.5.3.1.2)", len(m.ASCIIDomain), MaxDomain)
	}
	if n := at + 1 + len(m.ASCIIDomain); n > MaxAddress {
		return errf(0, "the address is %d octets long; the limit is %d (RFC 5321 §4.5.3.1.3, RFC 3696 errata 1690)", n, MaxAddress)
	}
	return nil
}

// wrapped refuses the forms people paste instead of an address: a display
// name with an address in angle brackets, bare angle brackets, mailto:.
func wrapped(s string) *SyntaxError {
	// No address ends in ">" (a domain ends in a letter, digit or "]").
	if lt := strings.LastIndexByte(s, '<'); lt >= 0 && strings.HasSuffix(s, ">") {
		inner := strings.TrimSpace(s[lt+1 : len(s)-1])
		name := strings.TrimSpace(s[:lt])
		e := &SyntaxError{Suggest: inner, Pos: pos(s, lt)}
		if name == "" {
			e.Reason = fmt.Sprintf("the address is in angle brackets; give it without them: %s", inner)
		} else {
			e.Reason = fmt.Sprintf("this is a display name with an address (%s <...>); give only the address: %s", name, inner)
		}
		return e
	}
	if len(s) > 7 && strings.EqualFold(s[:7], "mailto:") {
		inner := s[7:]
		if q := strings.IndexByte(inner, '?'); q >= 0 {
			inner = inner[:q]
		}
		return &SyntaxError{Reason: fmt.Sprintf("this is a mailto: link; give only the address: %s", inner), Pos: 1, Suggest: inner}
	}
	return nil
}

// quoted reads the quoted-string at the start of s (RFC 5321 §4.1.2
// Quoted-string: qtextSMTP is ASCII 32-126 except " and \, quoted-pairSMTP
// is \ followed by ASCII 32-126; RFC 6531 §3.3 adds UTF-8 to qtextSMTP). It
// returns the offset after the closing quote and the unquoted text.
func quoted(s string) (int, string, *SyntaxError) {
	var b strings.Builder
	for i := 1; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			return i + 1, b.String(), nil
		case r == '\\':
			if i+1 >= len(s) {
				return 0, "", errf(pos(s, i), "the quoted local part ends in a backslash and has no closing quote")
			}
			q, qn := utf8.DecodeRuneInString(s[i+1:])
			if q < ' ' || q > '~' {
				return 0, "", errf(pos(s, i+1), "%s at position %d cannot be escaped: only printable ASCII may follow a backslash (RFC 5321 §4.1.2)", describe(q), pos(s, i+1))
			}
			b.WriteRune(q)
			i += 1 + qn
			continue
		case r >= ' ' && r <= '~', r >= utf8.RuneSelf && r != utf8.RuneError && unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			return 0, "", errf(pos(s, i), "%s at position %d is not allowed in a quoted local part", describe(r), pos(s, i))
		}
		i += n
	}
	return 0, "", errf(1, "the quote that opens the local part is never closed")
}

// dotAtom checks s[from:to] as a dot-atom (RFC 5322 §3.2.3): atoms of atext
// separated by single dots.
func dotAtom(s string, from, to int, what string) *SyntaxError {
	part := s[from:to]
	switch {
	case part[0] == '.':
		return errf(pos(s, from), "the %s starts with a dot", what)
	case part[len(part)-1] == '.':
		return errf(pos(s, to-1), "the %s ends with a dot (before the @)", what)
	}
	if i := strings.Index(part, ".."); i >= 0 {
		return errf(pos(s, from+i), "the %s has two dots in a row at position %d", what, pos(s, from+i))
	}
	for i, r := range part {
		if r == '.' || isAtext(r) {
			continue
		}
		p := pos(s, from+i)
		switch r {
		case '"':
			return errf(p, "a quote at position %d is in the middle of the %s; quote the whole local part or remove it", p, what)
		case '(', ')':
			return errf(p, "%s at position %d is not allowed: comments are not part of an address", describe(r), p)
		case ' ', '\t':
			return errf(p, "%s at position %d is not allowed in the %s (spaces are allowed only inside quotes)", describe(r), p, what)
		case ',', ';':
			return errf(p, "%s at position %d is not allowed in the %s; is this a list of addresses?", describe(r), p, what)
		}
		return errf(p, "%s at position %d is not allowed in the %s", describe(r), p, what)
	}
	return nil
}

// domain checks the domain name at s[from:] and returns it in A-labels,
// lower-case. A domain is dot-separated labels of letters, digits and
// hyphens, not starting or ending with a hyphen (RFC 5321 §4.1.2 Domain,
// RFC 1035 §2.3.1, RFC 1123 §2.1).
func domain(s string, from int) (string, *SyntaxError) {
	d := s[from:]
	ascii := true
	for i, r := range d {
		switch {
		case r >= utf8.RuneSelf:
			ascii = false
		case r == '.' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
		default:
			p := pos(s, from+i)
			switch r {
			case '_':
				return "", errf(p, "an underscore at position %d is not allowed in a mail domain (letters, digits, hyphens and dots only)", p)
			case '(', ')':
				return "", errf(p, "%s at position %d is not allowed: comments are not part of an address", describe(r), p)
			case '[', ']':
				return "", errf(p, "%s at position %d: an address literal must be the whole domain, like [192.0.2.1]", describe(r), p)
			case ',':
				return "", errf(p, "a comma at position %d is not allowed in the domain; a dot was probably meant", p)
			}
			return "", errf(p, "%s at position %d is not allowed in the domain (letters, digits, hyphens and dots only)", describe(r), p)
		}
	}
	// Label lengths count octets of the A-label, so they wait for IDNA
	// when the domain is not ASCII.
	if err := labels(s, from, d, ascii); err != nil {
		return "", err
	}
	a := strings.ToLower(d)
	if !ascii || hasACE(a) {
		// RFC 5891 §5 via UTS #46 (the Lookup profile): map, normalise,
		// validate and convert to A-labels. A-labels typed as such are
		// checked to decode.
		var err error
		a, err = idna.Lookup.ToASCII(d)
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "idna: ")
			return "", errf(0, "the domain %s is not a valid internationalised domain name (%s)", d, msg)
		}
		if a == "" {
			// UTS #46 maps some characters (soft hyphen, joiners) to nothing.
			return "", errf(0, "the domain %q is empty once invisible characters are removed", d)
		}
		if err := labels(a, 0, a, true); err != nil {
			err.Reason = fmt.Sprintf("in its ASCII form %s, %s", a, err.Reason)
			err.Pos = 0
			return "", err
		}
		if err := idna2008(s, from, d, a); err != nil {
			return "", err
		}
	}
	tld := a[strings.LastIndexByte(a, '.')+1:]
	if !strings.Contains(a, ".") {
		// RFC 5321 §2.3.5 allows only fully qualified names; ICANN
		// forbids dotless TLD mail (SAC053), so a single label is a slip.
		return "", errf(0, "the domain %s has no dot: a top-level domain is missing (like %s.com)", d, d)
	}
	if allDigits(tld) {
		// RFC 3696 §2: a top-level domain is never all-numeric.
		return "", errf(0, "the top-level domain %q is all digits; no such domain exists (an IP address must be written [%s])", tld, d)
	}
	return a, nil
}

// contextO are the punctuation and symbols IDNA2008 allows in a label in
// context (RFC 5892 Appendix A: CONTEXTO), which the rules of UTS #46
// enforce well enough for a lookup.
var contextO = map[rune]bool{
	'\u00b7': true, // MIDDLE DOT, between two l (Catalan)
	'\u0375': true, // GREEK LOWER NUMERAL SIGN (KERAIA)
	'\u05f3': true, // HEBREW PUNCTUATION GERESH
	'\u05f4': true, // HEBREW PUNCTUATION GERSHAYIM
	'\u30fb': true, // KATAKANA MIDDLE DOT
}

// idna2008 refuses a domain whose U-labels hold a symbol or punctuation
// (¡ € £ © ♥, emoji): UTS #46 converts them to A-labels, but IDNA2008
// (RFC 5892 §2.1-2.3: only letters, marks and digits are PVALID) disallows
// them, registries do not register them, and mail to them goes nowhere.
// a is the A-label form of d, found at s[from:].
func idna2008(s string, from int, d, a string) *SyntaxError {
	u, err := idna.Lookup.ToUnicode(a)
	if err != nil {
		return nil // ToASCII took it; its own errors were reported there
	}
	for _, r := range u {
		if r == '-' || r == '.' || contextO[r] || !unicode.In(r, unicode.S, unicode.P) {
			continue
		}
		p := 0
		if i := strings.IndexRune(d, r); i >= 0 {
			p = pos(s, from+i)
		}
		at := ""
		if p > 0 {
			at = fmt.Sprintf(" at position %d", p)
		}
		return errf(p, "the domain %s holds %s%s, a symbol or punctuation that IDNA2008 does not allow in a domain name (RFC 5892); no registry registers such a name", d, describe(r), at)
	}
	return nil
}

func hasACE(a string) bool {
	return strings.HasPrefix(a, "xn--") || strings.Contains(a, ".xn--")
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// labels checks the dots and label lengths of domain d, found at s[from:].
func labels(s string, from int, d string, lengths bool) *SyntaxError {
	if d == "" {
		return errf(0, "the domain is empty")
	}
	if d[0] == '.' {
		return errf(pos(s, from), "the domain starts with a dot")
	}
	if d[len(d)-1] == '.' {
		return errf(pos(s, from+len(d)-1), "the domain ends with a dot")
	}
	off := 0
	for _, l := range strings.Split(d, ".") {
		// Positions are counted only on failure: counting for every label
		// would make a long domain quadratic.
		switch {
		case l == "":
			p := pos(s, from+off) - 1
			return errf(p, "the domain has two dots in a row at position %d", p)
		case lengths && len(l) > MaxLabel:
			return errf(pos(s, from+off), "the domain label %q is %d octets long; the limit is %d (RFC 1035 §2.3.4)", short(l), len(l), MaxLabel)
		case l[0] == '-':
			return errf(pos(s, from+off), "the domain label %q starts with a hyphen", l)
		case l[len(l)-1] == '-':
			return errf(pos(s, from+off)+utf8.RuneCountInString(l)-1, "the domain label %q ends with a hyphen", l)
		}
		off += len(l) + 1
	}
	return nil
}

func short(s string) string {
	if len(s) > 20 {
		return s[:17] + "..."
	}
	return s
}

// literal checks the address literal at s[from:] (RFC 5321 §4.1.3): an
// IPv4 dotted quad or "IPv6:" and an IPv6 address, in brackets.
func literal(s string, from int) (string, *SyntaxError) {
	d := s[from:]
	end := strings.IndexByte(d, ']')
	if end < 0 {
		return "", errf(pos(s, from), "the address literal that starts at position %d has no closing ]", pos(s, from))
	}
	if end != len(d)-1 {
		p := pos(s, from+end+1)
		return "", errf(p, "there is text after the address literal at position %d", p)
	}
	in := d[1:end]
	if len(in) >= 5 && strings.EqualFold(in[:5], "IPv6:") {
		if err := ipv6(in[5:]); err != "" {
			return "", errf(0, "the address literal [%s] is not a valid IPv6 address: %s", in, err)
		}
		return "[IPv6:" + strings.ToLower(in[5:]) + "]", nil
	}
	if i := strings.IndexByte(in, ':'); i > 0 && !strings.ContainsAny(in[:i], ".") {
		if strings.Count(in, ":") >= 2 && ipv6(in) == "" {
			return "", errf(0, "the address literal [%s] is an IPv6 address without its tag; write it [IPv6:%s] (RFC 5321 §4.1.3)", in, in)
		}
		return "", errf(0, "the address literal [%s] has the tag %q, which no mail server knows (RFC 5321 §4.1.3 defines IPv6)", in, in[:i])
	}
	if err := ipv4(in); err != "" {
		return "", errf(0, "the address literal [%s] is not an IPv4 address: %s", in, err)
	}
	return "[" + in + "]", nil
}

// ipv4 checks an IPv4-address-literal: four Snum (1*3DIGIT, 0-255) joined
// by dots. It returns what is wrong, or "".
func ipv4(s string) string {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		if len(parts) == 1 {
			return "it is not a dotted quad like 192.0.2.1"
		}
		return fmt.Sprintf("it has %d parts, not 4", len(parts))
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || !allDigits(p) {
			return fmt.Sprintf("%q is not a number from 0 to 255", p)
		}
		if n, _ := strconv.Atoi(p); n > 255 {
			return fmt.Sprintf("%s is more than 255", p)
		}
	}
	return ""
}

// ipv6 checks an IPv6-addr of RFC 5321 §4.1.3: eight groups of 1-4 hex
// digits, or at most six around a "::" that stands for at least two groups
// of zeros; the last two groups may be written as an IPv4 address.
func ipv6(s string) string {
	groups := 8
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.Contains(s[i+1:], ".") {
		if err := ipv4(s[i+1:]); err != "" {
			return "its IPv4 part " + err
		}
		groups = 6
		s = s[:i+1]
		if strings.HasSuffix(s, "::") {
			s += "0" // a placeholder group keeps the split below simple
			groups++
		} else {
			s = s[:len(s)-1]
		}
	}
	if strings.Count(s, "::") > 1 {
		return `"::" appears more than once`
	}
	if strings.Contains(s, ":::") {
		return `it has three colons in a row`
	}
	var parts []string
	comp := strings.Contains(s, "::")
	if comp {
		h := strings.SplitN(s, "::", 2)
		for _, side := range h {
			if side != "" {
				parts = append(parts, strings.Split(side, ":")...)
			}
		}
	} else {
		parts = strings.Split(s, ":")
	}
	for _, p := range parts {
		if p == "" {
			if strings.HasPrefix(s, ":") && !strings.HasPrefix(s, "::") {
				return "it starts with a single colon"
			}
			if strings.HasSuffix(s, ":") && !strings.HasSuffix(s, "::") {
				return "it ends with a single colon"
			}
			return "it has an empty group"
		}
		if len(p) > 4 {
			return fmt.Sprintf("the group %q has more than 4 hex digits", p)
		}
		for _, c := range p {
			if !unicode.Is(unicode.ASCII_Hex_Digit, c) {
				return fmt.Sprintf("%s in the group %q is not a hex digit", describe(c), p)
			}
		}
	}
	switch {
	case comp && len(parts) > groups-2:
		return fmt.Sprintf(`it has %d groups besides "::", which must stand for at least two`, len(parts))
	case !comp && len(parts) != groups:
		return fmt.Sprintf("it has %d groups, not %d", len(parts), groups)
	}
	return ""
}
