package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/whymail/whymail/report"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version from the build info is used.
var version = ""

// versionInfo is `whymail version --format json`.
type versionInfo struct {
	Schema  string `json:"schema"`
	Version string `json:"version"`
	Go      string `json:"go"`
}

func newVersion(e *env) *cobra.Command {
	var out outputOptions
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of whymail",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			v := versionString()
			if out.format == "json" {
				return report.WriteJSON(e.stdout, versionInfo{Schema: "whymail.version/v1", Version: v, Go: runtime.Version()})
			}
			_, err := fmt.Fprintf(e.stdout, "whymail %s\n", v)
			return err
		},
	}
	out.bind(cmd.Flags(), "text", "json")
	return cmd
}

// versionString is the version of this binary: set at build time, the
// module version, or "(devel)".
func versionString() string {
	v := version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	return v
}
