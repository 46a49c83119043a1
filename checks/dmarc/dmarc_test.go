package dmarc

import (
	blitiri "blitiri.com.ar/go/spf"

	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"
	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/dkim"
	"github.com/whymail/whymail/checks/spf"
	"github.com/whymail/whymail/internal/checktest"
)

// given hands DMARC the SPF and DKIM results a test chooses, so that it
// is tested on its own.
func given(sp *spf.Result, dk *dkim.Result) map[*checks.Check]any {
	return map[*checks.Check]any{spf.Lint: checktest.Result(sp), dkim.Check: checktest.Result(dk)}
}

func zone(origin string, records ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ORIGIN %s.\n@ 300 IN SOA ns.%s. h.%s. 1 3600 600 86400 300\n", origin, origin, origin)
	for _, r := range records {
		b.WriteString(r + "\n")
	}
	return b.String()
}

// txt writes a TXT record, quoting the value.
func txt(name, value string) string {
	return fmt.Sprintf("%s 300 IN TXT %q", name, value)
}

func runDMARC(t *testing.T, ticket *checks.Ticket, spf *spf.Result, dkim *dkim.Result, zones ...string) *checks.Result {
	t.Helper()
	return checktest.RunGiven(t, checktest.Zones(t, zones...), ticket, given(spf, dkim), Check)
}

func find(res *checks.Result, substr string) *checks.Finding {
	for i, f := range res.Check("dmarc").Findings {
		if strings.Contains(f.Message, substr) {
			return &res.Check("dmarc").Findings[i]
		}
	}
	return nil
}

func dump(t *testing.T, res *checks.Result) {
	t.Helper()
	for _, f := range res.Check("dmarc").Findings {
		t.Logf("  %s [%s] %s %s: %s", f.Severity, f.Record, f.Cause, f.Verdict, f.Message)
	}
}

const good = "; rua=mailto:dmarc@example.com"

func TestLintRules(t *testing.T) {
	rows := []struct {
		name    string
		records []string // at _dmarc.example.com unless a name is given ("name value")
		want    string
		sev     checks.Severity
	}{
		{"healthy", []string{"v=DMARC1; p=reject" + good}, "DMARC record at _dmarc.example.com: v=DMARC1; p=reject", checks.OK},
		{"p=none", []string{"v=DMARC1; p=none" + good}, "p=none: monitoring only", checks.Warning},
		{"no p", []string{"v=DMARC1" + good}, "no p= tag", checks.Error},
		{"bad p", []string{"v=DMARC1; p=block" + good}, `"block" is not a policy`, checks.Error},
		{"sp none", []string{"v=DMARC1; p=reject; sp=none" + good}, "sp=none leaves subdomains unprotected", checks.Warning},
		{"bad sp", []string{"v=DMARC1; p=reject; sp=drop" + good}, `sp=: "drop" is not a policy`, checks.Error},
		{"bad np", []string{"v=DMARC1; p=reject; np=maybe" + good}, `np=: "maybe" is not a policy`, checks.Error},
		{"bad adkim", []string{"v=DMARC1; p=reject; adkim=x" + good}, `"x" is not an alignment mode`, checks.Error},
		{"bad aspf", []string{"v=DMARC1; p=reject; aspf=relaxed" + good}, `aspf=: "relaxed" is not an alignment mode`, checks.Error},
		{"pct 50", []string{"v=DMARC1; p=reject; pct=50" + good}, "pct=50: the policy is applied to only 50%", checks.Warning},
		{"pct 0", []string{"v=DMARC1; p=reject; pct=0" + good}, "pct=0: the policy is applied to no mail", checks.Warning},
		{"pct removed", []string{"v=DMARC1; p=reject; pct=100" + good}, "pct= is removed by RFC 9989", checks.Info},
		{"bad pct", []string{"v=DMARC1; p=reject; pct=150" + good}, `"150" is not a whole number from 0 to 100`, checks.Error},
		{"bad rf", []string{"v=DMARC1; p=reject; rf=iodef" + good}, `unknown failure report format "iodef"`, checks.Error},
		{"rf removed", []string{"v=DMARC1; p=reject; rf=afrf" + good}, "rf= is removed by RFC 9989", checks.Info},
		{"bad ri", []string{"v=DMARC1; p=reject; ri=0" + good}, `"0" is not a positive number`, checks.Error},
		{"ri removed", []string{"v=DMARC1; p=reject; ri=86400" + good}, "ri= is removed by RFC 9989", checks.Info},
		{"bad fo", []string{"v=DMARC1; p=reject; fo=2; ruf=mailto:f@example.com" + good}, `unknown failure reporting option "2"`, checks.Error},
		{"fo without ruf", []string{"v=DMARC1; p=reject; fo=1" + good}, "fo= has no effect without ruf=", checks.Info},
		{"no rua", []string{"v=DMARC1; p=reject"}, "no rua=: nobody receives aggregate reports", checks.Warning},
		{"rua no scheme", []string{"v=DMARC1; p=reject; rua=dmarc@example.com"}, `"dmarc@example.com" is not a URI`, checks.Error},
		{"rua bad address", []string{"v=DMARC1; p=reject; rua=mailto:nobody"}, `"mailto:nobody" is not a valid mailto: address`, checks.Error},
		{"rua https", []string{"v=DMARC1; p=reject; rua=https://example.com/r" + ",mailto:d@example.com"}, "receivers send reports to mailto: URIs", checks.Warning},
		{"rua bad size", []string{"v=DMARC1; p=reject; rua=mailto:d@example.com!10x"}, "the size limit after ! must be a number", checks.Error},
		{"rua empty", []string{"v=DMARC1; p=reject; rua="}, "rua= is empty", checks.Error},
		{"three rua", []string{"v=DMARC1; p=reject; rua=mailto:a@example.com,mailto:b@example.com,mailto:c@example.com!10m"}, "3 destinations: receivers need only send to two", checks.Info},
		{"testing", []string{"v=DMARC1; p=reject; t=y" + good}, "t=y: the domain says its policy is in testing", checks.Warning},
		{"bad t", []string{"v=DMARC1; p=reject; t=maybe" + good}, `t=: "maybe" is not y or n`, checks.Error},
		{"psd", []string{"v=DMARC1; p=reject; psd=y" + good}, "psd=y: this domain declares itself a public suffix", checks.Info},
		{"bad psd", []string{"v=DMARC1; p=reject; psd=q" + good}, `psd=: "q" is not y, n or u`, checks.Error},
		{"unknown tag", []string{"v=DMARC1; p=reject; foo=bar" + good}, "unknown tag foo= is ignored", checks.Warning},
		{"duplicate", []string{"v=DMARC1; p=reject; p=none" + good}, "tag appears more than once", checks.Error},
		{"upper-case name", []string{"v=DMARC1; P=reject" + good}, `tag name "P" is not lower-case`, checks.Warning},
		{"go-msgauth net", []string{"v=DMARC1; P=reject" + good}, "go-msgauth, a common DMARC library, rejects the record", checks.Warning},
		{"not tag=value", []string{"v=DMARC1; p=reject; oops" + good}, `"oops" is not tag=value`, checks.Error},
		{"empty piece", []string{"v=DMARC1;; p=reject" + good}, "empty tag between semicolons", checks.Warning},
		{"v not first", []string{"p=reject; v=DMARC1" + good}, "v=DMARC1 must be the first tag", checks.Error},
		{"v case", []string{"v=dmarc1; p=reject" + good}, "must start with exactly v=DMARC1", checks.Error},
		{"multiple", []string{"v=DMARC1; p=reject" + good, "v=DMARC1; p=none" + good}, "has 2 DMARC records", checks.Error},
		{"none", []string{"example.com v=spf1 -all"}, "no DMARC record at _dmarc.example.com:", checks.Warning},
		{"external unauthorized", []string{"v=DMARC1; p=reject; rua=mailto:r@reports.example.net"},
			"rua=mailto:r@reports.example.net is outside example.com, and reports.example.net has no v=DMARC1 record at example.com._report._dmarc.reports.example.net (nxdomain)", checks.Warning},
		{"external authorized", []string{"v=DMARC1; p=reject; rua=mailto:r@vendor.example.net; ruf=mailto:f@vendor.example.net"},
			"external ruf destination vendor.example.net accepts reports for example.com", checks.OK},
		{"external wildcard", []string{"v=DMARC1; p=reject; rua=mailto:r@wild.example.net"},
			"external rua destination wild.example.net accepts reports", checks.OK},
		{"external unreachable", []string{"v=DMARC1; p=reject; rua=mailto:r@elsewhere.test"},
			"could not check that elsewhere.test accepts DMARC reports", checks.Info},
	}
	ext := zone("example.net",
		txt("example.com._report._dmarc.vendor", "v=DMARC1"),
		txt("*._report._dmarc.wild", "v=DMARC1;"),
		txt("reports", "x"))
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			var recs []string
			for _, v := range r.records {
				if name, val, ok := strings.Cut(v, " "); ok && !strings.Contains(name, "=") {
					recs = append(recs, txt(name+".", val))
				} else {
					recs = append(recs, txt("_dmarc", v))
				}
			}
			res := runDMARC(t, &checks.Ticket{Sender: "app@example.com"}, nil, nil, zone("example.com", recs...), ext)
			f := find(res, r.want)
			if f == nil {
				dump(t, res)
				t.Fatalf("no finding containing %q", r.want)
			}
			if f.Severity != r.sev {
				t.Errorf("severity %s, want %s: %s", f.Severity, r.sev, f.Message)
			}
			if st := res.Check("dmarc").Status; st == checks.StatusFailed {
				t.Errorf("check failed: %s", res.Check("dmarc").Reason)
			}
		})
	}
}

func TestHealthyHasNoWarnings(t *testing.T) {
	res := runDMARC(t, &checks.Ticket{Sender: "example.com"}, nil, nil,
		zone("example.com", txt("_dmarc", "v=DMARC1; p=reject; adkim=s; aspf=r; np=reject; rua=mailto:dmarc@example.com!10m; ruf=mailto:f@example.com; fo=1")))
	if st := res.Check("dmarc").Status; st != checks.StatusOK {
		dump(t, res)
		t.Errorf("status %s, want ok", st)
	}
	r := res.Check("dmarc").Result.(*Result)
	if !r.Found || r.Policy != "reject" || r.OrgDomain != "" || r.Pass != checks.Maybe {
		t.Errorf("result %+v", r)
	}
	if v := checktest.Best(res, checks.SenderAuth); v != checks.Unknown {
		t.Errorf("sender-auth %q, want unknown (no IPs, no message)", v)
	}
}

func TestNoRecord(t *testing.T) {
	res := runDMARC(t, &checks.Ticket{Sender: "a@mail.example.com"}, nil, nil, zone("example.com", txt("www", "x")))
	f := find(res, "no DMARC record at _dmarc.mail.example.com or _dmarc.example.com")
	if f == nil || f.Severity != checks.Warning || f.Cause != checks.SenderAuth || f.Verdict != checks.Possible {
		dump(t, res)
		t.Fatalf("got %+v", f)
	}
	if r := res.Check("dmarc").Result.(*Result); r.Found {
		t.Errorf("found %+v", r)
	}
}

func TestOrgFallback(t *testing.T) {
	res := runDMARC(t, &checks.Ticket{Sender: "a@mail.example.co.uk"}, nil, nil,
		zone("example.co.uk", txt("_dmarc", "v=DMARC1; p=reject; sp=quarantine"+good)))
	r := res.Check("dmarc").Result.(*Result)
	if !r.Found || r.OrgDomain != "example.co.uk" || r.Policy != "quarantine" {
		dump(t, res)
		t.Errorf("result %+v, want found at example.co.uk with sp=quarantine", r)
	}
	if find(res, "the organizational domain's record at _dmarc.example.co.uk applies") == nil {
		dump(t, res)
		t.Error("no fallback finding")
	}
}

func TestDNSFailure(t *testing.T) {
	res := runDMARC(t, &checks.Ticket{Sender: "a@example.org"}, nil, nil, zone("example.com", txt("x", "y")))
	if st := res.Check("dmarc").Status; st != checks.StatusFailed {
		t.Errorf("status %s, want failed", st)
	}
	if v := checktest.Best(res, checks.SenderAuth); v != checks.Unknown {
		t.Errorf("sender-auth %q, want unknown", v)
	}
}

func TestNoSender(t *testing.T) {
	res := runDMARC(t, &checks.Ticket{Address: "u@example.org"}, nil, nil, zone("example.com", txt("x", "y")))
	if st := res.Check("dmarc").Status; st != checks.StatusSkipped {
		t.Errorf("status %s, want skipped", st)
	}
}

func TestAlignment(t *testing.T) {
	ip1, ip2 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.7")
	spfEval := func(ip netip.Addr, domain, result string) spf.Evaluation {
		return spf.Evaluation{IP: ip, Domain: domain, Result: blitiri.Result(result)}
	}
	spfOf := func(evals ...spf.Evaluation) *spf.Result {
		return &spf.Result{Domain: "example.com", Evaluations: evals}
	}
	dk := func(sigs ...dkim.Signature) *dkim.Result {
		return &dkim.Result{Domain: "example.com", Signatures: sigs}
	}
	sig := func(d, result string) dkim.Signature {
		return dkim.Signature{Domain: d, Selector: "s1", Result: authres.ResultValue(result)}
	}
	rows := []struct {
		name      string
		policy    string // the record's tags after v=DMARC1
		spf       *spf.Result
		dkim      *dkim.Result
		message   bool
		pass      checks.Tristate
		alignedBy string
		verdict   checks.Verdict
		want      string
	}{
		{"dkim aligned relaxed", "p=reject", spfOf(spfEval(ip1, "example.com", "fail")), dk(sig("mail.example.com", "pass")), true,
			checks.Yes, "dkim", checks.RuledOut, "the DKIM signature d=mail.example.com s=s1 verifies and aligns"},
		{"dkim strict misaligned", "p=reject; adkim=s", spfOf(spfEval(ip1, "example.com", "fail")), dk(sig("mail.example.com", "pass")), true,
			checks.No, "", checks.Likely, "d=mail.example.com passes but does not align (adkim=s)"},
		{"spf aligned", "p=reject", spfOf(spfEval(ip1, "example.com", "pass"), spfEval(ip2, "example.com", "pass")), nil, false,
			checks.Yes, "spf", checks.RuledOut, "SPF passes and aligns for 192.0.2.1, 198.51.100.7"},
		{"spf aligned, helo ignored", "p=reject", spfOf(spfEval(ip1, "helo.other.net", "fail"), spfEval(ip1, "example.com", "pass")), nil, false,
			checks.Yes, "spf", checks.RuledOut, "SPF passes and aligns for 192.0.2.1"},
		{"both fail reject", "p=reject", spfOf(spfEval(ip1, "example.com", "softfail")), dk(sig("example.com", "fail")), true,
			checks.No, "", checks.Likely, "DMARC would fail for mail from example.com: neither SPF (192.0.2.1 (SPF softfail)) nor DKIM (d=example.com fail) passes aligned with example.com; receivers are told to reject it (p=reject)"},
		{"both fail quarantine pct", "p=quarantine; pct=25", spfOf(spfEval(ip1, "example.com", "fail")), dk(), true,
			checks.No, "", checks.Likely, "receivers are told to put it in spam or quarantine (p=quarantine) for 25% of such mail (pct=25)"},
		{"both fail none", "p=none", spfOf(spfEval(ip1, "example.com", "fail")), dk(sig("esp.example.net", "pass")), true,
			checks.No, "", checks.Possible, "p=none asks receivers for nothing"},
		{"one ip fails", "p=reject", spfOf(spfEval(ip1, "example.com", "pass"), spfEval(ip2, "example.com", "fail")), dk(), true,
			checks.No, "", checks.Likely, "198.51.100.7 (SPF fail)"},
		{"spf strict misaligned", "p=reject; aspf=s", spfOf(spfEval(ip1, "bounce.example.com", "pass")), dk(), true,
			checks.No, "", checks.Likely, "SPF passes for bounce.example.com, which does not align, aspf=s"},
		{"spf fails, no message", "p=reject", spfOf(spfEval(ip1, "example.com", "fail")), dk(), false,
			checks.Maybe, "", checks.Possible, "only if it carries a valid DKIM signature by example.com"},
		{"dkim fails, no ips", "p=reject", spfOf(), dk(sig("example.com", "permerror")), true,
			checks.Maybe, "", checks.Possible, "DMARC passes only if SPF passes for the sending IP"},
		{"temperror", "p=reject", spfOf(spfEval(ip1, "example.com", "temperror")), dk(), true,
			checks.Maybe, "", checks.Unknown, "could not be settled"},
		{"nothing known", "p=reject", nil, nil, false,
			checks.Maybe, "", checks.Unknown, "needs the sending IPs"},
		{"org fallback uses sp", "p=none; sp=reject", spfOf(spfEval(ip1, "example.com", "fail")), dk(), true,
			checks.No, "", checks.Likely, "(p=reject)"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			ticket := &checks.Ticket{Sender: "app@example.com"}
			z := zone("example.com", txt("_dmarc", "v=DMARC1; "+r.policy+good))
			if r.name == "org fallback uses sp" {
				ticket.Sender = "app@mail.example.com"
				// SPF and DKIM facts speak of example.com: relaxed alignment.
			}
			if r.message {
				ticket.Sources.Message = checktest.MessageFile("sent.eml")
			}
			res := runDMARC(t, ticket, r.spf, r.dkim, z)
			got := res.Check("dmarc").Result.(*Result)
			if got.Pass != r.pass || got.AlignedBy != r.alignedBy {
				dump(t, res)
				t.Errorf("pass %s aligned by %q, want %s %q", got.Pass, got.AlignedBy, r.pass, r.alignedBy)
			}
			f := find(res, r.want)
			if f == nil {
				dump(t, res)
				t.Fatalf("no finding containing %q", r.want)
			}
			if f.Cause != checks.SenderAuth || f.Verdict != r.verdict {
				t.Errorf("finding %s %s, want sender-auth %s", f.Cause, f.Verdict, r.verdict)
			}
			if (r.verdict == checks.Likely || r.verdict == checks.RuledOut) && f.Strength != checks.Direct {
				t.Errorf("strength %d, want direct", f.Strength)
			}
		})
	}
}

func FuzzLintDMARC(f *testing.F) {
	for _, s := range []string{
		"v=DMARC1; p=reject; rua=mailto:d@example.com!10m,mailto:e@example.net; ruf=mailto:f@example.com; fo=0:1:d:s",
		"v=DMARC1; p=none; sp=quarantine; np=reject; adkim=s; aspf=r; pct=50; rf=afrf; ri=86400; t=y; psd=n",
		"v=DMARC1;; P=reject; oops; rua=",
		"p=reject; v=DMARC1",
		"v=DMARC1; rua=mailto:!;ruf=x:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rec, probs := Lint(s)
		if rec == nil && len(probs) == 0 {
			t.Errorf("record discarded without a reason: %q", s)
		}
		if rec != nil && !IsDMARC(s) {
			t.Errorf("a record receivers discard was accepted: %q", s)
		}
		clean := true
		for _, p := range probs {
			clean = clean && p.Severity < checks.Error
		}
		// With no error, go-msgauth must read the same policy.
		if clean && rec != nil && rec.Lib != nil && string(rec.Lib.Policy) != rec.Policy {
			t.Errorf("policy %q, go-msgauth %q: %q", rec.Policy, rec.Lib.Policy, s)
		}
		for _, p := range probs {
			if p.Message == "" {
				t.Errorf("empty problem for %q", s)
			}
		}
	})
}

// RFC 7489 §6.6.3: a record with an invalid sp= acts as p=none.
func TestInvalidSPActsAsNone(t *testing.T) {
	r, probs := Lint("v=DMARC1; p=reject; sp=drop; rua=mailto:d@example.com")
	if r.Policy != "" {
		t.Errorf("policy %q applied, want none (empty) with an invalid sp=", r.Policy)
	}
	found := false
	for _, p := range probs {
		found = found || strings.Contains(p.String(), "receivers act as if the record said p=none")
	}
	if !found {
		t.Errorf("no finding says the record acts as p=none: %v", probs)
	}
	if r, _ := Lint("v=DMARC1; p=reject; sp=quarantine"); r.Policy != "reject" || r.SubdomainPolicy != "quarantine" {
		t.Errorf("valid record: p=%q sp=%q", r.Policy, r.SubdomainPolicy)
	}
}
