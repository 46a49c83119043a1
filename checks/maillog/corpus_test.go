package maillog

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
)

const corpus = "../../../shared/corpus"

func needCorpus(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(corpus, dir)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("corpus %s not present", dir)
	}
	return p
}

// accountFor checks that every line of f is understood, not relevant or
// counted as unreadable, and returns the counts.
func accountFor(t *testing.T, f *File) {
	t.Helper()
	c := f.Coverage
	if c.Understood+c.NotRelevant+c.Unparsed != c.Lines {
		t.Errorf("%s: %d lines but %d understood + %d not relevant + %d unreadable", c.File, c.Lines, c.Understood, c.NotRelevant, c.Unparsed)
	}
}

// TestCorpusPostfixGrok feeds the postfix-grok-patterns test lines, each
// behind a syslog prefix naming its daemon (the YAML holds only the
// message part), and checks the delivery fields where the test names them.
func TestCorpusPostfixGrok(t *testing.T) {
	dir := needCorpus(t, "maillog-postfix-grok-tests/test")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	var log strings.Builder
	var statuses []string
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		daemon := strings.TrimSuffix(filepath.Base(name), ".yaml")
		daemon = daemon[:strings.LastIndexByte(daemon, '_')]
		switch daemon {
		case "tls_features", "command_counter_data", "delays":
			daemon = "smtpd"
		}
		line := ""
		status := ""
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "data: "); ok {
				line = yamlString(v)
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "postfix_status: "); ok {
				status = yamlString(v)
			}
		}
		if line == "" {
			t.Errorf("%s: no data line", name)
			continue
		}
		log.WriteString("Nov 22 10:00:00 mail postfix/" + daemon + "[123]: " + line + "\n")
		statuses = append(statuses, status)
	}
	// Watch every address: read with a recipient that matches each to=
	// by running once per line with that line's to= address.
	f, err := Read(strings.NewReader(log.String()), "grok.log", at)
	if err != nil {
		t.Fatal(err)
	}
	accountFor(t, f)
	c := f.Coverage
	t.Logf("postfix-grok: %d lines: %d understood, %d not relevant, %d unreadable", c.Lines, c.Understood, c.NotRelevant, c.Unparsed)
	if c.Unparsed > 0 {
		t.Errorf("unreadable Postfix lines: %q", f.Unreadable)
	}
	// Delivery lines: the status the test expects is the kind read.
	agree, n := 0, 0
	sc := bufio.NewScanner(strings.NewReader(log.String()))
	i := 0
	for sc.Scan() {
		st := statuses[i]
		i++
		to := field(sc.Text(), "to=")
		if st == "" || to == "" {
			continue
		}
		n++
		g, err := Read(strings.NewReader(sc.Text()+"\n"), "line", at, to)
		if err != nil || len(g.Events) != 1 {
			t.Errorf("%s: %v, %d events", sc.Text(), err, len(g.Events))
			continue
		}
		want := map[string]string{"sent": "delivered", "bounced": "bounced", "deferred": "deferred", "expired": "expired",
			"undeliverable-but-not-cached": "verified"}[st]
		if g.Events[0].Kind == Kind(want) {
			agree++
		} else {
			t.Errorf("%s: kind %s, want %s", sc.Text(), g.Events[0].Kind, want)
		}
	}
	t.Logf("postfix-grok: delivery status %d/%d agree", agree, n)
}

// yamlString undoes the quoting of a YAML scalar as the grok tests write it.
func yamlString(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) && len(v) >= 2:
		v = v[1 : len(v)-1]
		v = strings.ReplaceAll(v, `\"`, `"`)
		v = strings.ReplaceAll(v, `\\`, `\`)
	case strings.HasPrefix(v, `'`) && strings.HasSuffix(v, `'`) && len(v) >= 2:
		v = strings.ReplaceAll(v[1:len(v)-1], `''`, `'`)
	}
	return v
}

// eximArtefacts are test-suite logs holding text Exim did not write in its
// log format: a filter's logwrite output (4144) and an LMTP simulation's
// transcript interleaved with the log (510x).
var eximArtefacts = map[string]string{
	"4144": "filter logwrite", "5100": "LMTP simulation", "5101": "LMTP simulation", "5103": "LMTP simulation",
}

// TestCorpusExim reads every Exim test-suite main log. The harness's
// "******** SERVER ********" separators are not Exim's and are left out.
func TestCorpusExim(t *testing.T) {
	dir := needCorpus(t, "maillog-exim-testsuite/log")
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	var lines, und, irr, bad, events, artefacts, flagged, agree int
	var disagree []string
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		// The harness appends its simulated servers' transcripts after
		// "******** SERVER ********" and notes "**NOTE: ..." at the top:
		// neither is Exim's log.
		if i := bytes.Index(data, []byte("******** SERVER ********")); i >= 0 {
			data = data[:i]
		}
		if bytes.HasPrefix(data, []byte("**NOTE")) {
			data = data[bytes.IndexByte(data, '\n')+1:]
		}
		// Watch the addresses of the delivery lines: any "@" word.
		f, err := Read(bytes.NewReader(data), name, at, "userx@test.ex", "x@y.example")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		accountFor(t, f)
		if f.Coverage.Format != "exim" && f.Coverage.Lines > 0 && f.Coverage.Understood > 0 {
			t.Errorf("%s: format %s", name, f.Coverage.Format)
		}
		lines += f.Coverage.Lines
		und += f.Coverage.Understood
		irr += f.Coverage.NotRelevant
		bad += f.Coverage.Unparsed
		events += len(f.Events)
		// Each delivery line, read alone and watching its address, gives
		// the event its flag stands for.
		for _, l := range strings.Split(string(data), "\n") {
			fs := strings.Fields(l)
			if len(fs) < 5 || !isEximID(fs[2]) {
				continue
			}
			want := map[string]string{"=>": "delivered", "->": "delivered", "**": "bounced", "==": "deferred"}[fs[3]]
			if want == "" || !strings.Contains(fs[4], "@") {
				continue
			}
			flagged++
			// "addr:" (no space before the colon) is addr: the colon is not part of it.
			g, err := Read(strings.NewReader(l), "line", at, strings.Trim(strings.TrimSuffix(fs[4], ":"), "<>"))
			if err == nil && len(g.Events) == 1 && g.Events[0].Kind == Kind(want) {
				agree++
			} else if len(disagree) < 5 {
				disagree = append(disagree, l)
			}
		}
		if why, ok := eximArtefacts[filepath.Base(name)]; ok {
			// Not Exim's format: counted and quoted as unreadable.
			if f.Coverage.Unparsed == 0 || len(f.Unreadable) == 0 {
				t.Errorf("%s: %s lines not reported as unreadable", name, why)
			}
			artefacts += f.Coverage.Unparsed
		} else if f.Coverage.Unparsed > 0 {
			t.Errorf("%s: unreadable: %q", name, f.Unreadable)
		}
	}
	t.Logf("exim: %d/%d delivery lines (=> -> ** ==) read as their flag says", agree, flagged)
	if agree != flagged {
		t.Errorf("exim: disagreements, e.g. %q", disagree)
	}
	t.Logf("exim: %d unreadable lines, all in the harness artefacts of %d files", artefacts, len(eximArtefacts))
	t.Logf("exim: %d files, %d lines: %d understood, %d not relevant, %d unreadable; %d events for userx@test.ex", len(files), lines, und, irr, bad, events)
	if events == 0 {
		t.Error("no events for userx@test.ex")
	}
}

// TestCorpusFail2ban reads the receiving-side Postfix and Exim samples;
// the "# failJSON" annotation lines are the test suite's, not the MTA's.
func TestCorpusFail2ban(t *testing.T) {
	dir := needCorpus(t, "maillog-fail2ban-samples")
	for _, base := range []string{"postfix.log", "exim.log", "exim-spam.log"} {
		data, err := os.ReadFile(filepath.Join(dir, base))
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		for _, l := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(l, "#") {
				kept = append(kept, l)
			}
		}
		f, err := Read(strings.NewReader(strings.Join(kept, "\n")), base, at, "lp@dom.tld")
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		accountFor(t, f)
		c := f.Coverage
		t.Logf("fail2ban %s: %s, %d lines: %d understood, %d not relevant, %d unreadable", base, c.Format, c.Lines, c.Understood, c.NotRelevant, c.Unparsed)
		if c.Unparsed > 0 {
			t.Errorf("%s: unreadable: %q", base, f.Unreadable)
		}
	}
}

// TestCorpusESP reads the SES and SendGrid event samples; the SendGrid
// bounces-API lists among them are refused as suppression lists.
func TestCorpusESP(t *testing.T) {
	dir := needCorpus(t, "esp-webhooks")
	files, _ := filepath.Glob(filepath.Join(dir, "amazon-ses", "*.json"))
	sg, _ := filepath.Glob(filepath.Join(dir, "sisimai-json", "*.json"))
	files = append(files, sg...)
	read, lists, events := 0, 0, 0
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		isList := strings.Contains(name, "json-sendgrid-") && !bytes.Contains(data, []byte(`"event"`))
		f, err := Read(bytes.NewReader(data), filepath.Base(name), at, allAddresses(data)...)
		if isList {
			var me *checks.MisplacedError
			if !errors.As(err, &me) || me.Belongs != checks.InputSuppressions {
				t.Errorf("%s: a suppression list read as events: %v", name, err)
			}
			lists++
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		accountFor(t, f)
		if f.Coverage.Unparsed > 0 {
			t.Errorf("%s: unreadable: %q", name, f.Unreadable)
		}
		read++
		events += len(f.Events)
	}
	t.Logf("esp-webhooks: %d event files read (%d events), %d suppression lists refused", read, events, lists)
	if read < 20 {
		t.Errorf("read %d event files, want at least 20", read)
	}
}

// allAddresses returns the addresses quoted in a JSON sample.
func allAddresses(data []byte) []string {
	var out []string
	for _, w := range strings.FieldsFunc(string(data), func(r rune) bool {
		return r == '"' || r == ' ' || r == ',' || r == '<' || r == '>' || r == '\\' || r == '[' || r == ']' || r == '\n'
	}) {
		if strings.Count(w, "@") == 1 && !strings.ContainsAny(w, "{}:;") {
			out = append(out, w)
		}
	}
	return out
}
