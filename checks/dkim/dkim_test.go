package dkim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
)

// Keys of the test zones. The 512-bit and 1024-bit keys are published
// test vectors (Mail::DKIM's test1 key, RFC 8463 A.2); larger ones are
// generated once per test binary.
const (
	rsa512      = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALgSoqXVSEmfcIsOzw7oRuCCOwsmtX/SJnTWxYyj2leFxfS/AVJ+dYfY+hXqMsT7l+MZvvh/R1WzN4MO/kI/7XsCAwEAAQ=="
	rsa1024     = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
	ed25519Raw  = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
	ed25519SPKI = "MCowBQYDK2VwAyEA3SUqa9UbfciWkk7tlcJ9P1VD5pXAasg0JUn/OgjVbKE="
)

var (
	bigOnce        sync.Once
	rsa2048        string // PKIX
	rsa2048PKCS1   string
	rsa2048Private *rsa.PrivateKey
)

func keys2048(t testing.TB) {
	t.Helper()
	bigOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		rsa2048 = base64.StdEncoding.EncodeToString(der)
		rsa2048PKCS1 = base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&k.PublicKey))
		rsa2048Private = k
	})
}

// txt writes a TXT record in zone syntax, splitting the value into
// 255-octet strings as a zone must (RFC 1035 §3.3.14).
func txt(name, value string) string {
	var parts []string
	for len(value) > 255 {
		parts = append(parts, value[:255])
		value = value[255:]
	}
	parts = append(parts, value)
	for i, p := range parts {
		parts[i] = `"` + strings.ReplaceAll(strings.ReplaceAll(p, `\`, `\\`), `"`, `\"`) + `"`
	}
	return fmt.Sprintf("%s 300 IN TXT %s\n", name, strings.Join(parts, " "))
}

const soa = "$ORIGIN example.com.\n@ 300 IN SOA ns.example.com. host.example.com. 1 3600 600 86400 300\n"

func find(res *checks.Result, check, substr string) *checks.Finding {
	if c := res.Check(check); c != nil {
		for i, f := range c.Findings {
			if strings.Contains(f.Message, substr) {
				return &c.Findings[i]
			}
		}
	}
	return nil
}

func dump(t *testing.T, res *checks.Result, check string) {
	t.Helper()
	for _, f := range res.Check(check).Findings {
		t.Logf("  %s %s %s: %s", f.Severity, f.Cause, f.Verdict, f.Message)
	}
}

func TestKeyLint(t *testing.T) {
	keys2048(t)
	type row struct {
		name    string
		records string // zone text after the SOA; the selector is "sel"
		want    string // substring of a finding
		sev     checks.Severity
		verdict checks.Verdict // sender-auth verdict of some finding, "" for none
	}
	rows := []row{
		{"rsa2048", txt("sel._domainkey", "v=DKIM1; k=rsa; p="+rsa2048), "rsa 2048-bit", checks.OK, checks.Unknown},
		{"rsa2048 pkcs1", txt("sel._domainkey", "v=DKIM1; p="+rsa2048PKCS1), "rsa 2048-bit", checks.OK, ""},
		{"rsa1024", txt("sel._domainkey", "v=DKIM1; k=rsa; p="+rsa1024), "RSA key in p= is 1024 bits", checks.Warning, ""},
		{"rsa512", txt("sel._domainkey", "v=DKIM1; p="+rsa512), "RSA key in p= is 512 bits: verifiers must reject", checks.Error, checks.Likely},
		{"ed25519", txt("sel._domainkey", "v=DKIM1; k=ed25519; p="+ed25519Raw), "ed25519 256-bit", checks.OK, ""},
		{"ed25519 spki", txt("sel._domainkey", "v=DKIM1; k=ed25519; p="+ed25519SPKI), "wrapped in SubjectPublicKeyInfo", checks.Error, checks.Likely},
		{"ed25519 short", txt("sel._domainkey", "v=DKIM1; k=ed25519; p=AAAA"), "not a 32-byte Ed25519 key", checks.Error, checks.Likely},
		{"ed25519 as rsa", txt("sel._domainkey", "v=DKIM1; p="+ed25519SPKI), "holds an Ed25519 key but k= says rsa", checks.Error, checks.Likely},
		{"revoked", txt("sel._domainkey", "v=DKIM1; k=rsa; p="), "the key is revoked", checks.Warning, checks.Likely},
		{"testing", txt("sel._domainkey", "v=DKIM1; t=y; p="+rsa2048), "t=y: the domain says it is testing", checks.Warning, ""},
		{"strict flag", txt("sel._domainkey", "v=DKIM1; t=s; p="+rsa2048), "t=s", checks.Info, ""},
		{"unknown k", txt("sel._domainkey", "v=DKIM1; k=foobar; p="+rsa2048), `unknown key type "foobar"`, checks.Error, checks.Likely},
		{"bad version", txt("sel._domainkey", "v=DKIM3; p="+rsa2048), `version "DKIM3"`, checks.Error, checks.Likely},
		{"version not first", txt("sel._domainkey", "k=rsa; v=DKIM1; p="+rsa2048), "must be the first tag", checks.Error, checks.Likely},
		{"duplicate tag", txt("sel._domainkey", "v=DKIM1; k=rsa; k=rsa; p="+rsa2048), "more than once", checks.Error, checks.Likely},
		{"not tag=value", txt("sel._domainkey", "k=rsa; t; p="+rsa2048), `"t" is not tag=value`, checks.Error, checks.Likely},
		{"bad tag name", txt("sel._domainkey", "v=DKIM1; 1k=rsa; p="+rsa2048), `"1k" is not a valid tag name`, checks.Error, checks.Likely},
		{"empty piece", txt("sel._domainkey", "v=DKIM1;; p="+rsa2048), "empty tag between semicolons", checks.Warning, ""},
		{"bad base64", txt("sel._domainkey", "v=DKIM1; p=MIIB!!notbase64"), "not valid base64", checks.Error, checks.Likely},
		{"not a key", txt("sel._domainkey", "v=DKIM1; p=AAAA"), "not an RSA public key", checks.Error, checks.Likely},
		{"no p", txt("sel._domainkey", "v=DKIM1; k=rsa"), "no p= tag", checks.Error, checks.Likely},
		{"not dkim", txt("sel._domainkey", "v=spf1 -all"), "no DKIM key (no p= tag)", checks.Error, checks.Likely},
		{"service", txt("sel._domainkey", "v=DKIM1; s=chat; p="+rsa2048), "includes neither email nor *", checks.Error, checks.Likely},
		{"sha1 only", txt("sel._domainkey", "v=DKIM1; h=sha1; p="+rsa2048), "does not allow sha256", checks.Error, checks.Likely},
		{"obsolete g", txt("sel._domainkey", "v=DKIM1; g=*; p="+rsa2048), "g= is obsolete", checks.Info, ""},
		{"unknown tag", txt("sel._domainkey", "v=DKIM1; x1=extra; p="+rsa2048), "unknown tag x1=", checks.Info, ""},
		{"missing", txt("other._domainkey", "v=DKIM1; p="+rsa2048), "no DKIM key at sel._domainkey.example.com (nxdomain)", checks.Error, checks.Likely},
		{"two records", txt("sel._domainkey", "v=DKIM1; p="+rsa2048) + txt("sel._domainkey", "v=DKIM1; p="+rsa1024), "has 2 TXT records", checks.Error, checks.Likely},
		{"dangling cname", "sel._domainkey 300 IN CNAME sel.gone.example.com.\n", "is a CNAME to sel.gone.example.com, which has no key (nxdomain)", checks.Error, checks.Likely},
		{"cname to esp", "sel._domainkey 300 IN CNAME s1.domainkey.u123.wl.sendgrid.net.\n", "CNAME sel._domainkey.example.com -> s1.domainkey.u123.wl.sendgrid.net", checks.OK, ""},
	}
	esp := "$ORIGIN sendgrid.net.\n@ 300 IN SOA ns.sendgrid.net. h.sendgrid.net. 1 3600 600 86400 300\n" +
		txt("s1.domainkey.u123.wl", "k=rsa; p="+rsa2048)
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			z := checktest.Zones(t, soa+r.records, esp)
			res := checktest.Run(t, z, &checks.Ticket{Sender: "app@example.com", DKIMSelectors: []string{"sel"}}, Check)
			f := find(res, "dkim", r.want)
			if f == nil {
				dump(t, res, "dkim")
				t.Fatalf("no finding containing %q", r.want)
			}
			if f.Severity != r.sev {
				t.Errorf("severity %s, want %s: %s", f.Severity, r.sev, f.Message)
			}
			if r.verdict != "" {
				if got := checktest.Best(res, checks.SenderAuth); got != r.verdict {
					dump(t, res, "dkim")
					t.Errorf("sender-auth %q, want %q", got, r.verdict)
				}
			}
			if st := res.Check("dkim").Status; st == checks.StatusFailed || st == checks.StatusSkipped {
				t.Errorf("status %s: %s", st, res.Check("dkim").Reason)
			}
		})
	}
}

func TestProbe(t *testing.T) {
	keys2048(t)
	zone := soa + txt("google._domainkey", "v=DKIM1; k=rsa; p="+rsa2048) +
		"selector1._domainkey 300 IN CNAME selector1-example-com._domainkey.example.onmicrosoft.com.\n" +
		txt("s1._domainkey", "k=rsa; p=") // a rotated-out key
	ms := "$ORIGIN onmicrosoft.com.\n@ 300 IN SOA ns.onmicrosoft.com. h.onmicrosoft.com. 1 3600 600 86400 300\n" +
		txt("selector1-example-com._domainkey.example", "v=DKIM1; k=rsa; p="+rsa2048)
	res := checktest.Run(t, checktest.Zones(t, zone, ms), &checks.Ticket{Sender: "example.com"}, Check)
	r := res.Check("dkim").Result.(*Result)
	if !r.Probed || len(r.Keys) != 3 {
		t.Fatalf("probed %v, keys %+v", r.Probed, r.Keys)
	}
	want := fmt.Sprintf("probed %d common selectors at example.com and found google (the usual selector of Google Workspace), selector1 (Microsoft 365, by CNAME), s1 (the usual selector of SendGrid)", len(CommonSelectors))
	if find(res, "dkim", want) == nil {
		dump(t, res, "dkim")
		t.Errorf("no summary %q", want)
	}
	if f := find(res, "dkim", "the key is revoked"); f == nil || f.Severity != checks.Info {
		t.Errorf("a revoked probed key should be info, got %+v", f)
	}
	if res.Check("dkim").Status != checks.StatusOK {
		t.Errorf("status %s, want ok", res.Check("dkim").Status)
	}
}

func TestProbeNothing(t *testing.T) {
	zone := soa + txt("*._domainkey", "v=spf1 -all") // a wildcard answering every selector
	res := checktest.Run(t, checktest.Zones(t, zone), &checks.Ticket{Sender: "a@example.com"}, Check)
	f := find(res, "dkim", "no DKIM key at the")
	if f == nil || f.Severity != checks.Warning || f.Verdict != checks.Possible {
		dump(t, res, "dkim")
		t.Fatalf("want a warning with sender-auth possible, got %+v", f)
	}
	if f := find(res, "dkim", "not a DKIM key (a wildcard?)"); f == nil || f.Severity != checks.Info {
		t.Errorf("wildcard answers should be info, got %+v", f)
	}
}

func TestNoSender(t *testing.T) {
	res := checktest.Run(t, nil, &checks.Ticket{Address: "u@example.org"}, Check)
	if res.Check("dkim").Status != checks.StatusSkipped {
		t.Errorf("status %s, want skipped", res.Check("dkim").Status)
	}
	if v := checktest.Best(res, checks.SenderAuth); v != checks.Unknown {
		t.Errorf("sender-auth %q, want unknown", v)
	}
}

func TestDNSFailure(t *testing.T) {
	// The zones hold example.com only, so example.net is REFUSED.
	res := checktest.Run(t, checktest.Zones(t, soa+txt("x", "y")), &checks.Ticket{Sender: "example.net", DKIMSelectors: []string{"s"}}, Check)
	c := res.Check("dkim")
	if c.Status != checks.StatusFailed {
		t.Errorf("status %s, want failed", c.Status)
	}
	if find(res, "dkim", "could not look up the DKIM key s._domainkey.example.net: refused") == nil {
		dump(t, res, "dkim")
		t.Error("no lookup failure finding")
	}
	if v := checktest.Best(res, checks.SenderAuth); v != checks.Unknown {
		t.Errorf("sender-auth %q, want unknown", v)
	}
}

func TestParseKeyFields(t *testing.T) {
	k, probs := ParseKey("v=DKIM1; k=ed25519; h=sha256; s=email; t=y:s; n=hello world; p=" + ed25519Raw)
	if k == nil {
		t.Fatalf("nil key: %v", probs)
	}
	if k.KeyType != "ed25519" || k.Bits != 256 || !k.Testing() || k.Notes != "hello world" || k.Encoding != "raw" {
		t.Errorf("key %+v", k)
	}
}

func FuzzParseKey(f *testing.F) {
	for _, s := range []string{
		"v=DKIM1; k=rsa; p=" + rsa1024,
		"v=DKIM1; k=ed25519; p=" + ed25519Raw,
		"k=rsa; t; p=",
		"v=DKIM1;; h=sha1:sha256; s=email:*; t=y; g=*; n=x; p=AAAA",
		"=;=;;a=\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, probs := ParseKey(s)
		if k != nil && !k.Revoked && k.Bits == 0 {
			t.Errorf("usable key without a size: %q", s)
		}
		for _, p := range probs {
			if p.Message == "" {
				t.Errorf("empty problem for %q", s)
			}
		}
		if k == nil && len(probs) == 0 {
			t.Errorf("no key and no reason for %q", s)
		}
	})
}

// corpusDir is where the shared corpora live, relative to this package.
func corpusDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus", name)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus %s not present: %v", name, err)
	}
	return dir
}
