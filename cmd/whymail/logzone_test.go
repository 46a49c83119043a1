package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLogZonesConfig: in --config, log-tz is a zone for every log, a
// mapping of logs to zones, or a list of both; the logs it names are
// relative to the file, as its log paths are.
func TestLogZonesConfig(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, yaml string
		all        string            // the zone of every log ("": local)
		per        map[string]string // log path (relative to dir) to zone
	}{
		{"scalar", "log: [a.log]\nlog-tz: Europe/Paris\n", "Europe/Paris", nil},
		{"mapping", "log: [a.log, logs/b.log]\nlog-tz: {logs/b.log: Asia/Tokyo}\n", "", map[string]string{"logs/b.log": "Asia/Tokyo"}},
		{"list", "log: [a.log, b.log]\nlog-tz: [Europe/Paris, b.log=UTC]\n", "Europe/Paris", map[string]string{"b.log": "UTC"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			root := newRoot(&env{getenv: func(string) string { return "" }})
			cmd, _, err := root.Find([]string{"diagnose"})
			if err != nil {
				t.Fatal(err)
			}
			if err := applyConfig(cmd, path); err != nil {
				t.Fatal(err)
			}
			z := cmd.Flags().Lookup("log-tz").Value.(*logZones)
			logs, _ := cmd.Flags().GetStringArray("log")
			all, per, err := z.zones(logs)
			if err != nil {
				t.Fatal(err)
			}
			if got := zoneName(all); got != tt.all {
				t.Errorf("every log in %q, want %q", got, tt.all)
			}
			if len(per) != len(tt.per) {
				t.Errorf("zones of single logs %v, want %v", per, tt.per)
			}
			for rel, want := range tt.per {
				if got := zoneName(per[filepath.Join(dir, rel)]); got != want {
					t.Errorf("%s in %q, want %q (zones %v)", rel, got, want, per)
				}
			}
		})
	}
}

func zoneName(l *time.Location) string {
	if l == nil {
		return ""
	}
	return l.String()
}
