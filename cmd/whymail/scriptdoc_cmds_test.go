package main

import (
	"strings"
	"testing"
)

// A diagnosis of a typo: the root ranks first, the dead domain is its
// symptom and the deferral the dead domain's.
const testDiagnosis = `{
  "schema": "whymail.diagnose/v1",
  "incomplete": false,
  "causes": [
    {"id": "address-typo", "verdict": "likely", "strength": "direct",
     "evidence": [{"check": "typo", "verdict": "likely", "message": "gmial.com looks like a typo of gmail.com"},
                  {"check": "mx", "verdict": "confirmed", "message": "gmial.com does not exist", "symptom": "domain-not-found"}]},
    {"id": "domain-not-found", "verdict": "confirmed", "explained_by": "address-typo",
     "evidence": [{"check": "mx", "verdict": "confirmed", "message": "gmial.com does not exist"}]},
    {"id": "delayed", "verdict": "confirmed", "explained_by": "domain-not-found", "evidence": []},
    {"id": "spam-folder", "verdict": "possible", "evidence": []},
    {"id": "sender-auth", "verdict": "ruled-out", "evidence": []}
  ],
  "checks": [
    {"name": "mx", "status": "error", "findings": []},
    {"name": "maillog", "status": "skipped", "reason": "no --log given", "findings": []}
  ],
  "future_field": {"readers": "ignore it"}
}`

const testLint = `{
  "schema": "whymail.domain/v1", "fail_on": "error", "failed": true, "incomplete": true,
  "domains": [{
    "domain": "bad.example", "worst": "error",
    "records": [
      {"record": "spf", "worst": "warning", "findings": [
        {"check": "spf", "severity": "ok", "record": "spf", "message": "SPF record of bad.example"},
        {"check": "spf", "severity": "warning", "record": "spf", "message": "ends with \"?all\""}]},
      {"record": "mx", "worst": "error", "findings": [
        {"check": "mx", "severity": "ok", "message": "the domain bad.example exists"},
        {"check": "mx", "severity": "error", "record": "mx", "message": "MX mx1 resolves only to 127.0.0.1"}]}
    ],
    "checks": [{"name": "mx", "status": "failed", "reason": "SERVFAIL", "findings": []},
               {"name": "spf", "status": "warning", "findings": []}]
  }]
}`

const testAddresses = `{"schema":"whymail.address/v1","address":"alice@gmial.com","source":"list.csv:2","verdict":"typo","suggestion":"gmail.com","findings":[]}
{"schema":"whymail.address/v1","address":"bob@example.org","source":"list.csv:3","verdict":"ok","findings":[]}
`

const testBounces = `{"schema":"whymail.bounce/v1","file":"b.mbox#1","recipient":"erin@example.jp","status":"5.1.1","code":550,"cause":"mailbox-unknown","permanent":true}
{"schema":"whymail.bounce/v1","file":"b.mbox#2","recipient":"erin@example.jp","status":"5.2.2","code":552,"cause":"mailbox-full","permanent":true}
`

func TestScriptDocCommands(t *testing.T) {
	tests := []struct {
		doc  string
		neg  bool
		line string // the command and its arguments
		err  string // "" for success, else a substring of the error
	}{
		// verdict: alternatives, negation, any cause.
		{testDiagnosis, false, "verdict address-typo likely", ""},
		{testDiagnosis, false, "verdict address-typo confirmed|likely", ""},
		{testDiagnosis, false, "verdict address-typo possible", "verdict of address-typo is likely (ranked 1st), want possible; ranking: address-typo likely, domain-not-found confirmed (explained by address-typo), delayed confirmed (explained by domain-not-found), ..."},
		{testDiagnosis, true, "verdict spam-folder likely", ""},
		{testDiagnosis, true, "verdict spam-folder possible|likely", "verdict of spam-folder is possible (ranked 4th), want not possible|likely"},
		{testDiagnosis, false, "verdict * ruled-out", ""},
		{testDiagnosis, true, "verdict * unknown", ""},
		{testDiagnosis, true, "verdict * confirmed", "want no cause confirmed, but domain-not-found confirmed, delayed confirmed"},
		{testDiagnosis, false, "verdict * unknown", "no cause is unknown"},
		// A misspelling is an error, never a negation that holds.
		{testDiagnosis, true, "verdict spam-folder likley", `unknown verdict "likley"`},
		{testDiagnosis, true, "verdict spam-foldr likely", `no cause "spam-foldr" in the diagnosis (causes: address-typo, delayed, domain-not-found, sender-auth, spam-folder)`},
		{testDiagnosis, true, "verdict spam-folder likely|", `unknown verdict ""`},
		{testDiagnosis, false, "verdict spam-folder", "usage: verdict CAUSE|* VERDICT"},

		// top: the first cause, not merely some cause with that verdict.
		{testDiagnosis, false, "top address-typo", ""},
		{testDiagnosis, false, "top address-typo likely", ""},
		{testDiagnosis, false, "top address-typo confirmed", "top is address-typo but likely, want confirmed"},
		{testDiagnosis, false, "top domain-not-found confirmed", "top is address-typo likely, want domain-not-found confirmed; domain-not-found is 2nd (confirmed)"},
		{testDiagnosis, true, "top spam-folder", ""},
		{testDiagnosis, true, "top address-typo confirmed", ""},
		{testDiagnosis, true, "top address-typo", "top is address-typo likely, want another"},

		// explained: the direct link, not the chain.
		{testDiagnosis, false, "explained domain-not-found address-typo", ""},
		{testDiagnosis, false, "explained delayed domain-not-found", ""},
		{testDiagnosis, false, "explained delayed address-typo", "delayed is explained by domain-not-found, want explained by address-typo"},
		{testDiagnosis, false, "explained delayed", ""},
		{testDiagnosis, true, "explained address-typo", ""},
		{testDiagnosis, false, "explained spam-folder", "spam-folder is explained by no cause, want explained by any cause"},
		{testDiagnosis, true, "explained delayed", "delayed is explained by domain-not-found, want it not explained by any cause"},
		{testDiagnosis, false, "explained delayed domain-not-fond", `no cause "domain-not-fond"`},

		// evidence: messages of the one cause, including copied symptoms.
		{testDiagnosis, false, "evidence address-typo typo.of.gmail", ""},
		{testDiagnosis, false, "evidence address-typo does.not.exist", ""},
		{testDiagnosis, false, "evidence * does.not.exist", ""},
		{testDiagnosis, false, "evidence domain-not-found typo", "no evidence matches \"typo\"; the evidence is:\n\tdomain-not-found: mx (confirmed): gmial.com does not exist"},
		{testDiagnosis, false, "evidence spam-folder x", `no evidence matches "x": spam-folder has no evidence`},
		{testDiagnosis, true, "evidence spam-folder x", ""},
		{testDiagnosis, true, "evidence address-typo gmail", "evidence matches \"gmail\", want none:\n\taddress-typo: typo (likely): gmial.com looks like a typo of gmail.com"},
		{testDiagnosis, false, "evidence address-typo (", "evidence: error parsing regexp"},

		// incomplete and check, on both documents.
		{testDiagnosis, true, "incomplete", ""},
		{testDiagnosis, false, "incomplete", "the document is not incomplete (no check failed), want incomplete"},
		{testLint, false, "incomplete", ""},
		{testLint, true, "incomplete", "the document is incomplete (failed: bad.example mx (SERVFAIL)), want complete"},
		{testDiagnosis, false, "check mx error", ""},
		{testDiagnosis, false, "check maillog failed", "check maillog is skipped (no --log given), want failed"},
		{testDiagnosis, true, "check maillog failed|error", ""},
		{testDiagnosis, false, "check dkim ok", `no check "dkim" ran (checks: mx, maillog)`},
		{testDiagnosis, false, "check mx broken", `unknown status "broken"`},
		{testLint, false, "check mx failed", ""},
		{testLint, false, "check spf ok", "bad.example: check spf is warning, want ok"},

		// failed and finding: the group's record when the finding has none.
		{testLint, false, "failed", ""},
		{testLint, true, "failed", "the lint failed (fail_on error; worst: bad.example error), want it to pass"},
		{testLint, false, "finding mx error 127\\.0\\.0\\.1", ""},
		{testLint, false, "finding mx ok exists", ""},
		{testLint, false, "finding spf warning|error", ""},
		{testLint, false, "finding * error", ""},
		{testLint, true, "finding spf error", ""},
		{testLint, true, "finding * error|warning", "want no finding error|warning, but:\n\tbad.example spf warning: ends with \"?all\"\n\tbad.example mx error: MX mx1 resolves only to 127.0.0.1"},
		{testLint, false, "finding spf error", "no spf finding error; the findings are:\n\tbad.example spf ok: SPF record of bad.example\n\tbad.example spf warning: ends with \"?all\""},
		{testLint, false, "finding dkim error", "no dkim finding error: no findings about dkim (records: mx, spf)"},
		{testLint, false, "finding spf fatal", `unknown severity "fatal"`},
		{testDiagnosis, false, "finding spf error", "finding reads whymail.domain/v1 output, but stdout is whymail.diagnose/v1"},
		{testLint, false, "verdict address-typo likely", "verdict reads whymail.diagnose/v1 output, but stdout is whymail.domain/v1"},

		// address and bounce: one object a line, fields by name.
		{testAddresses, false, "address alice@gmial.com typo", ""},
		{testAddresses, false, "address alice@gmial.com typo source=list.csv:2 suggestion=gmail.com", ""},
		{testAddresses, false, "address alice@gmial.com typo suggestion=hotmail.com", `for alice@gmial.com: suggestion is "gmail.com", want "hotmail.com"`},
		{testAddresses, false, "address bob@example.org ok suggestion=", ""},
		{testAddresses, false, "address bob@example.org typo|invalid", "for bob@example.org: verdict is ok, want typo|invalid"},
		{testAddresses, true, "address bob@example.org typo", ""},
		{testAddresses, true, "address bob@example.org ok", "the line for bob@example.org has verdict ok, want not"},
		{testAddresses, false, "address carol@example.org ok", "no line for address carol@example.org; the lines are for alice@gmial.com (typo), bob@example.org (ok)"},
		{testAddresses, false, "address bob@example.org fine", `unknown verdict "fine"`},
		{testAddresses, false, "address bob@example.org ok source", `"source" is not FIELD=VALUE`},
		{testBounces, false, "bounce erin@example.jp mailbox-unknown status=5.1.1 code=550 permanent=true", ""},
		{testBounces, false, "bounce erin@example.jp mailbox-full status=5.2.2", ""},
		{testBounces, false, "bounce erin@example.jp mailbox-full status=5.1.1", `for erin@example.jp: cause is mailbox-unknown, want mailbox-full; status is "5.2.2", want "5.1.1"`},
		{testBounces, true, "bounce erin@example.jp sender-blocklisted", ""},
		{testBounces, true, "bounce erin@example.jp mailbox-full code=552", "the line for erin@example.jp has cause mailbox-full and code=552, want not"},

		// What is not a document.
		{"", false, "top address-typo", "top: stdout is empty"},
		{"Most likely: ...\n", false, "top address-typo", "top: stdout is not whymail JSON (was it run with --format json?)"},
		{testDiagnosis + testDiagnosis, false, "top address-typo", "top: stdout holds 2 JSON values; whymail.diagnose/v1 is one document"},
		{`{"schema": "whymail.version/v1"}`, false, "incomplete", `incomplete: stdout has schema "whymail.version/v1"`},
		{testAddresses + `{"schema":"whymail.bounce/v1"}`, false, "address bob@example.org ok", "address: line 3 has schema whymail.bounce/v1, line 1 whymail.address/v1"},
		{"", false, "incomplete now", "usage: incomplete"},
	}
	for _, tt := range tests {
		name := tt.line
		if tt.neg {
			name = "! " + name
		}
		t.Run(name, func(t *testing.T) {
			args := strings.Fields(tt.line)
			c, ok := docCmds[args[0]]
			if !ok {
				t.Fatalf("no command %q", args[0])
			}
			d, err := c.parse(args[1:], []byte(tt.doc))
			if err == nil {
				err = c.run(d, tt.neg, args[1:])
			}
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("error: %v", err)
			case tt.err != "" && err == nil:
				t.Errorf("no error, want %q", tt.err)
			case tt.err != "" && !strings.Contains(err.Error(), tt.err):
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tt.err)
			}
		})
	}
}
