package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/whymail/whymail/internal/lookup"
)

// The batch workloads of the benchmarks and tests, generated (no files in
// the repository): recipient domains of every kind an address list meets,
// and sender domains with SPF include trees whose sending IP matches only
// in the last leaf, so that check_host fetches the whole tree.

// rcptKind is what a generated recipient domain i is, and the address
// verdict it must get.
func rcptKind(i int) (kind, verdict string) {
	switch i % 20 {
	case 15:
		return "implicit", "ok" // no MX, an A record: implicit MX (RFC 5321 §5.1)
	case 16:
		return "null-mx", "no-mail"
	case 17:
		return "no-records", "no-mail"
	case 18:
		return "dangling-mx", "no-mail"
	case 19:
		return "nxdomain", "no-domain"
	case 14:
		return "shared-mx", "ok"
	}
	return "mx", "ok"
}

func rcptDomain(i int) string { return fmt.Sprintf("d%04d.rcpt.test", i) }

// rcptZone is the zone rcpt.test. with n recipient domains.
func rcptZone(n int) string {
	var b strings.Builder
	b.WriteString("$ORIGIN rcpt.test.\n@ IN SOA ns1 hostmaster 1 7200 900 1209600 3600\n")
	b.WriteString("mx.hosting IN A 192.0.2.200\n")
	for i := range n {
		name := fmt.Sprintf("d%04d", i)
		switch kind, _ := rcptKind(i); kind {
		case "mx":
			fmt.Fprintf(&b, "%s IN MX 10 mx.%s\nmx.%s IN A 192.0.2.%d\n", name, name, name, 1+i%199)
		case "shared-mx":
			fmt.Fprintf(&b, "%s IN MX 10 mx.hosting\n", name)
		case "implicit":
			fmt.Fprintf(&b, "%s IN A 192.0.2.%d\n", name, 1+i%199)
		case "null-mx":
			fmt.Fprintf(&b, "%s IN MX 0 .\n", name)
		case "no-records":
			fmt.Fprintf(&b, "%s IN TXT \"v=spf1 -all\"\n", name)
		case "dangling-mx":
			fmt.Fprintf(&b, "%s IN MX 10 gone.%s\n", name, name)
		}
	}
	return b.String()
}

// rcptAddresses is n distinct addresses over the first domains domains:
// each domain once, then Zipf-skewed, as real lists are.
func rcptAddresses(n, domains int) []string {
	r := mrand.New(mrand.NewPCG(20261122, 12))
	z := mrand.NewZipf(r, 1.1, 1, uint64(domains-1))
	out := make([]string, n)
	for i := range n {
		d := i
		if i >= domains {
			d = int(z.Uint64())
		}
		out[i] = fmt.Sprintf("user%d@%s", i, rcptDomain(d))
	}
	return out
}

// sender is one generated sender domain: its name, the IP that matches
// only in the last leaf of its SPF tree, and its DKIM selector.
type sender struct {
	domain, ip, selector string
}

func senders(n int) []sender {
	out := make([]sender, n)
	for i := range out {
		out[i] = sender{domain: fmt.Sprintf("s%05d.senders.test", i), ip: fmt.Sprintf("198.19.%d.%d", 1+i/250, 1+i%250), selector: "s1"}
	}
	return out
}

// batchIP is in the last leaf of every sender's tree.
const batchIP = "203.0.113.77"

var dkimKey = sync.OnceValue(func() string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(der)
})

// senderZones are the zones of n senders: senders.test. (with shared
// ESP-like records), the reverse zone of their IPs and an empty blocklist
// bl.test., so that no check of `whymail domain` is left without an answer.
func senderZones(tb testing.TB, n int) *lookup.Zones {
	tb.Helper()
	key := dkimKey()
	var b strings.Builder
	b.WriteString("$ORIGIN senders.test.\n@ IN SOA ns1 hostmaster 1 7200 900 1209600 3600\n")
	b.WriteString("_spf.esp IN TXT \"v=spf1 ip4:198.51.100.0/24 include:_nb1.esp.senders.test include:_nb2.esp.senders.test ~all\"\n")
	b.WriteString("_nb1.esp IN TXT \"v=spf1 ip4:198.51.101.0/24 ip6:2001:db8:1::/48 ~all\"\n")
	b.WriteString("_nb2.esp IN TXT \"v=spf1 ip4:198.51.102.0/24 ~all\"\n")
	var rev strings.Builder
	rev.WriteString("$ORIGIN 19.198.in-addr.arpa.\n@ IN SOA ns1.senders.test. hostmaster.senders.test. 1 7200 900 1209600 3600\n")
	for i, s := range senders(n) {
		name := strings.TrimSuffix(s.domain, ".senders.test")
		depth := 1 + i%4
		fmt.Fprintf(&b, "%s IN MX 10 mx.%s\nmx.%s IN A %s\n", name, name, name, s.ip)
		fmt.Fprintf(&b, "%s IN TXT \"v=spf1 mx include:_spf.esp.senders.test include:l1.%s -all\"\n", name, s.domain)
		for l := 1; l < depth; l++ {
			fmt.Fprintf(&b, "l%d.%s IN TXT \"v=spf1 ip4:100.64.%d.0/24 include:l%d.%s -all\"\n", l, name, l, l+1, s.domain)
		}
		fmt.Fprintf(&b, "l%d.%s IN TXT \"v=spf1 ip4:%s/32 ip4:203.0.113.0/24 -all\"\n", depth, name, s.ip)
		fmt.Fprintf(&b, "_dmarc.%s IN TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@%s\"\n", name, s.domain)
		fmt.Fprintf(&b, "%s._domainkey.%s IN TXT \"v=DKIM1; k=rsa; p=%s\"\n", s.selector, name, key)
		var o [4]int
		fmt.Sscanf(s.ip, "%d.%d.%d.%d", &o[0], &o[1], &o[2], &o[3])
		fmt.Fprintf(&rev, "%d.%d IN PTR mx.%s.\n", o[3], o[2], s.domain)
	}
	z := &lookup.Zones{}
	for _, zt := range []struct{ text, name string }{
		{b.String(), "senders.test"},
		{rev.String(), "19.198.in-addr.arpa"},
		{"$ORIGIN 113.0.203.in-addr.arpa.\n@ IN SOA ns1.senders.test. hostmaster.senders.test. 1 7200 900 1209600 3600\n77 IN PTR mx.s00000.senders.test.\n", "203.0.113 reverse"},
		{"$ORIGIN bl.test.\n@ IN SOA ns1 hostmaster 1 7200 900 1209600 3600\n", "bl.test"},
	} {
		if err := z.Add(strings.NewReader(zt.text), zt.name, ""); err != nil {
			tb.Fatal(err)
		}
	}
	return z
}
