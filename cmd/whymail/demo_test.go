package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs the README's first command, and the other demo tickets it
// mentions, on testdata/demo: each must exit 0 with the expected top cause.
// The full text report of each is a golden file.
func TestDemo(t *testing.T) {
	config := filepath.Join("..", "..", "testdata", "demo", "whymail.yaml")
	tests := []struct {
		args []string
		top  string
	}{
		{[]string{"alice@gmial.com"}, "address-typo"},
		{[]string{"bob@corp.example"}, "corporate-filter"},
		{[]string{"carol@example.org"}, "account-inactive"},
		{[]string{"dave@example.org"}, "account-locked"},
		{[]string{"nobody@example.org"}, "no-account"},
		{[]string{"someone@nomail.example.org"}, "domain-no-mail"},
		{[]string{"erin@example.org", "--user", "u5"}, "wrong-inbox"},
		{[]string{"frank@example.org"}, "link-expired"},
	}
	for _, tt := range tests {
		name := strings.SplitN(tt.args[0], "@", 2)[0]
		t.Run(name, func(t *testing.T) {
			args := append([]string{"diagnose", "--config", config}, tt.args...)
			var out, errb bytes.Buffer
			if code := Main(append(args, "--format", "json"), nil, &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			var doc struct {
				Causes []struct{ ID, Verdict string } `json:"causes"`
			}
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if got := doc.Causes[0].ID; got != tt.top {
				t.Errorf("top cause %s (%s), want %s", got, doc.Causes[0].Verdict, tt.top)
			}
			out.Reset()
			if code := Main(args, nil, &out, &errb); code != 0 {
				t.Fatalf("text: exit %d: %s", code, errb.String())
			}
			goldenFile(t, filepath.Join("testdata", "demo", name+".txt"), out.Bytes())
		})
	}
}

// goldenFile compares got with the file at path; -update rewrites it, and a
// difference writes path.got beside it so that updating is one mv.
func goldenFile(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(path+".got", got, 0o644)
		t.Errorf("output differs from %s; see %s.got", path, path)
	}
}
