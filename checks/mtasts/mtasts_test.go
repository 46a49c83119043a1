package mtasts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/netguard"
)

const soa = "@ 300 SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300\n"

// zone builds a zone for domain with a policy host on loopback.
func zone(domain, body string) string {
	return "$ORIGIN " + domain + ".\n$TTL 300\n" + soa + body
}

const goodPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmx: *.backup.good.test\r\nmax_age: 604800\r\n"

var policies = map[string]struct {
	status int
	ctype  string
	body   string
}{
	"good.test":     {200, "text/plain; charset=utf-8", goodPolicy},
	"badmx.test":    {200, "text/plain", "version: STSv1\nmode: enforce\nmx: mx.badmx.test\nmax_age: 86400\n"},
	"testing.test":  {200, "text/plain", "version: STSv1\nmode: testing\nmx: *.testing.test\nmax_age: 1209600\n"},
	"nomx.test":     {200, "text/plain", "version: STSv1\nmode: enforce\nmx: nomx.test\nmax_age: 1209600\n"},
	"lint.test":     {200, "text/plain", "version: STSv2\nmode: Enforce\nmx: *.*.lint.test\nmax_age: 600\n"},
	"404.test":      {404, "text/plain", "not found"},
	"redirect.test": {301, "text/plain", ""},
	"ctype.test":    {200, "text/html", goodPolicy},
}

// tlsServer serves the policies over HTTPS on loopback with a certificate
// for mta-sts.<each domain> (but not mta-sts.badcert.test).
func tlsServer(t *testing.T) (port string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for d := range policies {
		names = append(names, "mta-sts."+d)
	}
	names = append(names, "mta-sts.slow.test", "mta-sts.dup.test", "mta-sts.badrec.test")
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "whymail test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: names, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.Host)
		if host == "" {
			host = r.Host
		}
		domain := strings.TrimPrefix(host, "mta-sts.")
		if r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		if domain == "slow.test" {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		pol, ok := policies[domain]
		if !ok {
			pol.status, pol.ctype, pol.body = 200, "text/plain", goodPolicy
		}
		if pol.status == 301 {
			w.Header().Set("Location", "https://elsewhere.test/policy")
		}
		w.Header().Set("Content-Type", pol.ctype)
		w.WriteHeader(pol.status)
		w.Write([]byte(pol.body))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u.Port(), roots
}

var zones = []string{
	zone("good.test", `
_mta-sts TXT "v=STSv1; id=20261122T000000;"
_mta-sts TXT "some other record"
mta-sts A 127.0.0.1
@ MX 10 mx1.good.test.
@ MX 20 b1.backup.good.test.
`),
	zone("badmx.test", `
_mta-sts TXT "v=STSv1; id=1"
mta-sts A 127.0.0.1
@ MX 10 mx.badmx.test.
@ MX 20 mx.provider.example.
`),
	zone("testing.test", `
_mta-sts TXT "v=STSv1; id=1"
mta-sts A 127.0.0.1
@ MX 10 a.b.testing.test.
`),
	zone("nomx.test", `
_mta-sts TXT "v=STSv1; id=1"
mta-sts A 127.0.0.1
@ A 192.0.2.1
`),
	zone("lint.test", `
_mta-sts TXT "v=STSv1; id=1"
mta-sts A 127.0.0.1
`),
	zone("404.test", "_mta-sts TXT \"v=STSv1; id=1\"\nmta-sts A 127.0.0.1\n"),
	zone("redirect.test", "_mta-sts TXT \"v=STSv1; id=1\"\nmta-sts A 127.0.0.1\n"),
	zone("ctype.test", "_mta-sts TXT \"v=STSv1; id=1\"\nmta-sts A 127.0.0.1\n@ MX 10 mx1.good.test.\n"),
	zone("badcert.test", "_mta-sts TXT \"v=STSv1; id=1\"\nmta-sts A 127.0.0.1\n"),
	zone("nohost.test", "_mta-sts TXT \"v=STSv1; id=1\"\n"),
	zone("slow.test", "_mta-sts TXT \"v=STSv1; id=1\"\nmta-sts A 127.0.0.1\n"),
	zone("dup.test", "_mta-sts TXT \"v=STSv1; id=1\"\n_mta-sts TXT \"v=STSv1; id=2\"\nmta-sts A 127.0.0.1\n@ MX 10 mx1.good.test.\n"),
	zone("badrec.test", "_mta-sts TXT \"v=STSv1; id=abc-def\"\nmta-sts A 127.0.0.1\n@ MX 10 mx1.good.test.\n"),
	zone("none.test", "@ MX 10 mx.none.test.\n"),
	zone("docnet.test", "_mta-sts TXT \"v=STSv1; id=1\"\nmta-sts A 192.0.2.80\n"),
	zone("case.test", "_mta-sts TXT \" v=stsv1; id=1\"\n"),
}

func TestMTASTS(t *testing.T) {
	port, roots := tlsServer(t)
	z := checktest.Zones(t, zones...)
	check := New(Fetcher{Port: port, RootCAs: roots, Timeout: 2 * time.Second})
	tests := []struct {
		domain string
		worst  checks.Severity
		msgs   []string
	}{
		{"good.test", checks.OK, []string{
			`MTA-STS record "v=STSv1; id=20261122T000000;" (policy id 20261122T000000)`,
			"mode enforce for mx mx1.good.test, *.backup.good.test (max_age 604800)",
			"every MX host of good.test (mx1.good.test, b1.backup.good.test) matches"}},
		{"badmx.test", checks.Error, []string{
			"MX host mx.provider.example of badmx.test matches none of the MTA-STS mx patterns (mx.badmx.test) in mode enforce",
			"max_age 86400 is under a week"}},
		{"testing.test", checks.Warning, []string{
			"mode testing", "MX host a.b.testing.test of testing.test matches none"}},
		{"nomx.test", checks.OK, []string{"every MX host of nomx.test (nomx.test) matches"}},
		{"lint.test", checks.Error, []string{
			`version is "STSv2", want STSv1`, `mode "Enforce" is not enforce`,
			`mx pattern "*.*.lint.test": a wildcard may only be the whole leftmost label`,
			"max_age 600 is under a day"}},
		{"404.test", checks.Warning, []string{"could not fetch policy https://mta-sts.404.test/.well-known/mta-sts.txt: the server answered 404 Not Found"}},
		{"redirect.test", checks.Warning, []string{"301 Moved Permanently to https://elsewhere.test/policy, and senders must not follow redirects"}},
		{"ctype.test", checks.Warning, []string{`policy served as "text/html"`}},
		{"badcert.test", checks.Warning, []string{"the certificate of mta-sts.badcert.test is not valid"}},
		{"nohost.test", checks.Warning, []string{"mta-sts.nohost.test has no address (nxdomain)"}},
		{"slow.test", checks.Info, []string{"could not fetch policy https://mta-sts.slow.test/.well-known/mta-sts.txt: "}},
		{"dup.test", checks.Error, []string{"2 MTA-STS records at _mta-sts.dup.test"}},
		{"badrec.test", checks.Error, []string{`id="abc-def" must be 1 to 32 letters and digits`}},
		{"docnet.test", checks.Info, []string{"mta-sts.docnet.test resolves to 192.0.2.80, a documentation address"}},
		{"case.test", checks.Error, []string{"looks like MTA-STS but does not begin exactly with"}},
		{"none.test", checks.Info, []string{"no MTA-STS record at _mta-sts.none.test: optional"}},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res := checktest.Run(t, z, &checks.Ticket{Mode: checks.Lint, Domain: tt.domain}, check)
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("took %v: the fetch must be bounded", d)
			}
			cr := res.Check("mta-sts")
			if cr.Status == checks.StatusFailed || cr.Status == checks.StatusSkipped {
				t.Fatalf("status %s: %s", cr.Status, cr.Reason)
			}
			worst := checks.OK
			for _, f := range cr.Findings {
				worst = max(worst, f.Severity)
				if f.Cause != "" {
					t.Errorf("finding speaks to cause %s; mta-sts findings are for CI only", f.Cause)
				}
			}
			all := strings.Join(checktest.Messages(res, "mta-sts"), "\n")
			if worst != tt.worst {
				t.Errorf("worst severity %v, want %v:\n%s", worst, tt.worst, all)
			}
			for _, m := range tt.msgs {
				if !strings.Contains(all, m) {
					t.Errorf("no message contains %q:\n%s", m, all)
				}
			}
		})
	}
}

func TestMTASTSSkipOfflineFail(t *testing.T) {
	z := checktest.Zones(t, zones...)
	res := checktest.Run(t, z, &checks.Ticket{}, Check)
	if cr := res.Check("mta-sts"); cr.Status != checks.StatusSkipped {
		t.Errorf("no domain: status %s, want skipped", cr.Status)
	}
	// diagnose: the sender's domain, not the recipient's.
	off := New(Fetcher{Offline: true})
	res = checktest.Run(t, z, &checks.Ticket{Address: "bob@none.test", Domain: "none.test", Sender: "noreply@good.test"}, off)
	all := strings.Join(checktest.Messages(res, "mta-sts"), "\n")
	if !strings.Contains(all, "policy at https://mta-sts.good.test/.well-known/mta-sts.txt not fetched (offline)") {
		t.Errorf("offline sender domain: %s", all)
	}
	// A name outside every zone is refused: the check fails.
	res = checktest.Run(t, z, &checks.Ticket{Mode: checks.Lint, Domain: "elsewhere.example"}, off)
	if cr := res.Check("mta-sts"); cr.Status != checks.StatusFailed {
		t.Errorf("refused: status %s, want failed", cr.Status)
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"mx1.example.com", "mx1.example.com", true},
		{"mx1.example.com", "MX1.Example.COM.", true},
		{"mx1.example.com", "mx2.example.com", false},
		{"*.example.com", "mx1.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", ".example.com", false},
		{"*.Example.com", "mx.example.COM", true},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.host); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.host, got, tt.want)
		}
	}
}

func TestParseRecord(t *testing.T) {
	tests := []struct {
		in, id, err string
	}{
		{"v=STSv1; id=20160831085700Z;", "20160831085700Z", ""},
		{"v=STSv1;id=abc", "abc", ""},
		{"v=STSv1; id=abc; ext.x-1=val", "abc", ""},
		{"v=STSv1 ; id=abc", "abc", ""},
		{"v=stsv1; id=abc", "", "must start with"},
		{"v=STSv1; id=", "", "1 to 32"},
		{"v=STSv1; id=" + strings.Repeat("a", 33), "", "1 to 32"},
		{"v=STSv1; id=a; id=b", "", "twice"},
		{"v=STSv1", "", "id= is missing"},
		{"v=STSv1;; id=a", "", "empty field"},
		{"v=STSv1; id=a; junk", "", "not name=value"},
		{"v=STSv1; id=a; x=has space", "", "invalid value"},
		{"v=STSv1; id=a; _x=1", "", "field name"},
	}
	for _, tt := range tests {
		r, err := ParseRecord(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseRecord(%q) err %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("ParseRecord(%q) err %v", tt.in, err)
		case tt.err == "" && r.ID != tt.id:
			t.Errorf("ParseRecord(%q) id %q, want %q", tt.in, r.ID, tt.id)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name, in string
		mode     string
		maxAge   int64
		mx       []string
		problems []string // "severity: substring"
	}{
		{"rfc example", "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n",
			"enforce", 604800, []string{"mail.example.com", "*.example.net", "backupmx.example.com"}, nil},
		{"crlf and spaces", "version: STSv1\r\nmode:testing\r\nmx:   MX.example.com \r\nmax_age: 31557600\r\n",
			"testing", 31557600, []string{"mx.example.com"}, nil},
		{"none without mx", "version: STSv1\nmode: none\nmax_age: 86400\n", "none", 86400, nil, []string{"info: under a week"}},
		{"max_age too big", "version: STSv1\nmode: none\nmax_age: 31557601\n", "none", 31557601, nil, []string{"error: above the maximum"}},
		{"max_age not digits", "version: STSv1\nmode: none\nmax_age: -5\n", "none", -1, nil, []string{"error: not 1 to 10 digits"}},
		{"max_age 11 digits", "version: STSv1\nmode: none\nmax_age: 00000086400\n", "none", -1, nil, []string{"error: not 1 to 10 digits"}},
		{"missing everything", "\n", "", -1, nil, []string{"error: version: STSv1 is missing", "error: mode is missing", "error: max_age is missing"}},
		{"enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 604800\n", "enforce", 604800, nil, []string{"error: no valid mx pattern"}},
		{"bad lines", "version: STSv1\nmode: enforce\nmx: mx.example.com.\nmx: *\nmx: bad_host.example.com\nhello\nmax_age: 604800\nmode: none\nfoo: bar\n",
			"enforce", 604800, []string{"mx.example.com"}, []string{
				"warning: line 3: mx pattern \"mx.example.com.\" ends with a dot",
				"error: line 4: mx pattern \"*\"",
				"error: line 5: mx pattern \"bad_host.example.com\"",
				"error: line 6: \"hello\" is not",
				"warning: line 8: mode appears again (first on line 2)",
				"info: line 9: unknown field \"foo\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol, probs := ParsePolicy(tt.in)
			if pol.Mode != tt.mode || pol.MaxAge != tt.maxAge || strings.Join(pol.MX, ",") != strings.Join(tt.mx, ",") {
				t.Errorf("got mode %q max_age %d mx %q; want %q %d %q", pol.Mode, pol.MaxAge, pol.MX, tt.mode, tt.maxAge, tt.mx)
			}
			var got []string
			for _, p := range probs {
				got = append(got, p.Severity.String()+": "+p.String())
			}
			if len(got) != len(tt.problems) {
				t.Errorf("problems:\n%s\nwant %d: %q", strings.Join(got, "\n"), len(tt.problems), tt.problems)
				return
			}
			for i, want := range tt.problems {
				sev, sub, _ := strings.Cut(want, ": ")
				if !strings.HasPrefix(got[i], sev+": ") || !strings.Contains(got[i], sub) {
					t.Errorf("problem %d = %q, want %q", i, got[i], want)
				}
			}
		})
	}
}

func FuzzParseMTASTSPolicy(f *testing.F) {
	f.Add(goodPolicy)
	f.Add("version: STSv1\nmode: none\nmax_age: 99999999999\nmx: *.*\n")
	f.Add("mx:\r\n:\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		pol, probs := ParsePolicy(s)
		for _, pat := range pol.MX {
			if checkPattern(pat) != nil {
				t.Errorf("kept invalid pattern %q", pat)
			}
		}
		for _, p := range probs {
			if p.Message == "" {
				t.Error("empty problem")
			}
		}
		if pol.MaxAge > 9999999999 {
			t.Errorf("max_age %d has more than 10 digits", pol.MaxAge)
		}
	})
}

func FuzzParseMTASTSRecord(f *testing.F) {
	f.Add("v=STSv1; id=20160831085700Z;")
	f.Add("v=STSv1;id=a;b=c;")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecord(s)
		if err == nil && !validID(r.ID) {
			t.Errorf("accepted invalid id %q", r.ID)
		}
	})
}

// TestMTASTSGuard: with the server's guard, a policy host on loopback (or
// any non-public address) is not connected to, though a server answers there.
func TestMTASTSGuard(t *testing.T) {
	port, roots := tlsServer(t)
	z := checktest.Zones(t, zones...)
	guarded := New(Fetcher{Port: port, RootCAs: roots, Timeout: 2 * time.Second, Control: netguard.Control})
	res := checktest.Run(t, z, &checks.Ticket{Mode: checks.Lint, Domain: "good.test"}, guarded)
	all := strings.Join(checktest.Messages(res, "mta-sts"), "\n")
	if !strings.Contains(all, "mta-sts.good.test resolves to 127.0.0.1, not a public address: this server does not connect there") {
		t.Errorf("guarded fetch of a loopback policy host:\n%s", all)
	}
	if strings.Contains(all, "mode enforce") {
		t.Errorf("the policy was fetched through the guard:\n%s", all)
	}
}
