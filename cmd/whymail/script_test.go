package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
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
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}
