package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/miekg/dns"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
	"golang.org/x/net/idna"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/dnsbl"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/report"
	"github.com/whymail/whymail/source"
)

// outputOptions are the flags every command has for its output.
type outputOptions struct {
	format  string
	formats []string
	noColor bool
	trace   bool
}

func (o *outputOptions) bind(fs *pflag.FlagSet, formats ...string) {
	o.formats = formats
	fs.StringVar(&o.format, "format", formats[0], "output format: "+strings.Join(formats, ", "))
	_ = fs.SetAnnotation("format", valuesAnnotation, formats)
}

// bindColor adds --no-color, for commands whose text output has colour.
func (o *outputOptions) bindColor(fs *pflag.FlagSet) {
	fs.BoolVar(&o.noColor, "no-color", false, "no colour in text output (also NO_COLOR, and when stdout is not a terminal)")
}

func (o *outputOptions) validate() error {
	if !slices.Contains(o.formats, o.format) {
		return usageError("unknown --format %q: want one of %s", o.format, strings.Join(o.formats, ", "))
	}
	return nil
}

// style decides colour once for the command: only for a terminal, never
// with --no-color or NO_COLOR (https://no-color.org).
func (o *outputOptions) style(e *env) report.Style {
	if o.noColor || e.getenv("NO_COLOR") != "" || e.getenv("TERM") == "dumb" {
		return report.Style{}
	}
	f, ok := e.stdout.(*os.File)
	if !ok || !(isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) {
		return report.Style{}
	}
	return report.Style{Color: true}
}

// dnsblHelp describes --dnsbl, naming the default lists.
var dnsblHelp = "a DNS blocklist to query, ZONE (an IP list) or domain:ZONE (a domain list) (repeatable; default: " +
	dnsblDefaults() + ")"

func dnsblDefaults() string {
	var zones []string
	for _, l := range dnsbl.Defaults {
		zones = append(zones, l.Zone)
	}
	return strings.Join(zones, ", ")
}

// dnsOptions say where DNS answers come from.
type dnsOptions struct {
	zones       []string
	servers     []string
	timeout     time.Duration
	concurrency int
	// answers, when set, answers instead of zones or the network: a test's.
	answers lookup.Resolver
}

func (o *dnsOptions) bind(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.zones, "zone", nil, "answer DNS for the names of this RFC 1035 zone file from it (repeatable); alone, fully offline; with --dns, other names come from that server")
	fs.StringArrayVar(&o.servers, "dns", nil, "ask this DNS server, HOST:PORT, or \"system\" for those of /etc/resolv.conf (repeatable; default: system, unless --zone)")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Second, "longest wait of one DNS query attempt (earlier retries wait less)")
	fs.IntVar(&o.concurrency, "dns-concurrency", lookup.DefaultMaxInFlight, "most DNS questions in flight at once, halved while questions go unanswered (0: the default; lower it for a resolver that limits a client's rate)")
	markPath(fs, "zone")
}

// offline reports whether the run answers DNS from zone files alone.
func (o *dnsOptions) offline() bool { return len(o.zones) > 0 && len(o.servers) == 0 }

// resolver builds the run's DNS (see build).
func (o *dnsOptions) resolver() (*lookup.Cache, error) {
	c, _, err := o.build()
	return c, err
}

// build builds the run's DNS behind one cache that merges identical
// questions and keeps the trace (see backend). With zones it also returns
// them, for where records came from.
func (o *dnsOptions) build() (*lookup.Cache, *lookup.Zones, error) {
	r, z, err := o.source()
	if err != nil {
		return nil, nil, err
	}
	return lookup.NewCache(r), z, nil
}

// backend is where DNS answers come from, without a cache of the run: the
// server puts its own shared cache in front of it.
func (o *dnsOptions) backend() (lookup.Resolver, error) {
	r, _, err := o.source()
	return r, err
}

// source is where DNS answers come from: zone files alone (offline), the
// network, or both (names in a loaded zone from its file, the rest from
// the network), and the zones loaded.
func (o *dnsOptions) source() (lookup.Resolver, *lookup.Zones, error) {
	if o.timeout <= 0 {
		return nil, nil, usageError("--timeout must be positive, got %s", o.timeout)
	}
	if o.concurrency < 0 {
		return nil, nil, usageError("--dns-concurrency must be at least 1 (0: the default), got %d", o.concurrency)
	}
	if o.answers != nil {
		return o.answers, nil, nil
	}
	var zones *lookup.Zones
	if len(o.zones) > 0 {
		z, err := lookup.LoadZoneFiles(o.zones...)
		if err != nil {
			return nil, nil, &exitError{code: ExitUsage, err: fmt.Errorf("--zone %w", err)}
		}
		if len(o.servers) == 0 {
			return z, z, nil
		}
		zones = z
	}
	n, err := o.network()
	if err != nil {
		return nil, nil, err
	}
	n.Timeout, n.MaxInFlight = o.timeout, o.concurrency
	if zones != nil {
		return &lookup.Split{Zones: zones, Rest: n}, zones, nil
	}
	return n, nil, nil
}

// network builds the resolver of --dns: the servers given, or the system's
// ("system", or no --dns at all).
func (o *dnsOptions) network() (*lookup.Network, error) {
	var servers []string
	system := len(o.servers) == 0
	for _, srv := range o.servers {
		if srv == "system" {
			system = true
			continue
		}
		if err := checkServer(srv); err != nil {
			return nil, err
		}
		servers = append(servers, srv)
	}
	if system {
		sys, err := lookup.FromResolvConf("/etc/resolv.conf")
		if err != nil {
			if len(servers) == 0 {
				return nil, &exitError{code: ExitFailed, err: fmt.Errorf("%v (give --dns HOST:PORT or --zone FILE)", err)}
			}
		} else {
			servers = append(servers, sys.Servers...)
		}
	}
	n, err := lookup.NewNetwork(servers...)
	if err != nil {
		return nil, usageError("--dns: %v", err)
	}
	return n, nil
}

// outsideZones returns the first of domains that no loaded zone holds when
// the zones are the only DNS: nothing could answer for it, which is a
// mistake of the command line, not a DNS failure to retry.
func (o *dnsOptions) outsideZones(z *lookup.Zones, domains []string) error {
	if !o.offline() || z == nil {
		return nil
	}
	for _, d := range domains {
		ascii := d
		if a, err := idna.Lookup.ToASCII(d); err == nil {
			ascii = a
		}
		if !z.Holds(ascii) {
			return usageError("%s is in no zone given with --zone (%s): give its zone file, or --dns HOST:PORT (or --dns system) to ask a server for the names outside the files",
				d, strings.Join(trimDots(z.Origins()), ", "))
		}
	}
	return nil
}

func trimDots(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimSuffix(n, ".")
	}
	return out
}

// checkServer requires --dns to name a server by IP address (with an
// optional port): a name would need a resolver to find the resolver.
func checkServer(s string) error {
	host := s
	if h, _, err := net.SplitHostPort(s); err == nil {
		host = h
	}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil {
		return usageError("--dns %q: want an IP address, with an optional port (192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53)", s)
	}
	return nil
}

// traceOf turns the cache's exchanges into the report's trace.
func traceOf(c *lookup.Cache) []report.TraceExchange {
	var out []report.TraceExchange
	for _, x := range c.Trace() {
		t := report.TraceExchange{Question: x.Question.String(), Status: string(x.Status),
			MS: float64(x.Duration.Microseconds()) / 1000, Shared: x.Shared}
		if x.Err != nil {
			t.Error = x.Err.Error()
		}
		if x.Answer != nil {
			t.Server = x.Answer.Server
			for _, rr := range x.Answer.Records {
				t.Records = append(t.Records, strings.ReplaceAll(rr.String(), "\t", " "))
			}
		}
		out = append(out, t)
	}
	return out
}

// pathAnnotation marks flags naming files, so that paths in a --config file
// are taken relative to that file.
const pathAnnotation = "whymail_path"

func markPath(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		_ = fs.SetAnnotation(n, pathAnnotation, []string{"true"})
	}
}

// pathKeysAnnotation marks flags whose LOG=VALUE entries (and mapping
// keys, in a --config file) name files, taken relative to that file.
const pathKeysAnnotation = "whymail_path_keys"

func markPathKeys(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		_ = fs.SetAnnotation(n, pathKeysAnnotation, []string{"true"})
	}
}

// bindConfig adds --config to cmd.
func bindConfig(fs *pflag.FlagSet, path *string) {
	fs.StringVar(path, "config", "", "YAML file of settings: keys are flag names (sender, sending-ip, users, log, zone, ...); flags override it")
}

// maxConfig bounds a --config file. A config holds a few dozen settings;
// YAML takes many times a document's size in memory, so the bound is low.
const maxConfig = 1 << 20

// applyConfig reads the YAML config and sets every flag the command line
// did not set. Keys are the flags' long names; lists set repeatable flags.
// The YAML parser itself decodes UTF-16 with a byte order mark.
func applyConfig(cmd *cobra.Command, path string) error {
	if path == "" {
		return nil
	}
	data, err := readConfig(path)
	if le := (*textinput.LimitError)(nil); errors.As(err, &le) {
		return usageError("--config %s: %v", path, err)
	} else if err != nil {
		return usageError("--config: %v", err)
	}
	var settings map[string]any
	if err := yaml.Unmarshal(data, &settings); err != nil {
		return usageError("--config %s: %v", path, err)
	}
	fs := cmd.Flags()
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if key == acceptKey {
			continue // read by the commands that accept findings (accept.go)
		}
		fl := fs.Lookup(key)
		if fl == nil && knownSetting(cmd.Root(), key) {
			continue // a setting of another command: one file serves them all
		}
		if fl == nil || key == "config" {
			return usageError("--config %s: unknown setting %q (settings are the flag names of whymail's commands)", path, key)
		}
		if fl.Changed {
			continue // the command line wins
		}
		pathKeys := len(fl.Annotations[pathKeysAnnotation]) > 0
		if mf, ok := fl.Value.(mapFlag); ok {
			if m, ok := settings[key].(map[string]any); ok {
				if pathKeys {
					rel := make(map[string]any, len(m))
					for k, v := range m {
						rel[configPath(filepath.Dir(path), k)] = v
					}
					m = rel
				}
				if err := mf.SetMap(m); err != nil {
					return usageError("--config %s: %s: %v", path, key, err)
				}
				continue
			}
		}
		values, err := configValues(settings[key])
		if err != nil {
			return usageError("--config %s: %s: %v", path, key, err)
		}
		for _, v := range values {
			if v, err = expandEnv(v); err != nil {
				return usageError("--config %s: %s: %v", path, key, err)
			}
			if len(fl.Annotations[pathAnnotation]) > 0 {
				v = configPath(filepath.Dir(path), v)
			}
			if i := strings.LastIndexByte(v, '='); pathKeys && i >= 0 {
				v = configPath(filepath.Dir(path), v[:i]) + v[i:]
			}
			if err := fs.Set(key, v); err != nil {
				// The value may hold a secret from the environment.
				return usageError("--config %s: %s: %v", path, key, redactValue(err, v))
			}
		}
	}
	return nil
}

// expandEnv replaces each ${NAME} in a config value with the environment
// variable NAME, so that secrets stay out of the file; $${ is a literal
// ${. A bare $ is left alone ($1 in an SQL query). An unset variable is
// an error: an empty password would fail later and less clearly.
func expandEnv(v string) (string, error) {
	if !strings.Contains(v, "${") {
		return v, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			b.WriteString(v)
			return b.String(), nil
		}
		if i > 0 && v[i-1] == '$' {
			b.WriteString(v[:i-1] + "${")
			v = v[i+2:]
			continue
		}
		end := strings.IndexByte(v[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unclosed ${ (write $${ for a literal ${)")
		}
		name := v[i+2 : i+end]
		if !envName(name) {
			return "", fmt.Errorf("${%s} is not an environment variable name", textinput.Clip(name))
		}
		val, ok := os.LookupEnv(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		b.WriteString(v[:i] + val)
		v = v[i+end+1:]
	}
}

func envName(s string) bool {
	for i, c := range s {
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// configPath takes a path in a config file relative to the file's
// directory: a plain path, file:PATH and sqlite:PATH. Other specs (URLs,
// provider names) are not paths and stay as they are.
func configPath(dir, v string) string {
	rel := func(p string) string {
		if p == "-" || p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	if !remote(v) {
		if rest, ok := strings.CutPrefix(v, "file:"); ok {
			return "file:" + rel(rest)
		}
		return rel(v)
	}
	if rest, ok := strings.CutPrefix(v, "sqlite:"); ok && !strings.HasPrefix(rest, "//") {
		return "sqlite:" + rel(rest)
	}
	return v
}

// redactValue removes v, a config value that may hold a secret, from err,
// and the secret parts of v as a spec.
func redactValue(err error, v string) string {
	msg := err.Error()
	if v != "" {
		msg = strings.ReplaceAll(msg, v, source.Redact(v))
	}
	return msg
}

// readConfig reads the file at path, up to maxConfig bytes.
func readConfig(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return textinput.ReadAll(f, maxConfig, "config file")
}

// knownSetting reports whether any command has a flag named key.
func knownSetting(c *cobra.Command, key string) bool {
	if c.Flags().Lookup(key) != nil {
		return true
	}
	for _, sub := range c.Commands() {
		if knownSetting(sub, key) {
			return true
		}
	}
	return false
}

func configValues(v any) ([]string, error) {
	switch v := v.(type) {
	case []any:
		var out []string
		for _, x := range v {
			s, err := configValues(x)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
		return out, nil
	case map[string]any:
		return nil, fmt.Errorf("want a value or a list, got a mapping")
	case nil:
		return nil, nil
	case time.Time:
		return []string{v.Format(time.RFC3339)}, nil
	}
	return []string{fmt.Sprint(v)}, nil
}

// runChecks runs set for t with the run's DNS, and says whether any check
// failed (exit 3). Bad input comes back as an exit-2 error.
func runChecks(ctx context.Context, cache *lookup.Cache, set []*checks.Check, t *checks.Ticket) (*checks.Result, error) {
	runner := &checks.Runner{DNS: cache}
	res, err := runner.Run(ctx, set, t)
	if err != nil {
		if checks.IsInputError(err) {
			return nil, &exitError{code: ExitUsage, err: err}
		}
		return nil, err
	}
	return res, nil
}

// parseAt reads --at; empty means now.
func parseAt(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageError("invalid --at %q: want an RFC 3339 time such as 2026-11-22T10:00:00Z", s)
	}
	return t, nil
}

// domainName checks a domain argument's syntax before DNS is asked.
func domainName(s string) (string, error) {
	d := strings.TrimSuffix(strings.TrimSpace(s), ".")
	if d == "" {
		return "", usageError("empty domain")
	}
	if _, ok := dns.IsDomainName(d); !ok || strings.ContainsAny(d, " @/") {
		return "", usageError("%q is not a domain name", s)
	}
	return d, nil
}

// openInput opens the list of --input: "-" is standard input, "" none. It
// returns the reader (nil for none), the name errors give for it, and what
// closes it. An input that cannot be opened is a usage error.
func (e *env) openInput(path string) (io.Reader, string, func(), error) {
	switch path {
	case "":
		return nil, "stdin", func() {}, nil
	case "-":
		return e.stdin, "stdin", func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, path, nil, usageError("--input: %v", err)
	}
	return f, path, func() { f.Close() }, nil
}
