package address

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseValid(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	tests := []struct {
		in                 string
		local, asciiDomain string
		smtputf8           bool
	}{
		{"alice@example.com", "alice", "example.com", false},
		{"Alice.Smith@Example.COM", "Alice.Smith", "example.com", false},
		{"  bob@example.org\t", "bob", "example.org", false},
		{"\r\nbob@example.org\n", "bob", "example.org", false},
		{"first.last+tag@sub.example.co.uk", "first.last+tag", "sub.example.co.uk", false},
		{"x@e.io", "x", "e.io", false},
		{"!#$%&'*+-/=?^_`{|}~@example.com", "!#$%&'*+-/=?^_`{|}~", "example.com", false},
		{"123@123.com", "123", "123.com", false},
		{"a@c--n.com", "a", "c--n.com", false},
		{"a@ab--cd.com", "a", "ab--cd.com", false},
		{`"john doe"@example.com`, "john doe", "example.com", false},
		{`"a\"b"@example.com`, `a"b`, "example.com", false},
		{`"a\\b"@example.com`, `a\b`, "example.com", false},
		{`"a@b"@example.com`, "a@b", "example.com", false},
		{`""@example.com`, "", "example.com", false},
		{`"john..doe"@example.com`, "john..doe", "example.com", false},
		{`"plain"@example.com`, "plain", "example.com", false},
		{"user@[192.0.2.1]", "user", "[192.0.2.1]", false},
		{"user@[IPv6:2001:db8::1]", "user", "[IPv6:2001:db8::1]", false},
		{"user@[ipv6:2001:DB8::1]", "user", "[IPv6:2001:db8::1]", false},
		{"user@[IPv6:::]", "user", "[IPv6:::]", false},
		{"user@[IPv6:1111:2222:3333:4444:5555:6666:255.255.255.255]", "user", "[IPv6:1111:2222:3333:4444:5555:6666:255.255.255.255]", false},
		{"user@[IPv6:1111:2222:3333:4444::255.255.255.255]", "user", "[IPv6:1111:2222:3333:4444::255.255.255.255]", false},
		{"user@bücher.de", "user", "xn--bcher-kva.de", false},
		{"user@BÜCHER.de", "user", "xn--bcher-kva.de", false},
		{"user@例え。テスト", "user", "xn--r8jz45g.xn--zckzah", false},
		{"user@xn--bcher-kva.de", "user", "xn--bcher-kva.de", false},
		{"用户@例子.广告", "用户", "xn--fsqu00a.xn--4rr70v", true},
		{"josé@example.com", "josé", "example.com", true},
		{`"josé ñ"@example.com`, "josé ñ", "example.com", true},
		{strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64), "example.com", false},
		{"a@" + long63 + ".com", "a", long63 + ".com", false},
		{"xn--test@example.com", "xn--test", "example.com", false},
		{"a@iana.a", "a", "iana.a", false},
		{"a@b.c.d.e.f.g.h.example", "a", "b.c.d.e.f.g.h.example", false},
	}
	for _, tt := range tests {
		m, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !m.Valid || m.Reason != "" || m.Local != tt.local || m.ASCIIDomain != tt.asciiDomain || m.SMTPUTF8 != tt.smtputf8 || m.Address != tt.in {
			t.Errorf("Parse(%q) = %+v, want local %q, domain %q, smtputf8 %v", tt.in, m, tt.local, tt.asciiDomain, tt.smtputf8)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in, reason string
		pos        int // 0: not checked
	}{
		{"", "empty", 0},
		{"   ", "empty", 0},
		{"alice", "no @", 0},
		{"alice.example.com", "no @", 0},
		{"@example.com", "nothing before the @", 1},
		{"alice@", "nothing after the @", 0},
		{"alice@@example.com", "second @ at position 7", 7},
		{"a@b@example.com", "second @ at position 4", 4},
		{strings.Repeat("a", 65) + "@example.com", "local part is 65 octets long; the limit is 64", 0},
		{"a@" + strings.Repeat("a", 64) + ".com", "is 64 octets long; the limit is 63", 0},
		{"a@" + strings.Repeat(strings.Repeat("b", 63)+".", 4) + "com", "domain is 259 octets long; the limit is 255", 0},
		{strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 3) + "com", "address is 252", -1}, // fits: checked below
		{strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 62)+".", 3) + "com", "address is 257 octets long; the limit is 254", 0},
		{".alice@example.com", "local part starts with a dot", 1},
		{"alice.@example.com", "local part ends with a dot", 6},
		{"al..ice@example.com", "two dots in a row at position 3", 3},
		{"alice@.example.com", "domain starts with a dot", 7},
		{"alice@example.com.", "domain ends with a dot", 18},
		{"alice@example..com", "two dots in a row at position 14", 14},
		{"ali ce@example.com", "a space at position 4", 4},
		{"alice@exam ple.com", "a space at position 11", 11},
		{"ali,ce@example.com", "comma at position 4", 4},
		{"a(b)@example.com", "comments are not part of an address", 2},
		{"(comment)alice@example.com", "comments are not part of an address", 1},
		{`al"ice@example.com`, "quote at position 3 is in the middle", 3},
		{`"alice@example.com`, "never closed", 1},
		{`"alice"x@example.com`, `'x' at position 8 follows the quoted local part`, 8},
		{`"a"."b"@example.com`, "dot follows the quoted local part", 4},
		{`"a\`, "backslash", 0},
		{"\"a\\\x01\"@example.com", "cannot be escaped", 4},
		{"\"a\x07\"@example.com", "control character U+0007 at position 3", 3},
		{"a\x7f@example.com", "DEL control character at position 2", 2},
		{"a\xffb@example.com", "byte 0xff at position 2 is not UTF-8", 2},
		{"a\u200bb@example.com", "invisible character U+200B at position 2", 2},
		{"a\\b@example.com", "a backslash at position 2", 2},
		{"alice@exa_mple.com", "underscore at position 10", 10},
		{"alice@example,com", "comma at position 14", 14},
		{"alice@example.com/x", `'/' at position 18`, 18},
		{"alice@-example.com", `label "-example" starts with a hyphen`, 7},
		{"alice@example-.com", `label "example-" ends with a hyphen`, 14},
		{"alice@example.com-", `label "com-" ends with a hyphen`, 18},
		{"alice@example.123", `top-level domain "123" is all digits`, 0},
		{"alice@192.0.2.1", `top-level domain "1" is all digits`, 0},
		{"alice@localhost", "has no dot", 0},
		{"alice@gmail", "like gmail.com", 0},
		{"alice@xn--test.org", "not a valid internationalised domain name", 0},
		{"alice@a\u200db.com", "not a valid internationalised domain name", 0},
		// IDNA2008 (RFC 5892) disallows symbols and punctuation that UTS #46 would punycode.
		{"alice@¡hola.com", "'¡' (U+00A1) at position 7, a symbol or punctuation that IDNA2008 does not allow", 7},
		{"alice@euro€.com", "'€' (U+20AC) at position 11", 11},
		{"alice@£.co.uk", "'£' (U+00A3) at position 7", 7},
		{"alice@©copy.com", "'©' (U+00A9) at position 7", 7},
		{"alice@I♥NY.com", "'♥' (U+2665)", 8},
		{"alice@xn--copy-4fa.com", "'©' (U+00A9), a symbol", 0},
		{"ò@\u00ad", "empty once invisible characters are removed", 0},
		{"alice@[192.0.2.1", "has no closing ]", 7},
		{"alice@[192.0.2.1]x", "text after the address literal", 18},
		{"alice@a[192.0.2.1]", `'[' at position 8: an address literal must be the whole domain`, 8},
		{"alice@[192.0.2]", "it has 3 parts, not 4", 0},
		{"alice@[192.0.2.256]", "256 is more than 255", 0},
		{"alice@[2001:db8::1]", "IPv6 address without its tag", 0},
		{"alice@[IPv6:2001:db8::1::2]", `"::" appears more than once`, 0},
		{"alice@[IPv6:1111:2222:3333:4444:5555:6666:7777]", "it has 7 groups, not 8", 0},
		{"alice@[IPv6:1111:2222:3333:4444:5555:6666::8888]", "at least two", 0},
		{"alice@[IPv6:1::2:]", "ends with a single colon", 0},
		{"alice@[IPv6:12345::]", "more than 4 hex digits", 0},
		{"alice@[IPv6:1::g]", "'g' in the group", 0},
		{"alice@[x-tag:stuff]", `tag "x-tag"`, 0},
		{"alice@[hello world]", "not an IPv4 address", 0},
		{"Alice <alice@example.com>", "display name with an address (Alice <...>); give only the address: alice@example.com", 7},
		{`"Smith, Alice" <alice@example.com>`, "", -2}, // a quoted display name: handled below
		{"<alice@example.com>", "angle brackets; give it without them: alice@example.com", 1},
		{"mailto:alice@example.com?subject=hi", "mailto: link; give only the address: alice@example.com", 1},
		{"alice@example.com, bob@example.com", "more than one address (a comma at position 18)", 18},
		{"alice@example.com bob@example.com", "more than one address (a space at position 18)", 18},
	}
	for _, tt := range tests {
		m, err := Parse(tt.in)
		if tt.pos == -1 {
			if err != nil {
				t.Errorf("Parse(%q) (%d octets): %v, want valid", tt.in, len(tt.in), err)
			}
			continue
		}
		if tt.pos == -2 {
			// A display name that is quoted still reads as a display name.
			if err == nil || !strings.Contains(err.Error(), "give only the address: alice@example.com") {
				t.Errorf("Parse(%q) = %v, want a display-name reason", tt.in, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("Parse(%q) = %+v, want error containing %q", tt.in, m, tt.reason)
			continue
		}
		se, ok := err.(*SyntaxError)
		if !ok {
			t.Errorf("Parse(%q) error %T, want *SyntaxError", tt.in, err)
			continue
		}
		if !strings.Contains(se.Reason, tt.reason) {
			t.Errorf("Parse(%q) reason %q, want it to contain %q", tt.in, se.Reason, tt.reason)
		}
		if tt.pos != 0 && se.Pos != tt.pos {
			t.Errorf("Parse(%q) position %d, want %d (%s)", tt.in, se.Pos, tt.pos, se.Reason)
		}
		if m == nil || m.Valid || m.Reason != se.Reason || m.Address != tt.in {
			t.Errorf("Parse(%q) mailbox %+v, want invalid with the same reason", tt.in, m)
		}
	}
}

func TestFormatRoundTrip(t *testing.T) {
	for in, want := range map[string]string{
		`"plain"@example.com`:     "plain@example.com",
		`"a b"@example.com`:       `"a b"@example.com`,
		`"a\"b"@example.com`:      `"a\"b"@example.com`,
		`"a\b"@example.com`:       "ab@example.com",
		`""@example.com`:          `""@example.com`,
		"Alice@Bücher.de":         "Alice@Bücher.de",
		"user@[IPv6:2001:DB8::1]": "user@[IPv6:2001:DB8::1]",
	} {
		m, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := Format(m); got != want {
			t.Errorf("Format(Parse(%q)) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"alice@example.com", `"a\"b"@example.com`, "user@[IPv6:2001:db8::1]", "user@[192.0.2.1]",
		"josé@bücher.de", "Alice <a@b.com>", "mailto:a@b.com", "a@xn--bcher-kva.de", `""@x.org`,
		"a..b@c.d", "a@b", "@", "", "a@[IPv6:1::2:3.4.5.6]", "a@例え。テスト",
		"a@¡hola.com", "a@xn--copy-4fa.com", "a@l·l.cat",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s)
		if m == nil {
			t.Fatalf("Parse(%q) returned a nil mailbox", s)
		}
		if err != nil {
			if m.Valid || m.Reason == "" {
				t.Fatalf("Parse(%q) failed (%v) but the mailbox says valid=%v reason=%q", s, err, m.Valid, m.Reason)
			}
			return
		}
		if !m.Valid || m.ASCIIDomain == "" {
			t.Fatalf("Parse(%q) = %+v: valid without an ASCII domain", s, m)
		}
		for i := 0; i < len(m.ASCIIDomain); i++ {
			if m.ASCIIDomain[i] >= utf8.RuneSelf {
				t.Fatalf("Parse(%q): ASCIIDomain %q is not ASCII", s, m.ASCIIDomain)
			}
		}
		out := Format(m)
		m2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but Parse(Format) = Parse(%q): %v", s, out, err)
		}
		if m2.Local != m.Local || m2.Domain != m.Domain || m2.ASCIIDomain != m.ASCIIDomain || m2.SMTPUTF8 != m.SMTPUTF8 {
			t.Fatalf("not idempotent: %q -> %+v; %q -> %+v", s, m, out, m2)
		}
		if Format(m2) != out {
			t.Fatalf("Format not stable: %q then %q", out, Format(m2))
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for _, s := range []string{"alice.smith+tag@example.co.uk", "josé@bücher.de", `"john doe"@[IPv6:2001:db8::1]`} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				Parse(s)
			}
		})
	}
}

func BenchmarkDisposable(b *testing.B) {
	Disposable("x")
	for b.Loop() {
		Disposable("a.b.example.com")
	}
}
