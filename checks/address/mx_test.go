package address_test

import (
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/address"
	"github.com/whymail/whymail/checks/mx"
	"github.com/whymail/whymail/internal/checktest"
)

// TestWithMX runs address, the real mx check and typo on zone data.
func TestWithMX(t *testing.T) {
	z := checktest.Zones(t, `
$ORIGIN com.
@          SOA ns.com. host.com. 1 3600 600 86400 300
gmail      MX 5 gmail-smtp-in.l.google.com.
gmai       MX 10 mx.gmai.com.
mx.gmai    A 203.0.113.5
hotmal     MX 10 aspmx.l.google.com.
outlok     A 203.0.113.80
hotmial    TXT "v=spf1 -all"
`, `
$ORIGIN google.com.
@ SOA ns.google.com. host.google.com. 1 3600 600 86400 300
gmail-smtp-in.l A 142.250.1.27
aspmx.l A 142.250.1.26
`)
	tests := []struct {
		addr    string
		verdict checks.Verdict
		msg     string
	}{
		{"alice@gmial.com", checks.Likely, "gmial.com looks like a typo of gmail.com, and gmial.com accepts no mail (the domain does not exist: NXDOMAIN)"},
		{"alice@hotmial.com", checks.Likely, "hotmial.com looks like a typo of hotmail.com, and hotmial.com accepts no mail (no MX)"},
		{"alice@outlok.com", checks.Likely, "typical of a parked domain"},
		{"alice@gmai.com", checks.Likely, "gmai.com takes mail (MX mx.gmai.com) at a host of no known mailbox provider"},
		{"alice@hotmal.com", checks.Possible, "but hotmal.com does accept mail at Google Workspace (MX aspmx.l.google.com), so it may be a real address"},
		{"alice@gmail.com", checks.RuledOut, "known mailbox provider"},
		{"alice@yaho.org", checks.RuledOut, "not a slip"},
	}
	for _, tt := range tests {
		tk := &checks.Ticket{Address: tt.addr, Domain: tt.addr[strings.IndexByte(tt.addr, '@')+1:]}
		res := checktest.Run(t, z, tk, address.Check, mx.Check, address.Typo)
		if got := checktest.Best(res, checks.AddressTypo); got != tt.verdict {
			t.Errorf("%s: address-typo %q, want %q: %q", tt.addr, got, tt.verdict, checktest.Messages(res, "typo"))
		}
		if msgs := strings.Join(checktest.Messages(res, "typo"), "\n"); !strings.Contains(msgs, tt.msg) {
			t.Errorf("%s: typo says %q, want %q (mx: %q)", tt.addr, msgs, tt.msg, checktest.Messages(res, "mx"))
		}
	}
}
