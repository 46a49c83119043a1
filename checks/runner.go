package checks

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/whymail/whymail/internal/lookup"
)

// Status is the outcome of one check in a run.
type Status string

const (
	StatusOK      Status = "ok"      // ran; nothing worse than info
	StatusWarning Status = "warning" // ran; a warning finding
	StatusError   Status = "error"   // ran; an error finding
	StatusSkipped Status = "skipped" // did not run: its input was not given
	StatusFailed  Status = "failed"  // could not complete (DNS unreachable, internal error)
)

// CheckResult is what one check did in a run.
type CheckResult struct {
	Name       string        `json:"name"`
	Doc        string        `json:"-"`
	Status     Status        `json:"status"`
	Reason     string        `json:"reason,omitempty"` // why skipped or failed
	Findings   []Finding     `json:"findings"`
	Duration   time.Duration `json:"-"`
	DurationMS int64         `json:"duration_ms"`
	Result     any           `json:"-"`

	inputErr error
}

// Result is the outcome of a run: one CheckResult per check, in set order.
type Result struct {
	Ticket *Ticket
	Checks []*CheckResult
}

// Findings returns every finding of the run, in check order.
func (r *Result) Findings() []Finding {
	n := 0
	for _, c := range r.Checks {
		n += len(c.Findings)
	}
	if n == 0 {
		return nil
	}
	all := make([]Finding, 0, n)
	for _, c := range r.Checks {
		all = append(all, c.Findings...)
	}
	return all
}

// Failed reports whether any check could not complete.
func (r *Result) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == StatusFailed {
			return true
		}
	}
	return false
}

// Check returns the result of the named check, or nil.
func (r *Result) Check(name string) *CheckResult {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Runner runs a set of checks against one ticket.
type Runner struct {
	// DNS answers lookups; wrap it in a lookup.Cache for one cache per run.
	DNS lookup.Resolver
	// Given holds results handed to the run instead of running these
	// checks: a check's result as recorded, or chosen by a test so that
	// the checks requiring it are tested on their own.
	Given map[*Check]any
	// Serial runs the checks one after another on the caller's goroutine,
	// each after those it requires: for runs of checks that do no I/O of
	// their own (an address batch's, with the domain's result given),
	// where a goroutine a check costs more than the check.
	Serial bool
}

// Validate checks a set before it runs: names unique and non-empty, docs
// present, Run set, every required check in the set (Closure adds them) and
// declaring a ResultType, no cycles.
func Validate(set []*Check) error {
	byName := map[string]*Check{}
	for _, c := range set {
		switch {
		case c == nil:
			return errors.New("nil check in set")
		case c.Name == "":
			return errors.New("check with empty name")
		case strings.TrimSpace(c.Doc) == "":
			return fmt.Errorf("check %s has no doc", c.Name)
		case c.Run == nil:
			return fmt.Errorf("check %s has no Run", c.Name)
		case byName[c.Name] != nil:
			return fmt.Errorf("two checks named %s", c.Name)
		}
		byName[c.Name] = c
	}
	for _, c := range set {
		for _, r := range c.Requires {
			switch {
			case r == nil:
				return fmt.Errorf("check %s requires a nil check", c.Name)
			case byName[r.Name] != r:
				return fmt.Errorf("check %s requires %s, which is not in the set", c.Name, r.Name)
			case r.ResultType == nil:
				return fmt.Errorf("check %s requires %s, which declares no ResultType", c.Name, r.Name)
			}
		}
	}
	// Depth-first search for cycles: 1 = on the stack, 2 = done.
	state := map[*Check]int{}
	var visit func(c *Check, path []string) error
	visit = func(c *Check, path []string) error {
		switch state[c] {
		case 1:
			return fmt.Errorf("requirement cycle: %s -> %s", strings.Join(path, " -> "), c.Name)
		case 2:
			return nil
		}
		state[c] = 1
		for _, r := range c.Requires {
			if err := visit(r, append(path, c.Name)); err != nil {
				return err
			}
		}
		state[c] = 2
		return nil
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := visit(byName[n], nil); err != nil {
			return err
		}
	}
	return nil
}

// Closure returns set followed by the checks its checks require,
// transitively, in the order first required, as go/analysis drivers do:
// a command names the checks it wants, not their prerequisites.
func Closure(set []*Check) []*Check {
	out := slices.Clone(set)
	seen := map[*Check]bool{}
	for _, c := range set {
		seen[c] = true
	}
	for i := 0; i < len(out); i++ {
		if out[i] == nil {
			continue
		}
		for _, r := range out[i].Requires {
			if r != nil && !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// A plan is a set ready to run: its closure, validated, with each check's
// requirements as positions in it and an order that runs each check after
// them.
type plan struct {
	set   []*Check
	reqs  [][]int
	order []int
}

func newPlan(set []*Check) (*plan, error) {
	set = Closure(set)
	if err := Validate(set); err != nil {
		return nil, err
	}
	pl := &plan{set: set, reqs: make([][]int, len(set))}
	at := make(map[*Check]int, len(set))
	for i, c := range set {
		at[c] = i
	}
	for i, c := range set {
		for _, r := range c.Requires {
			pl.reqs[i] = append(pl.reqs[i], at[r])
		}
	}
	seen := make([]bool, len(set))
	var visit func(i int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		for _, j := range pl.reqs[i] {
			visit(j)
		}
		pl.order = append(pl.order, i)
	}
	for i := range set {
		visit(i)
	}
	return pl, nil
}

// prepared remembers the plan of each set of checks that validated, by
// its checks: a batch runs the same few sets thousands of times, and the
// closure and validation were a tenth of a batch's allocations.
var prepared struct {
	sync.Mutex
	plans map[[maxPrepared]*Check]*plan
}

// maxPrepared is the largest set remembered (larger ones are prepared
// each time); the key is an array so that looking it up allocates nothing.
const maxPrepared = 24

// prepare is set's plan, remembered when set validates.
func prepare(set []*Check) (*plan, error) {
	var key [maxPrepared]*Check
	if len(set) > maxPrepared {
		return newPlan(set)
	}
	copy(key[:], set)
	prepared.Lock()
	pl, ok := prepared.plans[key]
	prepared.Unlock()
	if ok {
		return pl, nil
	}
	pl, err := newPlan(set)
	if err != nil {
		return nil, err
	}
	prepared.Lock()
	if prepared.plans == nil {
		prepared.plans = map[[maxPrepared]*Check]*plan{}
	}
	if len(prepared.plans) < 1024 { // sets are few; a program making many does not grow this
		prepared.plans[key] = pl
	}
	prepared.Unlock()
	return pl, nil
}

// Run validates set and runs it: each check starts as soon as the checks it
// requires are done, so independent checks (and their DNS lookups) run
// concurrently. It returns an *InputError when a check found bad input.
func (r *Runner) Run(ctx context.Context, set []*Check, t *Ticket) (*Result, error) {
	pl, err := prepare(set)
	if err != nil {
		return nil, err
	}
	set = pl.set
	out := make([]CheckResult, len(set))
	for i, c := range set {
		out[i].Name, out[i].Doc = c.Name, c.Doc
	}
	var done []chan struct{} // closed as each check ends, unless Serial
	if !r.Serial {
		done = make([]chan struct{}, len(set))
		for i := range done {
			done[i] = make(chan struct{})
		}
	}
	var prefetches sync.WaitGroup
	defer prefetches.Wait() // no lookup outlives the run (and its trace)
	for _, c := range set {
		if c.Prefetch != nil && r.DNS != nil {
			for _, q := range c.Prefetch(t) {
				prefetches.Go(func() { r.DNS.Lookup(ctx, q) }) // warms the cache; the check asks again
			}
		}
	}
	run := func(i int) {
		if done != nil {
			defer close(done[i])
		}
		c, cr := set[i], &out[i]
		var results map[*Check]any
		if len(pl.reqs[i]) > 0 {
			results = make(map[*Check]any, len(pl.reqs[i]))
		}
		for _, j := range pl.reqs[i] {
			if done != nil {
				<-done[j]
			}
			results[set[j]] = out[j].Result
		}
		if v, ok := r.Given[c]; ok {
			cr.Result, cr.Status, cr.Reason, cr.Findings = v, StatusOK, "given, not run", []Finding{}
			return
		}
		p := &Pass{Check: c, Context: ctx, Ticket: t, DNS: r.DNS, results: results}
		start := time.Now()
		res, err := runOne(c, p)
		if err == nil && res != nil && reflect.TypeOf(res) != c.ResultType {
			err = fmt.Errorf("internal error in check %s: it returned a %T, but declares %v", c.Name, res, c.ResultType)
			res = nil
		}
		cr.Duration = time.Since(start)
		cr.DurationMS = cr.Duration.Milliseconds()
		cr.Result = res
		cr.Findings = p.findings
		if cr.Findings == nil {
			cr.Findings = []Finding{}
		}
		cr.Status = status(cr.Findings)
		if p.skipReason != "" {
			cr.Status, cr.Reason = StatusSkipped, p.skipReason
		}
		if err != nil {
			cr.Status, cr.Reason = StatusFailed, err.Error()
			if IsInputError(err) {
				cr.inputErr = err
			}
		}
	}
	if r.Serial {
		for _, i := range pl.order {
			run(i)
		}
	} else {
		// Each check runs on a goroutine of its own, but the last on this
		// one: a run of one check (a batch's per-domain run) starts none.
		for i := range set {
			if i == len(set)-1 {
				run(i)
			} else {
				go run(i)
			}
		}
		for i := range done {
			<-done[i]
		}
	}
	res := &Result{Ticket: t, Checks: make([]*CheckResult, len(set))}
	for i := range out {
		res.Checks[i] = &out[i]
	}
	// The first bad input in set order, so that the message is the same
	// on every run when two checks read the same file.
	for _, c := range res.Checks {
		if c.inputErr != nil {
			return res, c.inputErr
		}
	}
	return res, nil
}

// runOne runs a check, turning a panic into a failure so that one broken
// check never takes the report down with it.
func runOne(c *Check, p *Pass) (res any, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("internal error in check %s: %v (%s)", c.Name, v, panicSite(debug.Stack()))
		}
	}()
	return c.Run(p)
}

func status(fs []Finding) Status {
	worst := OK
	for _, f := range fs {
		worst = max(worst, f.Severity)
	}
	switch worst {
	case Error:
		return StatusError
	case Warning:
		return StatusWarning
	}
	return StatusOK
}

// panicSite picks the frame that panicked out of a stack trace, so that a
// report of an internal error says where without printing the whole stack.
func panicSite(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") && i+3 < len(lines) {
			return strings.TrimSpace(lines[i+3])
		}
	}
	return "unknown location"
}
