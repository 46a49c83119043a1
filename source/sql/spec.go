package sql

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/whymail/whymail/source"
)

// Engine is a database engine whymail reads.
type Engine int

const (
	Postgres Engine = iota + 1
	MySQL           // MySQL and MariaDB: one protocol, one driver
	SQLite
)

func (e Engine) String() string {
	switch e {
	case Postgres:
		return "PostgreSQL"
	case MySQL:
		return "MySQL"
	case SQLite:
		return "SQLite"
	}
	return "SQL"
}

// Getenv reads the environment for passwords; tests replace it.
var Getenv = os.Getenv

// PasswordEnv is the variable that holds the users database's password
// when the spec has none; PasswordEnv+"_FILE" names a file holding it
// (a container secret). PostgreSQL's own PGPASSWORD and PGPASSFILE are
// honoured too.
const PasswordEnv = "WHYMAIL_USERS_PASSWORD"

// A spec parsed: what to connect to and how to name it without a secret.
type spec struct {
	engine   Engine
	where    string // host:port/db or the path: for Describe, no secret
	password string // as given or from the environment, to scrub from errors
	pg       *pgx.ConnConfig
	my       *mysql.Config
	path     string // SQLite
}

// parseSpec reads a spec: postgres://, postgresql://, mysql://,
// mariadb:// URLs, or sqlite:PATH. Its errors never hold the password.
func parseSpec(s string) (*spec, error) {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return nil, errors.New("want postgres://, mysql:// or sqlite:PATH")
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		path := strings.TrimPrefix(rest, "//")
		if path == "" {
			return nil, errors.New("sqlite: wants a path, as in sqlite:users.db or sqlite:///var/lib/app/app.db")
		}
		if strings.ContainsRune(path, 0) {
			return nil, errors.New("the path holds a NUL byte")
		}
		return &spec{engine: SQLite, where: path, path: path}, nil
	case "postgres", "postgresql":
		return parsePostgres(s)
	case "mysql", "mariadb":
		return parseMySQL(s)
	}
	return nil, fmt.Errorf("unknown scheme %q: want postgres, mysql, mariadb or sqlite", scheme)
}

// envPassword returns the password from the environment, "" when unset.
func envPassword() (string, error) {
	if p := Getenv(PasswordEnv); p != "" {
		return p, nil
	}
	file := Getenv(PasswordEnv + "_FILE")
	if file == "" {
		return "", nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %v", PasswordEnv, err)
	}
	if len(data) > 4096 {
		return "", fmt.Errorf("%s_FILE %s is larger than a password", PasswordEnv, file)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

// parseHint is said with a spec that does not parse.
const parseHint = "a password holding @ : / ? # must be percent-encoded; or give it in " + PasswordEnv

func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url's errors quote the URL, or a part of it that may be a
		// piece of the password when the URL is split wrongly.
		if source.HasPassword(s) {
			return nil, fmt.Errorf("not a URL (%s)", parseHint)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("not a URL: %v (%s)", err, parseHint)
	}
	if u.Opaque != "" {
		return nil, fmt.Errorf("want %s://HOST[:PORT]/DATABASE", u.Scheme)
	}
	return u, nil
}

func parsePostgres(s string) (*spec, error) {
	u, err := parseURL(s)
	if err != nil {
		return nil, err
	}
	sp := &spec{engine: Postgres}
	if u.User != nil {
		sp.password, _ = u.User.Password()
	}
	cfg, err := pgx.ParseConfig(s)
	if err != nil {
		// pgconn's error quotes the spec (redacted); say only why, and
		// not even that when the why may hold a piece of the password.
		if source.HasPassword(s) {
			return nil, fmt.Errorf("not a PostgreSQL URL (%s)", parseHint)
		}
		if inner := errors.Unwrap(err); inner != nil {
			err = inner
		}
		return nil, err
	}
	if sp.password == "" {
		p, err := envPassword()
		if err != nil {
			return nil, err
		}
		if p != "" {
			cfg.Password = p
		}
	}
	if cfg.Password != "" {
		sp.password = cfg.Password // PGPASSWORD, .pgpass
	}
	cfg.RuntimeParams["application_name"] = "whymail"
	sp.pg = cfg
	host := cfg.Host
	if strings.HasPrefix(host, "/") {
		host = "unix(" + host + ")"
	} else {
		host = net.JoinHostPort(host, fmt.Sprint(cfg.Port))
	}
	sp.where = host + "/" + cfg.Database
	return sp, nil
}

func parseMySQL(s string) (*spec, error) {
	u, err := parseURL(s)
	if err != nil {
		return nil, err
	}
	cfg := mysql.NewConfig()
	sp := &spec{engine: MySQL}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	if cfg.Passwd == "" {
		if cfg.Passwd, err = envPassword(); err != nil {
			return nil, err
		}
	}
	sp.password = cfg.Passwd
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if cfg.DBName == "" || strings.Contains(cfg.DBName, "/") {
		return nil, fmt.Errorf("want %s://USER@HOST[:PORT]/DATABASE: the database is missing", u.Scheme)
	}
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	if host == "" {
		host = "127.0.0.1"
	}
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(host, port)
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "socket":
			cfg.Net, cfg.Addr = "unix", v
		case "tls":
			cfg.TLSConfig = v
		default:
			return nil, fmt.Errorf("unknown parameter %q (want socket=PATH or tls=true|skip-verify|preferred)", k)
		}
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Timeout = 10 * time.Second // dial; the run's deadline cuts it shorter
	sp.my = cfg
	if cfg.Net == "unix" {
		sp.where = "unix(" + cfg.Addr + ")/" + cfg.DBName
	} else {
		sp.where = cfg.Addr + "/" + cfg.DBName
	}
	return sp, nil
}

// scrubError returns err with every occurrence of password replaced.
func scrubError(err error, password string) error {
	if err == nil {
		return nil
	}
	if password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return &scrubbed{msg: strings.ReplaceAll(err.Error(), password, "xxxxx"), err: err}
}

// scrubbed is an error whose text had a password removed; it still
// unwraps to the original for errors.Is and As.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }
