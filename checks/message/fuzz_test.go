package message

import (
	"strings"
	"testing"
)

// FuzzReceived feeds one Received field value to its parser: no panic, and
// each clause value is one word.
func FuzzReceived(f *testing.F) {
	f.Add("from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id a640c23a62f3a-9a1b2c3d4e5f for <alice@example.com> (Google Transport Security); Mon, 23 Nov 2026 09:12:03 -0800 (PST)")
	f.Add("by 2002:a05:6a10:1234 with SMTP id x1csp123; Mon, 23 Nov 2026 09:12:03 -0800")
	f.Add("from [192.0.2.1] (helo=(nested (comment))) via relay ; ;")
	f.Add("(((((( from x ))))) by y;Thu, 1 Jan 1970 00:00:00 +0000")
	f.Fuzz(func(t *testing.T, v string) {
		h := parseReceived(v)
		for _, s := range []string{h.From, h.By, h.With, h.ID, h.For} {
			if strings.ContainsAny(s, " \t\r\n") {
				t.Fatalf("clause value %q has a space", s)
			}
		}
	})
}

// FuzzAuthResults feeds an Authentication-Results field value to its
// parser: no panic, the raw text kept with its spaces folded.
func FuzzAuthResults(f *testing.F) {
	f.Add("mx.google.com; dkim=pass header.i=@example.com header.s=s1 header.b=abc; spf=pass (google.com: domain of a@example.com designates 192.0.2.1 as permitted sender) smtp.mailfrom=a@example.com; dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com")
	f.Add("mx.example.net; spf=fail smtp.mailfrom=b.example; dkim=none; dmarc=fail header.from=example.com")
	f.Add("example.org 1; none")
	f.Add("; dkim=pass header.d=\"quoted;\"")
	f.Fuzz(func(t *testing.T, v string) {
		ar := parseAuthResults(v)
		if ar.Raw != strings.Join(strings.Fields(v), " ") {
			t.Fatalf("raw %q", ar.Raw)
		}
		for _, d := range ar.DKIM {
			if d.Domain != strings.ToLower(d.Domain) {
				t.Fatalf("dkim domain %q not lower-case", d.Domain)
			}
		}
	})
}
