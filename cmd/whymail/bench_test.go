package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

var demoZones = []string{"gmial.com.zone", "corp.example.zone", "mimecast.com.zone", "example.org.zone",
	"app.example.zone", "mailer.example.zone", "203.0.113.rev.zone", "dnsbl.demo.zone"}

func demoArgs(address string) []string {
	cfg := filepath.Join("..", "..", "testdata", "demo", "whymail.yaml")
	return []string{"diagnose", address, "--config", cfg, "--format", "json"}
}

// BenchmarkDiagnoseDemo is the README's demo diagnosis from zone files.
func BenchmarkDiagnoseDemo(b *testing.B) {
	args := demoArgs("bob@corp.example")
	for b.Loop() {
		if code := Main(args, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

// BenchmarkDiagnoseLoopback is the same diagnosis over real DNS round trips
// to a loopback server, with and without 20 ms added to every answer: the
// run should cost the longest chain of dependent lookups, not their sum.
func BenchmarkDiagnoseLoopback(b *testing.B) {
	var paths []string
	for _, z := range demoZones {
		paths = append(paths, filepath.Join("..", "..", "testdata", "demo", z))
	}
	z, err := lookup.LoadZoneFiles(paths...)
	if err != nil {
		b.Fatal(err)
	}
	for _, delay := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run(fmt.Sprintf("delay=%s", delay), func(b *testing.B) {
			var st lookuptest.Stats
			addr := lookuptest.Serve(b, z, lookuptest.Delay(delay), lookuptest.Count(&st))
			users := filepath.Join("..", "..", "testdata", "demo", "users.csv")
			args := []string{"diagnose", "bob@corp.example", "--dns", addr, "--users", users,
				"--sender", "noreply@app.example", "--sending-ip", "203.0.113.10", "--dkim-selector", "s1",
				"--dnsbl", "bl.demo.example", "--at", "2026-11-22T10:00:00Z", "--format", "json"}
			for b.Loop() {
				if code := Main(args, nil, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(st.Total())/float64(b.N), "queries/op")
		})
	}
}

// BenchmarkDomainIncludeTree lints a sender whose SPF record includes a
// four-level tree (2 includes a level), served with 20 ms per answer.
func BenchmarkDomainIncludeTree(b *testing.B) {
	var zone strings.Builder
	zone.WriteString("$ORIGIN tree.example.\n@ IN SOA ns1 hostmaster 1 7200 900 1209600 3600\n@ IN MX 10 mx1\nmx1 IN A 192.0.2.25\n")
	zone.WriteString("_dmarc IN TXT \"v=DMARC1; p=reject; rua=mailto:d@tree.example\"\n")
	var add func(name string, depth int)
	add = func(name string, depth int) {
		if depth == 4 {
			fmt.Fprintf(&zone, "%s IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n", name)
			return
		}
		l, r := "l"+name, "r"+name
		if name == "@" {
			l, r = "l", "r"
		}
		fmt.Fprintf(&zone, "%s IN TXT \"v=spf1 include:%s.tree.example include:%s.tree.example -all\"\n", name, l, r)
		add(l, depth+1)
		add(r, depth+1)
	}
	add("@", 0)
	z, err := lookup.ParseZones(zone.String(), "")
	if err != nil {
		b.Fatal(err)
	}
	var st lookuptest.Stats
	addr := lookuptest.Serve(b, z, lookuptest.Delay(20*time.Millisecond), lookuptest.Count(&st))
	args := []string{"domain", "tree.example", "--dns", addr, "--dkim-selector", "s1", "--format", "json", "--fail-on", "never"}
	for b.Loop() {
		if code := Main(args, nil, io.Discard, io.Discard); code != 0 && code != 3 {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(st.Total())/float64(b.N), "queries/op")
}

// BenchmarkAddressBatch checks 10,000 addresses over 4 domains from zone
// files: the per-address cost of `whymail address --input`.
func BenchmarkAddressBatch(b *testing.B) {
	var in strings.Builder
	in.WriteString("email\n")
	doms := []string{"example.org", "gmial.com", "nomail.example.org", "nowhere.example.org"}
	for i := range 10000 {
		fmt.Fprintf(&in, "user%d@%s\n", i, doms[i%len(doms)])
	}
	dir := b.TempDir()
	list := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(list, []byte(in.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	demo := filepath.Join("..", "..", "testdata", "demo")
	args := []string{"address", "--input", list, "--format", "json",
		"--zone", filepath.Join(demo, "example.org.zone"), "--zone", filepath.Join(demo, "gmial.com.zone")}
	b.SetBytes(int64(in.Len()))
	for b.Loop() {
		if code := Main(args, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/address")
}
