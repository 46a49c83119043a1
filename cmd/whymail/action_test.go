package main

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestAction checks the composite GitHub Action at the repository root:
// it installs the released binary and runs its domain command with flags
// the command has.
func TestAction(t *testing.T) {
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Name   string
		Inputs map[string]struct {
			Required bool
			Default  string
		}
		Runs struct {
			Using string
			Steps []struct {
				Name, Shell, Run string
			}
		}
	}
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	if a.Runs.Using != "composite" || len(a.Runs.Steps) != 2 {
		t.Fatalf("runs.using %q with %d steps, want a composite action of 2", a.Runs.Using, len(a.Runs.Steps))
	}
	if !a.Inputs["domains"].Required {
		t.Error("input domains is not required")
	}
	install, lint := a.Runs.Steps[0].Run, a.Runs.Steps[1].Run
	if !strings.Contains(install, "releases/latest/download/whymail_") || !strings.Contains(install, "releases/download/${WHYMAIL_VERSION}/") {
		t.Error("the action does not install a released binary")
	}
	root := newRoot(&env{getenv: os.Getenv})
	domain, _, err := root.Find([]string{"domain"})
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"fail-on", "zone", "dns", "config", "baseline", "format"} {
		if !strings.Contains(lint, "--"+flag) {
			t.Errorf("the action does not pass --%s", flag)
		}
		if domain.Flags().Lookup(flag) == nil {
			t.Errorf("the action passes --%s, which whymail domain does not have", flag)
		}
	}
	for _, f := range []string{"--format github", "--format sarif"} {
		if !strings.Contains(lint, "whymail domain $DOMAINS \"${flags[@]}\" $ARGS "+f) {
			t.Errorf("the action does not run whymail domain with %s", f)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "gl-code-quality") && !strings.Contains(string(readme), ".gitlab-ci.yml") {
		t.Error("the README has no GitLab CI snippet")
	}
}
