package source

import "testing"

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://app:s3cret@db:5432/app?sslmode=disable": "postgres://app:xxxxx@db:5432/app?sslmode=disable",
		"postgres://app@db/app":                             "postgres://app@db/app",
		"mysql://app:p@ss:w@rd@db/app":                      "mysql://app:xxxxx@db/app",
		"postgres://db/app?password=s3cret&sslmode=require": "postgres://db/app?password=xxxxx&sslmode=require",
		"clickhouse://h:8123/db?table=logs&Key=abc":         "clickhouse://h:8123/db?table=logs&Key=xxxxx",
		"#x://:0001@host":                                   "#x://:xxxxx@host",
		"users.csv":                                         "users.csv",
		"sqlite:app.db":                                     "sqlite:app.db",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
