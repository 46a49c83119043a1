package spf

import (
	"fmt"
	"strings"

	"github.com/whymail/whymail/internal/lookup"
)

// miekg/dns keeps names and TXT strings in presentation format: a byte
// outside printable ASCII is \DDD, and a quote or backslash (in names also
// a space and ;()@') is preceded by a backslash. check_host works on the
// octets (RFC 7208 §4.6.1 forbids non-ASCII; §7.3 expands %_ to a space),
// so the adapter converts between the two.

// unescape turns presentation format into octets.
func unescape(s string) string { return lookup.Unescape(s) }

// escapeName turns a name of octets (labels separated by dots) into the
// presentation format the resolvers compare.
func escapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			b.WriteByte(c)
		case c == ' ' || c == '\'' || c == '@' || c == ';' || c == '(' || c == ')' || c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// txtStrings returns a TXT record's character-strings as octets.
func txtStrings(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = unescape(s)
	}
	return out
}
