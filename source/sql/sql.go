// Package sql is the source driver for user records in the app's own
// database: PostgreSQL (postgres://), MySQL and MariaDB (mysql://,
// mariadb://) and SQLite (sqlite:PATH, a pure Go driver that needs no C
// toolchain), through database/sql.
//
// Without a query it reads a table (Users.Table, default "users") with the
// columns id, email, status, locked_until and reset_sent_at (the last two
// may be missing), filtering in SQL by the id or lower(email). With a
// query (Users.Query), a SELECT returning columns of those names (aliases
// do the mapping), it binds two parameters, the address and the account id
// in that order ($1 and $2 for PostgreSQL, ? and ? for MySQL and SQLite),
// each NULL when the ticket has none: never string substitution. Extra
// columns are ignored. Every read runs in a read-only transaction with a
// statement timeout taken from the context's deadline.
//
// Times may be SQL timestamps with or without a zone (without one they are
// UTC), text in RFC 3339 or SQL form, or Unix seconds. Status words are
// returned as the database has them, lower-case: turning them into
// whymail's is the account check's job.
//
// Secrets: a spec's password is never shown (Describe names the engine,
// host and database; errors are scrubbed of it). It may come instead from
// WHYMAIL_USERS_PASSWORD, or a file named by WHYMAIL_USERS_PASSWORD_FILE;
// PostgreSQL's PGPASSWORD and .pgpass work too.
package sql

import (
	"context"
	dbsql "database/sql"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/net/idna"
	sqlite "modernc.org/sqlite"

	"github.com/whymail/whymail/internal/mailaddr"
	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/source"
)

// schemes are the spec schemes of the SQL drivers.
var schemes = []string{"postgres", "postgresql", "mysql", "mariadb", "sqlite"}

func init() {
	for _, s := range schemes {
		source.Register(s, Driver{})
	}
}

// IsSpec reports whether spec names a SQL source (by its scheme).
func IsSpec(spec string) bool {
	scheme, _, ok := strings.Cut(spec, ":")
	return ok && slices.Contains(schemes, scheme)
}

// Driver opens SQL user sources.
type Driver struct{}

// Open returns the user records at spec. It does not connect: the first
// read does, under the run's deadline.
func (Driver) Open(kind source.Kind, spec string) (source.Source, error) {
	if kind != source.KindUsers {
		return nil, fmt.Errorf("an SQL database gives user records only, not %s", kind)
	}
	return Open(spec)
}

// Bounds of what a read takes from the database.
const (
	// MaxRows is the most records one lookup may return: a lookup by id
	// or address returns one or two, so more means a query that does not
	// filter.
	MaxRows = 1000
	// MaxValue bounds one value.
	MaxValue = 64 << 10
	// DefaultTimeout is the statement timeout when the context has no
	// deadline.
	DefaultTimeout = 30 * time.Second
)

// Users are user records in a database table or returned by a query.
type Users struct {
	// Table is read when Query is empty; "users" when both are empty. It
	// may be schema-qualified (app.users).
	Table string
	// Query is a SELECT taking the address and the account id.
	Query string

	spec *spec

	mu      sync.Mutex
	db      *dbsql.DB
	columns []string          // the table's, quoted for the SELECT, once read
	names   map[string]string // its names of Columns, as the table spells them
}

// Open returns the user records at spec (postgres://, mysql://,
// mariadb://, sqlite:PATH). Its error never holds the password.
func Open(s string) (*Users, error) {
	sp, err := parseSpec(s)
	if err != nil {
		return nil, err
	}
	return &Users{spec: sp}, nil
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$`)

// SetTable sets the table to read; it must be a plain or
// schema-qualified name.
func (u *Users) SetTable(t string) error {
	if !identRE.MatchString(t) {
		return fmt.Errorf("table %s is not a table name (letters, digits, _; schema.table)", textinput.Clip(t))
	}
	u.Table, u.columns, u.names = t, nil, nil
	return nil
}

// SetQuery sets the query; it must take one or two parameters.
func (u *Users) SetQuery(q string) error {
	q = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(q), ";"))
	if _, err := placeholders(u.spec.engine, q); err != nil {
		return err
	}
	u.Query = q
	return nil
}

// Engine is the database engine.
func (u *Users) Engine() Engine { return u.spec.engine }

func (u *Users) table() string {
	if u.Table == "" {
		return "users"
	}
	return u.Table
}

// Describe names the engine, the table or query and where the database is,
// without a secret: "PostgreSQL users table at db.example:5432/app".
func (u *Users) Describe() string {
	what := u.table() + " table"
	if u.Query != "" {
		what = "users query"
	}
	at := "at"
	if u.spec.engine == SQLite {
		at = "in"
	}
	return fmt.Sprintf("%s %s %s %s", u.spec.engine, what, at, u.spec.where)
}

// open returns the pool, opening it at first use.
func (u *Users) open() (*dbsql.DB, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.db != nil {
		return u.db, nil
	}
	var db *dbsql.DB
	switch u.spec.engine {
	case Postgres:
		db = stdlib.OpenDB(*u.spec.pg)
	case MySQL:
		c, err := mysql.NewConnector(u.spec.my)
		if err != nil {
			return nil, scrubError(err, u.spec.password)
		}
		db = dbsql.OpenDB(c)
	case SQLite:
		if _, err := os.Stat(u.spec.path); err != nil {
			// A missing file would be created empty: say it is missing.
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, source.Inputf(u.spec.path, 0, "cannot read: %v", err)
		}
		var err error
		db, err = dbsql.Open("sqlite", sqliteDSN(u.spec.path))
		if err != nil {
			return nil, err
		}
	}
	// One connection a lookup, closed after it: a diagnosis makes one
	// lookup, and nothing is left open for a front end to forget.
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(0)
	u.db = db
	return db, nil
}

// sqliteDSN opens path read-only, as a SQLite URI: never creating it,
// refusing writes.
func sqliteDSN(path string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(path) + "?mode=ro&_pragma=query_only(1)&_pragma=busy_timeout(2000)"
}

// Close closes the connections.
func (u *Users) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.db == nil {
		return nil
	}
	err := u.db.Close()
	u.db = nil
	return err
}

// Users calls fn with the records whose id is q.ID or whose email is
// q.Address ignoring case. It returns -1 records looked at (it cannot
// tell), or 0 when the table is empty.
func (u *Users) Users(ctx context.Context, q source.UserQuery, fn func(source.User) error) (int, error) {
	n := -1
	err := u.tx(ctx, func(tx *dbsql.Tx) error {
		query, args, err := u.statement(ctx, tx, q)
		if err != nil {
			return err
		}
		if query == "" {
			return nil // nothing to look up by
		}
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		found, err := u.scan(rows, fn)
		if err != nil || found > 0 || u.Query != "" {
			return err
		}
		// Nothing matched: an empty table is not "no account".
		var one int
		err = tx.QueryRowContext(ctx, "SELECT 1 FROM "+quoteIdent(u.spec.engine, u.table())+" LIMIT 1").Scan(&one)
		if errors.Is(err, dbsql.ErrNoRows) {
			n = 0
			return nil
		}
		return err
	})
	return n, err
}

// Ping reads at most one record, to say whether the database answers and
// the table or query has the columns.
func (u *Users) Ping(ctx context.Context) error {
	return u.tx(ctx, func(tx *dbsql.Tx) error {
		var rows *dbsql.Rows
		var err error
		if u.Query != "" {
			// With NULL parameters it matches nothing, but it runs and
			// says its columns.
			rows, err = tx.QueryContext(ctx, u.Query, u.args(source.UserQuery{})...)
		} else {
			var cols []string
			if cols, err = u.tableColumns(ctx, tx); err != nil {
				return err
			}
			rows, err = tx.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+quoteIdent(u.spec.engine, u.table())+" LIMIT 1")
		}
		if err != nil {
			return err
		}
		_, err = u.scan(rows, func(source.User) error { return nil })
		return err
	})
}

// tx runs fn in a read-only transaction with a statement timeout from
// ctx's deadline, and words its error.
func (u *Users) tx(parent context.Context, fn func(*dbsql.Tx) error) (err error) {
	ctx := parent
	defer func() { err = u.wordError(parent, err) }()
	db, err := u.open()
	if err != nil {
		return err
	}
	timeout := DefaultTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	} else {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if timeout < time.Millisecond {
		timeout = time.Millisecond
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if u.spec.engine == MySQL {
		if err := mysqlSession(ctx, conn, timeout); err != nil {
			return err
		}
	}
	tx, err := conn.BeginTx(ctx, &dbsql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if u.spec.engine == Postgres {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", timeout.Milliseconds()+1)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "SET LOCAL TIME ZONE 'UTC'"); err != nil {
			return err
		}
	}
	return fn(tx)
}

// mysqlSession sets the session's statement timeout, MariaDB's
// max_statement_time or else MySQL's MAX_EXECUTION_TIME, and UTC for
// TIMESTAMP values.
func mysqlSession(ctx context.Context, conn *dbsql.Conn, timeout time.Duration) error {
	if _, err := conn.ExecContext(ctx, "SET time_zone = '+00:00'"); err != nil {
		return err
	}
	_, err := conn.ExecContext(ctx, fmt.Sprintf("SET SESSION max_statement_time = %.3f", timeout.Seconds()+0.001))
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1193 { // unknown system variable: MySQL
		_, err = conn.ExecContext(ctx, fmt.Sprintf("SET SESSION MAX_EXECUTION_TIME = %d", timeout.Milliseconds()+1))
	}
	return err
}

// statement builds the lookup for q: the query with its parameters, or a
// SELECT of the table's columns filtered by id or lower(email).
func (u *Users) statement(ctx context.Context, tx *dbsql.Tx, q source.UserQuery) (string, []any, error) {
	if u.Query != "" {
		return u.Query, u.args(q), nil
	}
	cols, err := u.tableColumns(ctx, tx)
	if err != nil {
		return "", nil, err
	}
	u.mu.Lock()
	names := u.names
	u.mu.Unlock()
	e := u.spec.engine
	var where []string
	var args []any
	ph := func() string {
		args = append(args, nil)
		if e == Postgres {
			return fmt.Sprintf("$%d", len(args))
		}
		return "?"
	}
	text := "TEXT"
	if e == MySQL {
		text = "CHAR"
	}
	if q.ID != "" {
		where = append(where, fmt.Sprintf("CAST(%s AS %s) = %s", quoteIdent(e, names["id"]), text, ph()))
		args[len(args)-1] = q.ID
	}
	for _, a := range addressForms(q.Address) {
		where = append(where, fmt.Sprintf("lower(%s) = lower(%s)", quoteIdent(e, names["email"]), ph()))
		args[len(args)-1] = a
	}
	if len(where) == 0 {
		return "", nil, nil
	}
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s LIMIT %d", strings.Join(cols, ", "), quoteIdent(e, u.table()),
		strings.Join(where, " OR "), MaxRows+1), args, nil
}

// args are the query's parameters: the address and the id, NULL when
// empty, as many as the query takes.
func (u *Users) args(q source.UserQuery) []any {
	n, _ := placeholders(u.spec.engine, u.Query)
	all := []any{nullable(q.Address), nullable(q.ID)}
	return all[:n]
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// tableColumns returns the quoted columns to read from the table: those
// of Columns it has. It reads the table's shape once, from a query that
// returns no row.
func (u *Users) tableColumns(ctx context.Context, tx *dbsql.Tx) ([]string, error) {
	u.mu.Lock()
	cols := u.columns
	u.mu.Unlock()
	if cols != nil {
		return cols, nil
	}
	rows, err := tx.QueryContext(ctx, "SELECT * FROM "+quoteIdent(u.spec.engine, u.table())+" WHERE 1=0")
	if err != nil {
		return nil, err
	}
	names, err := rows.Columns()
	rows.Close()
	if err != nil {
		return nil, err
	}
	have := map[string]string{}
	for _, n := range names {
		have[strings.ToLower(n)] = n
	}
	found := map[string]string{}
	for _, c := range Columns {
		n, ok := have[c]
		if !ok {
			if required(c) {
				return nil, source.Inputf(u.Describe(), 0, "the table has no %s column (want %s; it has %s)",
					c, strings.Join(Columns, ", "), textinput.Clip(strings.Join(names, ", ")))
			}
			continue
		}
		found[c] = n
		q := quoteIdent(u.spec.engine, n)
		if n != c {
			q += " AS " + c
		}
		cols = append(cols, q)
	}
	u.mu.Lock()
	u.columns, u.names = cols, found
	u.mu.Unlock()
	return cols, nil
}

// Columns are the columns read, by name; the first three are required.
var Columns = []string{"id", "email", "status", "locked_until", "reset_sent_at"}

func required(c string) bool { return c == "id" || c == "email" || c == "status" }

// quoteIdent quotes a (schema-qualified) name for engine.
func quoteIdent(e Engine, name string) string {
	q := `"`
	if e == MySQL {
		q = "`"
	}
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = q + strings.ReplaceAll(p, q, q+q) + q
	}
	return strings.Join(parts, ".")
}

// scan reads rows into records and calls fn with each, returning how many.
func (u *Users) scan(rows *dbsql.Rows, fn func(source.User) error) (int, error) {
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	idx := map[string]int{}
	for i, n := range names {
		n = strings.ToLower(n)
		if _, dup := idx[n]; dup && (required(n) || n == "locked_until" || n == "reset_sent_at") {
			return 0, source.Inputf(u.Describe(), 0, "the query returns two columns named %s", n)
		}
		idx[n] = i
	}
	for _, c := range Columns[:3] {
		if _, ok := idx[c]; !ok {
			return 0, source.Inputf(u.Describe(), 0, "the query returns no %s column (want %s, named so with AS; it returns %s)",
				c, strings.Join(Columns, ", "), textinput.Clip(strings.Join(names, ", ")))
		}
	}
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if n++; n > MaxRows {
			return n, source.Inputf(u.Describe(), 0, "the lookup returned more than %d records: the query must filter by the address and the account id", MaxRows)
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		rec, err := u.record(idx, vals)
		if err != nil {
			return n, err
		}
		if err := fn(rec); err != nil {
			return n, err
		}
	}
	return n, rows.Err()
}

// record makes a User of one row.
func (u *Users) record(idx map[string]int, vals []any) (source.User, error) {
	get := func(c string) (any, bool) {
		i, ok := idx[c]
		if !ok {
			return nil, false
		}
		return vals[i], true
	}
	str := func(c string) (string, error) {
		v, _ := get(c)
		s, err := text(v)
		if err != nil {
			return "", fmt.Errorf("%s: %v", c, err)
		}
		return strings.TrimSpace(s), nil
	}
	var rec source.User
	var err error
	if rec.ID, err = str("id"); err != nil {
		return rec, source.Inputf(u.Describe(), 0, "%v", err)
	}
	id := rec.ID
	if len(id) > 64 || strings.ContainsAny(id, "\n\r") {
		id = textinput.Clip(id)
	}
	rec.Where = fmt.Sprintf("%s, id %s", u.Describe(), id)
	bad := func(err error) error { return source.Inputf(rec.Where, 0, "%v", err) }
	if rec.Email, err = str("email"); err != nil {
		return rec, bad(err)
	}
	if c, _, isBad := textinput.Control(rec.Email); isBad {
		return rec, bad(textinput.ControlError("email", rec.Email, c))
	}
	if rec.Status, err = str("status"); err != nil {
		return rec, bad(err)
	}
	rec.Status = strings.ToLower(rec.Status)
	for _, c := range []struct {
		name string
		t    *time.Time
	}{{"locked_until", &rec.LockedUntil}, {"reset_sent_at", &rec.ResetSentAt}} {
		v, ok := get(c.name)
		if !ok {
			continue
		}
		if *c.t, err = parseTime(v); err != nil {
			return rec, bad(fmt.Errorf("%s: %v", c.name, err))
		}
	}
	return rec, nil
}

// text turns a scanned value into a string.
func text(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		if len(v) > MaxValue {
			return "", fmt.Errorf("value longer than %d bytes", MaxValue)
		}
		return v, nil
	case []byte:
		if len(v) > MaxValue {
			return "", fmt.Errorf("value longer than %d bytes", MaxValue)
		}
		return string(v), nil
	case [16]byte: // a PostgreSQL uuid
		return fmt.Sprintf("%x-%x-%x-%x-%x", v[0:4], v[4:6], v[6:8], v[8:10], v[10:16]), nil
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano), nil
	}
	return fmt.Sprint(v), nil
}

// wordError makes err fit to show: scrubbed of the password, a timeout
// said as one, a query the database rejects as bad input.
func (u *Users) wordError(ctx context.Context, err error) error {
	if err == nil || source.IsInputError(err) {
		return err
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	err = scrubError(err, u.spec.password)
	if writes(err) {
		return &source.InputError{File: u.Describe(), Err: fmt.Errorf("the query writes, and whymail only reads: %w", err)}
	}
	if badQuery(err) {
		return &source.InputError{File: u.Describe(), Err: err}
	}
	if badParameter(err) {
		return &source.InputError{File: u.Describe(), Err: fmt.Errorf("the query cannot take the address or the account id as given: %w (compare them as text: CAST(id AS TEXT) = ...)", err)}
	}
	return err
}

// badQuery reports whether the database rejected the statement itself
// (syntax, an unknown table or column, a permission): the configuration is
// wrong, not the database down.
func badQuery(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "42") // syntax error or access rule violation
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.SQLState[0] == '4' && me.SQLState[1] == '2'
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == 1 // SQLITE_ERROR: SQL error or missing database
	}
	return false
}

// writes reports whether the database refused a write in the read-only
// transaction.
func writes(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "25006" // read_only_sql_transaction
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return string(me.SQLState[:]) == "25006"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == 8 // SQLITE_READONLY
	}
	return false
}

// badParameter reports whether a parameter did not fit the column it is
// compared with (an id "x" with an integer column): PostgreSQL's class 22.
func badParameter(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Code, "22")
}

// addressForms are the spellings of addr a record may hold: as given, and
// with its domain in A-labels and in Unicode (bücher.example and
// xn--bcher-kva.example are one domain), so that the filter misses no
// record the account check would match.
func addressForms(addr string) []string {
	if addr == "" {
		return nil
	}
	forms := []string{addr}
	local, d, ok := mailaddr.Split(addr)
	if !ok {
		return forms
	}
	ascii := mailaddr.NormalDomain(d)
	uni, err := idna.ToUnicode(ascii)
	if err != nil {
		uni = ascii
	}
	for _, dom := range []string{ascii, uni} {
		f := local + "@" + dom
		if !slices.ContainsFunc(forms, func(g string) bool { return strings.EqualFold(f, g) }) {
			forms = append(forms, f)
		}
	}
	return forms
}
