package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/fatih/color"
	"github.com/whymail/whymail/checks"
)

// DomainSchema is the version of the domain lint JSON document.
const DomainSchema = "whymail.domain/v1"

// Lint is the report of `whymail domain`: findings about each domain's
// records, graded by severity for CI.
type Lint struct {
	Schema string `json:"schema"`
	FailOn string `json:"fail_on"`
	Failed bool   `json:"failed"` // some finding reached FailOn
	// Incomplete is set when a check could not complete (exit status 3):
	// the lint may miss problems, and its findings may be the failure itself.
	Incomplete bool          `json:"incomplete"`
	Domains    []*DomainLint `json:"domains"`
	// Accepted counts the findings accepted in the config or known from
	// the baseline (they do not reach fail_on), when either was given.
	Accepted *AcceptedCount `json:"accepted,omitempty"`
	// Trace is every DNS exchange of the run, when asked for.
	Trace []TraceExchange `json:"trace,omitempty"`

	// Accept lists the findings the config accepts, Baseline the findings
	// of an earlier run; Now is the time acceptances expire against (the
	// zero time: now). Set them before Add.
	Accept        []Acceptance  `json:"-"`
	Baseline      *Baseline     `json:"-"`
	Now           time.Time     `json:"-"`
	AcceptedCount AcceptedCount `json:"-"`
	// Locate, when set, says where the record of a finding of domain was
	// read (a zone file and line).
	Locate func(domain string, f checks.Finding) *Location `json:"-"`
	// ToolVersion is the version of whymail, for SARIF.
	ToolVersion string `json:"-"`

	// Setting is how the front end names the fail-on setting in the result
	// line (the command line names its flag); Words words the inputs findings need.
	Setting string `json:"-"`
	Words   Words  `json:"-"`

	failOn checks.Severity
	never  bool
}

// AcceptedCount counts what was accepted in a run.
type AcceptedCount struct {
	Config   int `json:"config"`   // by an accepted ID of the config
	Baseline int `json:"baseline"` // because the baseline had it
	Expired  int `json:"expired"`  // accepted until a date that has passed: counting again
}

// DomainLint is the lint of one domain.
type DomainLint struct {
	Domain string `json:"domain"`
	// Source is the input line the domain was read from (file:line), in
	// a batch.
	Source string `json:"source,omitempty"`
	// Notes say how the batch checked the domain where that differs from
	// a lint of it alone (which DKIM selectors were looked at).
	Notes []string        `json:"notes,omitempty"`
	Worst checks.Severity `json:"worst"`
	// WorstNew is the worst finding that is not accepted: what fail_on
	// is compared with.
	WorstNew checks.Severity `json:"worst_new"`
	Groups   []*RecordGroup  `json:"records"`
	Checks   []CheckOutcome  `json:"checks"`
}

// RecordGroup is the findings about one record (spf, dkim, dmarc, mx, ...).
type RecordGroup struct {
	Record   string          `json:"record"`
	Worst    checks.Severity `json:"worst"`
	Findings []LintFinding   `json:"findings"`
}

// NewLint starts a lint report that fails when a finding reaches failOn,
// or never.
func NewLint(failOn checks.Severity, never bool) *Lint {
	l := &Lint{Schema: DomainSchema, FailOn: failOn.String(), Domains: []*DomainLint{}, failOn: failOn, never: never,
		Setting: "fail-on"}
	if never {
		l.FailOn = "never"
	}
	return l
}

// Add adds the run for one domain, grouping its findings by record in the
// order the checks ran.
func (l *Lint) Add(domain string, res *checks.Result) {
	dl := &DomainLint{Domain: domain, Checks: Outcomes(res), Groups: []*RecordGroup{}}
	groups := map[string]*RecordGroup{}
	bm := l.Baseline.matcher(domain)
	for _, f := range res.Findings() {
		if f.Cause != "" && f.Record == "" && f.Severity == checks.OK && f.Verdict == checks.Unknown {
			continue // a diagnosis note ("cannot tell"), nothing about a record
		}
		rec := f.Record
		if rec == "" {
			rec = f.Check
		}
		g := groups[rec]
		if g == nil {
			g = &RecordGroup{Record: rec}
			groups[rec] = g
			dl.Groups = append(dl.Groups, g)
		}
		if slices.ContainsFunc(g.Findings, func(o LintFinding) bool {
			return o.Severity == f.Severity && o.Message == f.Message
		}) {
			continue // one check may say the same about two causes
		}
		lf := l.judge(domain, f, bm)
		if l.Locate != nil && f.Severity > checks.OK {
			lf.Location = l.Locate(domain, f)
		}
		lf.Message = l.Words.hint(f.Message, f.Needs)
		g.Findings = append(g.Findings, lf)
		g.Worst = max(g.Worst, f.Severity)
		dl.Worst = max(dl.Worst, f.Severity)
		switch {
		case lf.Accepted != nil && lf.Accepted.By == "config":
			l.AcceptedCount.Config++
		case lf.Accepted != nil:
			l.AcceptedCount.Baseline++
		default:
			dl.WorstNew = max(dl.WorstNew, f.Severity)
		}
		if lf.Expired != nil {
			l.AcceptedCount.Expired++
		}
	}
	if len(l.Accept) > 0 || l.Baseline != nil {
		c := l.AcceptedCount
		l.Accepted = &c
	}
	for _, c := range dl.Checks {
		l.Incomplete = l.Incomplete || c.Status == checks.StatusFailed
	}
	if !l.never && l.failOn > checks.OK && dl.WorstNew >= l.failOn {
		l.Failed = true
	}
	l.Domains = append(l.Domains, dl)
}

// severity labels a severity, padded to a column before it is painted so
// that escape codes do not break the alignment.
func (s Style) severity(sev checks.Severity) string {
	pad := func(l string) string { return fmt.Sprintf("%-10s", l) }
	switch sev {
	case checks.Error:
		return s.paint(pad("✗ "+sev.String()), color.FgRed, color.Bold)
	case checks.Warning:
		return s.paint(pad("! "+sev.String()), color.FgYellow)
	case checks.Info:
		return s.paint(pad("i "+sev.String()), color.FgCyan)
	}
	return s.paint(pad("✓ "+sev.String()), color.FgGreen)
}

// LintText writes the lint for a mail administrator: per domain, per record,
// each finding with its severity.
func LintText(w io.Writer, l *Lint, s Style) error {
	for _, d := range l.Domains {
		if err := LintDomainText(w, d, s); err != nil {
			return err
		}
	}
	return LintResultText(w, l, s)
}

// LintDomainText writes one domain of a lint: its findings per record,
// each with its ID and whether it was accepted, then the checks that were
// skipped or failed.
func LintDomainText(w io.Writer, d *DomainLint, s Style) error {
	p := &printer{w: w}
	p.f("%s  %s\n", s.paint(d.Domain, color.Bold), strings.TrimRight(s.severity(d.Worst), " "))
	for _, n := range d.Notes {
		p.f("  %s %s\n", s.paint("note", color.Faint), n)
	}
	for _, g := range d.Groups {
		p.f("  %s\n", s.paint(g.Record, color.Bold))
		for _, f := range g.Findings {
			lines := strings.Split(f.Message, "\n")
			if f.ID != "" {
				lines[len(lines)-1] += " " + s.paint("["+f.ID+"]", color.Faint)
			}
			p.f("    %s %s\n", s.severity(f.Severity), lines[0])
			for _, more := range lines[1:] {
				p.f("    %-10s %s\n", "", more)
			}
			if note := acceptedText(f); note != "" {
				p.f("    %-10s %s\n", "", s.paint("↳ "+note, color.Faint))
			}
		}
	}
	for _, c := range d.Checks {
		if c.Status == checks.StatusSkipped || c.Status == checks.StatusFailed {
			p.f("  %s %s: %s\n", s.paint(c.Name, color.Faint), c.Status, c.Reason)
		}
	}
	p.f("\n")
	return p.err
}

// LintResultText writes what was accepted and the lint's result line:
// INCOMPLETE, FAIL or pass.
func LintResultText(w io.Writer, l *Lint, s Style) error {
	p := &printer{w: w}
	if note := l.acceptedNote(); note != "" {
		p.f("accepted: %s\n", note)
	}
	switch {
	case l.Incomplete:
		p.f("result: %s: some checks could not complete (see \"failed\" above); run again, or check DNS\n", s.paint("INCOMPLETE", color.FgRed, color.Bold))
	case l.never:
		p.f("result: not failing (%s never)\n", l.Setting)
	case l.Failed:
		p.f("result: %s (findings reached %s %s)\n", s.paint("FAIL", color.FgRed, color.Bold), l.Setting, l.FailOn)
	default:
		p.f("result: %s (nothing reached %s %s)\n", s.paint("pass", color.FgGreen), l.Setting, l.FailOn)
	}
	return p.err
}

// Fresh returns a lint with l's settings (fail-on, acceptances, baseline,
// locator, wording) and nothing added: a batch's lint of one domain.
func (l *Lint) Fresh() *Lint {
	n := NewLint(l.failOn, l.never)
	n.Accept, n.Baseline, n.Now, n.Locate = l.Accept, l.Baseline, l.Now, l.Locate
	n.Setting, n.Words, n.ToolVersion = l.Setting, l.Words, l.ToolVersion
	return n
}

// Merge counts another lint's outcome (a batch line's) into l: whether it
// failed or was incomplete, and its accepted findings. Its domains are
// not kept.
func (l *Lint) Merge(o *Lint) {
	l.Failed = l.Failed || o.Failed
	l.Incomplete = l.Incomplete || o.Incomplete
	l.AcceptedCount.Config += o.AcceptedCount.Config
	l.AcceptedCount.Baseline += o.AcceptedCount.Baseline
	l.AcceptedCount.Expired += o.AcceptedCount.Expired
}

// LintGitHub writes GitHub Actions workflow commands: one annotation a
// finding of severity info or worse.
func LintGitHub(w io.Writer, l *Lint) error {
	p := &printer{w: w}
	for _, d := range l.Domains {
		for _, g := range d.Groups {
			for _, f := range g.Findings {
				level := ""
				switch f.Severity {
				case checks.Error:
					level = "error"
				case checks.Warning:
					level = "warning"
				case checks.Info:
					level = "notice"
				default:
					continue
				}
				msg := f.Message
				if f.ID != "" {
					msg += " [" + f.ID + "]"
				}
				if f.Accepted != nil {
					level = "notice" // shown, but not a problem of this change
					msg += " (" + acceptedText(f) + ")"
				}
				where := ""
				if loc := f.Location; loc != nil {
					where = ",file=" + ghEscapeProp(loc.File)
					if loc.Line > 0 {
						where += fmt.Sprintf(",line=%d", loc.Line)
					}
				}
				p.f("::%s title=%s%s::%s\n", level, ghEscapeProp("whymail "+g.Record+" "+d.Domain), where, ghEscape(msg))
			}
		}
	}
	return p.err
}

// ghEscape escapes workflow command data (actions/toolkit's escapeData).
func ghEscape(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghEscapeProp escapes workflow command properties (escapeProperty).
func ghEscapeProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// LintMarkdown writes the lint as a Markdown table per domain, for a pull
// request comment or a ticket.
func LintMarkdown(w io.Writer, l *Lint) error {
	p := &printer{w: w}
	for _, d := range l.Domains {
		p.f("### %s: %s\n\n| record | severity | finding | id |\n|---|---|---|---|\n", mdEscape(d.Domain), d.Worst)
		for _, g := range d.Groups {
			for _, f := range g.Findings {
				id := ""
				if f.ID != "" {
					id = "`" + f.ID + "`"
				}
				msg := f.Message
				if note := acceptedText(f); note != "" {
					msg += " (" + note + ")"
				}
				p.f("| %s | %s | %s | %s |\n", mdEscape(g.Record), f.Severity, mdEscape(msg), id)
			}
		}
		for _, c := range d.Checks {
			if c.Status == checks.StatusSkipped || c.Status == checks.StatusFailed {
				p.f("| %s | %s | %s | |\n", mdEscape(c.Name), c.Status, mdEscape(c.Reason))
			}
		}
		p.f("\n")
	}
	if note := l.acceptedNote(); note != "" {
		p.f("**Accepted:** %s\n\n", note)
	}
	switch {
	case l.Incomplete:
		p.f("**Result:** INCOMPLETE: some checks could not complete\n")
	case l.never:
		p.f("**Result:** not failing (`%s never`)\n", l.Setting)
	case l.Failed:
		p.f("**Result:** FAIL (findings reached `%s %s`)\n", l.Setting, l.FailOn)
	default:
		p.f("**Result:** pass (nothing reached `%s %s`)\n", l.Setting, l.FailOn)
	}
	return p.err
}
