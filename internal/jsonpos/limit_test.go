package jsonpos

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

// TestEndless reads inputs without end: each stops at the element bound
// with an *Error at the line where the long stretch began, in bounded
// memory.
func TestEndless(t *testing.T) {
	const max = 1 << 20
	for _, tt := range []struct {
		name string
		src  *textinputtest.Endless
		opt  Options
		line int
	}{
		{name: "endless string", src: &textinputtest.Endless{Prefix: "[\n\"", Fill: 'a'}, line: 2},
		{name: "white space after [", src: &textinputtest.Endless{Prefix: "[", Fill: ' '}, line: 1},
		{name: "newlines after a comma", src: &textinputtest.Endless{Prefix: "[1,", Fill: '\n'}, line: -1}, // where it stopped
		{name: "endless sequence value", src: &textinputtest.Endless{Prefix: "{}\n{\"a\": \"", Fill: 'x'}, opt: Options{Sequence: true}, line: 2},
		{name: "skipped member", src: &textinputtest.Endless{Prefix: "{\"skip\": \"", Fill: 'x'},
			opt: Options{Keys: func(string) (bool, error) { return false, nil }}, line: 1},
		{name: "streamed key", src: &textinputtest.Endless{Prefix: "{\"items\": [\"", Fill: 'x'},
			opt: Options{Keys: func(string) (bool, error) { return true, nil }}, line: 1},
		{name: "zeros", src: textinputtest.Zeros(0), line: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Max = 256 << 20
			tt.opt.MaxElement = max
			var err error
			alloc := textinputtest.Alloc(func() {
				err = Read(tt.src, "f.json", tt.opt, func(e *Element) error {
					var v any
					return e.Decode(&v)
				})
			})
			var pe *Error
			if !errors.As(err, &pe) || pe.Line != tt.line && tt.line >= 0 || pe.Line < 1 || pe.File != "f.json" {
				t.Fatalf("err = %v, want an *Error at f.json:%d", err, tt.line)
			}
			var le *LimitError
			if tt.name != "zeros" && !errors.As(err, &le) {
				t.Errorf("err = %v, want a LimitError", err)
			}
			if tt.src.Count() > 4*max || alloc > 16*max {
				t.Errorf("read %d bytes, allocated %s: not bounded by the %d-byte element bound", tt.src.Count(), textinputtest.MiB(alloc), max)
			}
		})
	}
}

// TestManySmallElements reads far more than the element bound in small
// elements: nothing is refused, and the heap stays small throughout.
func TestManySmallElements(t *testing.T) {
	src := &textinputtest.Endless{Prefix: "[", Fill: '1', Sep: ',', Every: 2, Max: 4 << 20}
	n := 0
	var peak uint64
	err := Read(src, "f.json", Options{MaxElement: 4 << 10}, func(e *Element) error {
		if n++; n%(256<<10) == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
		return nil // skipped
	})
	if !errors.Is(err, textinputtest.ErrRanAway) && !strings.Contains(err.Error(), "ends early") {
		t.Errorf("err = %v, want the input's own end", err)
	}
	if n < 2<<20-1 {
		t.Errorf("read %d elements, want all", n)
	}
	if peak == 0 || peak > 32<<20 {
		t.Errorf("heap in use up to %s", textinputtest.MiB(peak))
	}
}
