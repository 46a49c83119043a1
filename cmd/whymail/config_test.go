package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

// FuzzConfig: any --config file either applies or gives a usage error
// naming the file; it never panics.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		"sender: a@b.example\nsending-ip: [192.0.2.1]\n",
		"zone: [a.zone, b.zone]\nat: 2026-11-22T10:00:00Z\n",
		"users: {a: b}\n", "- a\n- b\n", "colour: true\n", "link-ttl: forever\n", ":\n", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		root := newRoot(&env{getenv: func(string) string { return "" }})
		cmd, _, err := root.Find([]string{"diagnose"})
		if err != nil {
			t.Fatal(err)
		}
		err = applyConfig(cmd, path)
		var xe *exitError
		if err != nil && (!errors.As(err, &xe) || xe.code != ExitUsage) {
			t.Errorf("config error %v is not a usage error", err)
		}
	})
}

// TestConfigHostile: /dev/zero as --config stops at the bound with a
// usage error naming the file, in bounded memory; a UTF-16 file (as
// Windows editors save "Unicode") applies as the UTF-8 one does.
func TestConfigHostile(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		data []byte // written to a file; nil: /dev/zero
		err  string
	}{
		{name: "/dev/zero", err: "--config /dev/zero: config file larger than 1 MiB"},
		{name: "utf-8", data: []byte("sender: a@b.example\n")},
		{name: "utf-16le", data: textinputtest.UTF16("sender: a@b.example\r\n", false)},
		{name: "utf-16be", data: textinputtest.UTF16("sender: a@b.example\n", true)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := "/dev/zero"
			if tt.data != nil {
				path = filepath.Join(dir, tt.name+".yaml")
				if err := os.WriteFile(path, tt.data, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if _, err := os.Stat(path); err != nil {
				t.Skip("no /dev/zero")
			}
			root := newRoot(&env{getenv: func(string) string { return "" }})
			cmd, _, err := root.Find([]string{"diagnose"})
			if err != nil {
				t.Fatal(err)
			}
			alloc := textinputtest.Alloc(func() { err = applyConfig(cmd, path) })
			if alloc > 8*maxConfig {
				t.Errorf("allocated %s", textinputtest.MiB(alloc))
			}
			if tt.err != "" {
				var xe *exitError
				if !errors.As(err, &xe) || xe.code != ExitUsage || err.Error() != tt.err {
					t.Errorf("err = %v, want usage error %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cmd.Flags().Lookup("sender").Value.String(); got != "a@b.example" {
				t.Errorf("sender = %q, want a@b.example", got)
			}
		})
	}
}
