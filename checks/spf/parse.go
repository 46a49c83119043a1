// Package spf lints the SPF record tree of a sender domain (RFC 7208) and
// evaluates check_host for the sending IPs through blitiri.com.ar/go/spf on
// the run's resolver, saying which record, term and RFC rule each finding is
// about.
package spf

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Record is a parsed SPF record: its terms in order, as written.
type Record struct {
	Text  string
	Terms []*Term
}

// A Term is one mechanism (with its qualifier) or one modifier (RFC 7208
// §4.6.1), as the record writes it.
type Term struct {
	Text  string // as written, qualifier included
	Index int    // 1-based position among the record's terms (the version is term 0)

	// Modifier is set for name=value terms; Name is then the modifier's
	// name, lower-cased (redirect, exp, or an unknown one).
	Modifier bool
	// Qualifier is '+', '-', '~' or '?' for mechanisms ('+' when none was
	// written, §4.6.2); 0 for modifiers. Explicit says it was written.
	Qualifier byte
	Explicit  bool
	// Name is the mechanism's name lower-cased: all, include, a, mx, ptr,
	// ip4, ip6, exists; or the modifier's name.
	Name string

	// Domain is the domain-spec, unexpanded; "" when the term has none
	// (a, mx, ptr without ":"), which means the current domain.
	Domain string
	// Macros lists the macro-expands of Domain (or of Value for unknown
	// modifiers), in order.
	Macros []Macro
	// Prefix is the network of ip4/ip6 terms.
	Prefix netip.Prefix
	// CIDR4 and CIDR6 are the dual-cidr-length of a and mx, -1 when absent.
	CIDR4, CIDR6 int
	// Value is a modifier's value as written.
	Value string
}

// Mechanism reports whether t is a mechanism (not a modifier).
func (t *Term) Mechanism() bool { return !t.Modifier }

// Lookups reports whether t counts against the limit of 10 DNS-querying
// terms (RFC 7208 §4.6.4: include, a, mx, ptr, exists and redirect do; all,
// ip4, ip6 and exp do not).
func (t *Term) Lookups() bool {
	switch t.Name {
	case "include", "a", "mx", "ptr", "exists":
		return !t.Modifier
	case "redirect":
		return t.Modifier
	}
	return false
}

// HasMacros reports whether the term's domain depends on the message being
// checked, so its target cannot be known without an IP and a sender.
func (t *Term) HasMacros() bool {
	for _, m := range t.Macros {
		if m.Letter != 0 {
			return true
		}
	}
	return false
}

func (t *Term) String() string { return t.Text }

// A Macro is one macro-expand of a macro-string (RFC 7208 §7.1).
type Macro struct {
	Text string // as written: "%{ir}", "%%", "%_", "%-"
	// Letter is the macro letter lower-cased (s l o d i p h c r t v), or 0
	// for the escapes %%, %_ and %-.
	Letter byte
	// URLEscape is set when the letter was written in upper case (§7.3).
	URLEscape bool
	// Digits keeps that many right-hand parts (0: all); Reverse reverses first.
	Digits     int
	Reverse    bool
	Delimiters string // "" means "."
}

// A SyntaxError is one term that does not follow RFC 7208's grammar. Any
// syntax error makes check_host return permerror (§4.6).
type SyntaxError struct {
	Term  string // the offending term as written ("" for an error about the whole record)
	Index int    // its 1-based index among the terms
	Msg   string // what is wrong, citing the RFC rule
}

func (e *SyntaxError) Error() string {
	if e.Term == "" {
		return e.Msg
	}
	return fmt.Sprintf("term %d %q: %s", e.Index, e.Term, e.Msg)
}

// SyntaxErrors is every syntax error of one record.
type SyntaxErrors []*SyntaxError

func (es SyntaxErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// IsSPF reports whether a TXT string is an SPF record: "v=spf1" alone or
// followed by a space, in any case (RFC 7208 §4.5).
func IsSPF(txt string) bool {
	if len(txt) < 6 || !strings.EqualFold(txt[:6], "v=spf1") {
		return false
	}
	return len(txt) == 6 || txt[6] == ' '
}

// Parse parses an SPF record. It returns the record with every term that
// parsed, and a SyntaxErrors listing each term that did not (nil when none).
func Parse(text string) (*Record, error) {
	r := &Record{Text: text}
	if !IsSPF(text) {
		return r, SyntaxErrors{{Msg: `the record does not start with "v=spf1" followed by a space (RFC 7208 §4.5)`}}
	}
	var errs SyntaxErrors
	var redirect, exp *Term
	index := 0
	// record = version terms *SP; terms = *( 1*SP ( directive / modifier ) )
	// (§12): terms are separated by spaces only; a tab is part of a term.
	for _, field := range strings.Split(text[6:], " ") {
		if field == "" {
			continue
		}
		index++
		t, err := parseTerm(field, index)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.Terms = append(r.Terms, t)
		// §6: redirect and exp MUST NOT appear more than once each.
		if t.Modifier && (t.Name == "redirect" || t.Name == "exp") {
			first := &redirect
			if t.Name == "exp" {
				first = &exp
			}
			if *first != nil {
				errs = append(errs, &SyntaxError{Term: field, Index: index,
					Msg: fmt.Sprintf("a second %s= modifier (the first is term %d); each may appear once (RFC 7208 §6)", t.Name, (*first).Index)})
			} else {
				*first = t
			}
		}
	}
	if len(errs) > 0 {
		return r, errs
	}
	return r, nil
}

func parseTerm(field string, index int) (*Term, *SyntaxError) {
	t := &Term{Text: field, Index: index, CIDR4: -1, CIDR6: -1}
	written := field
	bad := func(format string, args ...any) *SyntaxError {
		return &SyntaxError{Term: written, Index: index, Msg: fmt.Sprintf(format, args...)}
	}
	// A modifier is name "=" ...; the name has no ":" or "/", which tells
	// modifiers apart from mechanisms (§4.6.1, §12).
	if n := modifierName(field); n != "" {
		t.Modifier, t.Name, t.Value = true, strings.ToLower(n), field[len(n)+1:]
		switch t.Name {
		case "redirect", "exp":
			// redirect = "redirect" "=" domain-spec; explanation = "exp" "=" domain-spec (§6.1, §6.2)
			t.Domain = t.Value
			ms, err := parseDomainSpec(t.Value)
			if err != "" {
				return nil, bad("%s (RFC 7208 §6.%s)", err, map[string]string{"redirect": "1", "exp": "2"}[t.Name])
			}
			t.Macros = ms
		default:
			// unknown-modifier = name "=" macro-string (§6)
			ms, err := parseMacroString(t.Value, false)
			if err != "" {
				return nil, bad("%s in the value of the unknown modifier %s= (RFC 7208 §6, §7.1)", err, n)
			}
			t.Macros = ms
		}
		return t, nil
	}
	t.Qualifier = '+'
	switch field[0] {
	case '+', '-', '~', '?':
		t.Qualifier, t.Explicit = field[0], true
		field = field[1:]
	}
	name, rest := field, ""
	if i := strings.IndexAny(field, ":/"); i >= 0 {
		name, rest = field[:i], field[i:]
	}
	t.Name = strings.ToLower(name)
	switch t.Name {
	case "all":
		// all = "all" (§5.1)
		if rest != "" {
			return nil, bad(`"all" takes no argument (RFC 7208 §5.1)`)
		}
	case "include", "exists":
		// include = "include" ":" domain-spec (§5.2); exists = "exists" ":" domain-spec (§5.7)
		sec := map[string]string{"include": "5.2", "exists": "5.7"}[t.Name]
		if !strings.HasPrefix(rest, ":") || len(rest) == 1 {
			return nil, bad("%s needs a domain: %s:domain (RFC 7208 §%s)", t.Name, t.Name, sec)
		}
		t.Domain = rest[1:]
		ms, err := parseDomainSpec(t.Domain)
		if err != "" {
			return nil, bad("%s (RFC 7208 §%s)", err, sec)
		}
		t.Macros = ms
	case "a", "mx":
		// a = "a" [ ":" domain-spec ] [ dual-cidr-length ] (§5.3, §5.4)
		sec := map[string]string{"a": "5.3", "mx": "5.4"}[t.Name]
		// The dual-cidr-length is a trailing /N, //N or /N//N; a "/"
		// before it belongs to the domain-spec (a macro-literal).
		spec, cidr := rest, ""
		if strings.HasPrefix(rest, "/") {
			spec, cidr = "", rest
		} else if m := trailingCIDR.FindStringIndex(rest); m != nil && m[0] < m[1] {
			spec, cidr = rest[:m[0]], rest[m[0]:]
		}
		if spec != "" {
			if len(spec) == 1 {
				return nil, bad("%q is followed by an empty domain (RFC 7208 §%s)", t.Name+":", sec)
			}
			t.Domain = spec[1:]
			ms, err := parseDomainSpec(t.Domain)
			if err != "" {
				return nil, bad("%s (RFC 7208 §%s)", err, sec)
			}
			t.Macros = ms
		}
		if cidr != "" {
			c4, c6, err := parseDualCIDR(cidr)
			if err != "" {
				return nil, bad("%s (RFC 7208 §5.6)", err)
			}
			t.CIDR4, t.CIDR6 = c4, c6
		}
	case "ptr":
		// ptr = "ptr" [ ":" domain-spec ] (§5.5)
		if rest != "" {
			if rest[0] != ':' || len(rest) == 1 {
				return nil, bad(`ptr takes only ptr or ptr:domain (RFC 7208 §5.5)`)
			}
			t.Domain = rest[1:]
			ms, err := parseDomainSpec(t.Domain)
			if err != "" {
				return nil, bad("%s (RFC 7208 §5.5)", err)
			}
			t.Macros = ms
		}
	case "ip4", "ip6":
		// ip4 = "ip4" ":" ip4-network [ ip4-cidr-length ] (§5.6)
		if !strings.HasPrefix(rest, ":") {
			return nil, bad("%s needs an address: %s:address[/length] (RFC 7208 §5.6)", t.Name, t.Name)
		}
		p, err := parseNetwork(t.Name, rest[1:])
		if err != "" {
			return nil, bad("%s (RFC 7208 §5.6)", err)
		}
		t.Prefix = p
	case "":
		return nil, bad("no mechanism name (RFC 7208 §4.6.1)")
	default:
		if modifierName(field) != "" {
			// Only qualified modifiers end up here: "-redirect=...".
			return nil, bad("modifiers take no qualifier (RFC 7208 §4.6.1)")
		}
		return nil, bad("unknown mechanism %q (RFC 7208 §5: all include a mx ptr ip4 ip6 exists)", name)
	}
	return t, nil
}

var trailingCIDR = regexp.MustCompile(`(/[0-9]+)?(//[0-9]+)?$`)

// modifierName returns the name of a modifier term, "" when field is not
// one: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) followed by "=".
func modifierName(field string) string {
	if field == "" || !isAlpha(field[0]) {
		return ""
	}
	for i := 1; i < len(field); i++ {
		c := field[i]
		switch {
		case c == '=':
			return field[:i]
		case isAlpha(c) || isDigit(c) || c == '-' || c == '_' || c == '.':
		default:
			return ""
		}
	}
	return ""
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseDomainSpec checks domain-spec = macro-string domain-end, where
// domain-end = ( "." toplabel [ "." ] ) / macro-expand (§7.1). It returns
// the macros, or what is wrong.
func parseDomainSpec(s string) ([]Macro, string) {
	if s == "" {
		return nil, "empty domain"
	}
	ms, err := parseMacroString(s, true)
	if err != "" {
		return nil, err
	}
	if len(ms) > 0 && strings.HasSuffix(s, ms[len(ms)-1].Text) {
		return ms, "" // ends in a macro-expand
	}
	// The literal tail after the last macro must end in "." toplabel ["."].
	tail := strings.TrimSuffix(s, ".")
	i := strings.LastIndexByte(tail, '.')
	if i < 0 {
		return nil, fmt.Sprintf("%q is not a domain: it needs a dot and a top-level label, or to end in a macro", s)
	}
	if top := tail[i+1:]; !isTopLabel(top) {
		return nil, fmt.Sprintf("%q does not end in a valid top-level label (%q: letters, digits and inner hyphens, not all digits)", s, top)
	}
	return ms, ""
}

// isTopLabel: toplabel = ( *alphanum ALPHA *alphanum ) /
// ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) (§7.1).
func isTopLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	alpha, hyphen := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isAlpha(c):
			alpha = true
		case c == '-':
			hyphen = true
		case isDigit(c):
		default:
			return false
		}
	}
	return alpha || hyphen
}

// parseMacroString checks macro-string = *( macro-expand / macro-literal )
// (§7.1). In a domain-spec the letters c, r and t are not allowed: they
// belong to exp text only (§7.3).
func parseMacroString(s string, domain bool) ([]Macro, string) {
	var ms []Macro
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			// macro-literal = %x21-24 / %x26-7E: visible ASCII but "%".
			if c < 0x21 || c > 0x7e {
				return nil, fmt.Sprintf("character %q is not allowed (only visible ASCII)", rune(c))
			}
			continue
		}
		if i+1 >= len(s) {
			return nil, `a lone "%" at the end (write "%%" for a percent sign)`
		}
		switch s[i+1] {
		case '%', '_', '-':
			ms = append(ms, Macro{Text: s[i : i+2]})
			i++
			continue
		case '{':
		default:
			return nil, fmt.Sprintf(`"%%%c" is not a macro (use %%{x}, %%%%, %%_ or %%-)`, s[i+1])
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, fmt.Sprintf("macro %q is not closed with }", s[i:])
		}
		text := s[i : i+end+1]
		m, err := parseMacro(text, domain)
		if err != "" {
			return nil, err
		}
		ms = append(ms, m)
		i += end
	}
	return ms, ""
}

// parseMacro parses "%{" macro-letter transformers *delimiter "}", where
// transformers = *DIGIT [ "r" ] (§7.1).
func parseMacro(text string, domain bool) (Macro, string) {
	m := Macro{Text: text}
	body := text[2 : len(text)-1]
	if body == "" {
		return m, fmt.Sprintf("macro %q has no letter", text)
	}
	l := body[0]
	lower := l | 0x20
	if !isAlpha(l) || !strings.ContainsRune("slodiphcrtv", rune(lower)) {
		return m, fmt.Sprintf("macro %q: %q is not a macro letter (s l o d i p h v; c r t in exp text only)", text, rune(l))
	}
	if domain && strings.ContainsRune("crt", rune(lower)) {
		return m, fmt.Sprintf("macro %q: the letter %c is allowed only in exp text (RFC 7208 §7.3)", text, l)
	}
	m.Letter, m.URLEscape = lower, l != lower
	rest := body[1:]
	j := 0
	for j < len(rest) && isDigit(rest[j]) {
		j++
	}
	if j > 0 {
		n, err := strconv.Atoi(rest[:j])
		// §7.3: if a DIGIT transformer is given, its value MUST be nonzero.
		if err != nil || n == 0 {
			return m, fmt.Sprintf("macro %q: the digit transformer must be a non-zero number", text)
		}
		m.Digits = n
	}
	rest = rest[j:]
	if rest != "" && (rest[0] == 'r' || rest[0] == 'R') {
		m.Reverse = true
		rest = rest[1:]
	}
	for k := 0; k < len(rest); k++ {
		if !strings.ContainsRune(".-+,/_=", rune(rest[k])) {
			return m, fmt.Sprintf("macro %q: %q is not a delimiter (. - + , / _ =)", text, rune(rest[k]))
		}
	}
	m.Delimiters = rest
	return m, ""
}

// parseDualCIDR parses dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ].
func parseDualCIDR(s string) (int, int, string) {
	c4, c6 := -1, -1
	if strings.HasPrefix(s, "//") {
		n, err := cidrLen(s[2:], 128)
		if err != "" {
			return 0, 0, err
		}
		return c4, n, ""
	}
	s = s[1:]
	v4, v6, dual := strings.Cut(s, "//")
	n, err := cidrLen(v4, 32)
	if err != "" {
		return 0, 0, err
	}
	c4 = n
	if dual {
		if c6, err = cidrLen(v6, 128); err != "" {
			return 0, 0, err
		}
	}
	return c4, c6, ""
}

// cidrLen parses "0" / %x31-39 0*2DIGIT up to max: no leading zeros.
func cidrLen(s string, max int) (int, string) {
	if s == "" {
		return 0, "an empty prefix length"
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, fmt.Sprintf("prefix length %q is not a number", s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Sprintf("prefix length %q has a leading zero", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > max {
		return 0, fmt.Sprintf("prefix length %s is out of range 0-%d", s, max)
	}
	return n, ""
}

// parseNetwork parses ip4-network [ ip4-cidr-length ] or the ip6 form.
func parseNetwork(kind, s string) (netip.Prefix, string) {
	addr, length, hasLen := strings.Cut(s, "/")
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" {
		return netip.Prefix{}, fmt.Sprintf("%q is not an IP address", addr)
	}
	bits := 32
	if kind == "ip4" && !ip.Is4() {
		return netip.Prefix{}, fmt.Sprintf("%q is not an IPv4 address (use ip6: for IPv6)", addr)
	}
	if kind == "ip6" {
		if ip.Is4() {
			return netip.Prefix{}, fmt.Sprintf("%q is not an IPv6 address (use ip4: for IPv4)", addr)
		}
		bits = 128
	}
	n := bits
	if hasLen {
		var e string
		if n, e = cidrLen(length, bits); e != "" {
			return netip.Prefix{}, e
		}
	}
	return netip.PrefixFrom(ip, n), ""
}
