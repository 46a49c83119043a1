package dnsbl

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"golang.org/x/net/idna"

	"github.com/whymail/whymail/checks"
)

// TestPublicSuffixCorpus checks that the domain subjects end with the
// organizational domain the Public Suffix List's own test vectors expect
// (domain lists such as the DBL, SURBL and URIBL hold registered domains).
// It runs when ../../../shared/corpus is present.
func TestPublicSuffixCorpus(t *testing.T) {
	f, err := os.Open("../../../shared/corpus/public-suffix-list/tests.txt")
	if err != nil {
		t.Skipf("corpus absent: %v", err)
	}
	defer f.Close()
	pass, total := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		in, want, ok := strings.Cut(line, " ")
		if !ok || in == "null" {
			continue
		}
		total++
		subs, _ := Subjects(&checks.Ticket{Sender: in})
		if want == "null" {
			// No organizational domain: nothing is added to the domain itself.
			if len(subs) <= 1 {
				pass++
			} else {
				t.Errorf("%s: organizational domain %q, want none", in, subs[len(subs)-1].Text)
			}
			continue
		}
		if a, err := idna.Lookup.ToASCII(want); err == nil {
			want = strings.ToLower(a)
		}
		got := "none"
		if len(subs) > 0 {
			got = subs[len(subs)-1].Text
		}
		if got == want {
			pass++
		} else {
			t.Errorf("%s: organizational domain %q, want %q", in, got, want)
		}
	}
	t.Logf("public-suffix-list: %d/%d passed", pass, total)
}
