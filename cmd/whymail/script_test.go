package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

// TestMain lets the test binary act as the whymail command inside scripts.
func TestMain(m *testing.M) {
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
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"status":    statusCmd,
			"dnsserver": lookuptest.DNSServerCmd,
		},
	})
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
