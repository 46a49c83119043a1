package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// valuesAnnotation lists the values of a flag that takes one of a closed
// set, for shell completion.
const valuesAnnotation = "whymail_values"

// flagValues are the closed sets of flags that every command names alike.
var flagValues = map[string][]string{
	"fail-on": {"error", "warning", "info", "never"},
	"probe":   probeKinds,
	"dns":     {"system"},
}

// registerCompletions makes the shell complete the values of closed-set
// flags (--format, --fail-on, --probe, ...) instead of file names, on
// every command.
func registerCompletions(c *cobra.Command) {
	c.Flags().VisitAll(func(f *pflag.Flag) {
		values := f.Annotations[valuesAnnotation]
		if values == nil {
			values = flagValues[f.Name]
		}
		if values == nil {
			return
		}
		described := make([]string, len(values))
		copy(described, values)
		_ = c.RegisterFlagCompletionFunc(f.Name, func(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
			var out []string
			for _, v := range described {
				if strings.HasPrefix(v, prefix) {
					out = append(out, v)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		})
	})
	for _, sub := range c.Commands() {
		registerCompletions(sub)
	}
}
