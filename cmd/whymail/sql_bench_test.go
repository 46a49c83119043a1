package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/whymail/whymail/source/sql/sqltest"
)

// BenchmarkDiagnoseSQL is one diagnosis from zone files whose account
// comes from the CSV file, from a PostgreSQL table and through a query:
// what the database adds to a run (connect, read-only transaction, one
// lookup) on loopback.
func BenchmarkDiagnoseSQL(b *testing.B) {
	s := sqltest.Postgres(b)
	s.Exec(b, sqlSchema...)
	dir := b.TempDir()
	csv, zone := filepath.Join(dir, "users.csv"), filepath.Join(dir, "example.com.zone")
	os.WriteFile(csv, []byte(sqlUsersCSV), 0o644)
	os.WriteFile(zone, []byte(sqlZone), 0o644)
	b.Setenv("WHYMAIL_USERS_PASSWORD", s.Password)
	base := []string{"diagnose", "carol@example.com", "--zone", zone, "--at", "2026-11-22T10:00:00Z", "--format", "json"}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"csv", []string{"--users", csv}},
		{"postgres-table", []string{"--users", s.URL(false)}},
		{"postgres-query", []string{"--users", s.URL(false), "--users-query", sqlQuery}},
	} {
		b.Run(c.name, func(b *testing.B) {
			args := append(append([]string{}, base...), c.args...)
			for b.Loop() {
				if code := Main(args, nil, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}
