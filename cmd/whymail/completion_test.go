package main

import (
	"bytes"
	"strings"
	"testing"
)

func complete(t *testing.T, args ...string) []string {
	t.Helper()
	var out, errb bytes.Buffer
	Main(append([]string{"__complete"}, args...), strings.NewReader(""), &out, &errb)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines
}

func TestCompletion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"domain", "--format", ""}, []string{"text", "json", "github", "markdown", "sarif", ":4"}},
		{[]string{"domain", "--format", "s"}, []string{"sarif", ":4"}},
		{[]string{"domain", "--fail-on", ""}, []string{"error", "warning", "info", "never", ":4"}},
		{[]string{"diagnose", "--format", ""}, []string{"text", "json", "markdown", ":4"}},
		{[]string{"diagnose", "--probe", ""}, []string{"smtp", ":4"}},
		{[]string{"domain", "--dns", ""}, []string{"system", ":4"}},
		{[]string{"version", "--format", ""}, []string{"text", "json", ":4"}},
	} {
		got := complete(t, tc.args...)
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("complete %v = %q, want %q", tc.args, got, tc.want)
		}
	}
}
