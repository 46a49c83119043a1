package server

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/report"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type pages struct {
	t *template.Template
}

func newPages() (*pages, error) {
	t, err := template.New("").Funcs(template.FuncMap{"join": strings.Join}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &pages{t: t}, nil
}

func (p *pages) static() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	return http.FileServerFS(sub)
}

// securityHeaders say that a page loads nothing from another host and may
// not be framed.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer") // a permalink holds an address
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

func (p *pages) render(w http.ResponseWriter, name string, status int, data any) {
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// formView is the form of a diagnosis: the request's fields, and the
// languages an agent may ask the answer in.
type formView struct {
	Address, User, At string
	Lang              string // the request's language; "": the desk's
	Langs             []langOption
}

type langOption struct {
	Tag, Name string
	Selected  bool
}

// form is the form for a request's fields, with the languages of the
// catalogs, the one the answer is in selected.
func (s *Server) form(address, user, at, lang string) formView {
	f := formView{Address: address, User: user, At: at, Lang: lang}
	in := s.desk.lang(Ticket{Lang: lang})
	for _, tag := range report.Languages() {
		f.Langs = append(f.Langs, langOption{Tag: tag, Name: report.LanguageName(tag), Selected: tag == in})
	}
	return f
}

// diagnoseView is the page of one diagnosis, in the order an agent reads
// it: the top cause and next step, the reply, the other causes with their
// evidence, what could not be checked, what was ruled out.
type diagnoseView struct {
	Title       string
	Lang        string // the language of the catalog's words
	Form        formView
	Error       string
	D           *report.Diagnosis
	Failed      []string
	Top         *report.Cause
	TopBaseRate bool
	Others      []*report.Cause
	Unknown     []unknownGroup
	Ruled       []ruledView
	Markdown    string
	Permalink   string
	MarkdownURL string
	JSONURL     string
}

type unknownGroup struct {
	IDs []string
	Why string
}

type ruledView struct {
	ID    checks.CauseID
	Title string
	Why   string
}

func newDiagnoseView(form formView, d *report.Diagnosis) *diagnoseView {
	v := &diagnoseView{Title: d.Address, Form: form, D: d, Failed: d.FailedChecks(), Top: d.Top()}
	if v.Top != nil {
		v.TopBaseRate = v.Top.BaseRateOnly()
	}
	byWhy := map[string]int{}
	for _, c := range d.Causes {
		switch {
		case c == v.Top:
		case c.Verdict.Rank() <= checks.Possible.Rank():
			v.Others = append(v.Others, c)
		case c.Verdict == checks.Unknown:
			why := "not examined here (settled by " + c.SettledBy + ")"
			if len(c.Evidence) > 0 {
				why = c.Evidence[0].Message
			}
			if i, ok := byWhy[why]; ok {
				v.Unknown[i].IDs = append(v.Unknown[i].IDs, string(c.ID))
				continue
			}
			byWhy[why] = len(v.Unknown)
			v.Unknown = append(v.Unknown, unknownGroup{IDs: []string{string(c.ID)}, Why: why})
		case c.Verdict == checks.RuledOut:
			r := ruledView{ID: c.ID, Title: c.Title}
			if len(c.Evidence) > 0 {
				r.Why = c.Evidence[0].Message
			}
			v.Ruled = append(v.Ruled, r)
		}
	}
	var md bytes.Buffer
	report.Markdown(&md, d)
	v.Markdown = md.String()
	q := url.Values{"address": {form.Address}}
	if form.User != "" {
		q.Set("user", form.User)
	}
	if form.Lang != "" {
		q.Set("lang", form.Lang)
	}
	q.Set("at", d.At.Format("2006-01-02T15:04:05Z07:00"))
	v.Permalink = "/d?" + q.Encode()
	q.Set("format", "markdown")
	v.MarkdownURL = "/d?" + q.Encode()
	q.Set("format", "json")
	v.JSONURL = "/d?" + q.Encode()
	return v
}

func (s *Server) pageIndex(w http.ResponseWriter, r *http.Request) {
	s.page.render(w, "index.html", http.StatusOK, &diagnoseView{Title: "Why didn't the email arrive?", Form: s.form("", "", "", "")})
}

// wantsJSON reports whether the client asked for JSON: Accept:
// application/json, or format=json.
func wantsJSON(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "json"
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "application/json" {
			return true
		}
	}
	return false
}

// pageDiagnose is the permalink of a diagnosis: /d?address=&user=&at=&lang=,
// answering HTML, JSON (Accept: application/json) or Markdown
// (format=markdown). The query has the fields of /v1/diagnose but sender.
func (s *Server) pageDiagnose(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "address", "user", "at", "lang", "format":
		default:
			s.pageError(w, r, s.form("", "", "", ""), errorf(http.StatusBadRequest, CodeUnknownField, k,
				"unknown parameter %q: a permalink has only address, user, at, lang and format", clip(k)))
			return
		}
	}
	req := DiagnoseRequest{Address: q.Get("address"), User: q.Get("user"), At: q.Get("at"), Lang: q.Get("lang")}
	t, e := req.ticket()
	if e != nil {
		s.pageError(w, r, s.form(req.Address, req.User, req.At, ""), e)
		return
	}
	form := s.form(req.Address, req.User, req.At, t.Lang)
	release, ok := s.acquire(w)
	if !ok {
		return
	}
	defer release()
	d, e := s.diagnosis(r, t)
	if e != nil {
		s.pageError(w, r, form, e)
		return
	}
	switch {
	case wantsJSON(r):
		writeJSON(w, d)
	case q.Get("format") == "markdown":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		report.Markdown(w, d)
	default:
		v := newDiagnoseView(form, d)
		v.Lang = s.desk.lang(t)
		s.page.render(w, "diagnose.html", http.StatusOK, v)
	}
}

// pageError answers a bad permalink: JSON to a client that wants it, else
// the form again with the message.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, form formView, e *apiError) {
	if wantsJSON(r) {
		writeError(w, e)
		return
	}
	s.page.render(w, "index.html", e.status, &diagnoseView{Title: "Error", Form: form, Error: e.Message})
}

type domainView struct {
	Title, Domain, Error, JSONURL string
	L                             *report.Lint
}

// pageDomain is the sender domain page: /domain?domain=app.example.
func (s *Server) pageDomain(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("domain")
	v := &domainView{Title: "Check a sender domain", Domain: raw}
	if strings.TrimSpace(raw) == "" && !wantsJSON(r) {
		s.page.render(w, "domain.html", http.StatusOK, v)
		return
	}
	domain, e := DomainRequest{Domain: raw}.domain()
	if e != nil {
		if wantsJSON(r) {
			writeError(w, e)
			return
		}
		v.Error = e.Message
		s.page.render(w, "domain.html", e.status, v)
		return
	}
	release, ok := s.acquire(w)
	if !ok {
		return
	}
	defer release()
	l, e := s.domainLint(r, domain)
	if e != nil {
		if wantsJSON(r) {
			writeError(w, e)
			return
		}
		v.Error = e.Message
		s.page.render(w, "domain.html", e.status, v)
		return
	}
	if wantsJSON(r) {
		writeJSON(w, l)
		return
	}
	v.Title, v.L = domain, l
	v.JSONURL = "/domain?" + url.Values{"domain": {domain}, "format": {"json"}}.Encode()
	s.page.render(w, "domain.html", http.StatusOK, v)
}
