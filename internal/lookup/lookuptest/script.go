package lookuptest

import (
	"flag"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/whymail/whymail/internal/lookup"
)

// DNSServerCmd is a testscript command that serves zone files of the
// script's archive from a loopback server and puts its address in $DNS:
//
//	dnsserver [-env VAR] [-delay D] [-truncate NAME] [-drop NAME] [-servfail NAME] ZONEFILE...
//
// -truncate, -drop and -servfail repeat; the NAME '*' means every name. The
// server stops at the end of the script. Wire it in with
// testscript.Params{Cmds: map[string]func(*testscript.TestScript, bool, []string){"dnsserver": lookuptest.DNSServerCmd}}.
func DNSServerCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! dnsserver")
	}
	fs := flag.NewFlagSet("dnsserver", flag.ContinueOnError)
	env := fs.String("env", "DNS", "environment variable to set to the server's address")
	delay := fs.Duration("delay", 0, "latency added to every answer")
	var truncate, drop, servfail nameList
	fs.Var(&truncate, "truncate", "answer NAME over UDP truncated ('*': all)")
	fs.Var(&drop, "drop", "never answer NAME ('*': all)")
	fs.Var(&servfail, "servfail", "answer SERVFAIL for NAME ('*': all)")
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("dnsserver: %v", err)
	}
	if fs.NArg() == 0 {
		ts.Fatalf("usage: dnsserver [-env VAR] [-delay D] [-truncate NAME] [-drop NAME] [-servfail NAME] ZONEFILE...")
	}
	var paths []string
	for _, p := range fs.Args() {
		paths = append(paths, ts.MkAbs(p))
	}
	z, err := lookup.LoadZoneFiles(paths...)
	ts.Check(err)
	opts := []Option{Delay(*delay)}
	for _, o := range []struct {
		list nameList
		opt  func(...string) Option
	}{{truncate, Truncate}, {drop, Drop}, {servfail, ServFail}} {
		if o.list.all {
			opts = append(opts, o.opt())
		} else if len(o.list.names) > 0 {
			opts = append(opts, o.opt(o.list.names...))
		}
	}
	addr, stop, err := Start(z, opts...)
	ts.Check(err)
	ts.Defer(stop)
	ts.Setenv(*env, addr)
}

type nameList struct {
	names []string
	all   bool
}

func (l *nameList) String() string { return strings.Join(l.names, ",") }

func (l *nameList) Set(s string) error {
	if s == "*" {
		l.all = true
	} else {
		l.names = append(l.names, s)
	}
	return nil
}
