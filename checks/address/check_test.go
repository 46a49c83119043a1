package address

import (
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
)

func ticket(addr string) *checks.Ticket {
	t := &checks.Ticket{Address: addr}
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		t.Domain = addr[i+1:]
	}
	return t
}

func TestCheck(t *testing.T) {
	tests := []struct {
		addr    string
		verdict checks.Verdict // on address-invalid
		status  checks.Status
		msgs    []string // substrings some finding's message must hold
	}{
		{"alice@example.com", checks.RuledOut, checks.StatusOK, []string{"alice@example.com is a well-formed address"}},
		{"alice@@example.com", checks.Confirmed, checks.StatusError, []string{`"alice@@example.com" is not a valid email address: there is a second @ at position 7`}},
		{"Alice <alice@example.com>", checks.Confirmed, checks.StatusError, []string{"give only the address: alice@example.com"}},
		{"josé@example.com", checks.Possible, checks.StatusOK, []string{"SMTPUTF8 (RFC 6531)"}},
		{"alice@bücher.de", checks.RuledOut, checks.StatusOK, []string{"(domain xn--bcher-kva.de in DNS form)"}},
		{"postmaster@example.com", checks.RuledOut, checks.StatusOK, []string{"postmaster@ is a role address"}},
		{"NoReply+x@example.com", checks.RuledOut, checks.StatusOK, []string{"noreply@ is a role address"}},
		{"bob@mailinator.com", checks.RuledOut, checks.StatusOK, []string{"mailinator.com is a disposable-mail domain"}},
		{"bob@a.b.mailinator.com", checks.RuledOut, checks.StatusOK, []string{"listed as mailinator.com"}},
		{"bob@[192.0.2.1]", checks.RuledOut, checks.StatusOK, []string{"address literal [192.0.2.1]"}},
	}
	for _, tt := range tests {
		res := checktest.Run(t, nil, ticket(tt.addr), Check)
		cr := res.Check("address")
		if got := checktest.Best(res, checks.AddressInvalid); got != tt.verdict {
			t.Errorf("%s: address-invalid %q, want %q (%q)", tt.addr, got, tt.verdict, checktest.Messages(res, "address"))
		}
		if cr.Status != tt.status {
			t.Errorf("%s: status %s, want %s", tt.addr, cr.Status, tt.status)
		}
		all := strings.Join(checktest.Messages(res, "address"), "\n")
		for _, want := range tt.msgs {
			if !strings.Contains(all, want) {
				t.Errorf("%s: messages %q lack %q", tt.addr, all, want)
			}
		}
		m, ok := cr.Result.(*Mailbox)
		if !ok || m.Address != tt.addr {
			t.Errorf("%s: result %#v, want the *Mailbox", tt.addr, cr.Result)
		}
		if tt.verdict == checks.Confirmed {
			f := cr.Findings[0]
			if f.Strength != checks.Direct || f.Severity != checks.Error || f.Data["reason"] == "" {
				t.Errorf("%s: invalid finding %+v", tt.addr, f)
			}
		}
	}
	// Nothing else flags a plain personal address at a plain domain.
	res := checktest.Run(t, nil, ticket("alice@example.com"), Check)
	if n := len(res.Check("address").Findings); n != 1 {
		t.Errorf("alice@example.com: %d findings, want 1: %q", n, checktest.Messages(res, "address"))
	}
}

func TestCheckNoAddress(t *testing.T) {
	res := checktest.Run(t, nil, &checks.Ticket{Domain: "example.com"}, Check)
	cr := res.Check("address")
	if cr.Status != checks.StatusSkipped || cr.Reason != "no address" || cr.Result != nil {
		t.Errorf("no address: %+v", cr)
	}
}

func TestRole(t *testing.T) {
	for local, want := range map[string]string{
		"admin": "admin", "Admin": "admin", "support+x": "support", "no-reply": "no-reply",
		"alice": "", "administrators": "", "info.alice": "", "+admin": "",
	} {
		if got := Role(local); got != want {
			t.Errorf("Role(%q) = %q, want %q", local, got, want)
		}
	}
}

func TestDisposable(t *testing.T) {
	for d, want := range map[string]string{
		"mailinator.com": "mailinator.com", "x.mailinator.com": "mailinator.com", "MAILINATOR.COM.": "mailinator.com",
		"gmail.com": "", "example.com": "", "com": "", "": "",
	} {
		if got := Disposable(d); got != want {
			t.Errorf("Disposable(%q) = %q, want %q", d, got, want)
		}
	}
	if n := len(disposable()); n < 8000 {
		t.Errorf("disposable list has %d entries, want the embedded ~8,300", n)
	}
}
