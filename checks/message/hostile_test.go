package message

import (
	"os"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

// TestParseEndless: Parse reads only the header, and a header without end
// stops at MaxHeader with an error naming the line, in bounded memory.
func TestParseEndless(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  *textinputtest.Endless
		err  string
	}{
		{name: "/dev/zero", src: textinputtest.Zeros(0), err: "line 1: not an email message: line longer than 1 MiB"},
		{name: "endless header field", src: &textinputtest.Endless{Prefix: "From: a@b.example\nX-Junk: ", Fill: 'a'}, err: "line 2: the header goes on past 1 MiB"},
		{name: "endless folded header", src: &textinputtest.Endless{Prefix: "From: a@b.example\nX-Junk: a\n", Fill: ' ', Sep: '\n', Every: 100},
			err: "the header goes on past 1 MiB: not an email message"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Max = 1 << 30
			var err error
			alloc := textinputtest.Alloc(func() { _, err = Parse(tt.src) })
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want %q", err, tt.err)
			}
			if tt.src.Count() > 2*MaxHeader || alloc > 16*MaxHeader {
				t.Errorf("read %d bytes, allocated %s", tt.src.Count(), textinputtest.MiB(alloc))
			}
		})
	}
}

// TestCheckDevZero: --message /dev/zero is an input error naming it.
func TestCheckDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := checktest.RunErr(nil, &checks.Ticket{Address: "a@b.example", Domain: "b.example", Sources: checks.Sources{Message: checktest.MessageFile("/dev/zero")}}, Check)
	if !checks.IsInputError(err) || err.Error() != "/dev/zero: cannot read messages: message larger than 32 MiB" {
		t.Errorf("err = %v", err)
	}
}
