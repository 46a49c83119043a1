package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/source"
)

var update = flag.Bool("update", false, "rewrite golden files")

func result(fs ...checks.Finding) *checks.Result {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	res := &checks.Result{Ticket: &checks.Ticket{Address: "alice@gmial.com", At: at}}
	byCheck := map[string]*checks.CheckResult{}
	for _, f := range fs {
		cr := byCheck[f.Check]
		if cr == nil {
			cr = &checks.CheckResult{Name: f.Check, Status: checks.StatusOK, DurationMS: 1}
			byCheck[f.Check] = cr
			res.Checks = append(res.Checks, cr)
		}
		cr.Findings = append(cr.Findings, f)
	}
	res.Checks = append(res.Checks, &checks.CheckResult{Name: "bounce", Status: checks.StatusSkipped, Reason: "no --bounce given", Findings: []checks.Finding{}})
	return res
}

func ids(d *Diagnosis) []string {
	var out []string
	for _, c := range d.Causes {
		out = append(out, string(c.ID)+"="+string(c.Verdict))
	}
	return out
}

func TestDiagnoseHasEveryCause(t *testing.T) {
	d := Diagnose(result(), English, flagWords)
	if len(d.Causes) != len(checks.Causes) {
		t.Fatalf("%d causes, want %d", len(d.Causes), len(checks.Causes))
	}
	for _, id := range checks.Causes {
		e := English[id]
		if e == nil || e.Title == "" || e.Explanation == "" || e.Reply == "" || len(e.Steps) == 0 || e.SettledBy == "" {
			t.Errorf("catalog entry %s incomplete", id)
		}
	}
	// With no findings, only the base rate speaks: spam folders.
	if top := d.Top(); top == nil || top.ID != checks.SpamFolder || top.Verdict != checks.Possible {
		t.Errorf("top with no evidence = %+v, want spam-folder possible", top)
	}
}

func TestRank(t *testing.T) {
	tests := []struct {
		name     string
		findings []checks.Finding
		// want lists the first causes in order, as id=verdict.
		want []string
		// explained maps symptom -> root.
		explained map[checks.CauseID]checks.CauseID
		// verdicts are further verdicts to check.
		verdicts map[checks.CauseID]checks.Verdict
	}{
		{
			name: "verdict order",
			findings: []checks.Finding{
				{Check: "x", Cause: checks.SenderAuth, Verdict: checks.Possible, Strength: checks.Direct},
				{Check: "x", Cause: checks.Suppressed, Verdict: checks.Confirmed, Strength: checks.OfRecord},
				{Check: "x", Cause: checks.AccountLocked, Verdict: checks.Likely, Strength: checks.Direct},
			},
			want: []string{"suppressed=confirmed", "account-locked=likely", "sender-auth=possible"},
		},
		{
			name: "recipient evidence outranks a base rate",
			findings: []checks.Finding{
				{Check: "mx", Cause: checks.CorporateFilter, Verdict: checks.Possible, Strength: checks.Indirect},
			},
			want: []string{"corporate-filter=possible", "spam-folder=possible"},
		},
		{
			name: "strongest evidence decides",
			findings: []checks.Finding{
				{Check: "mx", Cause: checks.DomainNoMail, Verdict: checks.RuledOut, Strength: checks.Direct},
				{Check: "bounce", Cause: checks.DomainNoMail, Verdict: checks.Confirmed, Strength: checks.OfRecord},
			},
			want: []string{"domain-no-mail=confirmed"},
		},
		{
			name: "typo explains the deferral",
			findings: []checks.Finding{
				{Check: "maillog", Cause: checks.Delayed, Verdict: checks.Confirmed, Strength: checks.OfRecord, Message: "deferred: connection refused"},
				{Check: "typo", Cause: checks.AddressTypo, Verdict: checks.Likely, Strength: checks.Direct},
			},
			want:      []string{"address-typo=likely", "delayed=confirmed"},
			explained: map[checks.CauseID]checks.CauseID{checks.Delayed: checks.AddressTypo},
		},
		{
			name: "dmarc explains the 5.7.26 rejection",
			findings: []checks.Finding{
				{Check: "bounce", Cause: checks.RejectedByRecipient, Verdict: checks.Confirmed, Strength: checks.OfRecord},
				{Check: "dmarc", Cause: checks.SenderAuth, Verdict: checks.Likely, Strength: checks.Direct},
			},
			want:      []string{"sender-auth=likely", "rejected-by-recipient=confirmed"},
			explained: map[checks.CauseID]checks.CauseID{checks.RejectedByRecipient: checks.SenderAuth},
		},
		{
			name: "a possible root explains nothing",
			findings: []checks.Finding{
				{Check: "maillog", Cause: checks.Delayed, Verdict: checks.Confirmed, Strength: checks.OfRecord},
				{Check: "typo", Cause: checks.AddressTypo, Verdict: checks.Possible, Strength: checks.Indirect},
			},
			want: []string{"delayed=confirmed"},
		},
		{
			name: "nothing sent rules out the spam-folder base rate",
			findings: []checks.Finding{
				{Check: "account", Cause: checks.AccountLocked, Verdict: checks.Confirmed, Strength: checks.OfRecord},
			},
			want:     []string{"account-locked=confirmed", "no-account=unknown"},
			verdicts: map[checks.CauseID]checks.Verdict{checks.SpamFolder: checks.RuledOut, checks.CorporateFilter: checks.RuledOut},
		},
		{
			name: "evidence for a cause outweighs equally strong evidence against it",
			findings: []checks.Finding{
				{Check: "spf", Cause: checks.SenderAuth, Verdict: checks.RuledOut, Strength: checks.Direct},
				{Check: "dkim", Cause: checks.SenderAuth, Verdict: checks.Possible, Strength: checks.Direct},
			},
			want: []string{"sender-auth=possible"},
		},
		{
			name: "nothing sent rules out guesses about delivery, keeps what a record says",
			findings: []checks.Finding{
				{Check: "account", Cause: checks.NoAccount, Verdict: checks.Confirmed, Strength: checks.OfRecord},
				{Check: "mx", Cause: checks.CorporateFilter, Verdict: checks.Possible, Strength: checks.Indirect},
				{Check: "maillog", Cause: checks.Delayed, Verdict: checks.Confirmed, Strength: checks.OfRecord},
			},
			want:     []string{"no-account=confirmed", "delayed=confirmed"},
			verdicts: map[checks.CauseID]checks.Verdict{checks.CorporateFilter: checks.RuledOut, checks.SpamFolder: checks.RuledOut},
		},
		{
			name: "a chain of symptoms folds under the top root",
			findings: []checks.Finding{
				{Check: "address", Cause: checks.AddressInvalid, Verdict: checks.Confirmed, Strength: checks.Direct},
				{Check: "mx", Cause: checks.DomainNotFound, Verdict: checks.Confirmed, Strength: checks.Direct},
				{Check: "maillog", Cause: checks.Delayed, Verdict: checks.Confirmed, Strength: checks.OfRecord, Message: "deferred"},
			},
			want: []string{"address-invalid=confirmed", "domain-not-found=confirmed", "delayed=confirmed"},
			explained: map[checks.CauseID]checks.CauseID{
				checks.DomainNotFound: checks.AddressInvalid,
				checks.Delayed:        checks.DomainNotFound,
			},
		},
		{
			name: "ruled out last",
			findings: []checks.Finding{
				{Check: "mx", Cause: checks.DomainNotFound, Verdict: checks.RuledOut, Strength: checks.Direct},
			},
			want: []string{"spam-folder=possible"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Diagnose(result(tt.findings...), English, flagWords)
			got := ids(d)
			if !slices.Equal(got[:len(tt.want)], tt.want) {
				t.Errorf("rank = %v\nwant prefix %v", got, tt.want)
			}
			if last := d.Causes[len(d.Causes)-1]; tt.name == "ruled out last" && last.ID != checks.DomainNotFound {
				t.Errorf("last = %s, want the ruled-out domain-not-found", last.ID)
			}
			for id, v := range tt.verdicts {
				if got := d.Cause(id).Verdict; got != v {
					t.Errorf("%s = %s, want %s", id, got, v)
				}
			}
			for _, c := range d.Causes {
				if want := tt.explained[c.ID]; c.ExplainedBy != want {
					t.Errorf("%s explained by %q, want %q", c.ID, c.ExplainedBy, want)
				}
			}
			for sym := range tt.explained {
				top := d.Cause(sym)
				for top.ExplainedBy != "" {
					top = d.Cause(top.ExplainedBy)
				}
				var folded bool
				for _, ev := range top.Evidence {
					folded = folded || ev.Symptom == sym
				}
				if !folded {
					t.Errorf("%s's evidence not shown under its top root %s", sym, top.ID)
				}
			}
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(path+".got", got, 0o644)
		t.Errorf("%s differs from golden; got written to %s.got (mv to update)", path, path)
	}
}

func sample() *Diagnosis {
	return Diagnose(result(
		checks.Finding{Check: "address", Cause: checks.AddressInvalid, Verdict: checks.RuledOut, Strength: checks.Direct, Message: "alice@gmial.com is a valid address"},
		checks.Finding{Check: "mx", Cause: checks.DomainNoMail, Verdict: checks.Confirmed, Strength: checks.Direct, Message: "gmial.com has no MX and no A/AAAA record"},
		checks.Finding{Check: "typo", Cause: checks.AddressTypo, Verdict: checks.Likely, Strength: checks.Direct,
			Message: "gmial.com looks like a typo of gmail.com, and gmial.com accepts no mail", Data: map[string]any{"suggestion": "gmail.com"}},
		checks.Finding{Check: "maillog", Cause: checks.NotSent, Verdict: checks.Unknown, Message: "no mail log given: a mail log would show whether it was sent",
			Needs: []checks.Input{checks.InputLog}},
	), English, flagWords)
}

func TestTextGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, sample(), Style{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(b.String(), "\n", 5)
	if !strings.Contains(lines[2], "Most likely:") || !strings.Contains(lines[2], "address-typo") || !strings.HasPrefix(lines[3], "Next step:") {
		t.Errorf("the top cause and next step must lead the report:\n%s", b.String())
	}
	golden(t, "typo.txt", b.Bytes())
}

func TestTextColor(t *testing.T) {
	var plain, colored bytes.Buffer
	Text(&plain, sample(), Style{})
	Text(&colored, sample(), Style{Color: true})
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("escape codes without colour")
	}
	if !strings.Contains(colored.String(), "\x1b[") {
		t.Error("no escape codes with colour")
	}
}

func TestMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, sample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "typo.md", b.Bytes())
}

func TestJSONContract(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "typo.json", b.Bytes())
	var doc struct {
		Schema string `json:"schema"`
		Causes []struct {
			ID         string            `json:"id"`
			Verdict    string            `json:"verdict"`
			Evidence   []json.RawMessage `json:"evidence"`
			AgentSteps []string          `json:"agent_steps"`
			UserReply  string            `json:"user_reply"`
		} `json:"causes"`
		Checks []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "whymail.diagnose/v1" || len(doc.Causes) != 19 || doc.Causes[0].ID != "address-typo" {
		t.Errorf("schema %q, %d causes, first %q", doc.Schema, len(doc.Causes), doc.Causes[0].ID)
	}
	for _, c := range doc.Causes {
		if !checks.Verdict(c.Verdict).Valid() || c.UserReply == "" || len(c.AgentSteps) == 0 || c.Evidence == nil {
			t.Errorf("cause %s incomplete in JSON", c.ID)
		}
	}
}

func TestLint(t *testing.T) {
	res := result(
		checks.Finding{Check: "spf", Record: "spf", Severity: checks.Error, Message: "SPF needs 13 DNS lookups (limit 10)"},
		checks.Finding{Check: "dmarc", Record: "dmarc", Severity: checks.Warning, Message: "DMARC p=none: no protection"},
		checks.Finding{Check: "mx", Record: "mx", Severity: checks.OK, Message: "2 MX hosts, all resolve"},
	)
	for _, tt := range []struct {
		failOn checks.Severity
		never  bool
		failed bool
	}{{checks.Error, false, true}, {checks.Warning, false, true}, {checks.Error, true, false}} {
		l := NewLint(tt.failOn, tt.never)
		l.Add("example.com", res)
		if l.Failed != tt.failed {
			t.Errorf("fail-on %s never=%v: failed=%v", tt.failOn, tt.never, l.Failed)
		}
	}
	l := NewLint(checks.Error, false)
	l.Setting = "--fail-on"
	l.Add("example.com", res)
	var b bytes.Buffer
	LintText(&b, l, Style{})
	golden(t, "lint.txt", b.Bytes())
	b.Reset()
	LintGitHub(&b, l)
	want := "::error title=whymail spf example.com::SPF needs 13 DNS lookups (limit 10)\n::warning title=whymail dmarc example.com::DMARC p=none: no protection\n"
	if b.String() != want {
		t.Errorf("github =\n%s\nwant\n%s", b.String(), want)
	}
}

func TestIncomplete(t *testing.T) {
	res := result()
	res.Checks = append(res.Checks, &checks.CheckResult{Name: "mx", Status: checks.StatusFailed, Reason: "lookup x. MX: timeout", Findings: []checks.Finding{}})
	d := Diagnose(res, English, flagWords)
	if !d.Incomplete {
		t.Fatal("Incomplete not set with a failed check")
	}
	var text, md bytes.Buffer
	Text(&text, d, Style{})
	Markdown(&md, d)
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		if !strings.Contains(out, "1 check(s) could not complete (mx)") {
			t.Errorf("%s does not say the run is incomplete:\n%s", name, out)
		}
		if !strings.Contains(out, "no evidence found; the most common cause") {
			t.Errorf("%s presents a base rate as a finding", name)
		}
	}
}

// flagWords words inputs as the command line does, so that golden reports
// read as the CLI prints them.
func flagWords(ins []checks.Input) string {
	words := make([]string, len(ins))
	for i, in := range ins {
		words[i] = "--" + string(in)
	}
	return strings.Join(words, ", ")
}

// TestNotesAndGiven: a note leads the text report, and a cause no check
// spoke to does not ask for an input that was given (it says the given
// inputs held nothing, and asks only for the rest).
func TestNotesAndGiven(t *testing.T) {
	res := result(checks.Finding{Check: "account", Severity: checks.Warning, Note: true,
		Message: `no record in users.csv (2 records) has id "u9"; the address alice@gmial.com belongs to id "u1" (users.csv:2)`})
	res.Ticket.Sources.Logs = []source.Stream{nil}
	d := Diagnose(res, English, flagWords)
	if len(d.Notes) != 1 || d.Notes[0].Check != "account" {
		t.Fatalf("notes %+v, want the account note", d.Notes)
	}
	var b bytes.Buffer
	if err := Text(&b, d, Style{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	note, top := strings.Index(out, `Note: [account] no record in users.csv (2 records) has id "u9"`), strings.Index(out, "Most likely")
	if note < 0 || top < 0 || note > top {
		t.Errorf("the note does not lead the report:\n%s", out)
	}
	if strings.Contains(out, "settled by a bounce or the mail log: --bounce, --log") {
		t.Errorf("the report asks for the log it was given:\n%s", out)
	}
	if !strings.Contains(out, "rejected-by-recipient: nothing in what was given (--log) speaks to it; --bounce would settle it") {
		t.Errorf("the report does not say the given log held nothing:\n%s", out)
	}
}

// TestCatalogLanguages: every language has every cause with every field,
// as many steps as English, and the English ranking fields.
func TestCatalogLanguages(t *testing.T) {
	if len(Languages()) < 2 {
		t.Fatalf("languages %v", Languages())
	}
	for _, lang := range Languages() {
		cat, err := CatalogFor(lang)
		if err != nil {
			t.Fatal(err)
		}
		if len(cat) != len(checks.Causes) {
			t.Errorf("%s: %d entries, want %d", lang, len(cat), len(checks.Causes))
		}
		for _, id := range checks.Causes {
			e, en := cat[id], English[id]
			if e == nil {
				t.Errorf("%s: no entry for %s", lang, id)
				continue
			}
			if e.ID != id || e.Title == "" || e.Explanation == "" || e.Reply == "" || e.SettledBy == "" || len(e.Steps) != len(en.Steps) {
				t.Errorf("%s: entry %s incomplete: %+v", lang, id, e)
			}
			for i, s := range e.Steps {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s: %s step %d empty", lang, id, i+1)
				}
			}
			if (en.DefaultMessage != "") != (e.DefaultMessage != "") {
				t.Errorf("%s: %s default message %q (English %q)", lang, id, e.DefaultMessage, en.DefaultMessage)
			}
			if e.Common != en.Common || e.Default != en.Default || e.NothingSent != en.NothingSent || e.NeedsDelivery != en.NeedsDelivery ||
				!slices.Equal(e.Explains, en.Explains) || !slices.Equal(e.Needs, en.Needs) {
				t.Errorf("%s: %s ranks unlike English", lang, id)
			}
			if lang != "en" && (e.Title == en.Title || e.Reply == en.Reply) {
				t.Errorf("%s: %s is not translated", lang, id)
			}
		}
	}
	for _, tag := range []string{"fr", "FR", "fr-CA", "fr_BE"} {
		if c, err := CatalogFor(tag); err != nil || c[checks.SpamFolder].Title != French[checks.SpamFolder].Title {
			t.Errorf("CatalogFor(%q) = %v", tag, err)
		}
		if l, err := Language(tag); l != "fr" || err != nil {
			t.Errorf("Language(%q) = %q, %v; want fr", tag, l, err)
		}
	}
	// A front end offers each language by its own name.
	for _, lang := range Languages() {
		if LanguageName(lang) == lang || LanguageName(lang) == "" {
			t.Errorf("language %s has no name", lang)
		}
	}
	if _, err := CatalogFor("xx"); err == nil || !strings.Contains(err.Error(), "en, fr") {
		t.Errorf("CatalogFor(xx) error %v", err)
	}
	// A diagnosis in French ranks as in English and replies in French.
	en, fr := Diagnose(result(), English, flagWords), Diagnose(result(), French, flagWords)
	if slices.Compare(ids(en), ids(fr)) != 0 || !strings.Contains(fr.Top().UserReply, "dossier spam") {
		t.Errorf("French diagnosis %v, top reply %q", ids(fr), fr.Top().UserReply)
	}
}
