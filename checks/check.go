package checks

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/source"
)

// A Check is one unit of work of the pipeline, declared once as a package
// value (mx.Check, spf.Lint). The Runner validates a set of checks, orders
// them by Requires and runs independent ones concurrently.
type Check struct {
	// Name is unique in a set, lower-case, and appears in reports and JSON.
	Name string
	// Doc says in a sentence or two what the check looks at.
	Doc string
	// Requires lists the checks whose results Run reads with ResultOf. The
	// runner adds them to a set that lacks them, and runs each before the
	// checks that require it. Requiring a check means importing its package,
	// so the import graph is the requirement graph and the compiler rules
	// out cycles between packages.
	Requires []*Check
	// ResultType is the type of the value Run returns for the checks that
	// require this one, nil when it returns none. The runner verifies it:
	// a check that returns another type fails, and ResultOf with another
	// type is a programming error.
	ResultType reflect.Type
	// Run does the work. It reports findings through the Pass and returns a
	// result of ResultType (or nil). An *InputError stops the run (exit 2);
	// any other error marks the check failed (exit 3), after whatever it
	// reported.
	Run func(*Pass) (any, error)
	// Prefetch, when set, names DNS questions the check will ask whatever
	// its requirements say. The runner asks them as the run starts, so a
	// check that waits for others finds its own answers cached and its
	// requirements do not lengthen the run's critical path.
	Prefetch func(*Ticket) []lookup.Question
}

func (c *Check) String() string { return c.Name }

// A Pass is a check's only window on the world during one run.
type Pass struct {
	Check   *Check
	Context context.Context
	Ticket  *Ticket
	// DNS answers every lookup; it is cached and traced for the whole run.
	DNS lookup.Resolver

	results map[*Check]any

	mu         sync.Mutex
	findings   []Finding
	skipReason string
}

// ResultOf returns the result of c, a check that p's check requires, as a
// T: the zero T when c returned nothing. A check that failed may still
// have returned what it found before the failure. Asking for a check that
// is not required, or for another type than c's ResultType, is a
// programming error: it panics, which fails the asking check.
func ResultOf[T any](p *Pass, c *Check) T {
	var zero T
	if !slices.Contains(p.Check.Requires, c) {
		panic(fmt.Sprintf("check %s reads the result of %s without requiring it", p.Check.Name, c.Name))
	}
	if want := reflect.TypeFor[T](); c.ResultType != want {
		panic(fmt.Sprintf("check %s reads the result of %s as %v; it declares %v", p.Check.Name, c.Name, want, c.ResultType))
	}
	v, ok := p.results[c].(T)
	if !ok {
		return zero
	}
	return v
}

// Report records a finding.
func (p *Pass) Report(f Finding) {
	f.Check = p.Check.Name
	if f.Cause != "" && f.Verdict == "" {
		f.Verdict = Possible
	}
	p.mu.Lock()
	p.findings = append(p.findings, f)
	p.mu.Unlock()
}

// Reportf records a finding with a formatted message.
func (p *Pass) Reportf(f Finding, format string, args ...any) {
	f.Message = fmt.Sprintf(format, args...)
	p.Report(f)
}

// Skip marks the check skipped, saying why (typically the input that would
// let it run). The check should still report `unknown` for the causes it
// would have spoken to.
func (p *Pass) Skip(format string, args ...any) {
	p.mu.Lock()
	p.skipReason = fmt.Sprintf(format, args...)
	p.mu.Unlock()
}

// Unknown reports that cause could not be settled, saying why.
func (p *Pass) Unknown(cause CauseID, format string, args ...any) {
	p.Report(Finding{Severity: Info, Cause: cause, Verdict: Unknown, Message: fmt.Sprintf(format, args...)})
}

// Missing reports that cause could not be settled for want of the inputs
// needs, saying what they would show.
func (p *Pass) Missing(cause CauseID, needs []Input, format string, args ...any) {
	p.Report(Finding{Severity: Info, Cause: cause, Verdict: Unknown, Needs: needs, Message: fmt.Sprintf(format, args...)})
}

// SourceFailed handles a source that could not give its evidence (down,
// refused, timed out): the causes it speaks to are unknown, saying why,
// and the returned error fails the check, so the run is incomplete. Bad
// input (an InputError) is returned as it is, for exit 2.
func (p *Pass) SourceFailed(src source.Source, err error, causes ...CauseID) error {
	if IsInputError(err) {
		return err
	}
	for _, c := range causes {
		p.Unknown(c, "%s could not be read (%v), so this could not be checked", src.Describe(), err)
	}
	return fmt.Errorf("%s: %w", src.Describe(), err)
}
