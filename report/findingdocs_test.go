package report

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestFindingDocs keeps findingdocs.go, the meanings and fixes SARIF rules
// carry, in step with docs/findings.md; -update regenerates it.
func TestFindingDocs(t *testing.T) {
	data, err := os.ReadFile("../docs/findings.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9.-]+)` \\| (.*) \\| (.*) \\|$")
	var b bytes.Buffer
	b.WriteString("// Code generated from docs/findings.md by TestFindingDocs -update; DO NOT EDIT.\n\npackage report\n\n")
	b.WriteString("// findingDocs is the meaning and fix of each finding ID, as docs/findings.md\n// gives them, for SARIF rules.\n")
	b.WriteString("var findingDocs = map[string]findingDoc{\n")
	n := 0
	for _, m := range row.FindAllStringSubmatch(string(data), -1) {
		unescape := func(s string) string { return strings.ReplaceAll(s, `\|`, "|") }
		fmt.Fprintf(&b, "\t%q: {%q, %q},\n", m[1], unescape(m[2]), unescape(m[3]))
		n++
	}
	b.WriteString("}\n")
	want, err := format.Source(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("findingdocs.go", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("findingdocs.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("findingdocs.go is not docs/findings.md's (go test ./report -run TestFindingDocs -update)")
	}
	if n != len(findingDocs) {
		t.Errorf("%d rows in docs/findings.md, %d in findingDocs", n, len(findingDocs))
	}
}
