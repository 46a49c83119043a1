package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/whymail/whymail/checks/mtasts"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/netguard"
	"github.com/whymail/whymail/report"
	"github.com/whymail/whymail/server"
)

type serveOptions struct {
	diag          diagnoseOptions
	listen        string
	tokens        string
	trustedHeader string
	audit         string
	deadline      time.Duration
	maxInFlight   int
	cacheSize     int
}

// Environment variables holding the helpdesk apps' shared secrets.
const (
	envZendesk   = "WHYMAIL_ZENDESK_SECRET"
	envHelpScout = "WHYMAIL_HELPSCOUT_SECRET"
	envIntercom  = "WHYMAIL_INTERCOM_SECRET"
)

func newServe(e *env) *cobra.Command { return serveCommand(e, &serveOptions{}) }

// serveCommand is the serve command setting o; tests read o back.
func serveCommand(e *env, o *serveOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the page agents use and the HTTP API helpdesk apps call",
		Long: `serve answers diagnoses over HTTP: a page at / where an agent types the
address, and a JSON API (POST /v1/diagnose, /v1/domain, /v1/address,
/v1/bounce; docs/api.md) for helpdesk sidebar apps. Every source and DNS
setting comes from the config and flags given here, never from a request.

Without --tokens or --trusted-header the server is unauthenticated and
starts only on a loopback address.

--lang sets the desk's language; a request may ask for another with its
"lang" field (the page's "Answer in"): ` + strings.Join(report.Languages(), ", ") + `.

Helpdesk apps are enabled by their shared secrets in the environment:
` + envZendesk + `, ` + envHelpScout + `, ` + envIntercom + `.`,
		Example: `  # The demo desk, on this machine only.
  whymail serve --config testdata/demo/whymail.yaml

  # For the team, behind tokens; an audit line per request on stdout.
  whymail serve --listen :8025 --config desk.yaml --tokens /etc/whymail/tokens --audit-log -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd, o.diag.config); err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			return o.run(ctx, e)
		},
	}
	fs := cmd.Flags()
	bindConfig(fs, &o.diag.config)
	o.diag.bindTicket(fs)
	o.diag.dns.bind(fs)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8025", "HOST:PORT to serve on (without auth: loopback only)")
	fs.StringVar(&o.tokens, "tokens", "", "a file of API tokens, one a line (Bearer, or the password of basic auth)")
	fs.StringVar(&o.trustedHeader, "trusted-header", "", "a header an SSO proxy in front sets to the signed-in user (X-Forwarded-User)")
	fs.StringVar(&o.audit, "audit-log", "", "append one JSON line per request to FILE (- for standard output)")
	fs.DurationVar(&o.deadline, "deadline", 10*time.Second, "longest diagnosis: after it the report is answered marked incomplete")
	fs.IntVar(&o.maxInFlight, "max-in-flight", 0, "most diagnoses at once; beyond it 503 with Retry-After (0: 8 per CPU)")
	fs.IntVar(&o.cacheSize, "dns-cache", lookup.DefaultSharedSize, "most DNS answers kept across requests (each for its TTL)")
	markPath(fs, "tokens", "audit-log")
	return cmd
}

// desk builds the server's Desk from the flags and config: the same
// ticket settings, sources and DNS as diagnose, with one DNS cache shared
// by every request, and MTA-STS fetches refused for non-public addresses.
func (o *diagnoseOptions) desk(cacheSize int) (*server.Desk, error) {
	cat, err := report.CatalogFor(o.lang)
	if err != nil {
		return nil, usageError("--lang: %v", err)
	}
	lang, _ := report.Language(o.lang)
	t, err := o.settings()
	if err != nil {
		return nil, err
	}
	t.UserID = "" // the request's
	if o.at != "" {
		if t.At, err = parseAt(o.at); err != nil {
			return nil, err
		}
	}
	backend, err := o.dns.backend()
	if err != nil {
		return nil, err
	}
	shared := lookup.NewShared(backend, cacheSize)
	return &server.Desk{
		DNS: func() *lookup.Cache {
			c := lookup.NewCache(shared)
			c.DropTrace()
			return c
		},
		Ticket:   *t,
		Diagnose: diagnoseChecks,
		Domain:   lintChecks(mtasts.Fetcher{Offline: o.dns.offline(), Control: netguard.Control}),
		Address: func(ctx context.Context, dns lookup.Resolver, address string) *report.AddressVerdict {
			return checkAddress(ctx, dns, address, "")
		},
		Catalog: cat,
		Lang:    lang,
	}, nil
}

func (o *serveOptions) options(e *env) (server.Options, func(), error) {
	opt := server.Options{Deadline: o.deadline, MaxInFlight: o.maxInFlight,
		Log: slog.New(slog.NewTextHandler(e.stderr, nil))}
	closeAll := func() {}
	if o.deadline <= 0 {
		return opt, closeAll, usageError("--deadline must be positive, got %s", o.deadline)
	}
	if o.maxInFlight < 0 {
		return opt, closeAll, usageError("--max-in-flight must be at least 1 (0: the default), got %d", o.maxInFlight)
	}
	if o.tokens != "" {
		f, err := os.Open(o.tokens)
		if err != nil {
			return opt, closeAll, usageError("--tokens: %v", err)
		}
		toks, err := server.ReadTokens(io.LimitReader(f, 1<<20), o.tokens)
		f.Close()
		if err != nil {
			return opt, closeAll, usageError("--tokens %v", err)
		}
		opt.Auth.Tokens = toks
	}
	opt.Auth.TrustedHeader = o.trustedHeader
	switch o.audit {
	case "":
	case "-":
		opt.Audit = e.stdout
	default:
		f, err := os.OpenFile(o.audit, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return opt, closeAll, usageError("--audit-log: %v", err)
		}
		opt.Audit, closeAll = f, func() { f.Close() }
	}
	opt.Helpdesk = server.Helpdesk{
		ZendeskSecret:   []byte(e.getenv(envZendesk)),
		HelpScoutSecret: []byte(e.getenv(envHelpScout)),
		IntercomSecret:  []byte(e.getenv(envIntercom)),
	}
	return opt, closeAll, nil
}

func (o *serveOptions) run(ctx context.Context, e *env) error {
	desk, err := o.diag.desk(o.cacheSize)
	if err != nil {
		return err
	}
	opt, closeAll, err := o.options(e)
	defer closeAll()
	if err != nil {
		return err
	}
	srv, err := server.New(desk, opt)
	if err != nil {
		return usageError("%v", err)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return usageError("--listen: %v", err)
	}
	if err := srv.Serve(ctx, ln); err != nil {
		ln.Close()
		return &exitError{code: ExitUsage, err: fmt.Errorf("--listen %s: %w", o.listen, err)}
	}
	return nil
}
