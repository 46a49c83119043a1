package main

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/mailaddr"
	"github.com/whymail/whymail/report"
)

type diagnoseOptions struct {
	config     string
	at         string
	sender     string
	helo       string
	sendingIPs []string
	selectors  []string
	dnsbl      []string
	user       string
	linkTTL    time.Duration
	logTZ      logZones
	statusMap  statusMap
	lang       string
	evidence   evidenceOptions
	out        outputOptions
	dns        dnsOptions
	probe      probeOptions
}

func newDiagnose(e *env) *cobra.Command {
	o := &diagnoseOptions{statusMap: statusMap{}}
	cmd := &cobra.Command{
		Use:   "diagnose ADDRESS",
		Short: "Rank the causes for one \"I never got the email\" ticket",
		Long: `diagnose runs every check that the given inputs allow for one recipient
address and prints the causes of the catalog in rank order: the most likely
cause first with its evidence, the agent's next steps and a reply for the
user; then what could not be checked (and which flag would let it), and what
was ruled out.

` + diagnoseExitHelp,
		Example: `  # The address alone: syntax, typos, the domain's mail setup.
  whymail diagnose alice@exmaple.com

  # With the evidence an agent usually has.
  whymail diagnose alice@example.com --users users.csv --log mail.log \
      --suppressions sendgrid-bounces.json --sender noreply@app.example

  # Offline, from zone files; as of the time of the ticket; for a script.
  whymail diagnose bob@example.org --zone example.org.zone \
      --at 2026-11-22T10:00:00Z --format json

  # Settings in a file, so the agent types only the address.
  whymail diagnose carol@example.net --config whymail.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			warnPasswords(cmd, e)
			if err := applyConfig(cmd, o.config); err != nil {
				return err
			}
			return o.run(cmd.Context(), e, args[0])
		},
	}
	fs := cmd.Flags()
	bindConfig(fs, &o.config)
	o.bindTicket(fs)
	o.out.bind(fs, "text", "json", "markdown")
	o.out.bindColor(fs)
	fs.BoolVar(&o.out.trace, "trace", false, "show every DNS question and answer")
	o.dns.bind(fs)
	o.probe.bind(fs)
	return cmd
}

// bindTicket adds the flags of a ticket's settings and evidence: diagnose
// and serve share them, and so the settings of one config file.
func (o *diagnoseOptions) bindTicket(fs *pflag.FlagSet) {
	if o.statusMap == nil {
		o.statusMap = statusMap{}
	}
	fs.StringVar(&o.at, "at", "", "diagnose as of this RFC 3339 time (default now), to reproduce a past ticket")
	fs.StringVar(&o.sender, "sender", "", "the address or domain the app sends from")
	fs.StringVar(&o.helo, "helo", "", "the HELO/EHLO name the app's mail server uses")
	fs.StringArrayVar(&o.sendingIPs, "sending-ip", nil, "an IP the app sends from (repeatable)")
	fs.StringArrayVar(&o.selectors, "dkim-selector", nil, "a DKIM selector to check (repeatable; default: probe common ones)")
	fs.StringArrayVar(&o.dnsbl, "dnsbl", nil, dnsblHelp)
	fs.StringVar(&o.evidence.users, "users", "", usersHelp+
		"; or a database, postgres://USER@HOST/DB, mysql://USER@HOST/DB, sqlite:PATH (password from WHYMAIL_USERS_PASSWORD)")
	o.evidence.bindSQL(fs)
	fs.Var(o.statusMap, "status-map", statusMapHelp)
	fs.StringVar(&o.user, "user", "", "the account id named in the ticket; its email is compared with ADDRESS")
	fs.DurationVar(&o.linkTTL, "link-ttl", 24*time.Hour, "how long a reset link stays valid")
	fs.StringArrayVar(&o.evidence.suppressions, "suppressions", nil, "a suppression list: generic CSV or a SendGrid, SES, Postmark or Mailgun export (repeatable)")
	fs.StringArrayVar(&o.evidence.logs, "log", nil, "a mail log: Postfix, Exim, or provider event JSON; gzip is fine (repeatable)")
	fs.StringVar(&o.lang, "lang", "en", "the language of the causes' titles, explanations, agent steps and replies to the user: "+strings.Join(report.Languages(), ", "))
	fs.Var(&o.logTZ, "log-tz", logZoneHelp)
	fs.StringArrayVar(&o.evidence.bounces, "bounce", nil, "a bounce message (.eml, mbox or Maildir, or Amazon SES notification JSON; - for standard input) (repeatable)")
	fs.StringVar(&o.evidence.message, "message", "", "a copy of the sent message (.eml; - for standard input)")
	markPath(fs, "users", "suppressions", "log", "bounce", "message")
	markPathKeys(fs, "log-tz")
}

func (o *diagnoseOptions) ticket(address string) (*checks.Ticket, error) {
	at, err := parseAt(o.at)
	if err != nil {
		return nil, err
	}
	t, err := o.settings()
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(address) == "" {
		return nil, usageError("ADDRESS is empty: give the recipient address from the ticket")
	}
	t.Address, t.At = strings.TrimSpace(address), at
	if _, d, ok := mailaddr.Split(t.Address); ok {
		t.Domain = d
	}
	return t, nil
}

// settings returns a ticket holding what the flags (and config) set for
// every ticket: the sender's settings and the sources of evidence.
func (o *diagnoseOptions) settings() (*checks.Ticket, error) {
	if o.linkTTL <= 0 {
		return nil, usageError("--link-ttl must be positive, got %s", o.linkTTL)
	}
	zone, zones, err := o.logTZ.zones(o.evidence.logs)
	if err != nil {
		return nil, err
	}
	o.evidence.logZones = zones
	t := &checks.Ticket{
		LogZone: zone,
		Sender:  o.sender, HELO: o.helo, DKIMSelectors: o.selectors, DNSBLZones: o.dnsbl,
		UserID: o.user, LinkTTL: o.linkTTL, StatusMap: o.statusMap,
	}
	if t.Sources, err = o.evidence.sources(); err != nil {
		return nil, err
	}
	for _, s := range o.sendingIPs {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return nil, usageError("invalid --sending-ip %q: want an IPv4 or IPv6 address", s)
		}
		t.SendingIPs = append(t.SendingIPs, ip.Unmap())
	}
	if t.Sender != "" && (t.SenderDomain() == "" || strings.ContainsAny(t.SenderDomain(), " /")) {
		return nil, usageError("invalid --sender %q: want an address or a domain", o.sender)
	}
	return t, nil
}

func (o *diagnoseOptions) run(ctx context.Context, e *env, address string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := o.out.validate(); err != nil {
		return err
	}
	cat, err := report.CatalogFor(o.lang)
	if err != nil {
		return usageError("--lang: %v", err)
	}
	t, err := o.ticket(address)
	if err != nil {
		return err
	}
	cache, err := o.dns.resolver()
	if err != nil {
		return err
	}
	if !o.out.trace {
		cache.DropTrace() // nothing shows it: memory grows only with distinct questions
	}
	prober, err := o.probe.prober()
	if err != nil {
		return err
	}
	res, err := runChecks(ctx, cache, withProbe(diagnoseChecks, o.dns.offline(), prober), t)
	if err != nil {
		return err
	}
	d := report.Diagnose(res, cat, flagsOf)
	if o.out.trace {
		d.Trace = traceOf(cache)
	}
	switch o.out.format {
	case "json":
		err = report.WriteJSON(e.stdout, d)
	case "markdown":
		err = report.Markdown(e.stdout, d)
	default:
		err = report.Text(e.stdout, d, o.out.style(e))
	}
	if err != nil {
		return err
	}
	if res.Failed() {
		return silentExit(ExitFailed)
	}
	return nil
}

// logZone reads --log-tz: "" is nil (the local zone), else an IANA name,
// UTC or Local.
func logZone(s string) (*time.Location, error) {
	switch s = strings.TrimSpace(s); s {
	case "":
		return nil, nil
	case "UTC", "utc":
		return time.UTC, nil
	case "Local", "local":
		return time.Local, nil
	}
	z, err := time.LoadLocation(s)
	if err != nil {
		return nil, usageError("invalid --log-tz %q: want an IANA time zone such as Europe/Paris, UTC or Local", s)
	}
	return z, nil
}
