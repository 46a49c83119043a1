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
	if top := d.Top(); top != nil {
		p.f("**Most likely:** %s (`%s`, %s)\n\n", top.Title, top.ID, top.Verdict)
	}
	for _, c := range d.Causes {
		if c.Verdict.Rank() > checks.Possible.Rank() {
			continue
		}
		p.f("### %s — %s\n\n", strings.ToUpper(string(c.Verdict)), c.Title)
		p.f("`%s`", c.ID)
		if c.ExplainedBy != "" {
			p.f(" — a symptom of `%s`.\n\n", c.ExplainedBy)
			continue
		}
		p.f("\n\n**Evidence**\n\n")
		for _, ev := range c.Evidence {
			p.f("- _%s_: %s\n", ev.Check, mdEscape(ev.Message))
		}
		p.f("\n**Next steps**\n\n")
		for i, st := range c.AgentSteps {
			p.f("%d. %s\n", i+1, st)
		}
		p.f("\n**Reply to the user**\n\n> %s\n\n", c.UserReply)
	}
	var unknown, ruled []string
	for _, c := range d.Causes {
		switch c.Verdict {
		case checks.Unknown:
			unknown = append(unknown, "`"+string(c.ID)+"` (needs "+c.SettledBy+")")
		case checks.RuledOut:
			ruled = append(ruled, "`"+string(c.ID)+"`")
		}
	}
	if len(unknown) > 0 {
		p.f("**Could not check:** %s\n\n", strings.Join(unknown, ", "))
	}
	if len(ruled) > 0 {
		p.f("**Ruled out:** %s\n\n", strings.Join(ruled, ", "))
	}
	p.f("| check | status | note |\n|---|---|---|\n")
	for _, c := range d.Checks {
		p.f("| %s | %s | %s |\n", c.Name, c.Status, mdEscape(c.Reason))
	}
	return p.err
}

var mdReplacer = strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "\n", " ")

func mdEscape(s string) string { return mdReplacer.Replace(s) }
