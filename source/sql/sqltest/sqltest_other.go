//go:build !unix

package sqltest

import (
	"database/sql"
	"testing"
)

// A Server is a database server started for a test; on this system the
// tests that need one are skipped.
type Server struct {
	Engine, Host, User, Password, DB string
	Port                             int
	Admin                            *sql.DB
}

func (s *Server) Addr() string               { return "" }
func (s *Server) URL(bool) string            { return "" }
func (s *Server) Exec(testing.TB, ...string) {}
func (s *Server) Stop()                      {}
func Postgres(t testing.TB) *Server          { t.Skip("database servers are started on Unix only"); return nil }
func MariaDB(t testing.TB) *Server           { t.Skip("database servers are started on Unix only"); return nil }
