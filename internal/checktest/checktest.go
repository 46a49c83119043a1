// Package checktest runs checks in tests: zone text in, findings out.
package checktest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/source"
	"github.com/whymail/whymail/source/file"
)

// Zones parses each zone text (each with $ORIGIN or an SOA) into one
// zone-file resolver, failing the test on a parse error.
func Zones(t testing.TB, texts ...string) *lookup.Zones {
	t.Helper()
	z := &lookup.Zones{}
	for i, text := range texts {
		if err := z.Add(strings.NewReader(text), "zone "+string(rune('A'+i)), ""); err != nil {
			t.Fatalf("zone %d: %v", i, err)
		}
	}
	return z
}

// Run runs set (requirements included) for ticket against r and returns
// the result; an input error fails the test unless wantInputErr is used.
func Run(t testing.TB, r lookup.Resolver, ticket *checks.Ticket, set ...*checks.Check) *checks.Result {
	t.Helper()
	res, err := RunErr(r, ticket, set...)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

// RunErr is Run returning the error instead of failing.
func RunErr(r lookup.Resolver, ticket *checks.Ticket, set ...*checks.Check) (*checks.Result, error) {
	return runGiven(r, ticket, nil, set)
}

// RunGiven is Run with the results of some required checks given instead
// of run (checks.Runner.Given), so that a check is tested on the facts a
// test chooses.
func RunGiven(t testing.TB, r lookup.Resolver, ticket *checks.Ticket, given map[*checks.Check]any, set ...*checks.Check) *checks.Result {
	t.Helper()
	res, err := runGiven(r, ticket, given, set)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func runGiven(r lookup.Resolver, ticket *checks.Ticket, given map[*checks.Check]any, set []*checks.Check) (*checks.Result, error) {
	if r == nil {
		r = &lookup.Zones{}
	}
	runner := &checks.Runner{DNS: lookup.NewCache(r), Given: given}
	return runner.Run(context.Background(), set, ticket)
}

// Result returns v as a given result: nil for a nil pointer, so that a
// check given "no result" sees none.
func Result[T any](v *T) any {
	if v == nil {
		return nil
	}
	return v
}

// Verdicts returns, for each cause some finding spoke to, the verdicts of
// its findings in report order.
func Verdicts(res *checks.Result) map[checks.CauseID][]checks.Verdict {
	out := map[checks.CauseID][]checks.Verdict{}
	for _, f := range res.Findings() {
		if f.Cause != "" {
			out[f.Cause] = append(out[f.Cause], f.Verdict)
		}
	}
	return out
}

// Best returns the strongest verdict any finding gave cause, or "" if none spoke to it.
func Best(res *checks.Result, cause checks.CauseID) checks.Verdict {
	var best checks.Verdict
	for _, f := range res.Findings() {
		if f.Cause == cause && (best == "" || f.Verdict.Rank() < best.Rank()) {
			best = f.Verdict
		}
	}
	return best
}

// Needs returns the inputs the findings about cause say would settle it,
// each once, in report order.
func Needs(res *checks.Result, cause checks.CauseID) []checks.Input {
	var out []checks.Input
	for _, f := range res.Findings() {
		if f.Cause != cause {
			continue
		}
		for _, in := range f.Needs {
			if !slices.Contains(out, in) {
				out = append(out, in)
			}
		}
	}
	return out
}

// Messages returns the messages of the findings of the named check.
func Messages(res *checks.Result, check string) []string {
	var out []string
	if c := res.Check(check); c != nil {
		for _, f := range c.Findings {
			out = append(out, f.Message)
		}
	}
	return out
}

// UsersFile is the users source of a file, as the command line opens it.
func UsersFile(path string) source.Users { return file.Users{Path: path} }

// Streams are the stream sources (logs, suppression lists) of files.
func Streams(paths ...string) []source.Stream {
	var out []source.Stream
	for _, p := range paths {
		out = append(out, file.Stream{Path: p})
	}
	return out
}

// MessageFiles are the message sources (bounces) of files.
func MessageFiles(paths ...string) []source.Messages {
	var out []source.Messages
	for _, p := range paths {
		out = append(out, file.Messages{Path: p})
	}
	return out
}

// MessageFile is the sent-message source of a file, read once as the
// command line reads it.
func MessageFile(path string) source.Messages { return source.Once(file.Messages{Path: path}) }
