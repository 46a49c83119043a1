package bounce

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

// TestReadFileEndless: a bounce file without end (/dev/zero, an mbox
// line or message that never ends) is an error saying which bound and
// where, read in memory bounded by the message bound, never truncated.
func TestReadFileEndless(t *testing.T) {
	for _, tt := range []struct {
		name  string
		src   *textinputtest.Endless
		err   string
		bound int64 // bytes it may read
	}{
		{name: "/dev/zero", src: textinputtest.Zeros(0), err: "message larger than 32 MiB", bound: maxMessage + 1<<20},
		{name: "endless mbox line", src: &textinputtest.Endless{Prefix: "From a@b Mon Jan  1 00:00:00 2026\nSubject: x\n", Fill: 'a'},
			err: "mbox line 3: line longer than 1 MiB", bound: 2 * maxMboxLine},
		{name: "endless mbox message", src: &textinputtest.Endless{Prefix: "From a@b Mon Jan  1 00:00:00 2026\nSubject: x\n\n", Fill: 'a', Sep: '\n', Every: 1000},
			err: "message 1 is larger than 32 MiB", bound: maxMessage + 1<<20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Max = 1 << 30
			open := func(string) (io.ReadCloser, error) { return io.NopCloser(tt.src), nil }
			var err error
			alloc := textinputtest.Alloc(func() { _, err = ReadFile("b.eml", open) })
			if err == nil || !strings.Contains(err.Error(), tt.err) || errors.Is(err, textinputtest.ErrRanAway) {
				t.Errorf("err = %v, want %q", err, tt.err)
			}
			if tt.src.Count() > tt.bound || alloc > 5*maxMessage {
				t.Errorf("read %d bytes, allocated %s", tt.src.Count(), textinputtest.MiB(alloc))
			}
		})
	}
	// Parse, the library entry, says the same instead of reading a part.
	_, err := Parse(textinputtest.Zeros(1 << 30))
	if le := (*textinput.LimitError)(nil); !errors.As(err, &le) {
		t.Errorf("Parse(/dev/zero) = %v, want a LimitError", err)
	}
}

// TestMboxBounds: an mbox of many messages larger than a message bound
// in all is read whole.
func TestMboxBounds(t *testing.T) {
	msg := "From a@b Mon Jan  1 00:00:00 2026\nSubject: x\n\n" + strings.Repeat("body line\n", 1000) + "\n"
	in := strings.Repeat(msg, 4000) // 40 MiB
	src, err := splitMbox("m", strings.NewReader(in))
	if err != nil || len(src.Messages) != 4000 || len(in) < maxMessage {
		t.Fatalf("%d messages, %v; want 4000", len(src.Messages), err)
	}
}
