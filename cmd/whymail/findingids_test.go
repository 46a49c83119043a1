package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/whymail/whymail/checks"
)

// documentedIDs reads the finding IDs listed in docs/findings.md.
func documentedIDs(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../../docs/findings.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9.-]+)` \\|")
	var ids []string
	for _, m := range row.FindAllStringSubmatch(string(data), -1) {
		ids = append(ids, m[1])
	}
	slices.Sort(ids)
	return ids
}

// TestFindingIDsDocumented checks that docs/findings.md lists exactly the
// finding IDs the code declares, each once.
func TestFindingIDsDocumented(t *testing.T) {
	doc := documentedIDs(t)
	if len(doc) == 0 {
		t.Fatal("docs/findings.md lists no IDs")
	}
	if c := slices.Compact(slices.Clone(doc)); len(c) != len(doc) {
		t.Errorf("docs/findings.md lists an ID twice")
	}
	code := checks.IDs()
	for _, id := range code {
		if _, ok := slices.BinarySearch(doc, id); !ok {
			t.Errorf("finding ID %s is declared in code but not documented in docs/findings.md", id)
		}
	}
	for _, id := range doc {
		if !checks.Declared(id) {
			t.Errorf("docs/findings.md lists %s, which no code declares", id)
		}
	}
}

// TestScriptDomainFindingsHaveIDs lints every zone of the script suite, as
// the scripts' domain runs do (offline, with a sending IP and a selector so
// that evaluation and key findings appear too), and checks that every
// finding reported has a declared, documented ID.
func TestScriptDomainFindingsHaveIDs(t *testing.T) {
	doc := documentedIDs(t)
	seen := map[string]bool{}
	runs := 0
	scriptZones(t, func(origin string, zones []string) {
		args := []string{"domain", origin, "--format", "json", "--fail-on", "never",
			"--sending-ip", "192.0.2.25", "--dkim-selector", "s1", "--timeout", "200ms"}
		for _, z := range zones {
			args = append(args, "--zone", z)
		}
		var out, errb bytes.Buffer
		if code := Main(args, strings.NewReader(""), &out, &errb); code == ExitUsage {
			return // a zone that does not load: the script's point
		}
		runs++
		var doc struct {
			Domains []struct {
				Groups []struct {
					Findings []struct {
						ID, Check, Message string
					} `json:"findings"`
				} `json:"records"`
			} `json:"domains"`
		}
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("%s: %v", origin, err)
		}
		for _, d := range doc.Domains {
			for _, g := range d.Groups {
				for _, f := range g.Findings {
					switch {
					case f.ID == "":
						t.Errorf("domain %s: finding of %s without an ID: %s", origin, f.Check, f.Message)
					case !checks.Declared(f.ID):
						t.Errorf("domain %s: finding ID %s is not declared", origin, f.ID)
					}
					seen[f.ID] = true
				}
			}
		}
	})
	if runs < 20 {
		t.Errorf("only %d domain runs over the scripts' zones", runs)
	}
	for id := range seen {
		if _, ok := slices.BinarySearch(doc, id); !ok && id != "" {
			t.Errorf("finding ID %s reported but not documented", id)
		}
	}
	t.Logf("%d domain runs, %d distinct IDs reported", runs, len(seen))
}

// scriptZones calls f for every zone of the script suite, with its origin
// and all the zone files of its script.
func scriptZones(t *testing.T, f func(origin string, zones []string)) {
	t.Helper()
	scripts, err := filepath.Glob("testdata/script/*.txtar")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, script := range scripts {
		ar, err := txtar.ParseFile(script)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		var zones []string
		for _, file := range ar.Files {
			if !strings.HasSuffix(file.Name, ".zone") {
				continue
			}
			p := filepath.Join(dir, filepath.Base(file.Name))
			if err := os.WriteFile(p, file.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			zones = append(zones, p)
		}
		for _, z := range zones {
			if origin := originOf(z); origin != "" {
				f(origin, zones)
			}
		}
	}
}

// originOf returns a zone file's $ORIGIN without the final dot, or "".
func originOf(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.EqualFold(f[0], "$ORIGIN") {
			return strings.TrimSuffix(f[1], ".")
		}
	}
	return ""
}
