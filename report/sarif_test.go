package report

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/whymail/whymail/checks"
)

func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-2.1.0-subset.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSARIF(t *testing.T) {
	l := NewLint(checks.Error, false)
	l.Accept = []Acceptance{{ID: "dmarc.policy-none", Reason: "ramping up"}}
	l.Locate = func(domain string, f checks.Finding) *Location {
		if f.Record == "spf" {
			return &Location{File: "zones/example.com.zone", Line: 6}
		}
		return nil
	}
	l.ToolVersion = "v1.2.3"
	l.Add("example.com", result(
		checks.Finding{ID: "spf.too-many-lookups", Check: "spf", Record: "spf", Severity: checks.Error, Message: "SPF needs 11 lookups"},
		checks.Finding{ID: "spf.lookups", Check: "spf", Record: "spf", Severity: checks.OK, Message: "fine"},
		checks.Finding{ID: "dmarc.policy-none", Check: "dmarc", Record: "dmarc", Severity: checks.Warning, Message: "p=none"},
		checks.Finding{ID: "bimi.missing", Check: "bimi", Record: "bimi", Severity: checks.Info, Message: "no BIMI"},
	))
	var buf bytes.Buffer
	if err := LintSARIF(&buf, l); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sarifSchema(t).Validate(inst); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %v\n%s", err, buf.String())
	}
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != 3 {
		t.Fatalf("%d results, want 3 (ok findings are not results)", len(run.Results))
	}
	for _, r := range run.Results {
		if rule := run.Tool.Driver.Rules[r.RuleIndex]; rule.ID != r.RuleID {
			t.Errorf("result %s points at rule %d, %s", r.RuleID, r.RuleIndex, rule.ID)
		}
		if len(r.Locations) == 0 || len(r.Locations[0].LogicalLocations) == 0 {
			t.Errorf("result %s has no location", r.RuleID)
		}
	}
	if r := run.Tool.Driver.Rules[0]; !strings.Contains(r.ShortDescription.Text, "more than 10 DNS lookups") || r.Help == nil || !strings.HasPrefix(r.Help.Text, "Fix: ") {
		t.Errorf("rule %s: description %q, help %v; want docs/findings.md's meaning and fix", r.ID, r.ShortDescription.Text, r.Help)
	}
	spf := run.Results[0]
	if spf.Level != "error" || spf.Locations[0].PhysicalLocation == nil ||
		spf.Locations[0].PhysicalLocation.ArtifactLocation.URI != "zones/example.com.zone" ||
		spf.Locations[0].PhysicalLocation.Region.StartLine != 6 {
		t.Errorf("spf result = %+v, want an error at zones/example.com.zone:6", spf)
	}
	if d := run.Results[1]; d.Level != "warning" || len(d.Suppressions) != 1 || d.Suppressions[0].Status != "accepted" {
		t.Errorf("dmarc result = %+v, want an accepted suppression", d)
	}
	if b := run.Results[2]; b.Level != "note" {
		t.Errorf("bimi result level %q, want note", b.Level)
	}
	// The schema catches what the standard requires.
	bad, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"ruleId": "x"}]}]}`)))
	if sarifSchema(t).Validate(bad) == nil {
		t.Error("the SARIF schema accepts a log without driver name and result message")
	}
}
