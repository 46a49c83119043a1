package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/bounce"
	"github.com/whymail/whymail/report"
	"github.com/whymail/whymail/source"
)

// BounceSchema is the version of the /v1/bounce lines, the same lines as
// the bounce command's JSON output.
const BounceSchema = "whymail.bounce/v1"

// readBody reads the request body up to limit bytes; a larger one is 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "", "the body is over %d bytes, the most this server reads", mb.Limit)
		}
		return nil, errorf(http.StatusBadRequest, CodeInvalidJSON, "", "reading the body: %v", err)
	}
	return b, nil
}

// readJSON reads and decodes a JSON request body into v.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any, fields string) *apiError {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "", "Content-Type %q: the body must be application/json", clip(ct))
		}
	}
	body, aerr := readBody(w, r, s.opt.BodyLimit)
	if aerr != nil {
		return aerr
	}
	return decodeJSON(body, v, fields)
}

// diagnosis runs one diagnosis under the server's deadline and notes it
// for the audit log and the metrics.
func (s *Server) diagnosis(r *http.Request, t Ticket) (*report.Diagnosis, *apiError) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.Deadline)
	defer cancel()
	d, err := s.desk.diagnose(ctx, t)
	if err != nil {
		return nil, s.runError(err)
	}
	noteAudit(r, func(e *auditEntry) {
		e.Address, e.User, e.Incomplete = t.Address, t.User, d.Incomplete
		if top := d.Top(); top != nil {
			e.Top, e.Verdict = string(top.ID), string(top.Verdict)
		}
	})
	if d.Incomplete {
		s.metrics.incomplete.WithLabelValues("diagnose").Inc()
	}
	return d, nil
}

// runError answers what stopped a run: bad data in the desk's own sources.
func (s *Server) runError(err error) *apiError {
	if checks.IsInputError(err) {
		return errorf(http.StatusInternalServerError, CodeDeskInput, "", "the desk's evidence could not be read: %v (fix the source in the server's config)", err)
	}
	s.opt.Log.Error("run failed", "err", err)
	return errorf(http.StatusInternalServerError, CodeInternal, "", "the checks could not run: %v", err)
}

func (s *Server) apiDiagnose(w http.ResponseWriter, r *http.Request) {
	var req DiagnoseRequest
	if e := s.readJSON(w, r, &req, ticketFields); e != nil {
		writeError(w, e)
		return
	}
	if d, ok := s.diagnoseRequest(w, r, req); ok {
		writeJSON(w, d)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	report.WriteJSON(w, v)
}

// domainLint runs the desk's domain checks under the deadline.
func (s *Server) domainLint(r *http.Request, domain string) (*report.Lint, *apiError) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.Deadline)
	defer cancel()
	l, err := s.desk.lint(ctx, domain)
	if err != nil {
		return nil, s.runError(err)
	}
	noteAudit(r, func(e *auditEntry) { e.Domain, e.Incomplete = domain, l.Incomplete })
	if l.Incomplete {
		s.metrics.incomplete.WithLabelValues("domain").Inc()
	}
	return l, nil
}

func (s *Server) apiDomain(w http.ResponseWriter, r *http.Request) {
	var req DomainRequest
	if e := s.readJSON(w, r, &req, "domain"); e != nil {
		writeError(w, e)
		return
	}
	domain, e := req.domain()
	if e != nil {
		writeError(w, e)
		return
	}
	release, ok := s.acquire(w)
	if !ok {
		return
	}
	defer release()
	l, e := s.domainLint(r, domain)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, l)
}

// addressWorkers are the addresses of one batch checked at once.
const addressWorkers = 8

// apiAddress answers one whymail.address/v1 line per address, in the
// order given, each as soon as it and those before it are done. Repeated
// domains are looked up once: the batch has one DNS cache.
func (s *Server) apiAddress(w http.ResponseWriter, r *http.Request) {
	var req AddressRequest
	if e := s.readJSON(w, r, &req, "addresses"); e != nil {
		writeError(w, e)
		return
	}
	addrs, e := req.addresses(s.opt.MaxAddresses)
	if e != nil {
		writeError(w, e)
		return
	}
	release, ok := s.acquire(w)
	if !ok {
		return
	}
	defer release()
	noteAudit(r, func(e *auditEntry) { e.Addresses = len(addrs) })
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	dns := s.desk.DNS()
	outs := make([]chan *report.AddressVerdict, len(addrs))
	for i := range outs {
		outs[i] = make(chan *report.AddressVerdict, 1)
	}
	work := make(chan int)
	go func() {
		defer close(work)
		for i := range addrs {
			select {
			case work <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range min(addressWorkers, len(addrs)) {
		go func() {
			for i := range work {
				actx, acancel := context.WithTimeout(ctx, s.opt.Deadline)
				outs[i] <- s.desk.Address(actx, dns, addrs[i])
				acancel()
			}
		}()
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range addrs {
		var v *report.AddressVerdict
		select {
		case v = <-outs[i]:
		case <-ctx.Done():
			return
		}
		rc.SetWriteDeadline(time.Now().Add(s.opt.Deadline + 20*time.Second))
		if enc.Encode(v) != nil {
			return // the client went away; cancel stops the workers
		}
		rc.Flush()
	}
}

// rawMessage is the body of /v1/bounce as a source of one message.
type rawMessage []byte

func (rawMessage) Describe() string { return "the request body" }

func (m rawMessage) Messages(_ context.Context, fn func(source.Message) error) error {
	return fn(source.Message{Name: "body", Form: "eml", Data: m})
}

type bounceLine struct {
	Schema string `json:"schema"`
	bounce.Record
}

// apiBounce classifies the raw message of the body: one whymail.bounce/v1
// line per failed recipient, none when it reports none.
func (s *Server) apiBounce(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "message/rfc822" && mt != "text/plain" && mt != "application/octet-stream") {
			writeError(w, errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "",
				"Content-Type %q: the body is the raw message, message/rfc822", clip(ct)))
			return
		}
	}
	body, e := readBody(w, r, s.opt.BounceLimit)
	if e != nil {
		writeError(w, e)
		return
	}
	if len(body) == 0 {
		writeError(w, errorf(http.StatusBadRequest, CodeInvalidMessage, "", "the body is empty: send the raw bounce message"))
		return
	}
	release, ok := s.acquire(w)
	if !ok {
		return
	}
	defer release()
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.Deadline)
	defer cancel()
	recs, err := bounce.Classify(ctx, rawMessage(body))
	if err != nil {
		writeError(w, errorf(http.StatusBadRequest, CodeInvalidMessage, "", "%v", err))
		return
	}
	if len(recs) > 0 {
		noteAudit(r, func(e *auditEntry) { e.Address, e.Top = recs[0].Recipient, string(recs[0].Cause) })
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	for _, rec := range recs {
		report.WriteJSONLine(w, bounceLine{Schema: BounceSchema, Record: rec})
	}
}
