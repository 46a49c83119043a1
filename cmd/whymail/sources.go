package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/source"
	_ "github.com/whymail/whymail/source/clickhouse"    // clickhouse://
	_ "github.com/whymail/whymail/source/elasticsearch" // elasticsearch://, opensearch://
	_ "github.com/whymail/whymail/source/file"          // paths
	_ "github.com/whymail/whymail/source/journal"       // journal:, journal:UNIT
	_ "github.com/whymail/whymail/source/loki"          // loki://
	_ "github.com/whymail/whymail/source/mailgun"       // mailgun:DOMAIN
	_ "github.com/whymail/whymail/source/postmark"      // postmark:
	_ "github.com/whymail/whymail/source/sendgrid"      // sendgrid:
	_ "github.com/whymail/whymail/source/ses"           // ses:REGION
	sqlsource "github.com/whymail/whymail/source/sql"
)

// evidenceOptions are the flags that name where a diagnosis's evidence
// comes from: each is a source spec (a path, or scheme:... for a
// registered driver).
type evidenceOptions struct {
	users        string
	usersQuery   string
	usersTable   string
	suppressions []string
	logs         []string
	bounces      []string
	message      string
	// logZones are the zones of single logs by spec (--log-tz LOG=ZONE).
	logZones map[string]*time.Location
	// timeout bounds each call to a source that is not a file.
	timeout time.Duration
}

// defaultSourceTimeout is --source-timeout's default.
const defaultSourceTimeout = 5 * time.Second

// bindSQL adds the flags that shape SQL user records and every source's
// timeout.
func (o *evidenceOptions) bindSQL(fs *pflag.FlagSet) {
	fs.StringVar(&o.usersQuery, "users-query", "", "with an SQL --users: a SELECT returning id, email, status, locked_until, reset_sent_at (AS renames), "+
		"given the address and the account id as parameters ($1, $2 for PostgreSQL; ?, ? for MySQL and SQLite)")
	fs.StringVar(&o.usersTable, "users-table", "", "with an SQL --users and no --users-query: the table to read (default users)")
	o.bindTimeout(fs)
}

func (o *evidenceOptions) bindTimeout(fs *pflag.FlagSet) {
	fs.DurationVar(&o.timeout, "source-timeout", defaultSourceTimeout, "longest wait for one call to a database or API source (not files)")
}

// warnPasswords warns on stderr about a password written in a flag on the
// command line (not from --config): other users of the machine see the
// command line in the process list.
func warnPasswords(cmd *cobra.Command, e *env) {
	for _, name := range []string{"users", "suppressions", "log", "bounce", "message"} {
		fl := cmd.Flags().Lookup(name)
		if fl == nil || !fl.Changed {
			continue
		}
		specs := []string{fl.Value.String()}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			specs = sv.GetSlice()
		}
		for _, spec := range specs {
			if source.HasPassword(spec) {
				// The SQL drivers read theirs from one variable; the
				// others refuse a password in the spec and say which.
				where := "the environment variable its driver reads (README: Environment variables)"
				if sqlsource.IsSpec(spec) {
					where = sqlsource.PasswordEnv
				}
				fmt.Fprintf(e.stderr, "whymail: warning: --%s %s has a password on the command line, where the process list shows it; "+
					"give it in %s, or as ${NAME} in --config\n", name, source.Redact(spec), where)
			}
		}
	}
}

// An opened source is one spec of a flag, opened or not.
type opened struct {
	kind source.Kind
	flag string
	spec string
	src  source.Source
	err  error // why it could not be opened, worded with the flag
}

// open opens every source the flags name, without connecting.
func (o *evidenceOptions) open() []opened {
	var out []opened
	add := func(kind source.Kind, flag, spec string) *opened {
		s, err := source.Open(kind, spec)
		if g, ok := s.(source.Group); ok && err == nil {
			// One spec for several sources ("sendgrid:", its five lists):
			// each is read, timed and described as itself.
			for _, m := range g.Members() {
				out = append(out, opened{kind: kind, flag: flag, spec: spec, src: m})
			}
			return &out[len(out)-1]
		}
		op := opened{kind: kind, flag: flag, spec: spec, src: s}
		if err != nil {
			op.err = usageError("%s %s: %v", flag, source.Redact(spec), err)
		}
		out = append(out, op)
		return &out[len(out)-1]
	}
	if o.users != "" {
		op := add(source.KindUsers, "--users", o.users)
		if op.err == nil {
			op.err = o.shapeUsers(op)
		}
	} else if o.usersQuery != "" || o.usersTable != "" {
		out = append(out, opened{kind: source.KindUsers, flag: "--users",
			err: usageError("--users-query and --users-table need --users naming a database (postgres://..., mysql://..., sqlite:PATH)")})
	}
	for _, spec := range o.suppressions {
		add(source.KindSuppressions, "--suppressions", spec)
	}
	for _, spec := range o.logs {
		add(source.KindLog, "--log", spec)
	}
	for _, spec := range o.bounces {
		add(source.KindBounces, "--bounce", spec)
	}
	if o.message != "" {
		add(source.KindMessage, "--message", o.message)
	}
	return out
}

// shapeUsers applies --users-query and --users-table to an SQL source.
func (o *evidenceOptions) shapeUsers(op *opened) error {
	su, ok := op.src.(*sqlsource.Users)
	if !ok {
		if o.usersQuery != "" || o.usersTable != "" {
			return usageError("--users-query and --users-table apply to a database --users (postgres://..., mysql://..., sqlite:PATH), not %s", op.src.Describe())
		}
		return nil
	}
	if o.usersQuery != "" && o.usersTable != "" {
		return usageError("--users-query and --users-table are exclusive: the query names its table")
	}
	if o.usersTable != "" {
		if err := su.SetTable(o.usersTable); err != nil {
			return usageError("--users-table: %v", err)
		}
	}
	if o.usersQuery != "" {
		if err := su.SetQuery(o.usersQuery); err != nil {
			return usageError("--users-query: %v", err)
		}
	}
	return nil
}

// sources opens the sources the flags name. A spec no driver can open is
// a usage error naming its flag. Every source that is not a file gets
// --source-timeout on each call.
func (o *evidenceOptions) sources() (checks.Sources, error) {
	var s checks.Sources
	if o.timeout <= 0 {
		return s, usageError("--source-timeout must be positive, got %s", o.timeout)
	}
	for _, op := range o.open() {
		if op.err != nil {
			return s, op.err
		}
		src := op.src
		if remote(op.spec) {
			src = withTimeout(op.kind, src, o.timeout)
		}
		switch op.kind {
		case source.KindUsers:
			u, ok := src.(source.Users)
			if !ok {
				return s, usageError("%s %s: %s cannot give user records", op.flag, source.Redact(op.spec), src.Describe())
			}
			s.Users = u
		case source.KindSuppressions, source.KindLog:
			st, ok := src.(source.Stream)
			if !ok {
				return s, usageError("%s %s: %s cannot give %s", op.flag, source.Redact(op.spec), src.Describe(), op.kind)
			}
			if op.kind == source.KindLog {
				if z := o.logZones[op.spec]; z != nil {
					st = &checks.ZonedLog{Stream: st, Zone: z}
				}
				s.Logs = append(s.Logs, st)
			} else {
				s.Suppressions = append(s.Suppressions, st)
			}
		case source.KindBounces, source.KindMessage:
			m, ok := src.(source.Messages)
			if !ok {
				return s, usageError("%s %s: %s cannot give %s", op.flag, source.Redact(op.spec), src.Describe(), op.kind)
			}
			if op.kind == source.KindBounces {
				s.Bounces = append(s.Bounces, m)
			} else {
				// The message and DKIM checks both read it: once.
				s.Message = source.Once(m)
			}
		}
	}
	return s, nil
}

// remote reports whether spec names a source other than a file: a
// registered scheme other than file.
func remote(spec string) bool {
	scheme, _, ok := strings.Cut(spec, ":")
	if !ok || scheme == "file" {
		return false
	}
	for _, s := range source.Schemes() {
		if s == scheme {
			return true
		}
	}
	return false
}

// timeoutError is a source call that ran past --source-timeout.
type timeoutError struct {
	d   time.Duration
	err error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("no answer within --source-timeout %s", e.d)
}
func (e *timeoutError) Unwrap() error { return e.err }

// timedOut words err as a timeout when ctx, the call's, passed its
// deadline while its parent had not.
func timedOut(parent, ctx context.Context, d time.Duration, err error) error {
	if err != nil && parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && !source.IsInputError(err) {
		return &timeoutError{d: d, err: err}
	}
	return err
}

// withTimeout wraps src, of kind, so that each call is bounded by d.
func withTimeout(kind source.Kind, src source.Source, d time.Duration) source.Source {
	switch kind {
	case source.KindUsers:
		if s, ok := src.(source.Users); ok {
			return timedUsers{s, d}
		}
	case source.KindSuppressions, source.KindLog:
		if s, ok := src.(source.Stream); ok {
			return timedStream{s, d}
		}
	case source.KindBounces, source.KindMessage:
		if s, ok := src.(source.Messages); ok {
			return timedMessages{s, d}
		}
	}
	return src
}

type timedUsers struct {
	u source.Users
	d time.Duration
}

func (t timedUsers) Describe() string { return t.u.Describe() }

func (t timedUsers) Users(parent context.Context, q source.UserQuery, fn func(source.User) error) (int, error) {
	ctx, cancel := context.WithTimeout(parent, t.d)
	defer cancel()
	n, err := t.u.Users(ctx, q, fn)
	return n, timedOut(parent, ctx, t.d, err)
}

type timedStream struct {
	s source.Stream
	d time.Duration
}

func (t timedStream) Describe() string { return t.s.Describe() }

// Open bounds the call and the reading of what it returns: the deadline
// holds until the reader is closed.
func (t timedStream) Open(parent context.Context, q source.Query) (io.ReadCloser, error) {
	ctx, cancel := context.WithTimeout(parent, t.d)
	rc, err := t.s.Open(ctx, q)
	if err != nil {
		cancel()
		return nil, timedOut(parent, ctx, t.d, err)
	}
	return &timedReader{rc: rc, parent: parent, ctx: ctx, cancel: cancel, d: t.d}, nil
}

type timedReader struct {
	rc          io.ReadCloser
	parent, ctx context.Context
	cancel      context.CancelFunc
	d           time.Duration
}

func (r *timedReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if err != nil && err != io.EOF {
		err = timedOut(r.parent, r.ctx, r.d, err)
	}
	return n, err
}

func (r *timedReader) Close() error {
	defer r.cancel()
	return r.rc.Close()
}

type timedMessages struct {
	m source.Messages
	d time.Duration
}

func (t timedMessages) Describe() string { return t.m.Describe() }

func (t timedMessages) Messages(parent context.Context, fn func(source.Message) error) error {
	ctx, cancel := context.WithTimeout(parent, t.d)
	defer cancel()
	return timedOut(parent, ctx, t.d, t.m.Messages(ctx, fn))
}
