package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"time"
)

// Options are the server's own settings, beside the Desk.
type Options struct {
	// Deadline bounds one diagnosis (default 10 s: a helpdesk app gives up
	// at 15 s). When it expires the report is answered marked incomplete.
	Deadline time.Duration
	// MaxInFlight bounds the diagnoses running at once (default 8 per CPU);
	// beyond it a request is answered 503 with Retry-After.
	MaxInFlight int
	// BodyLimit bounds a JSON body (default 64 KiB); BounceLimit the raw
	// message of /v1/bounce (default 10 MiB).
	BodyLimit, BounceLimit int64
	// MaxAddresses bounds one /v1/address batch (default 1000).
	MaxAddresses int
	// Auth says who may call; the zero value is no authentication, which
	// Serve allows only on loopback.
	Auth Auth
	// Helpdesk holds the secrets of the helpdesk apps' signatures.
	Helpdesk Helpdesk
	// Audit receives one JSON line per request; nil: none.
	Audit io.Writer
	// Log receives the server's own messages; nil: slog's default.
	Log *slog.Logger
}

func (o *Options) defaults() {
	if o.Deadline <= 0 {
		o.Deadline = 10 * time.Second
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 8 * runtime.GOMAXPROCS(0)
	}
	if o.BodyLimit <= 0 {
		o.BodyLimit = 64 << 10
	}
	if o.BounceLimit <= 0 {
		o.BounceLimit = 10 << 20
	}
	if o.MaxAddresses <= 0 {
		o.MaxAddresses = 1000
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Server answers the page and the API for one Desk. It keeps no state
// between requests but the shared DNS cache of its Desk and its metrics,
// so any number can run behind a load balancer.
type Server struct {
	desk    *Desk
	opt     Options
	slots   chan struct{}
	metrics *metrics
	audit   *auditLog
	page    *pages
	handler http.Handler
}

// New returns the server of desk.
func New(desk *Desk, opt Options) (*Server, error) {
	opt.defaults()
	if err := opt.Auth.validate(); err != nil {
		return nil, err
	}
	s := &Server{desk: desk, opt: opt, slots: make(chan struct{}, opt.MaxInFlight),
		metrics: newMetrics(), audit: newAuditLog(opt.Audit)}
	d := *desk
	d.Ticket.Sources = s.metrics.countSources(desk.Ticket.Sources)
	s.desk = &d
	var err error
	if s.page, err = newPages(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the server's routes, with metrics and the audit log.
func (s *Server) Handler() http.Handler { return s.handler }

// routes are every endpoint, in one place (docs/api.md).
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	auth := s.opt.Auth.require
	// The API.
	mux.Handle("POST /v1/diagnose", auth(http.HandlerFunc(s.apiDiagnose)))
	mux.Handle("POST /v1/domain", auth(http.HandlerFunc(s.apiDomain)))
	mux.Handle("POST /v1/address", auth(http.HandlerFunc(s.apiAddress)))
	mux.Handle("POST /v1/bounce", auth(http.HandlerFunc(s.apiBounce)))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", auth(s.metrics.handler()))
	// The page.
	mux.Handle("GET /{$}", auth(http.HandlerFunc(s.pageIndex)))
	mux.Handle("GET /d", auth(http.HandlerFunc(s.pageDiagnose)))
	mux.Handle("GET /domain", auth(http.HandlerFunc(s.pageDomain)))
	mux.Handle("GET /static/", http.StripPrefix("/static/", s.page.static()))
	// The helpdesk apps, each verified by its own signature.
	mux.HandleFunc("POST /helpdesk/zendesk", s.zendesk)
	mux.HandleFunc("POST /helpdesk/helpscout", s.helpScout)
	mux.HandleFunc("POST /helpdesk/intercom", s.intercom)
	// Any other method on an endpoint: 405 in JSON, with Allow.
	for path, allow := range map[string]string{"/v1/diagnose": "POST", "/v1/domain": "POST", "/v1/address": "POST",
		"/v1/bounce": "POST", "/healthz": "GET, HEAD", "/metrics": "GET, HEAD", "/d": "GET, HEAD", "/domain": "GET, HEAD",
		"/helpdesk/zendesk": "POST", "/helpdesk/helpscout": "POST", "/helpdesk/intercom": "POST"} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "", "%s %s: this endpoint takes %s", r.Method, path, allow))
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, CodeNotFound, "", "no endpoint %s %s (see docs/api.md)", r.Method, r.URL.Path))
	})
	return s.observe(mux)
}

// acquire takes a slot for a diagnosis, or answers 503 with Retry-After
// and returns false. The slot is given back by the returned function.
func (s *Server) acquire(w http.ResponseWriter) (release func(), ok bool) {
	select {
	case s.slots <- struct{}{}:
		s.metrics.inFlight.Inc()
		return func() { <-s.slots; s.metrics.inFlight.Dec() }, true
	default:
		s.metrics.rejected.Inc()
		w.Header().Set("Retry-After", "1")
		writeError(w, errorf(http.StatusServiceUnavailable, CodeBusy, "",
			"%d diagnoses are running, the most this server takes at once: retry in a second", cap(s.slots)))
		return nil, false
	}
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"status\":\"ok\",\"in_flight\":%d}\n", len(s.slots))
}

// Timeouts of the HTTP server. Writing allows the deadline of a diagnosis
// and then some; a streamed batch extends its own write deadline per line.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 32 << 10
	shutdownGrace     = 30 * time.Second
)

// ErrUnauthenticated refuses to serve without authentication on an
// address other than loopback.
var ErrUnauthenticated = errors.New("no authentication configured (tokens or a trusted header): the server serves only on a loopback address without it")

// Serve answers on ln until ctx is done, then shuts down gracefully,
// letting the requests in flight finish (up to 30 s). Without
// authentication it serves only on a loopback listener, and says so.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.opt.Auth.configured() {
		if !isLoopback(ln.Addr()) {
			return fmt.Errorf("listening on %s: %w", ln.Addr(), ErrUnauthenticated)
		}
		s.opt.Log.Warn("UNAUTHENTICATED: no tokens or trusted header configured; anyone who can reach this loopback address can run diagnoses", "listen", ln.Addr().String())
	}
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      s.opt.Deadline + 20*time.Second,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.opt.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.opt.Log.Info("whymail serving", "url", "http://"+ln.Addr().String()+"/")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.opt.Log.Info("shutting down: letting requests in flight finish")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
