package bounce

import (
	"errors"
	"testing"

	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

// TestParseEndless: Parse, the library entry, stops at its bound on an
// endless message (/dev/zero) instead of reading a part of it.
func TestParseEndless(t *testing.T) {
	_, err := Parse(textinputtest.Zeros(1 << 30))
	if le := (*textinput.LimitError)(nil); !errors.As(err, &le) {
		t.Errorf("Parse(/dev/zero) = %v, want a LimitError", err)
	}
}
