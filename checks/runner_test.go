package checks

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/whymail/whymail/internal/lookup"
)

func check(name string, requires []*Check, run func(*Pass) (any, error)) *Check {
	return &Check{Name: name, Doc: "test check " + name, Requires: requires, Run: run, ResultType: reflect.TypeFor[string]()}
}

func req(cs ...*Check) []*Check { return cs }

func noop(*Pass) (any, error) { return nil, nil }

func TestValidate(t *testing.T) {
	a, b := check("a", nil, noop), check("b", nil, noop)
	c := check("c", nil, noop)
	cycleA, cycleB := check("a", nil, noop), check("b", nil, noop)
	cycleA.Requires, cycleB.Requires = req(cycleB), req(cycleA)
	self := check("a", nil, noop)
	self.Requires = req(self)
	typeless := &Check{Name: "t", Doc: "returns nothing", Run: noop}
	tests := []struct {
		name string
		set  []*Check
		want string // substring of the error; "" for none
	}{
		{"ok", []*Check{a, check("b", req(a), noop)}, ""},
		{"duplicate", []*Check{a, check("a", nil, noop)}, "two checks named a"},
		{"no doc", []*Check{{Name: "a", Run: noop}}, "has no doc"},
		{"no name", []*Check{{Doc: "x", Run: noop}}, "empty name"},
		{"no run", []*Check{{Name: "a", Doc: "x"}}, "has no Run"},
		{"missing requirement", []*Check{check("a", req(c), noop)}, "requires c, which is not in the set"},
		{"same name, other check", []*Check{check("b", nil, noop), check("a", req(b), noop)}, "requires b, which is not in the set"},
		{"nil requirement", []*Check{check("a", req(nil), noop)}, "requires a nil check"},
		{"requirement without a result type", []*Check{typeless, check("a", req(typeless), noop)}, "declares no ResultType"},
		{"cycle", []*Check{cycleA, cycleB}, "requirement cycle"},
		{"self cycle", []*Check{self}, "requirement cycle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.set)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestClosureAddsRequirements(t *testing.T) {
	a := check("a", nil, noop)
	b := check("b", req(a), noop)
	c := check("c", req(b, a), func(p *Pass) (any, error) { return ResultOf[string](p, b) + "+c", nil })
	b.Run = func(p *Pass) (any, error) { return ResultOf[string](p, a) + "+b", nil }
	a.Run = func(p *Pass) (any, error) { return "a", nil }
	if got := Closure([]*Check{c}); len(got) != 3 || got[0] != c || got[1] != b || got[2] != a {
		t.Fatalf("Closure(c) = %v, want [c b a]", got)
	}
	res, err := (&Runner{}).Run(context.Background(), []*Check{c}, &Ticket{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Check("c").Result; got != "a+b+c" {
		t.Errorf("c = %v, want a+b+c", got)
	}
}

func TestResultTypeVerified(t *testing.T) {
	wrong := check("wrong", nil, func(*Pass) (any, error) { return 42, nil })
	reader := check("reader", req(wrong), func(p *Pass) (any, error) { return ResultOf[string](p, wrong), nil })
	asInt := check("as-int", req(reader), func(p *Pass) (any, error) { return fmt.Sprint(ResultOf[int](p, reader)), nil })
	res, err := (&Runner{}).Run(context.Background(), []*Check{asInt}, &Ticket{})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Check("wrong"); c.Status != StatusFailed || !strings.Contains(c.Reason, "returned a int, but declares string") {
		t.Errorf("wrong = %s %q, want failed for returning another type", c.Status, c.Reason)
	}
	if c := res.Check("reader"); c.Status != StatusOK || c.Result != "" {
		t.Errorf("reader = %s %q %v, want ok with the zero string for a failed requirement", c.Status, c.Reason, c.Result)
	}
	if c := res.Check("as-int"); c.Status != StatusFailed || !strings.Contains(c.Reason, "reads the result of reader as int; it declares string") {
		t.Errorf("as-int = %s %q, want failed for reading another type", c.Status, c.Reason)
	}
}

func TestGivenResults(t *testing.T) {
	ran := false
	a := check("a", nil, func(*Pass) (any, error) { ran = true; return "ran", nil })
	b := check("b", req(a), func(p *Pass) (any, error) { return ResultOf[string](p, a), nil })
	res, err := (&Runner{Given: map[*Check]any{a: "given"}}).Run(context.Background(), []*Check{b}, &Ticket{})
	if err != nil {
		t.Fatal(err)
	}
	if ran || res.Check("b").Result != "given" {
		t.Errorf("ran %v, b = %v; want a not run and b given its result", ran, res.Check("b").Result)
	}
}

func TestRunConcurrentAndOrdered(t *testing.T) {
	// a and b can only both finish if they run at the same time.
	var barrier sync.WaitGroup
	barrier.Add(2)
	meet := func(p *Pass) (any, error) {
		barrier.Done()
		done := make(chan struct{})
		go func() { barrier.Wait(); close(done) }()
		select {
		case <-done:
			return p.Check.Name + "-result", nil
		case <-time.After(5 * time.Second):
			return nil, errors.New("ran alone: independent checks were not concurrent")
		}
	}
	var got []any
	a, b := check("a", nil, meet), check("b", nil, meet)
	c := check("c", req(a, b), func(p *Pass) (any, error) {
		got = []any{ResultOf[string](p, a), ResultOf[string](p, b)}
		p.Report(Finding{Severity: Warning, Message: "w"})
		return nil, nil
	})
	set := []*Check{c, a, b}
	res, err := (&Runner{}).Run(context.Background(), set, &Ticket{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cr := range res.Checks {
		if cr.Status == StatusFailed {
			t.Fatalf("%s failed: %s", cr.Name, cr.Reason)
		}
	}
	if len(got) != 2 || got[0] != "a-result" || got[1] != "b-result" {
		t.Errorf("c saw results %v, want [a-result b-result]", got)
	}
	if res.Checks[0].Name != "c" || res.Checks[0].Status != StatusWarning {
		t.Errorf("first result = %s %s, want c warning (set order, worst severity)", res.Checks[0].Name, res.Checks[0].Status)
	}
	if f := res.Checks[0].Findings[0]; f.Check != "c" {
		t.Errorf("finding check = %q, want c", f.Check)
	}
}

func TestRunSerial(t *testing.T) {
	// Serial: one check at a time, each after what it requires, set order
	// kept in the result.
	var running, most int
	var order []string
	var mu sync.Mutex
	step := func(p *Pass) (any, error) {
		mu.Lock()
		running++
		most = max(most, running)
		order = append(order, p.Check.Name)
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
		return p.Check.Name + "-result", nil
	}
	a, b := check("a", nil, step), check("b", nil, step)
	var seen string
	c := check("c", req(b, a), func(p *Pass) (any, error) {
		seen = ResultOf[string](p, a) + "," + ResultOf[string](p, b)
		return step(p)
	})
	res, err := (&Runner{Serial: true}).Run(context.Background(), []*Check{c, a, b}, &Ticket{})
	if err != nil {
		t.Fatal(err)
	}
	if most != 1 {
		t.Errorf("%d checks ran at once, want 1", most)
	}
	if got := strings.Join(order, ","); got != "b,a,c" {
		t.Errorf("ran %s, want b,a,c (c's requirements first, in its order)", got)
	}
	if seen != "a-result,b-result" {
		t.Errorf("c saw %q", seen)
	}
	if got := res.Checks[0].Name + res.Checks[1].Name + res.Checks[2].Name; got != "cab" {
		t.Errorf("result order %s, want cab (set order)", got)
	}
}

func TestRunStatuses(t *testing.T) {
	fails := check("fails", nil, func(p *Pass) (any, error) { return nil, errors.New("dns down") })
	set := []*Check{
		check("skips", nil, func(p *Pass) (any, error) {
			p.Skip("no --log given")
			p.Unknown(NotSent, "give --log")
			return nil, nil
		}),
		fails,
		check("panics", nil, func(p *Pass) (any, error) { panic("boom") }),
		check("after", req(fails), func(p *Pass) (any, error) {
			if ResultOf[string](p, fails) != "" {
				return nil, errors.New("a failed check that returned nothing should give the zero value")
			}
			p.Report(Finding{Cause: Delayed, Message: "m"})
			return nil, nil
		}),
	}
	res, err := (&Runner{}).Run(context.Background(), set, &Ticket{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{"skips": StatusSkipped, "fails": StatusFailed, "panics": StatusFailed, "after": StatusOK}
	for _, cr := range res.Checks {
		if cr.Status != want[cr.Name] {
			t.Errorf("%s: status %s (%s), want %s", cr.Name, cr.Status, cr.Reason, want[cr.Name])
		}
	}
	if r := res.Check("panics").Reason; !strings.Contains(r, "boom") {
		t.Errorf("panic reason %q does not say what happened", r)
	}
	if !res.Failed() {
		t.Error("Failed() = false with failed checks")
	}
	if v := res.Check("after").Findings[0].Verdict; v != Possible {
		t.Errorf("a cause without verdict got %q, want possible", v)
	}
}

func TestRunInputError(t *testing.T) {
	set := []*Check{check("reads", nil, func(p *Pass) (any, error) {
		return nil, Inputf("users.csv", 3, "status %q is not one of active, inactive", "gone")
	})}
	_, err := (&Runner{}).Run(context.Background(), set, &Ticket{})
	if !IsInputError(err) {
		t.Fatalf("err = %v, want an input error", err)
	}
	if want := `users.csv:3: status "gone" is not one of active, inactive`; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestResultOfUndeclaredPanics(t *testing.T) {
	b := check("b", nil, noop)
	set := []*Check{check("a", nil, func(p *Pass) (any, error) { return ResultOf[string](p, b), nil }), b}
	res, err := (&Runner{}).Run(context.Background(), set, &Ticket{})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Check("a"); c.Status != StatusFailed || !strings.Contains(c.Reason, "without requiring it") {
		t.Errorf("a = %s %q, want failed for reading an undeclared result", c.Status, c.Reason)
	}
}

func TestSeverityAndVerdict(t *testing.T) {
	for _, s := range []Severity{OK, Info, Warning, Error} {
		got, err := ParseSeverity(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseSeverity("fatal"); err == nil {
		t.Error("ParseSeverity(fatal) accepted")
	}
	order := []Verdict{Confirmed, Likely, Possible, Unknown, RuledOut}
	for i := 1; i < len(order); i++ {
		if order[i-1].Rank() >= order[i].Rank() {
			t.Errorf("%s should rank before %s", order[i-1], order[i])
		}
	}
	if Verdict("maybe").Valid() {
		t.Error("unknown verdict reported valid")
	}
	if got := (&Ticket{Sender: "noreply@app.example"}).SenderDomain(); got != "app.example" {
		t.Errorf("SenderDomain = %q", got)
	}
}

// countingResolver counts questions and answers REFUSED.
type countingResolver struct {
	mu    sync.Mutex
	asked map[string]time.Time
}

func (c *countingResolver) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	c.mu.Lock()
	c.asked[q.Name] = time.Now()
	c.mu.Unlock()
	return &lookup.Answer{Question: q, Rcode: 5}, nil
}

func TestPrefetch(t *testing.T) {
	r := &countingResolver{asked: map[string]time.Time{}}
	started := make(chan time.Time, 1)
	slow := check("slow", nil, func(p *Pass) (any, error) {
		time.Sleep(50 * time.Millisecond)
		return nil, nil
	})
	waiter := check("waiter", req(slow), func(p *Pass) (any, error) {
		started <- time.Now()
		return nil, nil
	})
	waiter.Prefetch = func(t *Ticket) []lookup.Question {
		return []lookup.Question{{Name: "_dmarc." + t.Domain, Type: 16}}
	}
	if _, err := (&Runner{DNS: r}).Run(context.Background(), []*Check{slow, waiter}, &Ticket{Domain: "example.com"}); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	asked, ok := r.asked["_dmarc.example.com"]
	r.mu.Unlock()
	if !ok {
		t.Fatal("prefetch question never asked")
	}
	if run := <-started; !asked.Before(run) {
		t.Errorf("prefetch asked at %v, after the check started at %v", asked, run)
	}
}

func TestSenderDomain(t *testing.T) {
	for in, want := range map[string]string{
		"noreply@App.Example":     "app.example",
		"app.example.":            "app.example",
		"news@bücher.example":     "xn--bcher-kva.example",
		" BÜCHER.example ":        "xn--bcher-kva.example",
		"":                        "",
		"a@b@weird..example":      "weird..example",
		"x@xn--bcher-kva.example": "xn--bcher-kva.example",
	} {
		if got := (&Ticket{Sender: in}).SenderDomain(); got != want {
			t.Errorf("SenderDomain(%q) = %q, want %q", in, got, want)
		}
	}
}
