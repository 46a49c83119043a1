package report

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path/filepath"

	"strings"

	"github.com/whymail/whymail/checks"
)

// SARIF 2.1.0 (OASIS), for code scanning: one result a finding of
// severity info or worse, its rule the finding ID. A finding about a record
// read from a zone file points at the file and line; every result also
// names the domain and record as a logical location.

// SARIFSchema is the schema URI of the documents LintSARIF writes.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// FindingsDoc is where the finding IDs are documented, the help of each rule.
const FindingsDoc = "https://github.com/whymail/whymail/blob/main/docs/findings.md"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

// findingDoc is what docs/findings.md says of a finding ID.
type findingDoc struct{ Meaning, Fix string }

type sarifRule struct {
	ID                   string        `json:"id"`
	Name                 string        `json:"name"`
	ShortDescription     sarifMessage  `json:"shortDescription"`
	Help                 *sarifMessage `json:"help,omitempty"`
	HelpURI              string        `json:"helpUri"`
	DefaultConfiguration sarifConfig   `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool `json:"executionSuccessful"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifMessage       `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

// sarifLevel maps a severity to a SARIF level ("" for ok: not a result).
func sarifLevel(s checks.Severity) string {
	switch s {
	case checks.Error:
		return "error"
	case checks.Warning:
		return "warning"
	case checks.Info:
		return "note"
	}
	return ""
}

// LintSARIF writes the lint as a SARIF 2.1.0 log.
func LintSARIF(w io.Writer, l *Lint) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "whymail", InformationURI: "https://github.com/whymail/whymail",
			Version: l.ToolVersion, Rules: []sarifRule{}}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: !l.Incomplete}},
		Results:     []sarifResult{},
	}
	ruleIndex := map[string]int{}
	for _, d := range l.Domains {
		for _, g := range d.Groups {
			for _, f := range g.Findings {
				level := sarifLevel(f.Severity)
				if level == "" {
					continue
				}
				id := f.ID
				if id == "" {
					id = f.Check + ".finding"
				}
				i, ok := ruleIndex[id]
				if !ok {
					i = len(run.Tool.Driver.Rules)
					ruleIndex[id] = i
					rule := sarifRule{
						ID: id, Name: ruleName(id),
						ShortDescription:     sarifMessage{Text: "whymail finding " + id + " (" + f.Check + ")"},
						HelpURI:              FindingsDoc,
						DefaultConfiguration: sarifConfig{Level: level},
					}
					if doc, ok := findingDocs[id]; ok {
						rule.ShortDescription.Text = doc.Meaning
						if doc.Fix != "" && doc.Fix != "—" {
							rule.Help = &sarifMessage{Text: "Fix: " + doc.Fix}
						}
					}
					run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rule)
				}
				loc := sarifLocation{LogicalLocations: []sarifLogical{{
					Name: g.Record, FullyQualifiedName: d.Domain + "/" + g.Record, Kind: "resource"}}}
				if f.Location != nil {
					ph := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(f.Location.File)}}
					if f.Location.Line > 0 {
						ph.Region = &sarifRegion{StartLine: f.Location.Line}
					}
					loc.PhysicalLocation = ph
				}
				sum := sha256.Sum256([]byte(d.Domain + "\x00" + id + "\x00" + f.Message))
				r := sarifResult{RuleID: id, RuleIndex: i, Level: level, Message: sarifMessage{Text: f.Message},
					Locations:           []sarifLocation{loc},
					PartialFingerprints: map[string]string{"whymail/v1": hex.EncodeToString(sum[:16])},
					Properties:          map[string]any{"domain": d.Domain, "check": f.Check},
				}
				if f.Accepted != nil {
					r.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: acceptedText(f)}}
				}
				run.Results = append(run.Results, r)
			}
		}
	}
	return WriteJSON(w, sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

// ruleName turns an ID into the PascalCase name SARIF rules carry:
// spf.too-many-lookups -> SpfTooManyLookups.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '.' || r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// artifactURI writes a file path as a SARIF artifact URI: relative paths
// stay relative (to the repository, as code scanning wants them), with
// forward slashes; absolute ones become file: URIs.
func artifactURI(path string) string {
	p := filepath.ToSlash(path)
	if filepath.IsAbs(path) {
		return "file://" + p
	}
	return strings.TrimPrefix(p, "./")
}
