package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const schemaBase = "https://github.com/whymail/whymail/docs/schema/"

// schemas compiles the JSON Schemas of docs/schema.
func schemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	files, err := filepath.Glob("../../docs/schema/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := c.AddResource(schemaBase+filepath.Base(f), doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, name := range []string{"diagnose", "domain", "address", "bounce", "version"} {
		s, err := c.Compile(schemaBase + name + ".json")
		if err != nil {
			t.Fatalf("%s.json: %v", name, err)
		}
		out[name] = s
	}
	return out
}

// validate checks every JSON document in out (one, or one a line)
// against the schema of its command.
func validate(t *testing.T, s *jsonschema.Schema, what string, out []byte) int {
	t.Helper()
	n := 0
	var docs [][]byte
	if bytes.HasPrefix(bytes.TrimSpace(out), []byte("{\n")) {
		docs = [][]byte{out}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
				docs = append(docs, append([]byte(nil), line...))
			}
		}
	}
	for _, d := range docs {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(d))
		if err != nil {
			t.Errorf("%s: not JSON: %v\n%s", what, err, d)
			continue
		}
		if err := s.Validate(inst); err != nil {
			t.Errorf("%s: does not match its schema: %v", what, err)
			continue
		}
		n++
	}
	return n
}

// TestJSONSchemas validates real output of every command against the
// schemas in docs/schema: the domain lint, a diagnosis and address checks
// over every zone of the script suite (with --trace, accepted findings and
// zone locations), bounces over the bounce test messages, and the version.
func TestJSONSchemas(t *testing.T) {
	sch := schemas(t)
	counts := map[string]int{}
	run := func(kind string, args ...string) {
		var out, errb bytes.Buffer
		code := Main(args, strings.NewReader(""), &out, &errb)
		if code == ExitUsage {
			return
		}
		counts[kind] += validate(t, sch[kind], strings.Join(args, " "), out.Bytes())
	}
	dir := t.TempDir()
	accept := filepath.Join(dir, "accept.yaml")
	if err := os.WriteFile(accept, []byte("accept:\n  - id: dmarc.policy-none\n    reason: r\n    expires: 2099-01-01\n  - id: dkim.none-at-common-selectors\n    expires: 2000-01-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	scriptZones(t, func(origin string, zones []string) {
		zoneArgs := []string{}
		for _, z := range zones {
			zoneArgs = append(zoneArgs, "--zone", z)
		}
		run("domain", append([]string{"domain", origin, "--format", "json", "--fail-on", "never", "--trace",
			"--sending-ip", "192.0.2.25", "--config", accept, "--timeout", "200ms"}, zoneArgs...)...)
		run("diagnose", append([]string{"diagnose", "postmaster@" + origin, "--format", "json", "--trace",
			"--sender", origin, "--sending-ip", "192.0.2.25", "--at", "2026-11-22T10:00:00Z", "--timeout", "200ms"}, zoneArgs...)...)
		run("address", append([]string{"address", "--format", "json", "postmaster@" + origin, "bob@gmial.com", "not an address"}, zoneArgs...)...)
	})
	bounces, _ := filepath.Glob("../../checks/bounce/testdata/*.eml")
	run("bounce", append([]string{"bounce", "--format", "json"}, bounces...)...)
	run("version", "version", "--format", "json")
	for kind, min := range map[string]int{"domain": 20, "diagnose": 20, "address": 40, "bounce": 3, "version": 1} {
		if counts[kind] < min {
			t.Errorf("only %d %s documents validated, want at least %d", counts[kind], kind, min)
		}
	}
	t.Logf("validated %v", counts)

	// The schemas catch what they are for: a field nobody documented, a
	// lint finding without its ID, a verdict outside the set.
	for kind, doc := range map[string]string{
		"domain":   `{"schema": "whymail.domain/v1", "fail_on": "error", "failed": false, "incomplete": false, "domains": [], "surprise": 1}`,
		"version":  `{"schema": "whymail.version/v1", "version": "v1", "go": "go1.26", "extra": true}`,
		"address":  `{"schema": "whymail.address/v1", "address": "a@b", "verdict": "maybe", "findings": []}`,
		"diagnose": `{"schema": "whymail.diagnose/v1", "address": "a@b", "at": "yesterday", "incomplete": false, "causes": [], "checks": []}`,
	} {
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if sch[kind].Validate(inst) == nil {
			t.Errorf("the %s schema accepts %s", kind, doc)
		}
	}
	bad := `{"schema": "whymail.domain/v1", "fail_on": "error", "failed": false, "incomplete": false, "domains": [{"domain": "x", "worst": "ok", "worst_new": "ok", "checks": [],
		"records": [{"record": "spf", "worst": "ok", "findings": [{"check": "spf", "severity": "ok", "message": "m"}]}]}]}`
	inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
	if sch["domain"].Validate(inst) == nil {
		t.Error("the domain schema accepts a finding without an id")
	}
}
