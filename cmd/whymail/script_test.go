package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/whymail/whymail/internal/lookup/lookuptest"
	"github.com/whymail/whymail/internal/textinput/textinputtest"
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
//	utf16 [-be] [-nobom] IN OUT  write IN as UTF-16 (little-endian, with a byte order mark)
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
			"utf16":     utf16Cmd,
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
