package checks

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/whymail/whymail/internal/lookup"
)

func check(name string, requires []string, run func(*Pass) (any, error)) *Check {
	return &Check{Name: name, Doc: "test check " + name, Requires: requires, Run: run}
}

func noop(*Pass) (any, error) { return nil, nil }

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		set  []*Check
		want string // substring of the error; "" for none
	}{
		{"ok", []*Check{check("a", nil, noop), check("b", []string{"a"}, noop)}, ""},
		{"duplicate", []*Check{check("a", nil, noop), check("a", nil, noop)}, "two checks named a"},
		{"no doc", []*Check{{Name: "a", Run: noop}}, "has no doc"},
		{"no name", []*Check{{Doc: "x", Run: noop}}, "empty name"},
		{"no run", []*Check{{Name: "a", Doc: "x"}}, "has no Run"},
		{"missing requirement", []*Check{check("a", []string{"z"}, noop)}, "requires z, which is not in the set"},
		{"cycle", []*Check{check("a", []string{"b"}, noop), check("b", []string{"c"}, noop), check("c", []string{"a"}, noop)}, "requirement cycle"},
		{"self cycle", []*Check{check("a", []string{"a"}, noop)}, "requirement cycle"},
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
	c := check("c", []string{"a", "b"}, func(p *Pass) (any, error) {
		got = []any{p.ResultOf("a"), p.ResultOf("b")}
		p.Report(Finding{Severity: Warning, Message: "w"})
		return nil, nil
	})
	set := []*Check{c, check("a", nil, meet), check("b", nil, meet)}
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

func TestRunStatuses(t *testing.T) {
	set := []*Check{
		check("skips", nil, func(p *Pass) (any, error) {
			p.Skip("no --log given")
			p.Unknown(NotSent, "give --log")
			return nil, nil
		}),
		check("fails", nil, func(p *Pass) (any, error) { return nil, errors.New("dns down") }),
		check("panics", nil, func(p *Pass) (any, error) { panic("boom") }),
		check("after", []string{"fails"}, func(p *Pass) (any, error) {
			if p.ResultOf("fails") != nil {
				return nil, errors.New("result of a failed check should be nil")
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
	set := []*Check{check("a", nil, func(p *Pass) (any, error) { return p.ResultOf("b"), nil }), check("b", nil, noop)}
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
	waiter := check("waiter", []string{"slow"}, func(p *Pass) (any, error) {
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
