package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/whymail/whymail/checks"
)

// DiagnoseSchema is the version of the diagnose JSON document.
const DiagnoseSchema = "whymail.diagnose/v1"

// Diagnosis is the ranked answer for one ticket; its JSON form is the
// documented whymail.diagnose/v1 contract (docs/json.md).
type Diagnosis struct {
	Schema  string    `json:"schema"`
	Address string    `json:"address"`
	At      time.Time `json:"at"`
	Sender  string    `json:"sender,omitempty"`
	// Incomplete is set when a check could not complete (exit status 3):
	// the ranking may miss the real cause.
	Incomplete bool `json:"incomplete"`
	// Causes are in rank order, every catalog cause present, ruled-out last.
	Causes []*Cause        `json:"causes"`
	Checks []CheckOutcome  `json:"checks"`
	Trace  []TraceExchange `json:"trace,omitempty"`
}

// Cause is one catalog cause with the verdict of this run.
type Cause struct {
	ID          checks.CauseID  `json:"id"`
	Verdict     checks.Verdict  `json:"verdict"`
	Title       string          `json:"title"`
	Explanation string          `json:"explanation"`
	Strength    checks.Strength `json:"strength"`
	Evidence    []Evidence      `json:"evidence"`
	AgentSteps  []string        `json:"agent_steps"`
	UserReply   string          `json:"user_reply"`
	// ExplainedBy names the root cause that accounts for this symptom.
	ExplainedBy checks.CauseID `json:"explained_by,omitempty"`
	// SettledBy says what would let a run speak to the cause, and Needs
	// which inputs that is.
	SettledBy string         `json:"settled_by,omitempty"`
	Needs     []checks.Input `json:"needs,omitempty"`

	common   int
	key      int  // rank key: lower is shown first
	reported bool // some check spoke to it (not only the catalog default)
}

// Evidence is one finding behind a cause.
type Evidence struct {
	Check   string         `json:"check"`
	Verdict checks.Verdict `json:"verdict"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data,omitempty"`
	// Needs names the inputs that would settle what this evidence leaves open.
	Needs []checks.Input `json:"needs,omitempty"`
	// Symptom names the cause this evidence was first reported for, when
	// it was folded in from a symptom.
	Symptom checks.CauseID `json:"symptom,omitempty"`
}

// CheckOutcome is what one check did.
type CheckOutcome struct {
	Name       string           `json:"name"`
	Status     checks.Status    `json:"status"`
	Reason     string           `json:"reason,omitempty"`
	Findings   []checks.Finding `json:"findings"`
	DurationMS int64            `json:"duration_ms"`
}

// TraceExchange is one DNS question and its answer, for the trace.
type TraceExchange struct {
	Question string   `json:"question"`
	Status   string   `json:"status"`
	Server   string   `json:"server,omitempty"`
	Records  []string `json:"records,omitempty"`
	Error    string   `json:"error,omitempty"`
	MS       float64  `json:"ms"`
	Shared   bool     `json:"shared,omitempty"`
}

// Outcomes lists the checks of a run for the report.
func Outcomes(res *checks.Result) []CheckOutcome {
	var out []CheckOutcome
	for _, c := range res.Checks {
		out = append(out, CheckOutcome{Name: c.Name, Status: c.Status, Reason: c.Reason,
			Findings: c.Findings, DurationMS: c.DurationMS})
	}
	return out
}

// Words names inputs as a front end does: the command line as its flags,
// the page as its fields. Nil words name nothing, and the report then says
// only what the inputs are.
type Words func([]checks.Input) string

// hint adds to a finding's message how to give the inputs it needs: "no
// mail log given (give W)." where W is the words of the inputs.
func (w Words) hint(msg string, needs []checks.Input) string {
	h := w.of(needs)
	if h == "" {
		return msg
	}
	if trimmed, ok := strings.CutSuffix(msg, "."); ok {
		return trimmed + " (give " + h + ")."
	}
	return msg + " (give " + h + ")"
}

// named adds to what settles a cause the words of its inputs: "the user
// records: W".
func (w Words) named(what string, needs []checks.Input) string {
	if h := w.of(needs); h != "" {
		return what + ": " + h
	}
	return what
}

func (w Words) of(needs []checks.Input) string {
	if w == nil || len(needs) == 0 {
		return ""
	}
	return w(needs)
}

// Diagnose builds the ranked diagnosis of a run with the catalog cat; w
// words the inputs that would settle what the run could not.
func Diagnose(res *checks.Result, cat Catalog, w Words) *Diagnosis {
	d := &Diagnosis{Schema: DiagnoseSchema, Address: res.Ticket.Address, At: res.Ticket.At.UTC(),
		Sender: res.Ticket.Sender, Checks: Outcomes(res), Incomplete: res.Failed()}
	byID := map[checks.CauseID][]checks.Finding{}
	for _, f := range res.Findings() {
		if f.Cause != "" {
			byID[f.Cause] = append(byID[f.Cause], f)
		}
	}
	for _, id := range checks.Causes {
		d.Causes = append(d.Causes, newCause(cat[id], byID[id], w))
	}
	ruleOutUndelivered(d.Causes, cat)
	Rank(d.Causes, cat)
	return d
}

// newCause decides a cause's verdict from its findings: the strongest
// evidence wins, and among equally strong evidence the order of decisive.
func newCause(e *Entry, fs []checks.Finding, w Words) *Cause {
	c := &Cause{ID: e.ID, Title: e.Title, Explanation: e.Explanation, common: e.Common,
		SettledBy: w.named(e.SettledBy, e.Needs), Needs: e.Needs}
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Strength != fs[j].Strength {
			return fs[i].Strength > fs[j].Strength
		}
		return decisive(fs[i].Verdict) < decisive(fs[j].Verdict)
	})
	if len(fs) == 0 {
		c.Verdict = e.Default
		if e.DefaultMessage != "" {
			c.Evidence = append(c.Evidence, Evidence{Check: "catalog", Verdict: e.Default, Message: e.DefaultMessage})
		}
	} else {
		c.Verdict, c.Strength, c.reported = fs[0].Verdict, fs[0].Strength, true
	}
	// Steps specific to the strongest findings replace the catalog's
	// general ones, which would only say the same less precisely.
	for _, f := range fs {
		c.Evidence = append(c.Evidence, Evidence{Check: f.Check, Verdict: f.Verdict, Message: w.hint(f.Message, f.Needs),
			Data: f.Data, Needs: f.Needs})
		if f.Verdict == c.Verdict {
			for _, s := range f.Steps {
				if s = sentence(s); !slices.Contains(c.AgentSteps, s) {
					c.AgentSteps = append(c.AgentSteps, s)
				}
			}
		}
	}
	if len(c.AgentSteps) == 0 {
		c.AgentSteps = append(c.AgentSteps, e.Steps...)
	}
	c.UserReply = e.Reply
	if c.Evidence == nil {
		c.Evidence = []Evidence{}
	}
	return c
}

// sentence capitalises the first letter of a step.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

// ruleOutUndelivered rules out what can only happen to a sent email (spam
// folder, quarantine, deferral, bounce, expired link) when a confirmed
// cause says that nothing was sent at all. Only guesses yield: a cause
// that a source of record confirmed or found likely stays as it is.
func ruleOutUndelivered(cs []*Cause, cat Catalog) {
	var why *Cause
	for _, c := range cs {
		if cat[c.ID].NothingSent && c.Verdict == checks.Confirmed {
			why = c
			break
		}
	}
	if why == nil {
		return
	}
	for _, c := range cs {
		if !cat[c.ID].NeedsDelivery || (c.Verdict != checks.Possible && c.Verdict != checks.Unknown) {
			continue
		}
		c.Verdict, c.Strength = checks.RuledOut, checks.OfRecord
		c.Evidence = append([]Evidence{{Check: "catalog", Verdict: checks.RuledOut,
			Message: "no email was sent to this address: " + string(why.ID) + " is confirmed"}}, c.Evidence...)
	}
}

// decisive orders verdicts of equally strong evidence: a finding for the
// cause outweighs one against it (an SPF pass does not clear a failing
// DKIM signature), and both outweigh "could not check".
func decisive(v checks.Verdict) int {
	switch v {
	case checks.Confirmed:
		return 0
	case checks.Likely:
		return 1
	case checks.Possible:
		return 2
	case checks.RuledOut:
		return 3
	}
	return 4
}

// Rank orders causes in place: verdict (confirmed > likely > possible >
// unknown > ruled-out), then strength of evidence, then how common the
// cause is. A likely or confirmed root cause that explains a symptom takes
// the symptom's place if that ranks higher; the symptom follows its root,
// and its evidence is shown under the root (docs/design.md: symptoms are not
// root causes). Chains fold too: a typo explains a dead domain, which
// explains a deferral.
func Rank(cs []*Cause, cat Catalog) {
	for _, c := range cs {
		c.key = c.Verdict.Rank()*1000 + (9-int(c.Strength))*100 + (99 - c.common)
	}
	byID := map[checks.CauseID]*Cause{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	top := func(c *Cause) *Cause {
		for c.ExplainedBy != "" {
			c = byID[c.ExplainedBy]
		}
		return c
	}
	depth := func(c *Cause) int {
		n := 0
		for ; c.ExplainedBy != ""; n++ {
			c = byID[c.ExplainedBy]
		}
		return n
	}
	// Link symptoms to roots, strongest roots first.
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].key < cs[j].key })
	for _, root := range cs {
		if root.Verdict != checks.Confirmed && root.Verdict != checks.Likely {
			continue
		}
		for _, sid := range cat[root.ID].Explains {
			s := byID[sid]
			if s == nil || !s.reported || s.ExplainedBy != "" || s.Verdict.Rank() > checks.Possible.Rank() {
				continue
			}
			if top(root) == s {
				continue // s already explains root: no cycles
			}
			s.ExplainedBy = root.ID
		}
	}
	// Each symptom's own evidence is shown under its top root.
	for _, c := range cs {
		if c.ExplainedBy == "" {
			continue
		}
		t := top(c)
		for _, ev := range c.Evidence {
			if ev.Verdict == checks.Unknown || ev.Verdict == checks.RuledOut || ev.Symptom != "" {
				continue // only what speaks for the symptom explains it
			}
			ev.Symptom = c.ID
			t.Evidence = append(t.Evidence, ev)
		}
	}
	// A tree of root and symptoms takes the place of its best member and
	// stays together: the root first, then its symptoms level by level,
	// each level by its own rank.
	place := map[*Cause]int{}
	for _, c := range cs {
		t := top(c)
		if k, ok := place[t]; !ok || c.key < k {
			place[t] = c.key
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		ti, tj := top(cs[i]), top(cs[j])
		switch {
		case place[ti] != place[tj]:
			return place[ti] < place[tj]
		case ti != tj:
			return ti.key < tj.key || ti.key == tj.key && ti.ID < tj.ID
		case depth(cs[i]) != depth(cs[j]):
			return depth(cs[i]) < depth(cs[j])
		}
		return cs[i].key < cs[j].key
	})
}

// BaseRateOnly reports whether only the catalog's base rate speaks for the
// cause: no check of this run found anything about it.
func (c *Cause) BaseRateOnly() bool { return !c.reported }

// FailedChecks names the checks that could not complete.
func (d *Diagnosis) FailedChecks() []string {
	var out []string
	for _, c := range d.Checks {
		if c.Status == checks.StatusFailed {
			out = append(out, c.Name)
		}
	}
	return out
}

// Top returns the first cause that is confirmed, likely or possible, or nil.
func (d *Diagnosis) Top() *Cause {
	for _, c := range d.Causes {
		if c.Verdict.Rank() <= checks.Possible.Rank() && c.ExplainedBy == "" {
			return c
		}
	}
	return nil
}

// Cause returns the cause with id.
func (d *Diagnosis) Cause(id checks.CauseID) *Cause {
	for _, c := range d.Causes {
		if c.ID == id {
			return c
		}
	}
	panic(fmt.Sprintf("cause %s not in diagnosis", id))
}
