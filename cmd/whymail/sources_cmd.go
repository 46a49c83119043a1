package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/whymail/whymail/source"
)

type sourcesOptions struct {
	config   string
	evidence evidenceOptions
	out      outputOptions
}

const sourcesExitHelp = `Exit status:
  0  every source answered
  2  bad usage
  3  some source did not answer, or answered with something whymail cannot read`

func newSources(e *env) *cobra.Command {
	o := &sourcesOptions{}
	cmd := &cobra.Command{
		Use:   "sources",
		Short: "Test each configured source once and say which answered",
		Long: `sources opens every source that the flags or --config name (user records,
suppression lists, mail logs, bounces, the sent message) and asks each once,
cheaply: a database reads at most one row, a file is opened, an API gets one
small request. It says which answered and how long each took, so that a
source can be set up without a ticket at hand. Passwords are never shown.

` + sourcesExitHelp,
		Example: `  whymail sources --config desk.yaml
  WHYMAIL_USERS_PASSWORD=... whymail sources --users postgres://whymail@db.internal/app --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			warnPasswords(cmd, e)
			if err := applyConfig(cmd, o.config); err != nil {
				return err
			}
			return o.run(cmd.Context(), e)
		},
	}
	fs := cmd.Flags()
	bindConfig(fs, &o.config)
	fs.StringVar(&o.evidence.users, "users", "", "user records: a file or a database (as for diagnose)")
	fs.StringArrayVar(&o.evidence.suppressions, "suppressions", nil, "a suppression list (repeatable; as for diagnose)")
	fs.StringArrayVar(&o.evidence.logs, "log", nil, "a mail log (repeatable; as for diagnose)")
	fs.StringArrayVar(&o.evidence.bounces, "bounce", nil, "a bounce message (repeatable; as for diagnose)")
	fs.StringVar(&o.evidence.message, "message", "", "a copy of the sent message (as for diagnose)")
	markPath(fs, "users", "suppressions", "log", "bounce", "message")
	o.evidence.bindSQL(fs)
	o.out.bind(fs, "text", "json")
	return cmd
}

// probe is what sources says of one source (whymail.sources/v1).
type probe struct {
	Kind   string  `json:"kind"`
	Flag   string  `json:"flag"`
	Source string  `json:"source"`
	OK     bool    `json:"ok"`
	MS     float64 `json:"ms"`
	Error  string  `json:"error,omitempty"`
}

func (o *sourcesOptions) run(ctx context.Context, e *env) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := o.out.validate(); err != nil {
		return err
	}
	if o.evidence.timeout <= 0 {
		return usageError("--source-timeout must be positive, got %s", o.evidence.timeout)
	}
	ops := o.evidence.open()
	if len(ops) == 0 {
		return usageError("no source is configured: give --config FILE, or --users, --suppressions, --log, --bounce, --message")
	}
	probes := make([]probe, len(ops))
	var wg sync.WaitGroup
	for i, op := range ops {
		probes[i] = probe{Kind: op.kind.String(), Flag: op.flag, Source: source.Redact(op.spec)}
		if op.err != nil {
			probes[i].Error = wordError(op.err)
			continue
		}
		probes[i].Source = op.src.Describe()
		wg.Add(1)
		go func(p *probe, op opened) {
			defer wg.Done()
			start := time.Now()
			err := ping(ctx, op, o.evidence.timeout)
			p.MS = float64(time.Since(start).Microseconds()) / 1000
			p.OK = err == nil
			if err != nil {
				p.Error = redactValue(err, op.spec)
			}
		}(&probes[i], op)
	}
	wg.Wait()
	var err error
	if o.out.format == "json" {
		err = writeSourcesJSON(e.stdout, probes)
	} else {
		err = writeSourcesText(e.stdout, probes)
	}
	if err != nil {
		return err
	}
	for _, p := range probes {
		if !p.OK {
			return silentExit(ExitFailed)
		}
	}
	return nil
}

// errProbed stops a read once it has shown that the source answers.
var errProbed = errors.New("probed")

// probeAddress is asked of sources that have no cheaper test: it names
// no one (RFC 2606's .invalid).
const probeAddress = "whymail-probe@example.invalid"

// ping asks op's source once, within timeout: Ping when it has one, else
// the smallest ordinary read.
func ping(parent context.Context, op opened, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	var err error
	if p, ok := op.src.(source.Pinger); ok {
		err = p.Ping(ctx)
		return timedOut(parent, ctx, timeout, err)
	}
	switch s := op.src.(type) {
	case source.Users:
		_, err = s.Users(ctx, source.UserQuery{Address: probeAddress}, func(source.User) error { return nil })
	case source.Stream:
		now := time.Now()
		var rc io.ReadCloser
		rc, err = s.Open(ctx, source.Query{Recipients: []string{probeAddress}, Since: now.Add(-time.Hour), Until: now})
		if err == nil {
			_, err = rc.Read(make([]byte, 1))
			if err == io.EOF {
				err = nil
			}
			rc.Close()
		}
	case source.Messages:
		err = s.Messages(ctx, func(source.Message) error { return errProbed })
		if errors.Is(err, errProbed) {
			err = nil
		}
	default:
		err = fmt.Errorf("%s cannot give %s", op.src.Describe(), op.kind)
	}
	return timedOut(parent, ctx, timeout, err)
}

func writeSourcesText(w io.Writer, probes []probe) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	ok := 0
	for _, p := range probes {
		state := fmt.Sprintf("answered in %s", ms(p.MS))
		if !p.OK {
			state = "FAILED"
			if p.MS > 0 {
				state += " after " + ms(p.MS)
			}
			state += ": " + p.Error
		} else {
			ok++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Flag, p.Source, state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d of %d sources answered\n", ok, len(probes))
	return err
}

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.1fs", v/1000)
	}
	return fmt.Sprintf("%.0fms", v)
}

func writeSourcesJSON(w io.Writer, probes []probe) error {
	failed := 0
	for _, p := range probes {
		if !p.OK {
			failed++
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Schema  string  `json:"schema"`
		Sources []probe `json:"sources"`
		Failed  int     `json:"failed"`
	}{"whymail.sources/v1", probes, failed})
}
