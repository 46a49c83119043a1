package message

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
)

func parseFile(t *testing.T, name string) *Result {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestHops(t *testing.T) {
	res := parseFile(t, "delivered-gmail.eml")
	want := []struct {
		from, by, with, id string
		delay              time.Duration
	}{
		{"app-worker-3", "mail.app.example", "ESMTP", "4F1A2B3C4D", 2 * time.Second},
		{"mail.app.example", "mx.google.com", "ESMTPS", "a1si123.2026.11.23.09.31.09", 19*time.Minute + 7*time.Second},
		{"", "2002:a05:6400:1234", "SMTP", "x1csp100", time.Second},
	}
	if len(res.Hops) != len(want) {
		t.Fatalf("hops = %+v", res.Hops)
	}
	for i, w := range want {
		h := res.Hops[i]
		if h.From != w.from || h.By != w.by || h.With != w.with || h.ID != w.id || h.Delay != w.delay {
			t.Errorf("hop %d = %+v, want %+v", i+1, h, w)
		}
	}
	if res.Slowest != 1 {
		t.Errorf("slowest = %d, want 1", res.Slowest)
	}
}

func TestAuthResultsAndAlignment(t *testing.T) {
	tests := []struct {
		file             string
		spf, dmarc, dkim string
		spfAl, dkimAl    checks.Tristate
	}{
		{"delivered-gmail.eml", "pass", "pass", "pass app.example", checks.Yes, checks.Yes},
		{"dmarc-fail.eml", "fail", "fail", "fail esp.example.net", checks.No, checks.No},
		{"old-slow.eml", "", "", "", checks.Yes, checks.Maybe},
	}
	for _, tt := range tests {
		res := parseFile(t, tt.file)
		var spf, dmarc, dkim string
		if res.Auth != nil {
			spf, dmarc = string(res.Auth.SPF), string(res.Auth.DMARC)
			for _, d := range res.Auth.DKIM {
				dkim = string(d.Result) + " " + d.Domain
			}
		}
		if spf != tt.spf || dmarc != tt.dmarc || dkim != tt.dkim || res.SPFAligned != tt.spfAl || res.DKIMAligned != tt.dkimAl {
			t.Errorf("%s: spf=%q dmarc=%q dkim=%q aligned spf=%v dkim=%v; want %q %q %q %v %v",
				tt.file, spf, dmarc, dkim, res.SPFAligned, res.DKIMAligned, tt.spf, tt.dmarc, tt.dkim, tt.spfAl, tt.dkimAl)
		}
	}
}

func TestCheck(t *testing.T) {
	at := time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		file    string
		at      time.Time
		cause   checks.CauseID
		verdict checks.Verdict
		status  checks.Status
		msg     string
	}{
		{"no input", "", at, checks.SenderAuth, checks.Unknown, checks.StatusSkipped, ""},
		{"slow hop", "delivered-gmail.eml", at, checks.Delayed, checks.Possible, checks.StatusWarning, "slowest is hop 2 (mail.app.example -> mx.google.com) at 19m7s"},
		{"dmarc pass", "delivered-gmail.eml", at, checks.SenderAuth, checks.RuledOut, checks.StatusWarning, "dmarc=pass"},
		// dmarc=fail action=quarantine: the receiver applied the policy.
		{"dmarc fail", "dmarc-fail.eml", at, checks.SenderAuth, checks.Confirmed, checks.StatusError, "dmarc=fail (app.example)"},
		{"dmarc quarantine spam folder", "dmarc-fail.eml", at, checks.SpamFolder, checks.Likely, checks.StatusError, "disposition quarantine"},
		{"dmarc fail dis=none", "dmarc-none.eml", at, checks.SenderAuth, checks.Likely, checks.StatusError, "dmarc=fail"},
		{"dmarc fail dis=none no spam", "dmarc-none.eml", at, checks.SpamFolder, "", checks.StatusError, ""},
		{"policy.dmarc=reject", "dmarc-policy-reject.eml", at, checks.SenderAuth, checks.Confirmed, checks.StatusError, "disposition reject"},
		// Gmail's form: the disposition inside the comment, upper-case.
		{"gmail dis=QUARANTINE", "dmarc-gmail-quarantine.eml", at, checks.SenderAuth, checks.Confirmed, checks.StatusError, "disposition quarantine"},
		{"gmail dis=QUARANTINE spam folder", "dmarc-gmail-quarantine.eml", at, checks.SpamFolder, checks.Likely, checks.StatusError, "mx.google.com quarantined the message"},
		// Microsoft 365 overrides p=reject and files the message as spam.
		{"microsoft oreject", "dmarc-ms-oreject.eml", at, checks.SenderAuth, checks.Confirmed, checks.StatusError, "disposition oreject"},
		{"microsoft oreject spam folder", "dmarc-ms-oreject.eml", at, checks.SpamFolder, checks.Likely, checks.StatusError, "action=oreject: Microsoft 365's override of p=reject"},
		// pct= sampled the message out: the policy was not applied.
		{"microsoft pct.quarantine", "dmarc-ms-pct.eml", at, checks.SenderAuth, checks.Likely, checks.StatusError, "dmarc=fail"},
		{"microsoft pct.quarantine no spam", "dmarc-ms-pct.eml", at, checks.SpamFolder, "", checks.StatusError, ""},
		// Exchange Online's Authentication-Results name no receiver.
		{"microsoft auth results", "ms-junk.eml", at, checks.SenderAuth, checks.RuledOut, checks.StatusWarning, "the receiver says spf=pass (app.example), dkim=pass (app.example), dmarc=pass (app.example)"},
		{"microsoft junk", "ms-junk.eml", at, checks.SpamFolder, checks.Confirmed, checks.StatusWarning, "X-MS-Exchange-Organization-SCL: 6"},
		{"microsoft scl only", "ms-scl-only.eml", at, checks.SpamFolder, checks.Likely, checks.StatusWarning, "spam confidence level 5"},
		{"microsoft clean", "ms-clean.eml", at, checks.SpamFolder, checks.RuledOut, checks.StatusOK, "SFV:NSPM"},
		{"spamassassin", "spamassassin-yes.eml", at, checks.SpamFolder, checks.Likely, checks.StatusWarning, "X-Spam-Flag: YES"},
		{"link expired", "old-slow.eml", time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), checks.LinkExpired, checks.Possible, checks.StatusWarning, "longer ago than the link lifetime"},
		{"very slow", "old-slow.eml", at, checks.Delayed, checks.Possible, checks.StatusWarning, "relay.example.org -> mx.example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := &checks.Ticket{Address: "x@example.com", At: tt.at}
			if tt.file != "" {
				tk.Sources.Message = checktest.MessageFile("testdata/" + tt.file)
			}
			res := checktest.Run(t, nil, tk, Check)
			if got := checktest.Best(res, tt.cause); got != tt.verdict {
				t.Errorf("%s verdict %q, want %q; %v", tt.cause, got, tt.verdict, checktest.Messages(res, "message"))
			}
			if st := res.Check("message").Status; st != tt.status {
				t.Errorf("status %s, want %s", st, tt.status)
			}
			if tt.msg != "" && !strings.Contains(strings.Join(checktest.Messages(res, "message"), "\n"), tt.msg) {
				t.Errorf("no message containing %q in %q", tt.msg, checktest.Messages(res, "message"))
			}
		})
	}
}

func TestCheckInputError(t *testing.T) {
	_, err := checktest.RunErr(nil, &checks.Ticket{Sources: checks.Sources{Message: checktest.MessageFile("testdata/not-mail.txt")}}, Check)
	var ie *checks.InputError
	if !errors.As(err, &ie) || ie.File != "testdata/not-mail.txt" {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"delivered-gmail.eml", "dmarc-fail.eml", "old-slow.eml", "ms-junk.eml", "spamassassin-yes.eml", "dmarc-policy-reject.eml", "dmarc-gmail-quarantine.eml", "dmarc-ms-oreject.eml"} {
		b, _ := os.ReadFile("testdata/" + n)
		f.Add(b)
	}
	// Hostile seeds: NULs, UTF-16, a long header field.
	f.Add([]byte("\x00\x00\x00\x00"))
	f.Add([]byte("\xff\xfeF\x00r\x00o\x00m\x00:\x00 \x00a\x00\n\x00"))
	f.Add([]byte("From: a@b.example\nX: " + strings.Repeat("a", 1<<10) + "\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		end := strings.Index(string(data), "\n\n")
		if crlf := strings.Index(string(data), "\n\r\n"); crlf >= 0 && (end < 0 || crlf < end) {
			end = crlf
		}
		if end > MaxHeader || end < 0 && len(data) > MaxHeader {
			t.Fatalf("a header over %d bytes was read", MaxHeader)
		}
		if res.Slowest >= len(res.Hops) {
			t.Fatalf("slowest %d of %d hops", res.Slowest, len(res.Hops))
		}
	})
}
