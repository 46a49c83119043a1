package bounce

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sisimai is the corpus folder: ../shared/corpus beside the repository,
// or $WHYMAIL_CORPUS when set (a git worktree lives elsewhere).
var sisimai = corpusDir("../../../shared/corpus") + "/sisimai-set-of-emails"

// placeholder is sisimai's recipient for a complaint without one.
const placeholder = "undisclosed-recipient-in-headers@libsisimai.org.invalid"

func corpusDir(def string) string {
	if d := os.Getenv("WHYMAIL_CORPUS"); d != "" {
		return d
	}
	return def
}

// outcome is the coarse class of a recipient record, in the terms of the
// corpus's CLASSES.tsv: a cause id, "complaint" or "not-a-bounce".
func outcome(b *Bounce, r Recipient) string {
	switch {
	case b.Kind == Feedback:
		return "complaint"
	case b.Kind == AutoReply || !r.Failed():
		return "not-a-bounce"
	case r.Class.Cause == "":
		return "none"
	}
	return string(r.Class.Cause)
}

func readTSV(t *testing.T, name string) [][]string {
	f, err := os.Open(filepath.Join(sisimai, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		if !first {
			rows = append(rows, strings.Split(sc.Text(), "\t"))
		}
	}
	return rows
}

// TestSisimai scores the classifier on the sisimai set of emails as its
// SOURCE.md describes: per (file, recipient) row of expected.tsv, the row
// agrees when the class of our answer equals the class of the expected
// reason (CLASSES.tsv); rows whose reason maps to "(not scored)" are left out.
func TestSisimai(t *testing.T) {
	if _, err := os.Stat(sisimai); err != nil {
		t.Skip("corpus not present:", err)
	}
	classes := map[string]string{}
	for _, r := range readTSV(t, "CLASSES.tsv") {
		classes[r[0]] = r[1]
	}
	parsed := map[string]*Bounce{}
	var agree, total int
	var misses []string
	for _, row := range readTSV(t, "expected.tsv") {
		file, reason, rcpt := row[0], row[2], row[7]
		want, ok := classes[reason]
		if !ok {
			t.Fatalf("reason %q not in CLASSES.tsv", reason)
		}
		if want == "(not scored)" {
			continue
		}
		b, ok := parsed[file]
		if !ok {
			f, err := os.Open(filepath.Join(sisimai, file))
			if err != nil {
				t.Fatal(err)
			}
			b, err = Parse(f)
			f.Close()
			if err != nil {
				t.Errorf("%s: %v", file, err)
			}
			parsed[file] = b
		}
		got := "no-record"
		if b != nil {
			for _, r := range b.Recipients {
				// SOURCE.md: sisimai writes a placeholder for a
				// complaint that names no recipient.
				if strings.EqualFold(r.Address, rcpt) || rcpt == placeholder && b.Kind == Feedback {
					got = outcome(b, r)
					break
				}
			}
		}
		total++
		if got == want {
			agree++
			continue
		}
		var gotReason, st, diag string
		if b != nil {
			for _, r := range b.Recipients {
				if strings.EqualFold(r.Address, rcpt) {
					gotReason, st, diag = string(r.Class.Reason), r.Status, r.Class.Text
				}
			}
			if got == "no-record" {
				var as []string
				for _, r := range b.Recipients {
					as = append(as, r.Address)
				}
				diag = fmt.Sprintf("kind=%s have=%v", b.Kind, as)
			}
		}
		if len(diag) > 160 {
			diag = diag[:160]
		}
		misses = append(misses, fmt.Sprintf("%s\t%s\twant %s (%s %s)\tgot %s (%s %s)\t%q", file, rcpt, want, reason, row[3], got, gotReason, st, diag))
	}
	t.Logf("bounces: %d/%d agree", agree, total)
	if out := os.Getenv("BOUNCE_MISSES"); out != "" {
		os.WriteFile(out, []byte(strings.Join(misses, "\n")+"\n"), 0o644)
	}
	if total == 0 || agree*1000 < total*953 {
		t.Errorf("bounces: %d/%d agree, below 95.3%%", agree, total)
	}
}

// TestSisimaiCRLF reads every corpus message again with CRLF line endings
// (SOURCE.md: the dos/ copies were left out; convert bsd/ files yourself)
// and expects the same recipients and classes.
func TestSisimaiCRLF(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sisimai, "maildir", "bsd", "*.eml"))
	if len(files) == 0 {
		t.Skip("corpus not present")
	}
	var differ []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lf, err1 := Parse(strings.NewReader(string(data)))
		crlf, err2 := Parse(strings.NewReader(strings.ReplaceAll(string(data), "\n", "\r\n")))
		if (err1 == nil) != (err2 == nil) {
			differ = append(differ, filepath.Base(f)+": error "+fmt.Sprint(err1, err2))
			continue
		}
		if err1 != nil {
			continue
		}
		sum := func(b *Bounce) string {
			var s []string
			for _, r := range b.Recipients {
				s = append(s, strings.ToLower(r.Address)+"="+outcome(b, r))
			}
			return strings.Join(s, ",")
		}
		if a, b := sum(lf), sum(crlf); a != b {
			differ = append(differ, fmt.Sprintf("%s: LF %s, CRLF %s", filepath.Base(f), a, b))
		}
	}
	t.Logf("CRLF: %d/%d files read the same", len(files)-len(differ), len(files))
	if len(differ) > len(files)/50 {
		t.Errorf("%d files read differently with CRLF line endings:\n%s", len(differ), strings.Join(differ, "\n"))
	}
}
