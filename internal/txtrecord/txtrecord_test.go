package txtrecord

import (
	"reflect"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
)

func TestDomain(t *testing.T) {
	tests := []struct {
		ticket checks.Ticket
		want   string
		err    bool
	}{
		{checks.Ticket{}, "", false},
		{checks.Ticket{Mode: checks.Lint, Domain: " Example.COM. "}, "example.com", false},
		{checks.Ticket{Mode: checks.Lint, Domain: "bücher.example"}, "xn--bcher-kva.example", false},
		{checks.Ticket{Sender: "app@Sender.Example"}, "sender.example", false},
		// Diagnosing an address: the sender's domain, not the recipient's.
		{checks.Ticket{Address: "u@rcpt.example", Domain: "rcpt.example", Sender: "app@sender.example"}, "sender.example", false},
		{checks.Ticket{Mode: checks.Lint, Domain: "xn--a.example"}, "", true},
	}
	for _, tt := range tests {
		got, err := Domain(&tt.ticket)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("Domain(%+v) = %q, %v; want %q, error %v", tt.ticket, got, err, tt.want, tt.err)
		}
	}
}

const zone = `$ORIGIN test.
$TTL 300
@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300
_x.one     TXT "v=X1; a=1"
_x.one     TXT "unrelated"
_x.two     TXT "v=X1; a=1"
_x.two     TXT "v=X1; a=2"
_x.case    TXT "V=x1; a=1"
_x.space   TXT " v=X1; a=1"
_x.none    TXT "v=spf1 -all"
`

func TestFind(t *testing.T) {
	z := checktest.Zones(t, zone)
	strict := Kind{Record: "x", Name: "X", Version: "v=X1", Readers: "senders"}
	loose := strict
	loose.LeadingSpace, loose.Readers = true, "receivers"
	tests := []struct {
		kind   Kind
		name   string
		recs   []string
		msg    string // "" for no finding
		failed bool
	}{
		{strict, "_x.one.test", []string{"v=X1; a=1"}, "", false},
		{strict, "_x.two.test", []string{"v=X1; a=1", "v=X1; a=2"}, "", false},
		{strict, "_x.none.test", nil, "", false},
		{strict, "_x.nxdomain.test", nil, "", false},
		{strict, "_x.case.test", nil, `TXT record "V=x1; a=1" at _x.case.test looks like X but does not begin exactly with "v=X1" (case-sensitive, no leading space): senders ignore it`, false},
		{loose, "_x.case.test", nil, `TXT record "V=x1; a=1" at _x.case.test looks like X but does not begin with "v=X1" (case-sensitive): receivers ignore it`, false},
		{strict, "_x.space.test", nil, `TXT record " v=X1; a=1" at _x.space.test looks like X but does not begin exactly with`, false},
		{loose, "_x.space.test", []string{" v=X1; a=1"}, "", false},
		{strict, "_x.elsewhere.example", nil, "could not look up the X record _x.elsewhere.example TXT (refused)", true},
	}
	for _, tt := range tests {
		var recs []string
		check := &checks.Check{Name: "x", Doc: "finds X records", Run: func(p *checks.Pass) (any, error) {
			var err error
			recs, err = Find(p, tt.kind, tt.name)
			return nil, err
		}}
		res := checktest.Run(t, z, &checks.Ticket{Mode: checks.Lint, Domain: "test"}, check)
		cr := res.Check("x")
		if (cr.Status == checks.StatusFailed) != tt.failed {
			t.Errorf("%s: status %s, want failed %v", tt.name, cr.Status, tt.failed)
		}
		if !reflect.DeepEqual(recs, tt.recs) {
			t.Errorf("%s: records %q, want %q", tt.name, recs, tt.recs)
		}
		msgs := checktest.Messages(res, "x")
		switch {
		case tt.msg == "" && len(msgs) > 0:
			t.Errorf("%s: findings %q, want none", tt.name, msgs)
		case tt.msg != "" && (len(msgs) != 1 || !strings.HasPrefix(msgs[0], tt.msg)):
			t.Errorf("%s: findings %q, want one beginning %q", tt.name, msgs, tt.msg)
		case tt.msg != "" && cr.Findings[0].Severity != checks.Error && !tt.failed:
			t.Errorf("%s: severity %v, want error", tt.name, cr.Findings[0].Severity)
		}
	}
}

func TestKindDomainReportMany(t *testing.T) {
	z := checktest.Zones(t, zone)
	tests := []struct {
		kind   Kind
		ticket checks.Ticket
		skip   string // the skip reason, "" when the check runs
		msg    string
	}{
		{Kind{Record: "x", Name: "X", Readers: "senders", Many: "no policy", Rule: "RFC 8461 §3.1"}, checks.Ticket{Mode: checks.Lint, Domain: "Two.Test."}, "",
			"2 X records at _x.two.test: senders treat more than one as no policy (RFC 8461 §3.1); keep one"},
		{Kind{Record: "x", Name: "X", Readers: "receivers", Many: "none"}, checks.Ticket{Mode: checks.Lint, Domain: "two.test"}, "",
			"2 X records at _x.two.test: receivers treat more than one as none; keep one"},
		{Kind{Record: "x", Name: "X"}, checks.Ticket{}, "no sender domain given, so there is no X record to check", ""},
		{Kind{Record: "x", Name: "X"}, checks.Ticket{Mode: checks.Lint, Domain: "xn--a.test"}, `"xn--a.test" is not a valid domain name`, ""},
	}
	for _, tt := range tests {
		check := &checks.Check{Name: "x", Doc: "reports X records", Run: func(p *checks.Pass) (any, error) {
			d, ok := tt.kind.Domain(p)
			if !ok {
				return nil, nil
			}
			tt.kind.ReportMany(p, "_x."+d, []string{"a", "b"})
			return nil, nil
		}}
		res := checktest.Run(t, z, &tt.ticket, check)
		cr := res.Check("x")
		if skipped := cr.Status == checks.StatusSkipped; skipped != (tt.skip != "") || !strings.Contains(cr.Reason, tt.skip) {
			t.Errorf("%+v: status %s %q, want skip %q", tt.ticket, cr.Status, cr.Reason, tt.skip)
		}
		msgs := checktest.Messages(res, "x")
		switch {
		case tt.msg == "" && len(msgs) != 0:
			t.Errorf("%+v: findings %q, want none", tt.ticket, msgs)
		case tt.msg != "" && (len(msgs) != 1 || msgs[0] != tt.msg || cr.Findings[0].Severity != checks.Error ||
			!reflect.DeepEqual(cr.Findings[0].Data, map[string]any{"records": []string{"a", "b"}})):
			t.Errorf("%+v: findings %+v, want one error %q", tt.ticket, cr.Findings, tt.msg)
		}
	}
}

func TestHasVersion(t *testing.T) {
	for rec, want := range map[string]bool{
		"v=STSv1; id=1":  true,
		"v=STSv1":        true,
		"v=STSv1 ;id=1":  true,
		"v=STSv10; id=1": false,
		"v=BIMI1x":       false,
		"v=DMARC1":       false,
	} {
		if got := hasVersion(rec, "v=STSv1"); rec != "v=BIMI1x" && got != want {
			t.Errorf("hasVersion(%q, v=STSv1) = %v, want %v", rec, got, want)
		}
	}
	if hasVersion("v=BIMI1x", "v=BIMI1") {
		t.Error("v=BIMI1x taken for v=BIMI1")
	}
}
