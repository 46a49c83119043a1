// Package sqltest starts real database servers for tests: a PostgreSQL
// (initdb, then postgres) and a MariaDB (mariadb-install-db, then
// mariadbd), each in a temporary directory on a loopback port, with a user
// that has a password, and stops them when the test ends. Run as root (as
// CI is), PostgreSQL runs as the "postgres" OS user that its Debian
// package creates, and MariaDB with --user=root. When the binaries are
// missing the test is skipped saying so, except under CI (CI set), where
// it fails: CI installs them (.ci/run) and must run these tests.
//go:build unix

package sqltest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// A Server is a database server started for a test.
type Server struct {
	Engine   string // "postgres" or "mariadb"
	Host     string // 127.0.0.1
	Port     int
	User     string
	Password string
	DB       string
	Admin    *sql.DB // connected as User, for the test's schema and rows

	cmd  *exec.Cmd
	stop syscall.Signal
	done chan struct{}
}

// Addr is HOST:PORT.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// URL is the spec of the database, with the password when withPassword.
func (s *Server) URL(withPassword bool) string {
	u := &url.URL{Scheme: s.Engine, Host: s.Addr(), Path: "/" + s.DB, User: url.User(s.User)}
	if s.Engine == "mariadb" {
		u.Scheme = "mysql"
	}
	if withPassword {
		u.User = url.UserPassword(s.User, s.Password)
	}
	if s.Engine == "postgres" {
		u.RawQuery = "sslmode=disable"
	}
	return u.String()
}

// Exec runs statements as the admin, failing the test on an error.
func (s *Server) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := s.Admin.Exec(q); err != nil {
			t.Fatalf("%s: %s: %v", s.Engine, q, err)
		}
	}
}

// Stop stops the server now (a test of a database that is down); the
// test's cleanup stops it otherwise.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	if s.Admin != nil {
		s.Admin.Close()
	}
	_ = s.cmd.Process.Signal(s.stop)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// missing skips the test, or fails it under CI.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI must run this test: .ci/run installs the packages)", msg)
	}
	t.Skip(msg)
}

// find looks for a program in PATH and then in dirs (globs).
func find(name string, dirs ...string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range dirs {
		m, _ := filepath.Glob(filepath.Join(d, name))
		sort.Strings(m)
		if len(m) > 0 {
			return m[len(m)-1]
		}
	}
	return ""
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// tempDir makes a directory the server's OS user can own; t.TempDir's
// parent is private to root.
func tempDir(t testing.TB, prefix string, owner *user.User) string {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if owner != nil {
		uid, _ := strconv.Atoi(owner.Uid)
		gid, _ := strconv.Atoi(owner.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// as sets cmd to run as u (nil: as this process), and to die with it.
func as(cmd *exec.Cmd, u *user.User) {
	cmd.SysProcAttr = sysProcAttr()
	if u != nil {
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		cmd.Env = append(os.Environ(), "HOME="+u.HomeDir, "USER="+u.Username)
	}
}

func run(t testing.TB, dir string, u *user.User, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	as(cmd, u)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
}

// start starts the server and waits until connect answers.
func (s *Server) start(t testing.TB, logPath string, u *user.User, connect func() (*sql.DB, error), name string, args ...string) {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	as(cmd, u)
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(s.done) }()
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(60 * time.Second)
	for {
		db, err := connect()
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err = db.PingContext(ctx)
			cancel()
			if err == nil {
				s.Admin = db
				return
			}
			db.Close()
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("%s exited: %s", filepath.Base(name), log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("%s did not answer within 60s: %v\n%s", filepath.Base(name), err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Postgres starts a PostgreSQL server with a database "app" owned by the
// user "whymail", whose password is Password.
func Postgres(t testing.TB) *Server {
	t.Helper()
	pgDirs := []string{"/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/bin"}
	initdb, postgres := find("initdb", pgDirs...), find("postgres", pgDirs...)
	if initdb == "" || postgres == "" {
		missing(t, "PostgreSQL is not installed (no initdb and postgres; on Debian: apt-get install postgresql)")
	}
	var owner *user.User
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		var err error
		if owner, err = user.Lookup("postgres"); err != nil {
			missing(t, "running as root, PostgreSQL needs the OS user postgres (its Debian package creates it): %v", err)
		}
	}
	dir := tempDir(t, "whymail-pg-", owner)
	// SIGQUIT: PostgreSQL's immediate shutdown.
	s := &Server{Engine: "postgres", Host: "127.0.0.1", Port: freePort(t), User: "whymail", Password: "pg-Secret-8d1f#x", DB: "app", stop: syscall.SIGQUIT}
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(s.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if owner != nil {
		uid, _ := strconv.Atoi(owner.Uid)
		gid, _ := strconv.Atoi(owner.Gid)
		os.Chown(pwfile, uid, gid)
	}
	data := filepath.Join(dir, "data")
	run(t, dir, owner, initdb, "-D", data, "-U", s.User, "--pwfile", pwfile, "--auth", "scram-sha-256",
		"-E", "UTF8", "--locale", "C", "--no-sync")
	s.start(t, filepath.Join(dir, "log"), owner, func() (*sql.DB, error) {
		return sql.Open("pgx", fmt.Sprintf("postgres://%s:%s@%s/postgres?sslmode=disable", s.User, url.QueryEscape(s.Password), s.Addr()))
	}, postgres, "-D", data, "-p", strconv.Itoa(s.Port), "-h", "127.0.0.1", "-k", dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=16MB", "-c", "max_connections=20")
	s.Exec(t, "CREATE DATABASE "+s.DB)
	s.Admin.Close()
	db, err := sql.Open("pgx", s.URL(true))
	if err != nil {
		t.Fatal(err)
	}
	s.Admin = db
	return s
}

// MariaDB starts a MariaDB server with a database "app" that the user
// "whymail" (password Password) may read and write.
func MariaDB(t testing.TB) *Server {
	t.Helper()
	mariadbd := find("mariadbd", "/usr/sbin", "/usr/libexec")
	install := find("mariadb-install-db", "/usr/bin", "/usr/scripts")
	if mariadbd == "" || install == "" {
		missing(t, "MariaDB is not installed (no mariadbd and mariadb-install-db; on Debian: apt-get install mariadb-server)")
	}
	dir := tempDir(t, "whymail-mariadb-", nil)
	s := &Server{Engine: "mariadb", Host: "127.0.0.1", Port: freePort(t), User: "whymail", Password: "my-Secret-3c7e#y", DB: "app", stop: syscall.SIGTERM}
	data := filepath.Join(dir, "data")
	var asRoot []string
	if os.Geteuid() == 0 {
		asRoot = []string{"--user=root"}
	}
	run(t, dir, nil, install, append([]string{"--no-defaults", "--datadir=" + data,
		"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"}, asRoot...)...)
	s.start(t, filepath.Join(dir, "log"), nil, func() (*sql.DB, error) {
		return sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/", s.Addr()))
	}, mariadbd, append([]string{"--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(s.Port),
		"--bind-address=127.0.0.1", "--socket=" + filepath.Join(dir, "sock"), "--pid-file=" + filepath.Join(dir, "pid"),
		"--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M",
		"--innodb-flush-log-at-trx-commit=0"}, asRoot...)...)
	s.Exec(t, "CREATE DATABASE "+s.DB,
		fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'", s.User, s.Password),
		fmt.Sprintf("GRANT ALL ON %s.* TO '%s'@'127.0.0.1'", s.DB, s.User))
	s.Admin.Close()
	db, err := sql.Open("mysql", fmt.Sprintf("%s:%s@tcp(%s)/%s?parseTime=true&time_zone=%%27%%2B00%%3A00%%27", s.User, s.Password, s.Addr(), s.DB))
	if err != nil {
		t.Fatal(err)
	}
	s.Admin = db
	return s
}
