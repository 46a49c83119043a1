package lookuptest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

// TestScript runs testdata/script: dnsserver, then dnsquery (below) asking it.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"dnsserver": lookuptest.DNSServerCmd,
			"dnsquery":  dnsquery,
		},
	})
}

// dnsquery NAME TYPE asks $DNS (timeout 200ms, no retry) and prints
// "status via" and each record's data, or "error: ...".
func dnsquery(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: dnsquery NAME TYPE")
	}
	n, err := lookup.NewNetwork(ts.Getenv("DNS"))
	ts.Check(err)
	n.Timeout, n.Retries = 200*time.Millisecond, 0
	a, err := n.Lookup(context.Background(), lookup.Question{Name: args[0], Type: dns.StringToType[args[1]]})
	if err != nil {
		fmt.Fprintf(ts.Stdout(), "%s: %v\n", lookup.StatusOf(nil, err), err)
		if !neg {
			ts.Fatalf("dnsquery: %v", err)
		}
		return
	}
	if neg {
		ts.Fatalf("dnsquery: unexpected answer")
	}
	fmt.Fprintf(ts.Stdout(), "%s %s\n", a.Status(), strings.Fields(a.Server)[0])
	for _, rr := range a.Records {
		fmt.Fprintln(ts.Stdout(), strings.TrimPrefix(rr.String(), rr.Header().String()))
	}
}
