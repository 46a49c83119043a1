package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/report"
)

// acceptKey is the config setting that lists accepted findings. It is not
// a flag: its entries are mappings (id, domain, reason, expires).
const acceptKey = "accept"

// acceptOptions are what `domain` accepts without failing: the config's
// accepted findings and an earlier run given with --baseline.
type acceptOptions struct {
	baseline string
}

func (o *acceptOptions) bind(fs *pflag.FlagSet) {
	fs.StringVar(&o.baseline, "baseline", "", "an earlier `whymail domain --format json` output: only findings it does not have reach --fail-on")
	markPath(fs, "baseline")
}

// load reads the accepted findings of the config file and the baseline.
func (o *acceptOptions) load(config string) ([]report.Acceptance, *report.Baseline, error) {
	acc, err := readAccepted(config)
	if err != nil {
		return nil, nil, err
	}
	if o.baseline == "" {
		return acc, nil, nil
	}
	f, err := os.Open(o.baseline)
	if err != nil {
		return nil, nil, usageError("--baseline: %v", err)
	}
	defer f.Close()
	b, err := report.ReadBaseline(f, o.baseline)
	if err != nil {
		return nil, nil, usageError("--baseline %s: %v", o.baseline, err)
	}
	return acc, b, nil
}

// readAccepted reads the accept: list of a config file. An entry is a
// finding ID, or a mapping with id and, optionally, domain, reason and
// expires (a date, YYYY-MM-DD: the last day the acceptance holds).
func readAccepted(path string) ([]report.Acceptance, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("--config: %v", err)
	}
	var doc struct {
		Accept []yaml.Node `yaml:"accept"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, usageError("--config %s: %v", path, err)
	}
	var out []report.Acceptance
	for _, n := range doc.Accept {
		bad := func(format string, args ...any) error {
			return usageError("--config %s:%d: accept: %s", path, n.Line, fmt.Sprintf(format, args...))
		}
		var a report.Acceptance
		switch n.Kind {
		case yaml.ScalarNode:
			a.ID = n.Value
		case yaml.MappingNode:
			var e struct {
				ID      string `yaml:"id"`
				Domain  string `yaml:"domain"`
				Reason  string `yaml:"reason"`
				Expires string `yaml:"expires"`
			}
			if err := n.Decode(&e); err != nil {
				return nil, bad("%v", err)
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				switch k := n.Content[i].Value; k {
				case "id", "domain", "reason", "expires":
				default:
					return nil, bad("unknown key %q (want id, domain, reason, expires)", k)
				}
			}
			a = report.Acceptance{ID: e.ID, Domain: strings.TrimSuffix(e.Domain, "."), Reason: e.Reason}
			if e.Expires != "" {
				t, err := time.Parse(time.DateOnly, e.Expires)
				if err != nil {
					return nil, bad("expires %q: want a date such as 2027-03-31", e.Expires)
				}
				a.Expires = t
			}
		default:
			return nil, bad("want a finding ID or a mapping with id, domain, reason, expires")
		}
		if a.ID == "" {
			return nil, bad("an entry without id")
		}
		if !checks.Declared(a.ID) {
			return nil, bad("%q is not a finding ID (docs/findings.md lists them)", a.ID)
		}
		out = append(out, a)
	}
	return out, nil
}
