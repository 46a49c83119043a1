package sql

import (
	"context"
	dbsql "database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/source"
	"github.com/whymail/whymail/source/sql/sqltest"
)

// backend is one engine under test: how to open it, run statements as
// its admin, and its SQL dialect's differences.
type backend struct {
	name     string
	spec     string // without the password when the engine has one
	password string
	exec     func(t testing.TB, stmts ...string)
	stop     func()
	ph       [2]string // the placeholders: $1 $2, or ? ?
	schema   []string
	sleep    string // a query that takes 2 s, or "" when the engine has none
}

var rows = []string{
	`INSERT INTO users (id, email, status, locked_until, reset_sent_at) VALUES
	(1, 'alice@example.com', 'active', NULL, %[2]s),
	(2, 'bob@example.com', 'Deactivated', NULL, NULL),
	(3, 'carol@example.com', 'locked', %[1]s, NULL),
	(4, 'dave@example.com', 'active', NULL, NULL),
	(5, 'Erin.Smith@example.com', 'active', NULL, NULL),
	(6, 'gus@xn--bcher-kva.example', 'active', NULL, NULL)`,
	`INSERT INTO accounts (uid, mail, state, lock_ts) VALUES ('a-7', 'frank@example.com', 'suspended', 1795348800)`,
}

// suite runs the tests every engine must pass.
func suite(t *testing.T, b backend) {
	b.exec(t, b.schema...)
	setPassword(t, b.password)

	open := func(t *testing.T) *Users {
		u, err := Open(b.spec)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { u.Close() })
		return u
	}
	lookup := func(t *testing.T, u *Users, q source.UserQuery) ([]source.User, int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var got []source.User
		n, err := u.Users(ctx, q, func(r source.User) error { got = append(got, r); return nil })
		return got, n, err
	}
	t.Run("table by address", func(t *testing.T) {
		u := open(t)
		got, n, err := lookup(t, u, source.UserQuery{Address: "CAROL@Example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if n != -1 || len(got) != 1 {
			t.Fatalf("n = %d, records %+v; want -1 and carol", n, got)
		}
		c := got[0]
		want := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		if c.ID != "3" || c.Email != "carol@example.com" || c.Status != "locked" || !c.LockedUntil.Equal(want) || !c.ResetSentAt.IsZero() {
			t.Errorf("carol = %+v, want id 3 locked until %s", c, want)
		}
		if c.LockedUntil.Location() != time.UTC {
			t.Errorf("locked_until in %s, want UTC", c.LockedUntil.Location())
		}
		if !strings.Contains(c.Where, "users table") || !strings.Contains(c.Where, "id 3") {
			t.Errorf("Where = %q", c.Where)
		}
	})
	t.Run("table by id or address", func(t *testing.T) {
		u := open(t)
		got, _, err := lookup(t, u, source.UserQuery{ID: "1", Address: "bob@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]source.User{}
		for _, r := range got {
			ids[r.ID] = r
		}
		if len(got) != 2 || ids["1"].Email != "alice@example.com" || ids["2"].Status != "deactivated" {
			t.Fatalf("records %+v, want alice (by id) and bob, status deactivated (raw, lower-case)", got)
		}
		if want := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC); !ids["1"].ResetSentAt.Equal(want) {
			t.Errorf("alice's reset_sent_at = %s, want %s", ids["1"].ResetSentAt, want)
		}
	})
	t.Run("unicode domain", func(t *testing.T) {
		got, _, err := lookup(t, open(t), source.UserQuery{Address: "Gus@Bücher.example"})
		if err != nil || len(got) != 1 || got[0].ID != "6" {
			t.Fatalf("got %+v, %v; want gus, stored with the A-label domain", got, err)
		}
	})
	t.Run("no match", func(t *testing.T) {
		got, n, err := lookup(t, open(t), source.UserQuery{Address: "nobody@example.com"})
		if err != nil || len(got) != 0 || n != -1 {
			t.Fatalf("got %v, n %d, err %v; want nothing, -1", got, n, err)
		}
	})
	t.Run("empty table", func(t *testing.T) {
		u := open(t)
		if err := u.SetTable("empty_users"); err != nil {
			t.Fatal(err)
		}
		got, n, err := lookup(t, u, source.UserQuery{Address: "alice@example.com"})
		if err != nil || len(got) != 0 || n != 0 {
			t.Fatalf("got %v, n %d, err %v; want nothing, 0 (an empty table is not no-account)", got, n, err)
		}
	})
	t.Run("query with aliases", func(t *testing.T) {
		u := open(t)
		q := fmt.Sprintf(`SELECT uid AS id, mail AS email, state AS Status, lock_ts AS locked_until, 'x' AS extra
			FROM accounts WHERE lower(mail) = lower(%s) OR uid = %s`, b.ph[0], b.ph[1])
		if err := u.SetQuery(q); err != nil {
			t.Fatal(err)
		}
		for _, q := range []source.UserQuery{{Address: "Frank@example.com"}, {ID: "a-7"}} {
			got, _, err := lookup(t, u, q)
			if err != nil {
				t.Fatal(err)
			}
			want := time.Unix(1795348800, 0).UTC()
			if len(got) != 1 || got[0].ID != "a-7" || got[0].Status != "suspended" || !got[0].LockedUntil.Equal(want) {
				t.Fatalf("%+v: got %+v, want a-7 suspended, locked until %s", q, got, want)
			}
		}
		if d := u.Describe(); !strings.Contains(d, "users query") {
			t.Errorf("Describe = %q", d)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := u.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
	t.Run("ping", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := open(t).Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
		u := open(t)
		u.SetTable("no_such_table")
		if err := u.Ping(ctx); !source.IsInputError(err) {
			t.Errorf("Ping of a missing table: %v, want an input error", err)
		}
	})
	t.Run("bad queries are bad input", func(t *testing.T) {
		for _, q := range []string{
			fmt.Sprintf("SELECT id, email FROM users WHERE email = %s", b.ph[0]),                // no status
			fmt.Sprintf("SELEC id, email, status FROM users WHERE email = %s", b.ph[0]),         // syntax
			fmt.Sprintf("SELECT id, email, status FROM nonesuch WHERE email = %s", b.ph[0]),     // table
			fmt.Sprintf("SELECT id, email, status, nocol FROM users WHERE email = %s", b.ph[0]), // column
			fmt.Sprintf("UPDATE users SET status = 'x' WHERE email = %s", b.ph[0]),              // a write
		} {
			u := open(t)
			if err := u.SetQuery(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			_, _, err := lookup(t, u, source.UserQuery{Address: "alice@example.com"})
			if !source.IsInputError(err) {
				t.Errorf("%s: err = %v, want an input error", q, err)
			}
		}
		got, _, err := lookup(t, open(t), source.UserQuery{Address: "alice@example.com"})
		if err != nil || len(got) != 1 || got[0].Status != "active" {
			t.Errorf("after the write: %+v, %v; want alice still active (read-only)", got, err)
		}
	})
	if b.sleep != "" {
		t.Run("statement timeout", func(t *testing.T) {
			u := open(t)
			if err := u.SetQuery(b.sleep); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := u.Users(ctx, source.UserQuery{Address: "alice@example.com"}, func(source.User) error { return nil })
			if err == nil || source.IsInputError(err) {
				t.Errorf("err = %v, want a failure", err)
			}
			if d := time.Since(start); d > 1500*time.Millisecond {
				t.Errorf("took %s, want about 300ms", d)
			}
		})
	}
	if b.stop != nil {
		t.Run("down", func(t *testing.T) {
			u := open(t)
			b.stop()
			_, _, err := lookup(t, u, source.UserQuery{Address: "alice@example.com"})
			if err == nil || source.IsInputError(err) {
				t.Fatalf("err = %v, want a failure that is not bad input", err)
			}
			if b.password != "" && strings.Contains(err.Error(), b.password) {
				t.Errorf("the error shows the password: %v", err)
			}
			t.Logf("down: %v", err)
		})
	}
}

// setPassword sets WHYMAIL_USERS_PASSWORD for the test.
func setPassword(t *testing.T, pw string) {
	old := Getenv
	Getenv = func(k string) string {
		if k == PasswordEnv {
			return pw
		}
		return ""
	}
	t.Cleanup(func() { Getenv = old })
}

func TestPostgres(t *testing.T) {
	s := sqltest.Postgres(t)
	suite(t, backend{
		name: "postgres", spec: s.URL(false), password: s.Password, exec: s.Exec, stop: s.Stop,
		ph: [2]string{"$1", "$2"},
		schema: []string{
			`CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, status text NOT NULL,
				locked_until timestamptz, reset_sent_at timestamp, password_hash text)`,
			`CREATE TABLE empty_users (id integer, email text, status text)`,
			`CREATE TABLE accounts (uid text, mail text, state text, lock_ts bigint)`,
			fmt.Sprintf(rows[0], "'2026-11-22 13:00:00+01'", "'2026-11-22 09:30:00'"), rows[1],
		},
		sleep: "SELECT id, email, status FROM users, pg_sleep(2) WHERE email = $1",
	})
}

func TestMariaDB(t *testing.T) {
	s := sqltest.MariaDB(t)
	suite(t, backend{
		name: "mariadb", spec: s.URL(false), password: s.Password, exec: s.Exec, stop: s.Stop,
		ph: [2]string{"?", "?"},
		schema: []string{
			`CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(255) NOT NULL, status VARCHAR(20) NOT NULL,
				locked_until DATETIME NULL, reset_sent_at TIMESTAMP NULL)`,
			`CREATE TABLE empty_users (id INT, email VARCHAR(255), status VARCHAR(20))`,
			`CREATE TABLE accounts (uid VARCHAR(20), mail VARCHAR(255), state VARCHAR(20), lock_ts BIGINT)`,
			fmt.Sprintf(rows[0], "'2026-11-22 12:00:00'", "'2026-11-22 09:30:00'"), rows[1],
		},
		sleep: "SELECT id, email, status FROM users WHERE email = ? AND SLEEP(2) = 0",
	})
}

func TestSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.db")
	db, err := dbsql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(t testing.TB, stmts ...string) {
		for _, q := range stmts {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	suite(t, backend{
		name: "sqlite", spec: "sqlite:" + path, exec: exec, ph: [2]string{"?", "?"},
		schema: []string{
			// SQLite has no time type: text with a zone, and Unix seconds.
			`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, status TEXT, locked_until TEXT, reset_sent_at INTEGER)`,
			`CREATE TABLE empty_users (id, email, status)`,
			`CREATE TABLE accounts (uid, mail, state, lock_ts)`,
			fmt.Sprintf(rows[0], "'2026-11-22T13:00:00+01:00'", "1795339800"), rows[1],
		},
	})
	t.Run("ping of a table whose columns read but whose rows do not", func(t *testing.T) {
		// The columns are known from a first Ping; then the view's table
		// is dropped, and its SELECT fails. Ping must say so, not take
		// the rows as read.
		exec(t, `CREATE TABLE gone (id, email, status)`, `CREATE VIEW broken AS SELECT id, email, status FROM gone`)
		u, err := Open("sqlite:" + path)
		if err != nil {
			t.Fatal(err)
		}
		u.SetTable("broken")
		if err := u.Ping(context.Background()); err != nil {
			t.Fatalf("first Ping: %v", err)
		}
		exec(t, `DROP TABLE gone`)
		if err := u.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "gone") {
			t.Errorf("Ping = %v, want the failed SELECT (no such table: gone)", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		u, err := Open("sqlite:" + filepath.Join(t.TempDir(), "none.db"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = u.Users(context.Background(), source.UserQuery{Address: "a@b.example"}, func(source.User) error { return nil })
		if !source.IsInputError(err) || !strings.Contains(err.Error(), "none.db") {
			t.Errorf("err = %v, want an input error naming the file", err)
		}
	})
}

func TestDescribeAndErrorsHideThePassword(t *testing.T) {
	for _, spec := range []string{
		"postgres://app:hunter2pw@db.example:5433/app?sslmode=disable",
		"postgresql://app:hunter2pw@db.example/app",
		"mysql://app:hunter2pw@db.example/app",
		"mariadb://app:hunter2pw@db.example:3307/app?tls=true",
		"mysql://app:hunter2pw@db.example/app?bogus=1",
		"mysql://app:hunter2pw@db.example",
		"postgres://app:hunter2pw@db.example:99999999/app",
		"postgres://app:hunter2pw@[::1/app",
	} {
		u, err := Open(spec)
		var shown string
		if err != nil {
			shown = err.Error()
		} else {
			shown = u.Describe()
		}
		if strings.Contains(shown, "hunter2pw") {
			t.Errorf("%s: shows the password: %s", source.Redact(spec), shown)
		}
		if r := source.Redact(spec); strings.Contains(r, "hunter2pw") {
			t.Errorf("Redact(%s) = %s", spec, r)
		}
	}
	u, err := Open("postgres://app:hunter2pw@db.example:5433/app")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Describe(), "PostgreSQL users table at db.example:5433/app"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	u, _ = Open("mysql://app@db.example/shop")
	u.SetTable("app.accounts")
	if got, want := u.Describe(), "MySQL app.accounts table at db.example:3306/shop"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}

func TestSetTableAndQuery(t *testing.T) {
	u, _ := Open("sqlite:x.db")
	for _, bad := range []string{"users; DROP TABLE users", `us"ers`, "", "a.b.c", "1users"} {
		if err := u.SetTable(bad); err == nil {
			t.Errorf("SetTable(%q) accepted", bad)
		}
	}
	for q, want := range map[string]int{
		"SELECT * FROM users WHERE email = ?":                        1,
		"SELECT * FROM users WHERE email = ? OR id = ?;":             2,
		"SELECT '?' AS x, * FROM users WHERE email = ? -- or id = ?": 1,
		"SELECT * FROM users":                                        0,
		"SELECT * FROM users WHERE a = ? AND b = ? AND c = ?":        -1,
		"SELECT * FROM users WHERE email = :email":                   -1,
		"SELECT * FROM users WHERE email = 'unclosed ?":              -1,
	} {
		n, err := placeholders(SQLite, strings.TrimSuffix(q, ";"))
		if want < 1 && err == nil || want >= 1 && n != want {
			t.Errorf("%s: %d, %v; want %d", q, n, err, want)
		}
	}
	for q, want := range map[string]int{
		"SELECT * FROM users WHERE email = $1":                     1,
		"SELECT * FROM users WHERE id::text = $2":                  2,
		"SELECT $$ $3 $$, * FROM u WHERE email = $1 /* $4 */":      1,
		"SELECT $tag$ it's $3 $tag$ FROM u WHERE a = $1 OR b = $2": 2,
		"SELECT * FROM users WHERE email = $3":                     -1,
	} {
		n, err := placeholders(Postgres, q)
		if want < 1 && err == nil || want >= 1 && n != want {
			t.Errorf("%s: %d, %v; want %d", q, n, err, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, v := range []any{
		want, want.In(time.FixedZone("x", 3600)), int64(want.Unix()), float64(want.Unix()),
		"2026-11-22T12:00:00Z", "2026-11-22T13:00:00+01:00", "2026-11-22 12:00:00", "2026-11-22 12:00:00+00",
		"2026-11-22 12:00:00.000000", []byte("1795348800"), " 2026-11-22T12:00:00 ",
	} {
		got, err := parseTime(v)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%#v) = %v, %v; want %v", v, got, err, want)
		}
	}
	for _, v := range []any{nil, "", "0000-00-00 00:00:00", int64(0), time.Time{}} {
		if got, err := parseTime(v); err != nil || !got.IsZero() {
			t.Errorf("parseTime(%#v) = %v, %v; want no time", v, got, err)
		}
	}
	for _, v := range []any{"yesterday", int64(1795348800000), true} {
		if _, err := parseTime(v); err == nil {
			t.Errorf("parseTime(%#v) accepted", v)
		}
	}
}

// FuzzSpec: any spec opens or fails without panicking, and neither its
// description, its error nor its redaction shows its password.
func FuzzSpec(f *testing.F) {
	for _, s := range []string{
		"postgres://u:pw1234@h:5432/db?sslmode=disable", "postgresql://u@h/db", "postgres:///db?host=/run/pg",
		"mysql://u:pw1234@h:3306/db?tls=true", "mariadb://u:pw1234@unix/db?socket=/run/my.sock",
		"sqlite:app.db", "sqlite:///var/lib/app.db", "sqlite:", "postgres://u:p%zz@h/db", "mysql://[::1]:3306/db",
		"postgres://u:pw1234@h/db?password=pw1234", "mysql://u:pw1234@h/db?tls=pw1234",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		pw := ""
		if _, rest, ok := strings.Cut(spec, "://"); ok {
			if at := strings.LastIndex(rest, "@"); at >= 0 {
				if _, p, ok := strings.Cut(rest[:at], ":"); ok {
					pw = p
				}
			}
		}
		u, err := Open(spec)
		shown := ""
		if err != nil {
			shown = err.Error()
		} else {
			shown = u.Describe()
		}
		// A password found elsewhere in the spec (the host, a port) is
		// shown where that is.
		// No piece of 6 bytes of it is shown, unless that piece is also
		// elsewhere in the spec.
		r := source.Redact(spec)
		for i := 0; i+6 <= len(pw); i++ {
			for j := i + 6; j <= len(pw); j++ {
				sub := pw[i:j]
				if strings.Count(spec, sub) != 1 {
					continue
				}
				if strings.Contains(shown, sub) {
					t.Fatalf("%q shows %q of the password %q: %s", spec, sub, pw, shown)
				}
				if strings.Contains(r, sub) {
					t.Fatalf("Redact(%q) = %q", spec, r)
				}
			}
		}
	})
}
