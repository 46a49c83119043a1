package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// auditEntry is one line of the audit log: who asked what, when, and the
// answer's top cause.
type auditEntry struct {
	Time       time.Time `json:"time"`
	Who        string    `json:"who,omitempty"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Status     int       `json:"status"`
	MS         int64     `json:"ms"`
	Address    string    `json:"address,omitempty"`
	User       string    `json:"user,omitempty"`
	Domain     string    `json:"domain,omitempty"`
	Addresses  int       `json:"addresses,omitempty"`
	Top        string    `json:"top,omitempty"`
	Verdict    string    `json:"verdict,omitempty"`
	Incomplete bool      `json:"incomplete,omitempty"`
	Via        string    `json:"via,omitempty"` // the helpdesk app
}

type auditLog struct {
	mu sync.Mutex
	w  io.Writer
}

func newAuditLog(w io.Writer) *auditLog { return &auditLog{w: w} }

func (l *auditLog) write(e *auditEntry) {
	if l.w == nil {
		return
	}
	b, _ := json.Marshal(e)
	l.mu.Lock()
	l.w.Write(append(b, '\n'))
	l.mu.Unlock()
}

type auditKey struct{}

// noteAudit adds to the request's audit line.
func noteAudit(r *http.Request, fn func(*auditEntry)) {
	if e, ok := r.Context().Value(auditKey{}).(*auditEntry); ok {
		fn(e)
	}
}

// statusWriter remembers the status written, and passes Flush and the
// write deadline on (http.ResponseController unwraps it).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe counts and times every request and writes its audit line. The
// route is the mux's pattern, so that metrics have few label values.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		e := &auditEntry{Time: start.UTC(), Method: r.Method, Path: r.URL.Path}
		r = r.WithContext(context.WithValue(r.Context(), auditKey{}, e))
		sw := &statusWriter{ResponseWriter: w}
		sw.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		route := r.Pattern
		if route == "" || route == "/" {
			route = "other"
		}
		s.metrics.observe(route, sw.status, d)
		if r.URL.Path == "/healthz" || r.URL.Path == "/metrics" || r.URL.Path == "/favicon.ico" ||
			len(r.URL.Path) > 8 && r.URL.Path[:8] == "/static/" {
			return // probes and assets: no one's data
		}
		e.Status, e.MS = sw.status, d.Milliseconds()
		s.audit.write(e)
	})
}
