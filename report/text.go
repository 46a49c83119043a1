package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"
	"github.com/whymail/whymail/checks"
)

// Style is how a renderer may decorate text. The command decides it once
// (TTY, NO_COLOR, its own setting); renderers never look at the terminal.
type Style struct {
	Color bool
}

func (s Style) paint(text string, attrs ...color.Attribute) string {
	if !s.Color {
		return text
	}
	c := color.New(attrs...)
	c.EnableColor()
	return c.Sprint(text)
}

func (s Style) verdict(v checks.Verdict) string {
	label := strings.ToUpper(string(v))
	switch v {
	case checks.Confirmed:
		return s.paint(label, color.FgRed, color.Bold)
	case checks.Likely:
		return s.paint(label, color.FgYellow, color.Bold)
	case checks.Possible:
		return s.paint(label, color.FgYellow)
	case checks.RuledOut:
		return s.paint(label, color.FgGreen)
	}
	return s.paint(label, color.Faint)
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Text writes the diagnosis for an agent: the top cause and its next step
// first, then each cause that could be it with evidence, steps and reply,
// then what could not be checked, what was ruled out, and the checks.
func Text(w io.Writer, d *Diagnosis, s Style) error {
	p := &printer{w: w}
	p.f("%s %s  (as of %s)\n", s.paint("whymail diagnose", color.Bold), d.Address, d.At.Format("2006-01-02 15:04 MST"))
	if failed := d.FailedChecks(); len(failed) > 0 {
		p.f("\n%s %d check(s) could not complete (%s): the ranking may miss the real cause; see Checks below.\n",
			s.paint("INCOMPLETE:", color.FgRed, color.Bold), len(failed), strings.Join(failed, ", "))
	}
	for _, n := range d.Notes {
		p.f("\n%s %s %s\n", s.paint("Note:", color.Bold), s.paint("["+n.Check+"]", color.Faint), n.Message)
	}
	if top := d.Top(); top != nil {
		label := "Most likely:"
		if top.BaseRateOnly() {
			label = "Most likely (no evidence found; the most common cause):"
		}
		p.f("\n%s %s  [%s, %s]\n", s.paint(label, color.Bold), top.Title, top.ID, top.Verdict)
		if len(top.AgentSteps) > 0 {
			p.f("%s %s\n", s.paint("Next step:", color.Bold), top.AgentSteps[0])
		}
	} else {
		p.f("\n%s no cause found with the evidence given; see what could not be checked below.\n", s.paint("Most likely:", color.Bold))
	}
	n := 0
	for _, c := range d.Causes {
		if c.Verdict.Rank() > checks.Possible.Rank() {
			continue
		}
		n++
		p.f("\n%d. %s  %s  (%s)\n", n, s.verdict(c.Verdict), s.paint(c.Title, color.Bold), c.ID)
		if c.ExplainedBy != "" {
			p.f("   A symptom of %s (above); its evidence is shown there.\n", c.ExplainedBy)
			continue
		}
		for _, ev := range c.Evidence {
			if ev.Verdict == checks.Unknown {
				continue // what could not be checked is listed below, not as evidence
			}
			tag := ev.Check
			if ev.Symptom != "" {
				tag += ", " + string(ev.Symptom)
			}
			p.f("   - %s %s\n", s.paint("["+tag+"]", color.Faint), ev.Message)
		}
		p.f("   %s\n", s.paint("Agent steps:", color.Bold))
		for i, st := range c.AgentSteps {
			p.f("     %d. %s\n", i+1, st)
		}
		p.f("   %s\n", s.paint("Reply to the user:", color.Bold))
		for _, line := range wrap(c.UserReply, 72) {
			p.f("     > %s\n", line)
		}
	}
	if notes := unreadNotes(d); len(notes) > 0 {
		p.f("\n%s\n", s.paint("Log lines not read:", color.Bold))
		for _, n := range notes {
			p.f("  - %s\n", n.summary())
			for _, q := range n.quoted {
				p.f("      %s\n", q)
			}
		}
	}
	var unknown, ruled []*Cause
	for _, c := range d.Causes {
		switch c.Verdict {
		case checks.Unknown:
			unknown = append(unknown, c)
		case checks.RuledOut:
			ruled = append(ruled, c)
		}
	}
	if len(unknown) > 0 {
		p.f("\n%s\n", s.paint("Could not check:", color.Bold))
		// Causes that one missing input leaves open share a line.
		var order []string
		ids := map[string][]string{}
		for _, c := range unknown {
			why := "not examined in this run (settled by " + c.SettledBy + ")"
			if len(c.Evidence) > 0 {
				why = c.Evidence[0].Message
			}
			if ids[why] == nil {
				order = append(order, why)
			}
			ids[why] = append(ids[why], string(c.ID))
		}
		for _, why := range order {
			p.f("  - %s: %s\n", strings.Join(ids[why], ", "), why)
		}
	}
	if len(ruled) > 0 {
		p.f("\n%s\n", s.paint("Ruled out:", color.Bold))
		for _, c := range ruled {
			why := ""
			if len(c.Evidence) > 0 {
				why = ": " + c.Evidence[0].Message
			}
			p.f("  - %s%s\n", c.ID, why)
		}
	}
	p.f("\n%s\n", s.paint("Checks:", color.Bold))
	for _, c := range d.Checks {
		p.f("  %-12s %s\n", c.Name, checkLine(c, s))
	}
	if len(d.Trace) > 0 {
		p.f("\n%s\n", s.paint("DNS trace:", color.Bold))
		writeTrace(p, d.Trace)
	}
	return p.err
}

func checkLine(c CheckOutcome, s Style) string {
	switch c.Status {
	case checks.StatusSkipped:
		return s.paint("skipped", color.Faint) + ": " + c.Reason
	case checks.StatusFailed:
		return s.paint("failed", color.FgRed) + ": " + c.Reason
	}
	return string(c.Status)
}

func writeTrace(p *printer, tr []TraceExchange) {
	for _, x := range tr {
		shared := ""
		if x.Shared {
			shared = " (cached)"
		}
		p.f("  %-45s %-8s %6.1f ms%s  %s\n", x.Question, x.Status, x.MS, shared, x.Server)
		if x.Error != "" {
			p.f("      error: %s\n", x.Error)
		}
		for _, r := range x.Records {
			p.f("      %s\n", r)
		}
	}
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// wrap breaks text into lines of at most width runes, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, word := range strings.Fields(text) {
		if cur.Len() > 0 && len([]rune(cur.String()))+1+len([]rune(word)) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(word)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// TraceText writes a DNS trace on its own.
func TraceText(w io.Writer, tr []TraceExchange) error {
	p := &printer{w: w}
	p.f("DNS trace:\n")
	writeTrace(p, tr)
	return p.err
}

// WriteJSONLine writes v as one line of JSON (JSON Lines).
func WriteJSONLine(w io.Writer, v any) error {
	if av, ok := v.(*AddressVerdict); ok {
		// The batch's line, encoded without reflection; into w's own
		// spare room when w is a buffer.
		var b []byte
		if buf, ok := w.(*bytes.Buffer); ok {
			buf.Grow(2048)
			b = buf.AvailableBuffer()
		}
		b, err := av.appendJSON(b)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// unreadNote is what a check said about the lines of one input it could
// not read: how many, how many of them name the recipient, the first few.
type unreadNote struct {
	record         string
	count, aboutTo int
	quoted         []string
}

func (n unreadNote) summary() string {
	msg := fmt.Sprintf("%s: %d %s could not be read and %s left out", n.record, n.count, plural(n.count, "line", "lines"), plural(n.count, "was", "were"))
	if n.aboutTo > 0 {
		msg += fmt.Sprintf("; %d %s the recipient, so what %s about its mail is unknown", n.aboutTo,
			plural(n.aboutTo, "names", "name"), plural(n.aboutTo, "it said", "they said"))
	}
	return msg
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// unreadNotes collects the findings that count and quote unreadable
// lines (data "unreadable" and "examples"; the lines naming the recipient
// under "about_recipient" first), in check order.
func unreadNotes(d *Diagnosis) []unreadNote {
	var out []unreadNote
	for _, c := range d.Checks {
		for _, f := range c.Findings {
			count, ok := dataInt(f.Data["unreadable"])
			examples := dataStrings(f.Data["examples"])
			if !ok || count == 0 || f.Data["examples"] == nil {
				continue
			}
			n := unreadNote{record: f.Record, count: count}
			n.aboutTo, _ = dataInt(f.Data["about_recipient"])
			seen := map[string]bool{}
			for _, q := range append(dataStrings(f.Data["about_recipient_examples"]), examples...) {
				if !seen[q] && len(n.quoted) < 5 {
					seen[q] = true
					n.quoted = append(n.quoted, q)
				}
			}
			if n.record == "" {
				n.record = c.Name
			}
			out = append(out, n)
		}
	}
	return out
}

// dataInt reads a count from finding data, as built or as decoded JSON.
func dataInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), true
	}
	return 0, false
}

func dataStrings(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		var out []string
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
