package dmarc

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/dkim"
	"github.com/whymail/whymail/checks/spf"
	"github.com/whymail/whymail/internal/checktest"
)

// TestWithRealChecks runs DMARC on the results of the real spf and dkim
// checks: the RFC 8463 example message, its keys, an SPF record and a
// p=reject policy for football.example.com.
func TestWithRealChecks(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "dkim-rfc8463-example")
	msg, err := os.ReadFile(filepath.Join(dir, "rfc8463-A3-signed.eml"))
	if err != nil {
		t.Skipf("corpus not present: %v", err)
	}
	tmp := t.TempDir()
	good := filepath.Join(tmp, "good.eml")
	bad := filepath.Join(tmp, "altered.eml")
	if err := os.WriteFile(good, msg, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, bytes.Replace(msg, []byte("hungry"), []byte("thirsty"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	z := zone("example.com",
		txt("football", "v=spf1 ip4:192.0.2.0/24 -all"),
		txt("_dmarc.football", "v=DMARC1; p=reject; rua=mailto:dmarc@football.example.com"),
		txt("brisbane._domainkey.football", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="),
	)
	inside, outside := netip.MustParseAddr("192.0.2.5"), netip.MustParseAddr("203.0.113.9")
	rows := []struct {
		name      string
		ip        netip.Addr
		message   string
		pass      checks.Tristate
		alignedBy string
		verdict   checks.Verdict // of the alignment finding
	}{
		{"spf aligns", inside, "", checks.Yes, "spf", checks.RuledOut},
		{"dkim aligns", outside, good, checks.Yes, "dkim", checks.RuledOut},
		{"spf fails, no message", outside, "", checks.Maybe, "", checks.Possible},
		{"both fail", outside, bad, checks.No, "", checks.Likely},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			ticket := &checks.Ticket{Sender: "joe@football.example.com", SendingIPs: []netip.Addr{r.ip},
				DKIMSelectors: []string{"brisbane"}}
			if r.message != "" {
				ticket.Sources.Message = checktest.MessageFile(r.message)
			}
			res := checktest.Run(t, checktest.Zones(t, z), ticket, spf.Lint, dkim.Check, Check)
			got, _ := res.Check("dmarc").Result.(*Result)
			if got == nil || got.Pass != r.pass || got.AlignedBy != r.alignedBy {
				dump(t, res)
				t.Fatalf("result %+v, want pass %s by %q", got, r.pass, r.alignedBy)
			}
			var v checks.Verdict
			for _, f := range res.Check("dmarc").Findings {
				if f.Record == "alignment" {
					v = f.Verdict
				}
			}
			if v != r.verdict {
				dump(t, res)
				t.Errorf("alignment verdict %q, want %q", v, r.verdict)
			}
		})
	}
}
