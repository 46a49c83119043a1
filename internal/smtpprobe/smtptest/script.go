package smtptest

import (
	"flag"
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// ServerCmd is a testscript command that starts a test SMTP server for the
// rest of the script and puts its address in $SMTP:
//
//	smtpserver [-env VAR] [-tls NAME,...] [-expired] [-ca FILE] [-mailboxes LOCAL,...] [-catchall] [-greylist] [-policy] [-banner TEXT]
//
// -ca writes the PEM of the CA that issued the -tls certificate to FILE.
// The server refuses DATA, and the script fails at its end if a probe
// tried to send one.
func ServerCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! smtpserver")
	}
	fs := flag.NewFlagSet("smtpserver", flag.ContinueOnError)
	env := fs.String("env", "SMTP", "environment variable to set to the server's address")
	names := fs.String("tls", "", "offer STARTTLS with a certificate for these comma-separated names")
	expired := fs.Bool("expired", false, "the certificate expired yesterday")
	ca := fs.String("ca", "", "write the CA's PEM to this file")
	mailboxes := fs.String("mailboxes", "", "comma-separated local parts that exist")
	catchAll := fs.Bool("catchall", false, "accept every recipient")
	greylist := fs.Bool("greylist", false, "answer RCPT TO with 450")
	policy := fs.Bool("policy", false, "refuse RCPT TO with 550 5.7.1")
	banner := fs.String("banner", "", "greet with this reply instead of 220 and hang up")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		ts.Fatalf("usage: smtpserver [-env VAR] [-tls NAMES] [-expired] [-ca FILE] [-mailboxes L,...] [-catchall] [-greylist] [-policy] [-banner TEXT]")
	}
	o := Options{Expired: *expired, CatchAll: *catchAll, Greylist: *greylist, Policy: *policy, Banner: *banner}
	if *names != "" {
		o.TLSNames = strings.Split(*names, ",")
	}
	if *mailboxes != "" {
		o.Mailboxes = strings.Split(*mailboxes, ",")
	}
	s, err := Start(o)
	ts.Check(err)
	ts.Defer(func() {
		if s.Data.Load() != 0 {
			ts.Fatalf("smtpserver: the probe tried to send a message (DATA)")
		}
		s.Close()
	})
	if *ca != "" {
		if s.CA == nil {
			ts.Fatalf("smtpserver: -ca without -tls")
		}
		ts.Check(os.WriteFile(ts.MkAbs(*ca), s.CA, 0o644))
	}
	ts.Setenv(*env, s.Addr)
}
