package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/whymail/whymail/checks/bounce"
	"github.com/whymail/whymail/report"
	"github.com/whymail/whymail/source"
)

// BounceSchema is the version of the bounce JSON lines.
const BounceSchema = "whymail.bounce/v1"

type bounceOptions struct {
	out outputOptions
}

// bounceLine is one line of `whymail bounce --format json`.
type bounceLine struct {
	Schema string `json:"schema"`
	bounce.Record
}

func newBounce(e *env) *cobra.Command {
	o := &bounceOptions{}
	cmd := &cobra.Command{
		Use:   "bounce FILE...",
		Short: "Classify bounce messages (RFC 3464 DSNs and the free-text bounces of common MTAs)",
		Long: `bounce reads bounce messages (.eml files, mbox files or Maildir folders, and
Amazon SES bounce, complaint and delivery notifications as JSON, raw or in an
SNS envelope; - reads standard input) and
prints one line per recipient of each: the DSN action and enhanced status
code, the reason (user-unknown, mailbox-full, blocklisted, auth-failure, ...),
the catalog cause it points to, and the remote server's words.

` + bounceExitHelp,
		Example: `  whymail bounce returned.eml
  whymail bounce ~/Maildir/.Bounces bounces.mbox --format json
  whymail bounce - < ses-notification.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.out.validate(); err != nil {
				return err
			}
			for _, file := range args {
				m, err := source.OpenMessages(source.KindBounces, file)
				if err != nil {
					return usageError("%s: %v", file, err)
				}
				recs, err := bounce.Classify(cmd.Context(), m)
				if err != nil {
					return usageError("%v", err)
				}
				if len(recs) == 0 && o.out.format == "text" {
					fmt.Fprintf(e.stderr, "whymail: %s: no bounce found (the message(s) report no failed recipient)\n", file)
				}
				for _, r := range recs {
					if err := o.write(e, r); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
	o.out.bind(cmd.Flags(), "text", "json")
	return cmd
}

func (o *bounceOptions) write(e *env, r bounce.Record) error {
	if o.out.format == "json" {
		return report.WriteJSONLine(e.stdout, bounceLine{Schema: BounceSchema, Record: r})
	}
	cause := r.Cause
	if cause == "" {
		cause = "-"
	}
	diag := strings.Join(strings.Fields(r.Diagnostic), " ")
	_, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s %s\t%s\t%s\t%s\n", r.File, r.Recipient, r.Action, r.Status, r.Reason, cause, diag)
	return err
}
