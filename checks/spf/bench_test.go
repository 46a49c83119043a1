package spf

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

// deepTree is a four-level include tree under example.com: the root
// includes 3 records, each level below includes 2 more, down to leaves at
// level 4 (3 + 6 + 12 + 24 records), with an mx term at the root.
func deepTree() string {
	var b strings.Builder
	b.WriteString("$ORIGIN example.com.\n$TTL 300\n@ IN MX 10 mx\nmx IN A 192.0.2.25\n")
	// name is the owner's FQDN.
	var add func(name string, level, fan int)
	add = func(name string, level, fan int) {
		if level == 4 {
			fmt.Fprintf(&b, "%s IN TXT \"v=spf1 ip4:192.0.2.%d -all\"\n", name, level)
			return
		}
		var kids []string
		for i := range fan {
			kids = append(kids, fmt.Sprintf("l%d-%d.%s", level+1, i, name))
		}
		rec := "v=spf1"
		if level == 0 {
			rec += " mx"
		}
		for _, k := range kids {
			rec += " include:" + strings.TrimSuffix(k, ".")
		}
		fmt.Fprintf(&b, "%s IN TXT \"%s -all\"\n", name, rec)
		for _, k := range kids {
			add(k, level+1, 2)
		}
	}
	add("example.com.", 0, 3)
	return b.String()
}

// BenchmarkLint lints the four-level tree served over loopback UDP with
// 20ms added to every answer. The lookups of one level go out together,
// so an op costs about (depth + 1) round trips, not one per record.
func BenchmarkLint(b *testing.B) {
	const delay = 20 * time.Millisecond
	z := checktest.Zones(b, deepTree())
	var st lookuptest.Stats
	addr := lookuptest.Serve(b, z, lookuptest.Delay(delay), lookuptest.Count(&st))
	net, err := lookup.NewNetwork(addr)
	if err != nil {
		b.Fatal(err)
	}
	ticket := &checks.Ticket{Sender: "app@example.com"}
	var lookups int
	start := time.Now()
	for b.Loop() {
		res := checktest.Run(b, net, ticket, Lint)
		r := res.Check("spf").Result.(*Result)
		lookups = r.Lookups
	}
	elapsed := time.Since(start)
	perOp := elapsed / time.Duration(b.N)
	b.ReportMetric(float64(perOp)/float64(delay), "roundtrips/op")
	b.ReportMetric(float64(st.Total())/float64(b.N), "queries/op")
	b.ReportMetric(float64(lookups), "spf-lookups")
}

// TestDepthNotCount checks what the benchmark measures: the tree's 46
// records are asked a level at a time (about 5 round trips), not one by one.
func TestDepthNotCount(t *testing.T) {
	if testing.Short() {
		t.Skip("uses a delayed loopback server")
	}
	const delay = 20 * time.Millisecond
	z := checktest.Zones(t, deepTree())
	var st lookuptest.Stats
	addr := lookuptest.Serve(t, z, lookuptest.Delay(delay), lookuptest.Count(&st))
	net, err := lookup.NewNetwork(addr)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := checktest.Run(t, net, &checks.Ticket{Sender: "app@example.com"}, Lint)
	elapsed := time.Since(start)
	r := res.Check("spf").Result.(*Result)
	if r.Lookups != 3+6+12+24+1 {
		t.Errorf("lookups %d, want 46", r.Lookups)
	}
	if st.Total() < 46 {
		t.Errorf("%d queries, want at least one per record (46)", st.Total())
	}
	// Each level of the tree is asked at once: the server holds the 24
	// records of the deepest level together (a sequential expansion holds
	// one). Asserted at the server, not by the clock, so that a loaded
	// machine cannot fail it; the round trips are logged.
	if p := st.Peak.Load(); p < 12 {
		t.Errorf("the server held at most %d questions at once; want a level's records (up to 24) asked together", p)
	}
	t.Logf("%d queries in %v (%.1f round trips of %v)", st.Total(), elapsed, float64(elapsed)/float64(delay), delay)
}
