package main

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestStyle: colour only for a terminal, never with --no-color, NO_COLOR
// or TERM=dumb. (A real terminal is not available in tests; the positive
// case is the only one left to isatty.)
func TestStyle(t *testing.T) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	tests := []struct {
		name    string
		out     any
		noColor bool
		env     map[string]string
	}{
		{"buffer", &bytes.Buffer{}, false, nil},
		{"file that is not a terminal", devnull, false, nil},
		{"--no-color", devnull, true, nil},
		{"NO_COLOR", devnull, false, map[string]string{"NO_COLOR": "1"}},
		{"TERM=dumb", devnull, false, map[string]string{"TERM": "dumb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{getenv: func(k string) string { return tt.env[k] }}
			switch w := tt.out.(type) {
			case *bytes.Buffer:
				e.stdout = w
			case *os.File:
				e.stdout = w
			}
			o := &outputOptions{noColor: tt.noColor}
			if o.style(e).Color {
				t.Error("colour on")
			}
		})
	}
}

// TestStyleTerminal opens a pseudo-terminal so the positive case is tested
// too: colour on a terminal, and still off there with NO_COLOR.
func TestStyleTerminal(t *testing.T) {
	tty := openPTY(t)
	e := &env{stdout: tty, getenv: func(string) string { return "" }}
	if !(&outputOptions{}).style(e).Color {
		t.Error("no colour on a terminal")
	}
	e.getenv = func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}
	if (&outputOptions{}).style(e).Color {
		t.Error("colour on a terminal with NO_COLOR set")
	}
}

// openPTY returns the terminal side of a new pseudo-terminal.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	fd := int(ptmx.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pts: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty
}
