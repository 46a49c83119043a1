package main

// The testscript commands that read the JSON document on stdout and assert
// what it says in the words of the ticket: `verdict address-typo likely`,
// not a regular expression over indented JSON. Each command parses the
// stdout of the previous exec or status (see docs/json.md for the schemas)
// and, when it fails, says what the document does say.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptDoc is the JSON output of one whymail command, as far as the
// script commands read it.
type scriptDoc struct {
	schema string
	diag   *diagDoc   // whymail.diagnose/v1
	domain *domainDoc // whymail.domain/v1
	lines  []lineDoc  // whymail.address/v1 and whymail.bounce/v1, one a line
}

type diagDoc struct {
	Schema     string     `json:"schema"`
	Incomplete bool       `json:"incomplete"`
	Causes     []causeDoc `json:"causes"`
	Checks     []checkDoc `json:"checks"`
}

type causeDoc struct {
	ID          string        `json:"id"`
	Verdict     string        `json:"verdict"`
	Strength    string        `json:"strength"`
	ExplainedBy string        `json:"explained_by"`
	Evidence    []evidenceDoc `json:"evidence"`
}

type evidenceDoc struct {
	Check   string `json:"check"`
	Verdict string `json:"verdict"`
	Message string `json:"message"`
	Symptom string `json:"symptom"`
}

type checkDoc struct {
	Name     string       `json:"name"`
	Status   string       `json:"status"`
	Reason   string       `json:"reason"`
	Findings []findingDoc `json:"findings"`
}

type findingDoc struct {
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Record   string `json:"record"`
	Message  string `json:"message"`
}

type domainDoc struct {
	Schema     string `json:"schema"`
	FailOn     string `json:"fail_on"`
	Failed     bool   `json:"failed"`
	Incomplete bool   `json:"incomplete"`
	Domains    []struct {
		Domain  string `json:"domain"`
		Worst   string `json:"worst"`
		Records []struct {
			Record   string       `json:"record"`
			Findings []findingDoc `json:"findings"`
		} `json:"records"`
		Checks []checkDoc `json:"checks"`
	} `json:"domains"`
}

// lineDoc is one line of the streaming commands: its fields by name.
type lineDoc map[string]any

const (
	diagnoseSchema = "whymail.diagnose/v1"
	domainSchema   = "whymail.domain/v1"
	addressSchema  = "whymail.address/v1"
	bounceSchema   = "whymail.bounce/v1"
)

// The closed sets of docs/json.md, so that a misspelled word in a script
// is a usage error and not a negation that always holds.
var (
	causeVerdicts   = []string{"confirmed", "likely", "possible", "unknown", "ruled-out"}
	addressVerdicts = []string{"ok", "invalid", "typo", "no-domain", "no-mail", "unknown"}
	checkStatuses   = []string{"ok", "warning", "error", "skipped", "failed"}
	severities      = []string{"error", "warning", "info", "ok"}
)

// parseScriptDoc reads the output of one command: a single document
// (diagnose, domain) or one object a line (address, bounce).
func parseScriptDoc(data []byte) (*scriptDoc, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var raws []json.RawMessage
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("stdout is not whymail JSON (was it run with --format json?): %v", err)
		}
		raws = append(raws, raw)
	}
	if len(raws) == 0 {
		return nil, errors.New("stdout is empty: no JSON document to read")
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(raws[0], &head); err != nil {
		return nil, fmt.Errorf("stdout is not a whymail JSON object: %v", err)
	}
	d := &scriptDoc{schema: head.Schema}
	switch head.Schema {
	case diagnoseSchema, domainSchema:
		if len(raws) > 1 {
			return nil, fmt.Errorf("stdout holds %d JSON values; %s is one document", len(raws), head.Schema)
		}
		if head.Schema == diagnoseSchema {
			d.diag = new(diagDoc)
			return d, json.Unmarshal(raws[0], d.diag)
		}
		d.domain = new(domainDoc)
		return d, json.Unmarshal(raws[0], d.domain)
	case addressSchema, bounceSchema:
		for i, raw := range raws {
			var l lineDoc
			if err := json.Unmarshal(raw, &l); err != nil {
				return nil, fmt.Errorf("line %d: %v", i+1, err)
			}
			if l["schema"] != head.Schema {
				return nil, fmt.Errorf("line %d has schema %v, line 1 %s", i+1, l["schema"], head.Schema)
			}
			d.lines = append(d.lines, l)
		}
		return d, nil
	}
	return nil, fmt.Errorf("stdout has schema %q, not one of %s, %s, %s, %s",
		head.Schema, diagnoseSchema, domainSchema, addressSchema, bounceSchema)
}

// docCmd is one script command over the document on stdout.
type docCmd struct {
	usage    string // the command line, for usage errors
	min, max int    // numbers of arguments; max -1 for no limit
	run      func(d *scriptDoc, neg bool, args []string) error
}

// docCmds are the commands, by name.
var docCmds = map[string]docCmd{
	"verdict":    {"verdict CAUSE|* VERDICT[|VERDICT...]", 2, 2, verdictCmd},
	"top":        {"top CAUSE [VERDICT[|VERDICT...]]", 1, 2, topCmd},
	"explained":  {"explained CAUSE [ROOT]", 1, 2, explainedCmd},
	"evidence":   {"evidence CAUSE|* REGEXP", 2, 2, evidenceCmd},
	"incomplete": {"incomplete", 0, 0, incompleteCmd},
	"failed":     {"failed", 0, 0, failedCmd},
	"check":      {"check NAME STATUS[|STATUS...]", 2, 2, checkCmd},
	"finding":    {"finding RECORD|* SEVERITY[|SEVERITY...] [REGEXP]", 2, 3, findingCmd},
	"address":    {"address ADDRESS VERDICT[|VERDICT...] [FIELD=VALUE...]", 2, -1, addressCmd},
	"bounce":     {"bounce RECIPIENT CAUSE [FIELD=VALUE...]", 2, -1, bounceCmd},
}

// scriptDocCmds gives the commands in the form testscript.Params.Cmds takes.
func scriptDocCmds() map[string]func(*testscript.TestScript, bool, []string) {
	m := map[string]func(*testscript.TestScript, bool, []string){}
	for name, c := range docCmds {
		m[name] = func(ts *testscript.TestScript, neg bool, args []string) {
			d, err := c.parse(args, []byte(ts.ReadFile("stdout")))
			if err == nil {
				err = c.run(d, neg, args)
			}
			if err != nil {
				ts.Fatalf("%v", err)
			}
		}
	}
	return m
}

// parse checks the arguments, then reads the document: a usage error comes
// first, whatever stdout holds.
func (c docCmd) parse(args []string, stdout []byte) (*scriptDoc, error) {
	if len(args) < c.min || (c.max >= 0 && len(args) > c.max) {
		return nil, fmt.Errorf("usage: %s", c.usage)
	}
	name, _, _ := strings.Cut(c.usage, " ")
	d, err := parseScriptDoc(stdout)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return d, nil
}

// want checks that the document has one of the schemas the command reads.
func (d *scriptDoc) want(cmd string, schemas ...string) error {
	if slices.Contains(schemas, d.schema) {
		return nil
	}
	return fmt.Errorf("%s reads %s output, but stdout is %s", cmd, strings.Join(schemas, " or "), d.schema)
}

// oneOf splits alternatives such as "confirmed|likely" and checks each is
// in the set.
func oneOf(what, arg string, set []string) ([]string, error) {
	alts := strings.Split(arg, "|")
	for _, a := range alts {
		if !slices.Contains(set, a) {
			return nil, fmt.Errorf("unknown %s %q (want %s)", what, a, strings.Join(set, ", "))
		}
	}
	return alts, nil
}

// cause finds a cause by id; every catalog cause is in a diagnosis, so an
// id that is not is a misspelling.
func (dd *diagDoc) cause(id string) (int, *causeDoc, error) {
	for i := range dd.Causes {
		if dd.Causes[i].ID == id {
			return i, &dd.Causes[i], nil
		}
	}
	var ids []string
	for _, c := range dd.Causes {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return 0, nil, fmt.Errorf("no cause %q in the diagnosis (causes: %s)", id, strings.Join(ids, ", "))
}

// ranking describes the first causes of the diagnosis, for failure messages.
func (dd *diagDoc) ranking(n int) string {
	var parts []string
	for i, c := range dd.Causes {
		if i == n {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, c.describe())
	}
	if len(parts) == 0 {
		return "no causes"
	}
	return "ranking: " + strings.Join(parts, ", ")
}

func (c *causeDoc) describe() string {
	s := c.ID + " " + c.Verdict
	if c.ExplainedBy != "" {
		s += " (explained by " + c.ExplainedBy + ")"
	}
	return s
}

func ordinal(i int) string {
	n := i + 1
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// verdict CAUSE VERDICT: the cause has one of the verdicts. CAUSE * is any
// cause: `! verdict * likely` says no cause is likely.
func verdictCmd(d *scriptDoc, neg bool, args []string) error {
	if err := d.want("verdict", diagnoseSchema); err != nil {
		return err
	}
	dd := d.diag
	want, err := oneOf("verdict", args[1], causeVerdicts)
	if err != nil {
		return fmt.Errorf("verdict: %v", err)
	}
	if args[0] == "*" {
		var have []string
		for _, c := range dd.Causes {
			if slices.Contains(want, c.Verdict) {
				have = append(have, c.ID+" "+c.Verdict)
			}
		}
		switch {
		case !neg && len(have) == 0:
			return fmt.Errorf("no cause is %s; %s", args[1], dd.ranking(3))
		case neg && len(have) > 0:
			return fmt.Errorf("want no cause %s, but %s", args[1], strings.Join(have, ", "))
		}
		return nil
	}
	i, c, err := dd.cause(args[0])
	if err != nil {
		return fmt.Errorf("verdict: %v", err)
	}
	if slices.Contains(want, c.Verdict) == neg {
		not := ""
		if neg {
			not = "not "
		}
		return fmt.Errorf("verdict of %s is %s (ranked %s), want %s%s; %s",
			c.ID, c.Verdict, ordinal(i), not, args[1], dd.ranking(3))
	}
	return nil
}

// top CAUSE [VERDICT]: the first-ranked cause is CAUSE (with one of the
// verdicts).
func topCmd(d *scriptDoc, neg bool, args []string) error {
	if err := d.want("top", diagnoseSchema); err != nil {
		return err
	}
	dd := d.diag
	var want []string
	if len(args) == 2 {
		var err error
		if want, err = oneOf("verdict", args[1], causeVerdicts); err != nil {
			return fmt.Errorf("top: %v", err)
		}
	}
	i, c, err := dd.cause(args[0])
	if err != nil {
		return fmt.Errorf("top: %v", err)
	}
	ok := i == 0 && (want == nil || slices.Contains(want, c.Verdict))
	switch {
	case ok && neg:
		return fmt.Errorf("top is %s, want another; %s", c.describe(), dd.ranking(3))
	case !ok && !neg && i == 0:
		return fmt.Errorf("top is %s but %s, want %s", c.ID, c.Verdict, args[1])
	case !ok && !neg:
		return fmt.Errorf("top is %s, want %s; %s is %s (%s); %s",
			dd.Causes[0].describe(), strings.Join(args, " "), c.ID, ordinal(i), c.Verdict, dd.ranking(3))
	}
	return nil
}

// explained CAUSE [ROOT]: the cause is a symptom folded under ROOT (its
// explained_by), or under any root.
func explainedCmd(d *scriptDoc, neg bool, args []string) error {
	if err := d.want("explained", diagnoseSchema); err != nil {
		return err
	}
	dd := d.diag
	_, c, err := dd.cause(args[0])
	if err != nil {
		return fmt.Errorf("explained: %v", err)
	}
	by := "any cause"
	ok := c.ExplainedBy != ""
	if len(args) == 2 {
		if _, _, err := dd.cause(args[1]); err != nil {
			return fmt.Errorf("explained: %v", err)
		}
		by = args[1]
		ok = c.ExplainedBy == args[1]
	}
	have := c.ID + " is explained by no cause"
	if c.ExplainedBy != "" {
		have = c.ID + " is explained by " + c.ExplainedBy
	}
	switch {
	case ok && neg:
		return fmt.Errorf("%s, want it not explained by %s", have, by)
	case !ok && !neg:
		return fmt.Errorf("%s, want explained by %s; %s", have, by, dd.ranking(4))
	}
	return nil
}

// evidence CAUSE REGEXP: some evidence message of the cause (or of any
// cause, for *) matches.
func evidenceCmd(d *scriptDoc, neg bool, args []string) error {
	if err := d.want("evidence", diagnoseSchema); err != nil {
		return err
	}
	dd := d.diag
	re, err := regexp.Compile(args[1])
	if err != nil {
		return fmt.Errorf("evidence: %v", err)
	}
	causes := dd.Causes
	if args[0] != "*" {
		_, c, err := dd.cause(args[0])
		if err != nil {
			return fmt.Errorf("evidence: %v", err)
		}
		causes = []causeDoc{*c}
	}
	var matched, all []string
	for _, c := range causes {
		for _, e := range c.Evidence {
			line := fmt.Sprintf("%s: %s (%s): %s", c.ID, e.Check, e.Verdict, e.Message)
			all = append(all, line)
			if re.MatchString(e.Message) {
				matched = append(matched, line)
			}
		}
	}
	switch {
	case neg && len(matched) > 0:
		return fmt.Errorf("evidence matches %q, want none:\n\t%s", args[1], strings.Join(matched, "\n\t"))
	case !neg && len(matched) == 0 && len(all) == 0:
		return fmt.Errorf("no evidence matches %q: %s has no evidence", args[1], args[0])
	case !neg && len(matched) == 0:
		return fmt.Errorf("no evidence matches %q; the evidence is:\n\t%s", args[1], strings.Join(all, "\n\t"))
	}
	return nil
}

// failedChecks names the checks that could not complete, with their reasons.
func failedChecks(cs []checkDoc, prefix string) []string {
	var out []string
	for _, c := range cs {
		if c.Status == "failed" {
			out = append(out, fmt.Sprintf("%s%s (%s)", prefix, c.Name, c.Reason))
		}
	}
	return out
}

// incomplete: the document says some check could not complete.
func incompleteCmd(d *scriptDoc, neg bool, args []string) error {
	if err := d.want("incomplete", diagnoseSchema, domainSchema); err != nil {
		return err
	}
	var got bool
	var failed []string
	if d.diag != nil {
		got, failed = d.diag.Incomplete, failedChecks(d.diag.Checks, "")
	} else {
		got = d.domain.Incomplete
		for _, dm := range d.domain.Domains {
			failed = append(failed, failedChecks(dm.Checks, dm.Domain+" ")...)
		}
	}
	why := "no check failed"
	if len(failed) > 0 {
		why = "failed: " + strings.Join(failed, ", ")
	}
	switch {
	case got && neg:
		return fmt.Errorf("the document is incomplete (%s), want complete", why)
	case !got && !neg:
		return fmt.Errorf("the document is not incomplete (%s), want incomplete", why)
	}
	return nil
}

// failed: the domain document says some finding reached --fail-on.
func failedCmd(d *scriptDoc, neg bool, args []string) error {
	if err := d.want("failed", domainSchema); err != nil {
		return err
	}
	dd := d.domain
	var worst []string
	for _, dm := range dd.Domains {
		worst = append(worst, dm.Domain+" "+dm.Worst)
	}
	switch {
	case dd.Failed && neg:
		return fmt.Errorf("the lint failed (fail_on %s; worst: %s), want it to pass", dd.FailOn, strings.Join(worst, ", "))
	case !dd.Failed && !neg:
		return fmt.Errorf("the lint passed (fail_on %s; worst: %s), want it failed", dd.FailOn, strings.Join(worst, ", "))
	}
	return nil
}

// check NAME STATUS: the check of that name has one of the statuses. In a
// domain document every linted domain must have it.
func checkCmd(d *scriptDoc, neg bool, args []string) error {
	if err := d.want("check", diagnoseSchema, domainSchema); err != nil {
		return err
	}
	want, err := oneOf("status", args[1], checkStatuses)
	if err != nil {
		return fmt.Errorf("check: %v", err)
	}
	type scope struct {
		name   string
		checks []checkDoc
	}
	var scopes []scope
	if d.diag != nil {
		scopes = []scope{{"", d.diag.Checks}}
	} else {
		for _, dm := range d.domain.Domains {
			scopes = append(scopes, scope{dm.Domain + ": ", dm.Checks})
		}
	}
	for _, s := range scopes {
		i := slices.IndexFunc(s.checks, func(c checkDoc) bool { return c.Name == args[0] })
		if i < 0 {
			var names []string
			for _, c := range s.checks {
				names = append(names, c.Name)
			}
			return fmt.Errorf("%sno check %q ran (checks: %s)", s.name, args[0], strings.Join(names, ", "))
		}
		c := s.checks[i]
		if slices.Contains(want, c.Status) == neg {
			not, reason := "", ""
			if neg {
				not = "not "
			}
			if c.Reason != "" {
				reason = " (" + c.Reason + ")"
			}
			return fmt.Errorf("%scheck %s is %s%s, want %s%s", s.name, c.Name, c.Status, reason, not, args[1])
		}
	}
	return nil
}

// finding RECORD SEVERITY [REGEXP]: a finding about the record (any record,
// for *) has one of the severities, and its message matches.
func findingCmd(d *scriptDoc, neg bool, args []string) error {
	if err := d.want("finding", domainSchema); err != nil {
		return err
	}
	want, err := oneOf("severity", args[1], severities)
	if err != nil {
		return fmt.Errorf("finding: %v", err)
	}
	var re *regexp.Regexp
	if len(args) == 3 {
		if re, err = regexp.Compile(args[2]); err != nil {
			return fmt.Errorf("finding: %v", err)
		}
	}
	var matched, seen []string
	var records []string
	for _, dm := range d.domain.Domains {
		for _, g := range dm.Records {
			records = append(records, g.Record)
			if args[0] != "*" && g.Record != args[0] {
				continue
			}
			for _, f := range g.Findings {
				line := fmt.Sprintf("%s %s %s: %s", dm.Domain, g.Record, f.Severity, f.Message)
				seen = append(seen, line)
				if slices.Contains(want, f.Severity) && (re == nil || re.MatchString(f.Message)) {
					matched = append(matched, line)
				}
			}
		}
	}
	what := args[1]
	if re != nil {
		what += fmt.Sprintf(" matching %q", args[2])
	}
	if args[0] != "*" {
		what = args[0] + " finding " + what
	} else {
		what = "finding " + what
	}
	switch {
	case neg && len(matched) > 0:
		return fmt.Errorf("want no %s, but:\n\t%s", what, strings.Join(matched, "\n\t"))
	case !neg && len(seen) == 0:
		slices.Sort(records)
		return fmt.Errorf("no %s: no findings about %s (records: %s)", what, args[0], strings.Join(slices.Compact(records), ", "))
	case !neg && len(matched) == 0:
		return fmt.Errorf("no %s; the findings are:\n\t%s", what, strings.Join(seen, "\n\t"))
	}
	return nil
}

// address ADDRESS VERDICT [FIELD=VALUE...]: the line for the address has
// one of the verdicts and those fields.
func addressCmd(d *scriptDoc, neg bool, args []string) error {
	if err := d.want("address", addressSchema); err != nil {
		return err
	}
	want, err := oneOf("verdict", args[1], addressVerdicts)
	if err != nil {
		return fmt.Errorf("address: %v", err)
	}
	return lineCmd(d, neg, "address", args[0], "verdict", want, args[1], args[2:])
}

// bounce RECIPIENT CAUSE [FIELD=VALUE...]: a line for the recipient has the
// cause and those fields.
func bounceCmd(d *scriptDoc, neg bool, args []string) error {
	if err := d.want("bounce", bounceSchema); err != nil {
		return err
	}
	return lineCmd(d, neg, "recipient", args[0], "cause", []string{args[1]}, args[1], args[2:])
}

// lineCmd finds the lines whose key field is key and checks that one has
// field in want and the FIELD=VALUE pairs (the fields' JSON values, strings
// unquoted); negated, that none has.
func lineCmd(d *scriptDoc, neg bool, keyField, key, field string, want []string, wantText string, pairs []string) error {
	type pair struct{ field, value string }
	ps := []pair{}
	for _, p := range pairs {
		f, v, ok := strings.Cut(p, "=")
		if !ok || f == "" {
			return fmt.Errorf("%s: %q is not FIELD=VALUE", keyField, p)
		}
		ps = append(ps, pair{f, v})
	}
	var mine []lineDoc
	var keys []string
	for _, l := range d.lines {
		keys = append(keys, fmt.Sprintf("%s (%s)", lineValue(l, keyField), lineValue(l, field)))
		if lineValue(l, keyField) == key {
			mine = append(mine, l)
		}
	}
	if len(mine) == 0 {
		return fmt.Errorf("no line for %s %s; the lines are for %s", keyField, key, strings.Join(keys, ", "))
	}
	var matched []lineDoc
	var misses []string
	for _, l := range mine {
		var miss []string
		if got := lineValue(l, field); !slices.Contains(want, got) {
			miss = append(miss, fmt.Sprintf("%s is %s, want %s", field, got, wantText))
		}
		for _, p := range ps {
			if got := lineValue(l, p.field); got != p.value {
				miss = append(miss, fmt.Sprintf("%s is %q, want %q", p.field, got, p.value))
			}
		}
		if len(miss) == 0 {
			matched = append(matched, l)
		} else {
			misses = append(misses, strings.Join(miss, ", "))
		}
	}
	switch {
	case neg && len(matched) > 0:
		have := field + " " + lineValue(matched[0], field)
		if len(pairs) > 0 {
			have += " and " + strings.Join(pairs, " ")
		}
		return fmt.Errorf("the line for %s has %s, want not", key, have)
	case !neg && len(matched) == 0:
		return fmt.Errorf("for %s: %s", key, strings.Join(misses, "; "))
	}
	return nil
}

// lineValue is a field of a line as text: a string as is, anything else
// as its JSON, an absent field as "".
func lineValue(l lineDoc, field string) string {
	v, ok := l[field]
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
