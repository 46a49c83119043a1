package main

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/report"
)

type domainOptions struct {
	config     string
	failOn     string
	sendingIPs []string
	selectors  []string
	dnsbl      []string
	helo       string
	input      string
	window     int
	dkimProbe  bool
	only       []string
	out        outputOptions
	dns        dnsOptions
	accept     acceptOptions
	probe      probeOptions
}

func newDomain(e *env) *cobra.Command {
	o := &domainOptions{}
	cmd := &cobra.Command{
		Use:   "domain DOMAIN... | --input FILE|-",
		Short: "Lint a sender domain's mail DNS: MX, SPF, DKIM, DMARC, PTR, blocklists, MTA-STS, TLS-RPT, BIMI",
		Long: `domain checks the records a receiver looks at before it trusts mail from
a domain, and prints findings per record with a severity (error, warning,
info, ok). It exits 1 when any finding reaches --fail-on, so it can guard
the sender domain in CI.

With --input it reads a list, one domain a line optionally followed by its
sending IPs and s=SELECTOR words, or a CSV with domain, sending_ip and
dkim_selector columns, and streams one result a domain in input order
(--format json: one whymail.domain/v1 document a line).

` + domainExitHelp,
		Example: `  whymail domain example.com
  whymail domain example.com --sending-ip 192.0.2.10 --dkim-selector s1 --fail-on warning
  whymail domain example.com --format github      # GitHub Actions annotations
  whymail domain example.com --format sarif > whymail.sarif   # code scanning
  whymail domain example.com --zone example.com.zone   # lint a zone before publishing it, offline
  whymail domain example.com --zone example.com.zone --dns system   # ... with the rest of the world live
  whymail domain example.com --config whymail.yaml --baseline last.json   # only new findings fail
  whymail domain example.com --probe smtp     # also talk to the MX hosts on port 25
  whymail domain --input senders.txt --format json > lint.jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd, o.config); err != nil {
				return err
			}
			switch {
			case len(args) == 0 && o.input == "":
				return usageError("give domains as arguments or --input FILE (- for standard input)")
			case len(args) > 0 && o.input != "":
				return usageError("give domains as arguments or with --input, not both")
			}
			return o.run(cmd.Context(), e, args)
		},
	}
	fs := cmd.Flags()
	bindConfig(fs, &o.config)
	fs.StringVar(&o.failOn, "fail-on", "error", "exit 1 when a finding reaches this severity: error, warning, info, never")
	fs.StringArrayVar(&o.sendingIPs, "sending-ip", nil, "an IP the domain sends from: SPF check_host, PTR, blocklists (repeatable)")
	fs.StringArrayVar(&o.selectors, "dkim-selector", nil, "a DKIM selector to check (repeatable; default: probe common ones)")
	fs.StringArrayVar(&o.dnsbl, "dnsbl", nil, dnsblHelp)
	fs.StringVar(&o.helo, "helo", "", "the HELO/EHLO name to check SPF for as well")
	o.out.bind(fs, "text", "json", "github", "markdown", "sarif")
	o.out.bindColor(fs)
	fs.BoolVar(&o.out.trace, "trace", false, "show every DNS question and answer (text and json)")
	fs.StringVar(&o.input, "input", "", "read domains from FILE (- for standard input): DOMAIN [IP...] [s=SELECTOR...] a line, or CSV with domain, sending_ip, dkim_selector columns")
	fs.IntVar(&o.window, "window", 256, "with --input: most domains held between reading and writing (bounds memory)")
	names := checks.Names(domainChecks(false))
	fs.StringSliceVar(&o.only, "check", nil, "run only these checks, and those they need (repeatable or comma-separated): "+strings.Join(names, ", ")+"; default: all")
	_ = fs.SetAnnotation("check", valuesAnnotation, names)
	fs.BoolVar(&o.dkimProbe, "dkim-probe", true, "with --input: probe the common DKIM selectors for a domain given none (false: skip DKIM there, and say so)")
	markPath(fs, "input")
	o.dns.bind(fs)
	o.accept.bind(fs)
	o.probe.bind(fs)
	return cmd
}

// prepare reads what every domain's lint of a run shares, whether the
// domains come as arguments or from --input: the lint (its fail-on, the
// config's acceptances, the baseline, where records were read), the set
// of checks (with --probe's), and the DNS.
func (o *domainOptions) prepare(failOn checks.Severity, never bool) (*report.Lint, []*checks.Check, *lookup.Cache, *lookup.Zones, error) {
	accepted, baseline, err := o.accept.load(o.config)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	prober, err := o.probe.prober()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	cache, zones, err := o.dns.build()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	set := domainChecks(o.dns.offline())
	if len(o.only) > 0 {
		if set, err = checks.Select(set, o.only); err != nil {
			return nil, nil, nil, nil, usageError("--check: %v", err)
		}
	}
	lint := report.NewLint(failOn, never)
	lint.Setting, lint.Words = "--fail-on", flagsOf
	lint.Accept, lint.Baseline, lint.Locate = accepted, baseline, zoneLocator(zones)
	return lint, withProbe(set, o.dns.offline(), prober), cache, zones, nil
}

func (o *domainOptions) run(ctx context.Context, e *env, args []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := o.out.validate(); err != nil {
		return err
	}
	never := o.failOn == "never"
	failOn := checks.Error
	if !never {
		var err error
		if failOn, err = checks.ParseSeverity(o.failOn); err != nil || failOn == checks.OK {
			return usageError("invalid --fail-on %q: want error, warning, info or never", o.failOn)
		}
	}
	var ips []netip.Addr
	for _, s := range o.sendingIPs {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return usageError("invalid --sending-ip %q: want an IPv4 or IPv6 address", s)
		}
		ips = append(ips, ip.Unmap())
	}
	if o.input != "" {
		return o.batch(ctx, e, failOn, never, ips)
	}
	var domains []string
	for _, a := range args {
		d, err := domainName(a)
		if err != nil {
			return err
		}
		domains = append(domains, d)
	}
	lint, set, cache, zones, err := o.prepare(failOn, never)
	if err != nil {
		return err
	}
	if err := o.dns.outsideZones(zones, domains); err != nil {
		return err
	}
	if !o.out.trace {
		cache.DropTrace() // nothing shows it: memory grows only with distinct questions
	}
	// Domains run concurrently over one cache; each keeps its place.
	results := make([]*checks.Result, len(domains))
	errs := make([]error, len(domains))
	var wg sync.WaitGroup
	for i, d := range domains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &checks.Ticket{Mode: checks.Lint, Domain: d, Sender: d, HELO: o.helo, SendingIPs: ips,
				DKIMSelectors: o.selectors, DNSBLZones: o.dnsbl, At: time.Now().UTC()}
			results[i], errs[i] = runChecks(ctx, cache, set, t)
		}()
	}
	wg.Wait()
	failed := false
	for i, d := range domains {
		if errs[i] != nil {
			return errs[i]
		}
		lint.Add(d, results[i])
		failed = failed || results[i].Failed()
	}
	if o.out.trace {
		lint.Trace = traceOf(cache)
	}
	style := o.out.style(e)
	switch o.out.format {
	case "json":
		err = report.WriteJSON(e.stdout, lint)
	case "github":
		err = report.LintGitHub(e.stdout, lint)
	case "markdown":
		err = report.LintMarkdown(e.stdout, lint)
	case "sarif":
		lint.ToolVersion = versionString()
		err = report.LintSARIF(e.stdout, lint)
	default:
		err = report.LintText(e.stdout, lint, style)
		if err == nil && o.out.trace {
			err = report.TraceText(e.stdout, lint.Trace)
		}
	}
	if err != nil {
		return err
	}
	// A lint that could not complete says so first: its findings may be
	// the DNS failure itself, and CI should retry rather than blame the zone.
	switch {
	case failed:
		return silentExit(ExitFailed)
	case lint.Failed:
		return silentExit(ExitFindings)
	}
	return nil
}
