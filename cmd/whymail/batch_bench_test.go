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

// The batch benchmarks of issue 12, over generated data (batchdata_test.go).
// rtt is the round trip of the shared harness: 10 ms each way.
const rtt = 20 * time.Millisecond

func writeTemp(b *testing.B, name, text string) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

func addressList(n, domains int) string {
	var in strings.Builder
	for _, a := range rcptAddresses(n, domains) {
		in.WriteString(a)
		in.WriteByte('\n')
	}
	return in.String()
}

// BenchmarkAddressBatchLoopback is the harness's W2: 10,000 addresses over
// 2,000 domains, MX verdicts over a loopback server 20 ms away.
func BenchmarkAddressBatchLoopback(b *testing.B) {
	benchAddressBatch(b)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/address")
}

// BenchmarkAddressBatchLossy is the same over a network that loses 1% of
// the queries and 1% of the replies (chosen by a fixed seed): what a lost
// packet costs a batch, with the CLI's default --timeout.
func BenchmarkAddressBatchLossy(b *testing.B) {
	st := benchAddressBatch(b, lookuptest.Loss(0.01, 12))
	b.ReportMetric(float64(st.Lost.Load())/float64(b.N), "lost/op")
}

// benchAddressBatch runs the W2 batch over a loopback server 20 ms away
// with opts, and reports its queries.
func benchAddressBatch(b *testing.B, opts ...lookuptest.Option) *lookuptest.Stats {
	z, err := lookup.ParseZones(rcptZone(2000), "")
	if err != nil {
		b.Fatal(err)
	}
	st := new(lookuptest.Stats)
	addr := lookuptest.Serve(b, z, append([]lookuptest.Option{lookuptest.Delay(rtt), lookuptest.Count(st)}, opts...)...)
	list := writeTemp(b, "list.txt", addressList(10000, 2000))
	args := []string{"address", "--input", list, "--dns", addr, "--format", "json"}
	for b.Loop() {
		if code := Main(args, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(st.Total())/float64(b.N), "queries/op")
	return st
}

// BenchmarkAddressBatchCPU is the CPU of one address beyond the DNS:
// 100,000 addresses over 2,000 domains answered from a zone file.
func BenchmarkAddressBatchCPU(b *testing.B) {
	zone := writeTemp(b, "rcpt.zone", rcptZone(2000))
	const n = 100000
	in := addressList(n, 2000)
	list := writeTemp(b, "list.txt", in)
	args := []string{"address", "--input", list, "--zone", zone, "--format", "json"}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if code := Main(args, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/address")
}

// BenchmarkDomainBatchLoopback is the harness's W1: 200 sender domains,
// each SPF tree 2 to 5 lookups deep with the IP only in its last leaf,
// over a loopback server 20 ms away. "args" names the domains on the
// command line with one IP in every tree; "input" reads them with their
// own IPs and DKIM selectors from --input.
func BenchmarkDomainBatchLoopback(b *testing.B) {
	for _, n := range []int{200} {
		z := senderZones(b, n)
		var st lookuptest.Stats
		addr := lookuptest.Serve(b, z, lookuptest.Delay(rtt), lookuptest.Count(&st))
		common := []string{"--dns", addr, "--dnsbl", "bl.test", "--format", "json", "--fail-on", "never"}
		b.Run(fmt.Sprintf("args/n=%d", n), func(b *testing.B) {
			args := []string{"domain"}
			for _, s := range senders(n) {
				args = append(args, s.domain)
			}
			args = append(append(args, "--sending-ip", batchIP, "--dkim-selector", "s1"), common...)
			before := st.Total()
			for b.Loop() {
				if code := Main(args, nil, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(st.Total()-before)/float64(b.N), "queries/op")
		})
		b.Run(fmt.Sprintf("input/n=%d", n), func(b *testing.B) {
			var in strings.Builder
			for _, s := range senders(n) {
				fmt.Fprintf(&in, "%s %s s=%s\n", s.domain, s.ip, s.selector)
			}
			list := writeTemp(b, "domains.txt", in.String())
			for _, only := range []string{"", "spf"} {
				name := "all"
				args := append([]string{"domain", "--input", list}, common...)
				if only != "" {
					name, args = only, append(args, "--check", only)
				}
				b.Run(name, func(b *testing.B) {
					before := st.Total()
					for b.Loop() {
						if code := Main(args, nil, io.Discard, io.Discard); code != 0 {
							b.Fatalf("exit %d", code)
						}
					}
					b.ReportMetric(float64(st.Total()-before)/float64(b.N), "queries/op")
				})
			}
		})
	}
}

// BenchmarkDomainBatch10k is issue 12's 10,000 domains: one --input run
// over a loopback server 20 ms away must finish with none incomplete
// (exit 0), its memory bounded by the window, not by the input.
func BenchmarkDomainBatch10k(b *testing.B) {
	const n = 10000
	z := senderZones(b, n)
	var st lookuptest.Stats
	addr := lookuptest.Serve(b, z, lookuptest.Delay(rtt), lookuptest.Count(&st))
	var in strings.Builder
	for _, s := range senders(n) {
		fmt.Fprintf(&in, "%s %s s=%s\n", s.domain, s.ip, s.selector)
	}
	list := writeTemp(b, "domains.txt", in.String())
	args := []string{"domain", "--input", list, "--dns", addr, "--dnsbl", "bl.test", "--format", "json", "--fail-on", "never"}
	for b.Loop() {
		if code := Main(args, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d: a domain incomplete or failed", code)
		}
	}
	b.ReportMetric(float64(st.Total())/float64(b.N), "queries/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/domain")
}
