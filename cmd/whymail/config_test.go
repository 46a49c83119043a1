package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
