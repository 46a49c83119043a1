package lookuptest

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/whymail/whymail/internal/lookup"
)

const dnsServerUsage = "usage: dnsserver [-env VAR] [-delay D] [-loss RATE -seed N] " +
	"[-drop|-servfail|-refused|-truncate|-truncate-notcp|-wrongid|-garbage NAME[/TYPE]] [-slow NAME[/TYPE]=D] ZONEFILE..."

// DNSServerCmd is a testscript command that serves zone files of the
// script's archive from a loopback server and puts its address in $DNS:
//
//	dnsserver [-env VAR] [-delay D] [-loss RATE -seed N] [-FAULT NAME[/TYPE]]... [-slow NAME[/TYPE]=D]... ZONEFILE...
//
// FAULT is drop, servfail, refused, truncate, truncate-notcp, wrongid or
// garbage (see the Fault constants); each repeats, and the NAME '*' means
// every name. -slow delays the answers to NAME by D. -loss loses that share
// of UDP queries and replies, reproducibly from -seed. The server stops at
// the end of the script. Wire it in with
// testscript.Params{Cmds: map[string]func(*testscript.TestScript, bool, []string){"dnsserver": lookuptest.DNSServerCmd}}.
func DNSServerCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! dnsserver")
	}
	fs := flag.NewFlagSet("dnsserver", flag.ContinueOnError)
	env := fs.String("env", "DNS", "environment variable to set to the server's address")
	delay := fs.Duration("delay", 0, "latency added to every answer")
	loss := fs.Float64("loss", 0, "share of UDP queries and replies lost, 0-1")
	seed := fs.Uint64("seed", 1, "seed of -loss")
	var rules ruleList
	for _, f := range []Fault{FaultDrop, FaultServFail, FaultRefused, FaultTruncate, FaultTruncateNoTCP, FaultWrongID, FaultGarbage} {
		fs.Func(f.String(), "fault "+f.String()+" for NAME[/TYPE] ('*': all)", func(v string) error {
			r, err := parseRule(v)
			r.Fault = f
			rules = append(rules, r)
			return err
		})
	}
	fs.Func("slow", "delay answers to NAME[/TYPE] by D: NAME[/TYPE]=D", func(v string) error {
		target, d, ok := strings.Cut(v, "=")
		if !ok {
			return fmt.Errorf("want NAME[/TYPE]=DURATION, got %q", v)
		}
		r, err := parseRule(target)
		if err != nil {
			return err
		}
		r.Fault = FaultDelay
		if r.Delay, err = parseDuration(d); err != nil {
			return err
		}
		rules = append(rules, r)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("dnsserver: %v", err)
	}
	if fs.NArg() == 0 {
		ts.Fatalf("%s", dnsServerUsage)
	}
	if *loss < 0 || *loss > 1 {
		ts.Fatalf("dnsserver: -loss %v: want 0 to 1", *loss)
	}
	var paths []string
	for _, p := range fs.Args() {
		paths = append(paths, ts.MkAbs(p))
	}
	z, err := lookup.LoadZoneFiles(paths...)
	ts.Check(err)
	opts := []Option{Delay(*delay), Faults(rules...)}
	if *loss > 0 {
		opts = append(opts, Loss(*loss, *seed))
	}
	addr, stop, err := Start(z, opts...)
	ts.Check(err)
	ts.Defer(stop)
	ts.Setenv(*env, addr)
}

type ruleList []Rule

// parseRule reads NAME or NAME/TYPE ('*' for every name).
func parseRule(s string) (Rule, error) {
	name, typ, hasType := strings.Cut(s, "/")
	r := Rule{Name: name}
	if name == "" {
		return r, fmt.Errorf("empty name in %q", s)
	}
	if hasType {
		t, ok := dns.StringToType[strings.ToUpper(typ)]
		if !ok {
			return r, fmt.Errorf("unknown type %q in %q", typ, s)
		}
		r.Type = t
	}
	return r, nil
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return d, nil
}

// SignZoneCmd is a testscript command that signs a zone file of the
// script in place with a fresh key (SignZone) and appends the zone's DS
// record to the parent zone file:
//
//	signzone [-expired] [-skip TYPE] ZONEFILE [PARENTFILE]
//
// -expired makes signatures that expired yesterday; -skip leaves RRsets of
// TYPE unsigned.
func SignZoneCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! signzone")
	}
	fs := flag.NewFlagSet("signzone", flag.ContinueOnError)
	expired := fs.Bool("expired", false, "signatures that expired yesterday")
	skipType := fs.String("skip", "", "leave RRsets of this type unsigned")
	if err := fs.Parse(args); err != nil || fs.NArg() < 1 || fs.NArg() > 2 {
		ts.Fatalf("usage: signzone [-expired] [-skip TYPE] ZONEFILE [PARENTFILE]")
	}
	var opt SignOptions
	if *expired {
		opt.Inception, opt.Expiration = time.Now().Add(-60*24*time.Hour), time.Now().Add(-24*time.Hour)
	}
	if *skipType != "" {
		t, ok := dns.StringToType[strings.ToUpper(*skipType)]
		if !ok {
			ts.Fatalf("signzone: unknown type %q", *skipType)
		}
		opt.Skip = []uint16{t}
	}
	text := ts.ReadFile(fs.Arg(0))
	signed, ds, err := SignZone(text, opt)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(fs.Arg(0)), []byte(signed), 0o644))
	if fs.NArg() == 2 {
		parent := ts.ReadFile(fs.Arg(1))
		ts.Check(os.WriteFile(ts.MkAbs(fs.Arg(1)), []byte(parent+ds+"\n"), 0o644))
	}
}
