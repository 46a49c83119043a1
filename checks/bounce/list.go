package bounce

import (
	"strings"

	"github.com/emersion/go-message"
)

// A bounce of a mailing-list post names the list as well as the member
// whose mailbox refused it: the returned post carries the list's headers
// (RFC 2369 List-*, RFC 2919 List-Id) and is addressed To the list, and its
// Sender, Errors-To and Return-Path are the list's. Those addresses are the
// list's own, not failed recipients: a recipient is one the report says
// failed (a DSN's Final-Recipient, X-Failed-Recipients, an address the
// failure text ties the error to).

// listHeaderRE is a line of the bounce's text that quotes one of the list
// header fields of the returned message.
var listHeaderRE = lazy(`(?i)^[ \t>]*(?:list-[a-z-]+|sender|errors-to|x-beenthere|x-mailing-list|mailing-list)[ \t]*:`)

// quotedHeaderRE is a line of the bounce's text that quotes the returned
// message's To or Cc ("Your message  To: news@lists.example.org  did not
// reach the following recipient(s): ..."): where it was addressed, which
// is where it failed only when the text names no other address.
var quotedHeaderRE = lazy(`(?i)^[ \t>]*(?:to|cc|bcc)[ \t]*:`)

// listIDRE is the list-id of an RFC 2919 List-Id field, in angle brackets.
var listIDRE = lazy(`<([A-Za-z0-9!#$%&'*+/=?^_{|}~-]+)\.([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>`)

// listIDAddr turns an RFC 2919 list-id into the address it is made from,
// as Mailman, Sympa, Google Groups and most list managers make it
// ("<news.lists.example.org>" for news@lists.example.org); "" if v holds
// none.
func listIDAddr(v string) string {
	m := listIDRE.FindStringSubmatch(v)
	if m == nil {
		return ""
	}
	return m[1] + "@" + m[2]
}

// listLineAddrs returns the list's own addresses a line of text quoting a
// list header field names (listHeaderRE), lower-cased.
func listLineAddrs(l string) []string {
	var out []string
	for _, a := range addrRE.FindAllString(l, -1) {
		out = append(out, strings.ToLower(a))
	}
	if a := listIDAddr(l); a != "" && strings.HasPrefix(strings.ToLower(strings.TrimLeft(l, " \t>")), "list-id") {
		out = append(out, strings.ToLower(a))
	}
	return out
}

// listOwnAddrs returns the addresses of the returned message's headers
// that are the list's own, lower-cased: those of its list header fields
// and, when it is a list post, its Sender, Errors-To and Return-Path. A
// message with only List-Unsubscribe (as bulk senders add) is not a list
// post: its other headers are its sender's.
func listOwnAddrs(h message.Header) map[string]bool {
	own := map[string]bool{}
	isList := false
	for _, k := range []string{"List-Id", "List-Post", "X-BeenThere", "Mailing-List", "X-Mailing-List"} {
		if h.Get(k) != "" {
			isList = true
		}
	}
	keys := []string{"List-Id", "List-Post", "List-Owner", "List-Help", "List-Subscribe", "List-Unsubscribe", "List-Archive", "X-BeenThere", "Mailing-List", "X-Mailing-List"}
	if isList {
		keys = append(keys, "Sender", "Errors-To", "Return-Path")
	}
	for _, k := range keys {
		for _, v := range h.Values(k) {
			for _, a := range addrRE.FindAllString(v, -1) {
				own[strings.ToLower(a)] = true
			}
			if k == "List-Id" {
				if a := listIDAddr(v); a != "" {
					own[strings.ToLower(a)] = true
				}
			}
		}
	}
	return own
}
