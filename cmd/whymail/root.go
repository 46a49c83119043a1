package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes: the scripting contract (README.md, `whymail --help`).
const (
	ExitOK       = 0 // the command did its job (domain: nothing reached --fail-on)
	ExitFindings = 1 // findings reached --fail-on
	ExitUsage    = 2 // bad usage or unreadable input
	ExitFailed   = 3 // checks could not complete (DNS unreachable)
)

// exitError carries an exit code up to Main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// silentExit ends the command with code after its output was written.
func silentExit(code int) error { return &exitError{code: code} }

const exitCodesHelp = `Exit status:
  0  the command did its job (domain: no finding reached --fail-on)
  1  domain: findings reached --fail-on
  2  bad usage or unreadable input (the error names the file, line and what)
  3  checks could not complete (DNS unreachable); the output is still written`

// Each command's own exit statuses, for its --help.
const (
	diagnoseExitHelp = `Exit status:
  0  the report was written
  2  bad usage or unreadable input (the error names the file, line and what)
  3  some checks could not complete (DNS unreachable); the report is still
     written, marked INCOMPLETE, with "incomplete": true in JSON`
	domainExitHelp = `Exit status:
  0  no finding reached --fail-on
  1  findings reached --fail-on
  2  bad usage or unreadable input (the error names the file, line and what)
  3  some checks could not complete (DNS unreachable): the lint is written,
     marked INCOMPLETE; this wins over 1, since the findings may be the failure`
	addressExitHelp = `Exit status:
  0  every address got a verdict
  2  bad usage or unreadable input (the error names the file, line and what)
  3  some addresses are "unknown": DNS could not answer for their domain`
	bounceExitHelp = `Exit status:
  0  every file was read (a file with no bounce in it is said on stderr)
  2  bad usage, or a file that is not mail (the error names it)`
)

// env is what a command sees of the process: streams and environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// Main runs the command line args and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	root := newRoot(e)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var xe *exitError
	if errors.As(err, &xe) {
		if xe.err != nil {
			fmt.Fprintf(stderr, "whymail: %v\n", wordError(xe.err))
		}
		return xe.code
	}
	// What is left are cobra's own errors (unknown command, wrong number
	// of arguments): usage errors.
	fmt.Fprintf(stderr, "whymail: %v\n", oneLine(err))
	return ExitUsage
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "whymail",
		Short: "Why didn't the email arrive? Ranked causes, evidence, next steps.",
		Long: `whymail runs a pipeline of checks over an address, its domain's DNS
(MX, SPF, DKIM, DMARC), suppression lists, the user's account, the mail log
and any bounce, and prints a ranked report: the most likely cause first,
with evidence, next steps and a reply for the user. The same checks lint a
sender domain in CI. Every command speaks JSON with --format json.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("whymail {{.Version}}\n")
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError("%v (see %s --help)", err, c.CommandPath())
	})
	root.AddCommand(newDiagnose(e), newDomain(e), newAddress(e), newBounce(e), newServe(e), newVersion(e))
	registerCompletions(root)
	root.AddCommand(newSources(e))
	return root
}
