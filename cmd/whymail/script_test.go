package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/whymail/whymail/internal/lookup/lookuptest"
	"github.com/whymail/whymail/internal/smtpprobe/smtptest"
	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

// TestMain lets the test binary act as the whymail command inside scripts.
func TestMain(m *testing.M) {
	// Logs without a zone are read in the local one (--log-tz): tests read
	// them in UTC on every machine, as scripts do with TZ=UTC.
	time.Local = time.UTC
	testscript.Main(m, map[string]func(){
		"whymail": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScript runs every end-to-end scenario in testdata/script: one txtar
// file per ticket, with its zones, logs and exports, the command and the
// expected output. Run with -update to rewrite golden sections.
//
// Besides testscript's own commands, scripts have:
//
//	status N PROG ARGS...   run PROG like exec and require exit status N
//	dnsserver [flags] ZONE...  serve zones on a loopback DNS server; address in $DNS
//	signzone [-expired] [-skip TYPE] ZONE [PARENT]  sign ZONE in place (DNSSEC), its DS into PARENT
//	smtpserver [flags]      an in-process SMTP server on loopback; address in $SMTP
//	utf16 [-be] [-nobom] IN OUT  write IN as UTF-16, as spreadsheets export "Unicode text"
//
// and commands that read the JSON on stdout of the last exec or status
// (docs/json.md) and assert what it says in the words of the ticket, not
// as regular expressions over indented JSON. A VERDICT, STATUS or SEVERITY
// may list alternatives, confirmed|likely; a word outside its set, or a
// cause the diagnosis does not list, is a usage error, so that a
// misspelling never makes a negation hold. Each command takes ! to assert
// the opposite, and when it fails it says what the document does say.
//
// On a diagnosis (whymail.diagnose/v1):
//
//	verdict CAUSE VERDICT   the cause has the verdict; CAUSE * is any cause
//	                        (`! verdict * likely`: no cause is likely)
//	top CAUSE [VERDICT]     the first-ranked cause is CAUSE (with the verdict)
//	explained CAUSE [ROOT]  CAUSE is a symptom folded under ROOT (its
//	                        explained_by), or under any root; a chain takes
//	                        one line a link
//	evidence CAUSE REGEXP   a message among the cause's evidence matches;
//	                        CAUSE * is any cause
//
// On a diagnosis or a domain lint (whymail.domain/v1):
//
//	incomplete              some check could not complete (exit status 3)
//	check NAME STATUS       the check has the status (in a lint, in every domain)
//
// On a domain lint:
//
//	failed                  some finding reached --fail-on
//	finding RECORD SEVERITY [REGEXP]
//	                        a finding about RECORD (the lint's record group:
//	                        spf, dmarc, mx, ...; * for any) has the severity,
//	                        and its message matches REGEXP
//
// On the lines of address (whymail.address/v1) and bounce (whymail.bounce/v1):
//
//	address ADDRESS VERDICT [FIELD=VALUE...]
//	                        the line for ADDRESS has the verdict and the fields
//	bounce RECIPIENT CAUSE [FIELD=VALUE...]
//	                        a line for RECIPIENT has the cause and the fields
//
// FIELD=VALUE compares the line's field exactly: a string as it is, any
// other value as its JSON (code=550, permanent=true).
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			// Logs without a zone are read in the local one: the same everywhere.
			env.Setenv("TZ", "UTC")
			return nil
		},
		Cmds: scriptCmds(),
	})
}

// scriptCmds are the commands TestScript adds to testscript's own.
func scriptCmds() map[string]func(*testscript.TestScript, bool, []string) {
	cmds := scriptDocCmds()
	cmds["status"] = statusCmd
	cmds["dnsserver"] = lookuptest.DNSServerCmd
	cmds["signzone"] = lookuptest.SignZoneCmd
	cmds["smtpserver"] = smtptest.ServerCmd
	cmds["utf16"] = utf16Cmd
	return cmds
}

// statusCmd runs a program and checks its exit status, which `exec` and
// `! exec` cannot tell apart beyond zero and non-zero.
func statusCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N PROG ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: %q is not an exit status", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("status: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// utf16Cmd writes a file as UTF-16, as spreadsheet programs export
// "Unicode text", so that scripts need not hold binary files.
func utf16Cmd(ts *testscript.TestScript, neg bool, args []string) {
	be, bom := false, true
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-be":
			be = true
		case "-nobom":
			bom = false
		default:
			ts.Fatalf("utf16: unknown flag %s", args[0])
		}
		args = args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: utf16 [-be] [-nobom] IN OUT")
	}
	data := textinputtest.UTF16(ts.ReadFile(args[0]), be)
	if !bom {
		data = data[2:]
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), data, 0o644))
}
