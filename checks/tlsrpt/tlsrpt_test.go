package tlsrpt

import (
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
)

const zone = `$ORIGIN test.
$TTL 300
@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300
_smtp._tls.good       TXT "v=TLSRPTv1; rua=mailto:tls@good.test,https://reports.good.test/v1"
_smtp._tls.good       TXT "unrelated"
_smtp._tls.two        TXT "v=TLSRPTv1; rua=mailto:a@two.test"
_smtp._tls.two        TXT "v=TLSRPTv1; rua=mailto:b@two.test"
_smtp._tls.norua      TXT "v=TLSRPTv1;"
_smtp._tls.http       TXT "v=TLSRPTv1; rua=http://reports.http.test/"
_smtp._tls.split      TXT "v=TLSRPTv1; " "rua=mailto:tls@split.test"
_smtp._tls.case       TXT "V=tlsrptv1; rua=mailto:tls@case.test"
none                  MX 10 mx.none.test.
`

func TestTLSRPT(t *testing.T) {
	z := checktest.Zones(t, zone)
	tests := []struct {
		ticket checks.Ticket
		sev    checks.Severity
		msg    string
		failed bool
	}{
		{checks.Ticket{Mode: checks.Lint, Domain: "good.test"}, checks.OK, "reports go to mailto:tls@good.test, https://reports.good.test/v1", false},
		{checks.Ticket{Mode: checks.Lint, Domain: "split.test"}, checks.OK, "reports go to mailto:tls@split.test", false},
		{checks.Ticket{Mode: checks.Lint, Domain: "two.test"}, checks.Error, "2 TLS-RPT records at _smtp._tls.two.test", false},
		{checks.Ticket{Mode: checks.Lint, Domain: "norua.test"}, checks.Error, "rua= is missing", false},
		{checks.Ticket{Mode: checks.Lint, Domain: "http.test"}, checks.Error, "http: is not allowed, use https:", false},
		{checks.Ticket{Mode: checks.Lint, Domain: "case.test"}, checks.Error, "looks like TLS-RPT but does not begin exactly with", false},
		{checks.Ticket{Mode: checks.Lint, Domain: "none.test"}, checks.Info, "no TLS-RPT record at _smtp._tls.none.test: optional", false},
		{checks.Ticket{Address: "x@none.test", Domain: "none.test", Sender: "app@good.test"}, checks.OK, "tls@good.test", false},
		{checks.Ticket{Mode: checks.Lint, Domain: "elsewhere.example"}, checks.Warning, "could not look up the TLS-RPT record _smtp._tls.elsewhere.example TXT (refused)", true},
	}
	for _, tt := range tests {
		res := checktest.Run(t, z, &tt.ticket, Check)
		cr := res.Check("tls-rpt")
		if (cr.Status == checks.StatusFailed) != tt.failed {
			t.Errorf("%+v: status %s, want failed %v", tt.ticket, cr.Status, tt.failed)
		}
		worst := checks.OK
		for _, f := range cr.Findings {
			worst = max(worst, f.Severity)
		}
		all := strings.Join(checktest.Messages(res, "tls-rpt"), "\n")
		if worst != tt.sev || !strings.Contains(all, tt.msg) {
			t.Errorf("%+v: worst %v, messages:\n%s\nwant %v and %q", tt.ticket, worst, all, tt.sev, tt.msg)
		}
	}
	res := checktest.Run(t, z, &checks.Ticket{}, Check)
	if cr := res.Check("tls-rpt"); cr.Status != checks.StatusSkipped {
		t.Errorf("no domain: status %s, want skipped", cr.Status)
	}
}

func TestParseRecord(t *testing.T) {
	tests := []struct {
		in  string
		rua int
		err string
	}{
		{"v=TLSRPTv1; rua=mailto:reports@example.com", 1, ""},
		{"v=TLSRPTv1;rua=mailto:a@example.com , https://r.example.com/x;", 2, ""},
		{"v=TLSRPTv1; rua=mailto:a@example.com; ext=1", 1, ""},
		{"v=TLSRPTv1; rua=mailto:a%40example.com", 1, ""},
		{"v=tlsrptv1; rua=mailto:a@example.com", 0, "must start with"},
		{"v=TLSRPTv1; rua=", 0, "empty"},
		{"v=TLSRPTv1; rua=mailto:nobody", 0, "mailto: without a valid address"},
		{"v=TLSRPTv1; rua=https:///path", 0, "https: without a host"},
		{"v=TLSRPTv1; rua=ftp://x.example", 0, "scheme \"ftp\" is not allowed"},
		{"v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", 0, "twice"},
		{"v=TLSRPTv1; rua=mailto:a@example.com;; x=1", 0, "empty field"},
		{"v=TLSRPTv1; rua=mailto:a@example.com; bad", 0, "not name=value"},
	}
	for _, tt := range tests {
		r, err := ParseRecord(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseRecord(%q) err %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("ParseRecord(%q) err %v", tt.in, err)
		case tt.err == "" && len(r.RUA) != tt.rua:
			t.Errorf("ParseRecord(%q) rua %q, want %d", tt.in, r.RUA, tt.rua)
		}
	}
}

func FuzzParseTLSRPT(f *testing.F) {
	f.Add("v=TLSRPTv1; rua=mailto:reports@example.com,https://r.example.com/")
	f.Add("v=TLSRPTv1;rua=mailto:%40;x=y;")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecord(s)
		if err != nil {
			return
		}
		if len(r.RUA) == 0 {
			t.Error("accepted a record without destinations")
		}
		for _, u := range r.RUA {
			if checkURI(u) != nil {
				t.Errorf("kept invalid destination %q", u)
			}
		}
	})
}
