package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
)

// Text and Markdown say which log lines could not be read, not only JSON.
func TestUnreadableLinesInEveryFormat(t *testing.T) {
	lost := `mail.log:5: "Nov 22 09:50:01 mail postfix/smtp[2005]: 1B2C3#4E5F: to=<alice@example.com>, status=sent"`
	other := `mail.log:7: "garbage"`
	res := result(
		checks.Finding{Check: "maillog", Severity: checks.Warning, Record: "mail.log",
			Message: "mail.log: 2 lines could not be read and were left out",
			Data: map[string]any{"unreadable": 2, "examples": []string{lost, other},
				"about_recipient": 1, "about_recipient_examples": []string{lost}}},
		checks.Finding{Check: "maillog", Severity: checks.Info, Record: "mail.log", Message: "mail.log: postfix log",
			Data: map[string]any{"unreadable": 2}},
	)
	d := Diagnose(res, English, nil)
	var text, md bytes.Buffer
	if err := Text(&text, d, Style{}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, d); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		for _, want := range []string{"Log lines not read", "2 lines could not be read", "1 names the recipient", "mail.log:5:", "mail.log:7:"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
		if strings.Count(out, "mail.log:5:") != 1 {
			t.Errorf("%s quotes the lost line %d times", name, strings.Count(out, "mail.log:5:"))
		}
	}
	// Nothing unreadable: no note.
	var clean bytes.Buffer
	Text(&clean, Diagnose(result(), English, nil), Style{})
	if strings.Contains(clean.String(), "Log lines not read") {
		t.Errorf("note without unreadable lines:\n%s", clean.String())
	}
}
