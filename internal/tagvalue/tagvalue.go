// Package tagvalue splits the tag=value lists of DNS TXT records (DKIM keys,
// RFC 6376 §3.2; DMARC, RFC 7489 §6.4; BIMI; MTA-STS, RFC 8461 §3.1;
// TLS-RPT, RFC 8460 §3) and checks their names and values. It is a library
// for the check packages: it reports nothing itself.
package tagvalue

import (
	"fmt"
	"strings"

	"github.com/whymail/whymail/checks"
)

// Tag is one tag=value of a tag list, as written.
type Tag struct {
	Name, Value string
}

// Piece is one ";"-separated piece of a tag list.
type Piece struct {
	Index int    // position among the pieces, from 0
	Raw   string // as written
	Text  string // without the white space allowed around it
	// Tag is the name and value of Text; both "" when Text has no "=".
	Tag
	IsTag bool // Text holds "="
}

// Empty reports whether the piece holds nothing but white space.
func (p Piece) Empty() bool { return p.Text == "" }

// Syntax says where a kind of tag list allows white space.
type Syntax struct {
	// Trim removes the white space allowed around a piece.
	Trim func(string) string
	// AroundEquals says white space around "=" is allowed (and removed).
	AroundEquals bool
}

// The syntaxes of the records whymail reads. They differ, so each parser
// names the one its RFC gives.
var (
	// DKIM: tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
	// (RFC 6376 §3.2). BIMI records use the same grammar.
	DKIM = Syntax{Trim: TrimFWS, AroundEquals: true}
	// DMARC: dmarc-sep = *WSP ";" *WSP (RFC 7489 §6.4); receivers also
	// accept white space around "=", and any Unicode space is trimmed.
	DMARC = Syntax{Trim: strings.TrimSpace, AroundEquals: true}
	// STS: field-delim = *WSP ";" *WSP, no white space around "="
	// (RFC 8461 §3.1, RFC 8460 §3).
	STS = Syntax{Trim: TrimWSP}
)

// TrimWSP removes spaces and tabs (WSP) around s.
func TrimWSP(s string) string { return strings.Trim(s, " \t") }

// TrimFWS removes spaces, tabs, CR and LF (folding white space) around s.
func TrimFWS(s string) string { return strings.Trim(s, " \t\r\n") }

// Split splits a tag list at ";". An empty last piece (the one after a
// trailing ";", or all of an empty s) is left out: the grammars allow it.
// Other empty pieces and pieces without "=" are returned for the caller to
// report in its own words.
func (sx Syntax) Split(s string) []Piece {
	parts := strings.Split(s, ";")
	pieces := make([]Piece, 0, len(parts))
	for i, raw := range parts {
		p := Piece{Index: i, Raw: raw, Text: sx.Trim(raw)}
		if p.Text == "" && i == len(parts)-1 {
			break
		}
		if name, value, ok := strings.Cut(p.Text, "="); ok {
			p.Name, p.Value, p.IsTag = name, value, true
		}
		if sx.AroundEquals {
			p.Name, p.Value = sx.Trim(p.Name), sx.Trim(p.Value)
		}
		pieces = append(pieces, p)
	}
	return pieces
}

// IsName reports whether s is a tag-name of RFC 6376 §3.2:
// ALPHA *(ALPHA / DIGIT / "_").
func IsName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}

// IsExtName reports whether s is an extension field name of RFC 8461 §3.1
// and RFC 8460 §3: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".").
func IsExtName(s string) bool {
	if len(s) < 1 || len(s) > 32 || !isAlnum(s[0]) {
		return false
	}
	for _, c := range []byte(s) {
		if !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// IsExtValue reports whether s is an extension field value of RFC 8461
// §3.1 and RFC 8460 §3: 1*(%x21-3A / %x3C / %x3E-7E).
func IsExtValue(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }

// ParseSTS parses a record in the grammar MTA-STS (RFC 8461 §3.1) and
// TLS-RPT (RFC 8460 §3) share:
//
//	record      = version 1*(field-delim field) [field-delim]
//	field-delim = *WSP ";" *WSP
//	extension   = ext-name "=" ext-value
//
// version ("v=STSv1") must be the first field, exactly. field is called for
// every other field in order and says whether it knew the name; fields it
// does not know must be valid extensions, returned in ext (nil when none).
// The error is the first thing wrong.
func ParseSTS(txt, version string, field func(name, value string) (known bool, err error)) (ext map[string]string, err error) {
	first, _, _ := strings.Cut(txt, ";")
	if strings.TrimRight(first, " \t") != version {
		return nil, fmt.Errorf("record must start with \"%s;\" (case-sensitive), not %q", version, Clip(first))
	}
	for _, p := range STS.Split(txt)[1:] {
		switch {
		case p.Empty():
			return nil, fmt.Errorf("empty field between \";\" separators")
		case !p.IsTag:
			return nil, fmt.Errorf("field %q is not name=value", Clip(p.Text))
		}
		if p.Name == "v" {
			return nil, fmt.Errorf("v= appears twice")
		}
		if known, err := field(p.Name, p.Value); err != nil {
			return nil, err
		} else if known {
			continue
		}
		switch {
		case !IsExtName(p.Name):
			return nil, fmt.Errorf("field name %q is not valid (letters, digits, _ - . up to 32)", Clip(p.Name))
		case !IsExtValue(p.Value):
			return nil, fmt.Errorf("field %s has an invalid value %q (no spaces, \"=\" or \";\")", p.Name, Clip(p.Value))
		}
		if ext == nil {
			ext = map[string]string{}
		}
		ext[p.Name] = p.Value
	}
	return ext, nil
}

// A Problem is one thing wrong (or worth saying) about a tag list, with the
// tag it concerns.
type Problem struct {
	ID       string // the finding ID of the check that reports it
	Severity checks.Severity
	Tag      string // "" for the record as a whole
	Message  string
}

// Problemf returns a Problem with a formatted message.
func Problemf(sev checks.Severity, tag, format string, args ...any) Problem {
	return Problem{Severity: sev, Tag: tag, Message: fmt.Sprintf(format, args...)}
}

// ProblemIDf returns a Problem with a finding ID and a formatted message.
func ProblemIDf(id string, sev checks.Severity, tag, format string, args ...any) Problem {
	return Problem{ID: id, Severity: sev, Tag: tag, Message: fmt.Sprintf(format, args...)}
}

func (p Problem) String() string {
	if p.Tag == "" || strings.Contains(p.Message, p.Tag+"=") {
		return p.Message
	}
	return p.Tag + "=: " + p.Message
}

// Clip shortens record text quoted in a message to 60 bytes.
func Clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
