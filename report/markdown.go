package report

import (
	"io"
	"strings"

	"github.com/whymail/whymail/checks"
)

// Markdown writes the diagnosis for pasting into a ticket.
func Markdown(w io.Writer, d *Diagnosis) error {
	p := &printer{w: w}
	p.f("## Why the email to %s did not arrive\n\n", mdEscape(d.Address))
	p.f("_As of %s._\n\n", d.At.Format("2006-01-02 15:04 MST"))
	if failed := d.FailedChecks(); len(failed) > 0 {
		p.f("> **Incomplete:** %d check(s) could not complete (%s); the ranking may miss the real cause.\n\n",
			len(failed), mdEscape(strings.Join(failed, ", ")))
	}
	if top := d.Top(); top != nil {
		label := "Most likely"
		if top.BaseRateOnly() {
			label = "Most likely (no evidence found; the most common cause)"
		}
		p.f("**%s:** %s (`%s`, %s)\n\n", label, mdEscape(top.Title), top.ID, top.Verdict)
	}
	for _, c := range d.Causes {
		if c.Verdict.Rank() > checks.Possible.Rank() {
			continue
		}
		p.f("### %s — %s\n\n", strings.ToUpper(string(c.Verdict)), mdEscape(c.Title))
		p.f("`%s`", c.ID)
		if c.ExplainedBy != "" {
			p.f(" — a symptom of `%s`; its evidence is shown there.\n\n", c.ExplainedBy)
			continue
		}
		p.f("\n\n**Evidence**\n\n")
		for _, ev := range c.Evidence {
			if ev.Verdict == checks.Unknown {
				continue
			}
			tag := ev.Check
			if ev.Symptom != "" {
				tag += ", " + string(ev.Symptom)
			}
			p.f("- _%s_: %s\n", mdEscape(tag), mdEscape(ev.Message))
		}
		p.f("\n**Next steps**\n\n")
		for i, st := range c.AgentSteps {
			p.f("%d. %s\n", i+1, mdEscape(st))
		}
		p.f("\n**Reply to the user**\n\n> %s\n\n", mdEscape(c.UserReply))
	}
	if notes := unreadNotes(d); len(notes) > 0 {
		p.f("**Log lines not read**\n\n")
		for _, n := range notes {
			p.f("- %s\n", mdEscape(n.summary()))
			for _, q := range n.quoted {
				p.f("  - `%s`\n", strings.ReplaceAll(strings.ReplaceAll(q, "`", "'"), "\n", " "))
			}
		}
		p.f("\n")
	}
	var unknown, ruled []string
	for _, c := range d.Causes {
		why := ""
		if len(c.Evidence) > 0 {
			why = ": " + mdEscape(c.Evidence[0].Message)
		}
		switch c.Verdict {
		case checks.Unknown:
			if why == "" {
				why = ": not examined in this run (settled by " + mdEscape(c.SettledBy) + ")"
			}
			unknown = append(unknown, "- `"+string(c.ID)+"`"+why)
		case checks.RuledOut:
			ruled = append(ruled, "- `"+string(c.ID)+"`"+why)
		}
	}
	if len(unknown) > 0 {
		p.f("**Could not check**\n\n%s\n\n", strings.Join(unknown, "\n"))
	}
	if len(ruled) > 0 {
		p.f("**Ruled out**\n\n%s\n\n", strings.Join(ruled, "\n"))
	}
	p.f("| check | status | note |\n|---|---|---|\n")
	for _, c := range d.Checks {
		p.f("| %s | %s | %s |\n", c.Name, c.Status, mdEscape(c.Reason))
	}
	return p.err
}

var mdReplacer = strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "\n", " ")

func mdEscape(s string) string { return mdReplacer.Replace(s) }
