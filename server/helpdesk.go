package server

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/whymail/whymail/report"
)

// Helpdesk holds the shared secrets of the helpdesk apps, each from the
// app's own settings; an app whose secret is empty is not served. Each
// adapter verifies its platform's signature instead of the API tokens, and
// takes from the request only an address and an account id.
type Helpdesk struct {
	// ZendeskSecret verifies the HS256 JWT the Zendesk app's
	// client.request signs with its secure setting.
	ZendeskSecret []byte
	// HelpScoutSecret verifies X-HelpScout-Signature, the base64
	// HMAC-SHA1 of the body (Help Scout dynamic apps).
	HelpScoutSecret []byte
	// IntercomSecret is the app's OAuth client secret: X-Body-Signature
	// is the hex HMAC-SHA256 of the body (Intercom Canvas Kit).
	IntercomSecret []byte
}

// verifyHMAC compares the signature given with the MAC of body in
// constant time.
func verifyHMAC(mac []byte, given string, decode func(string) ([]byte, error)) bool {
	g, err := decode(strings.TrimSpace(given))
	return err == nil && len(g) > 0 && hmac.Equal(g, mac)
}

func macSHA1(secret, body []byte) []byte {
	m := hmac.New(sha1.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

func macSHA256(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

// signed reads the body of a helpdesk request and checks it with verify;
// it answers the refusal itself and returns nil then.
func (s *Server) signed(w http.ResponseWriter, r *http.Request, app string, secret []byte, verify func(body []byte) bool) []byte {
	if len(secret) == 0 {
		writeError(w, errorf(http.StatusNotFound, CodeNotFound, "", "the %s app is not configured on this server", app))
		return nil
	}
	body, e := readBody(w, r, s.opt.BodyLimit)
	if e != nil {
		writeError(w, e)
		return nil
	}
	if !verify(body) {
		writeError(w, errorf(http.StatusUnauthorized, CodeBadSignature, "", "the %s signature does not verify: check the shared secret in the app's settings and the server's environment", app))
		return nil
	}
	noteAudit(r, func(e *auditEntry) { e.Via, e.Who = app, app })
	return body
}

// zendesk serves the Zendesk sidebar app (integrations/zendesk): its
// iframe posts {"address","user"} through client.request with
// Authorization: Bearer {{jwt.token}}, an HS256 JWT signed with the app's
// secure setting. It answers the whymail.diagnose/v1 document.
func (s *Server) zendesk(w http.ResponseWriter, r *http.Request) {
	var who string
	body := s.signed(w, r, "zendesk", s.opt.Helpdesk.ZendeskSecret, func([]byte) bool {
		h := r.Header.Get("Authorization")
		if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
			return false
		}
		claims, ok := verifyJWT(strings.TrimSpace(h[7:]), s.opt.Helpdesk.ZendeskSecret, time.Now())
		if ok {
			who, _ = claims["email"].(string)
		}
		return ok
	})
	if body == nil {
		return
	}
	if who != "" && !hasControl(who) {
		noteAudit(r, func(e *auditEntry) { e.Who = "zendesk (" + clip(who) + ")" })
	}
	var req DiagnoseRequest
	if e := decodeJSON(body, &req, ticketFields); e != nil {
		writeError(w, e)
		return
	}
	if d, ok := s.diagnoseRequest(w, r, req); ok {
		writeJSON(w, d)
	}
}

// verifyJWT checks a compact JWS signed HS256 with secret: the header must
// say HS256 (no "none", no other algorithm), the signature must match, and
// exp must be present and not past; nbf and iat, when present, not in the
// future (a minute of clock skew either way). It returns the claims.
func verifyJWT(token string, secret []byte, now time.Time) (map[string]any, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(token) > 8<<10 {
		return nil, false
	}
	dec := base64.RawURLEncoding
	hb, err1 := dec.DecodeString(parts[0])
	pb, err2 := dec.DecodeString(parts[1])
	sig, err3 := dec.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, false
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hb, &hdr) != nil || hdr.Alg != "HS256" {
		return nil, false
	}
	if !hmac.Equal(sig, macSHA256(secret, []byte(parts[0]+"."+parts[1]))) {
		return nil, false
	}
	var claims map[string]any
	if json.Unmarshal(pb, &claims) != nil {
		return nil, false
	}
	const skew = 60
	t := float64(now.Unix())
	exp, ok := claims["exp"].(float64)
	if !ok || t > exp+skew {
		return nil, false
	}
	for _, k := range []string{"nbf", "iat"} {
		if v, ok := claims[k].(float64); ok && v > t+skew {
			return nil, false
		}
	}
	return claims, true
}

// helpScoutRequest is what Help Scout sends a dynamic app: the parts
// whymail reads (the customer's address).
type helpScoutRequest struct {
	Customer struct {
		Email  string   `json:"email"`
		Emails []string `json:"emails"`
	} `json:"customer"`
}

// helpScout serves a Help Scout dynamic app: it answers {"html": ...},
// the top cause, the next step and the reply for the customer's address.
func (s *Server) helpScout(w http.ResponseWriter, r *http.Request) {
	body := s.signed(w, r, "helpscout", s.opt.Helpdesk.HelpScoutSecret, func(body []byte) bool {
		return verifyHMAC(macSHA1(s.opt.Helpdesk.HelpScoutSecret, body), r.Header.Get("X-HelpScout-Signature"), base64.StdEncoding.DecodeString)
	})
	if body == nil {
		return
	}
	var req helpScoutRequest
	json.Unmarshal(body, &req) // Help Scout's document: unknown fields are its own
	addr := req.Customer.Email
	if addr == "" && len(req.Customer.Emails) > 0 {
		addr = req.Customer.Emails[0]
	}
	if strings.TrimSpace(addr) == "" {
		writeJSON(w, map[string]string{"html": "<p>whymail: this conversation's customer has no email address.</p>"})
		return
	}
	d, ok := s.diagnoseRequest(w, r, DiagnoseRequest{Address: addr})
	if !ok {
		return
	}
	writeJSON(w, map[string]string{"html": summaryHTML(d)})
}

var summaryTmpl = template.Must(template.New("summary").Parse(
	`<h4>whymail: {{.Address}}</h4>` +
		`{{if .Incomplete}}<p class="red">Incomplete: some checks could not complete.</p>{{end}}` +
		`{{with .Top}}<p><strong>{{.Title}}</strong> ({{.Verdict}})</p>` +
		`{{if .AgentSteps}}<p>Next step: {{index .AgentSteps 0}}</p>{{end}}` +
		`<p class="muted">Reply: {{.UserReply}}</p>{{else}}<p>No cause found with the evidence this desk has.</p>{{end}}`))

// summaryHTML is the short answer a sidebar has room for, escaped.
func summaryHTML(d *report.Diagnosis) string {
	var b strings.Builder
	summaryTmpl.Execute(&b, struct {
		Address    string
		Incomplete bool
		Top        *report.Cause
	}{d.Address, d.Incomplete, d.Top()})
	return b.String()
}

// diagnoseRequest validates a request's ticket (the API's, or the one an
// adapter took from its platform's request) and diagnoses it within the
// bound on diagnoses in flight, answering errors itself.
func (s *Server) diagnoseRequest(w http.ResponseWriter, r *http.Request, req DiagnoseRequest) (*report.Diagnosis, bool) {
	t, e := req.ticket()
	if e != nil {
		writeError(w, e)
		return nil, false
	}
	release, ok := s.acquire(w)
	if !ok {
		return nil, false
	}
	defer release()
	d, e := s.diagnosis(r, t)
	if e != nil {
		writeError(w, e)
		return nil, false
	}
	return d, true
}

// intercomRequest is the part of a Canvas Kit initialize request whymail
// reads: the contact (or, in older requests, customer) of the conversation.
type intercomRequest struct {
	Contact struct {
		Email      string `json:"email"`
		ExternalID string `json:"external_id"`
	} `json:"contact"`
	Customer struct {
		Email  string `json:"email"`
		UserID string `json:"user_id"`
	} `json:"customer"`
}

type canvasComponent struct {
	Type  string `json:"type"`
	Text  string `json:"text,omitempty"`
	Style string `json:"style,omitempty"`
}

// intercom serves an Intercom Canvas Kit inbox app: it answers a canvas
// of text components with the top cause, the next step and the reply.
func (s *Server) intercom(w http.ResponseWriter, r *http.Request) {
	body := s.signed(w, r, "intercom", s.opt.Helpdesk.IntercomSecret, func(body []byte) bool {
		return verifyHMAC(macSHA256(s.opt.Helpdesk.IntercomSecret, body), r.Header.Get("X-Body-Signature"), hex.DecodeString)
	})
	if body == nil {
		return
	}
	var req intercomRequest
	json.Unmarshal(body, &req)
	addr, user := req.Contact.Email, req.Contact.ExternalID
	if addr == "" {
		addr, user = req.Customer.Email, req.Customer.UserID
	}
	canvas := func(cs ...canvasComponent) {
		writeJSON(w, map[string]any{"canvas": map[string]any{"content": map[string]any{"components": cs}}})
	}
	if strings.TrimSpace(addr) == "" {
		canvas(canvasComponent{Type: "text", Text: "This contact has no email address.", Style: "muted"})
		return
	}
	d, ok := s.diagnoseRequest(w, r, DiagnoseRequest{Address: addr, User: user})
	if !ok {
		return
	}
	cs := []canvasComponent{{Type: "text", Text: "whymail: " + d.Address, Style: "header"}}
	if d.Incomplete {
		cs = append(cs, canvasComponent{Type: "text", Text: "Incomplete: some checks could not complete.", Style: "error"})
	}
	if top := d.Top(); top != nil {
		cs = append(cs, canvasComponent{Type: "text", Text: fmt.Sprintf("*%s* (%s)", top.Title, top.Verdict), Style: "paragraph"})
		if len(top.AgentSteps) > 0 {
			cs = append(cs, canvasComponent{Type: "text", Text: "Next step: " + top.AgentSteps[0], Style: "paragraph"})
		}
		cs = append(cs, canvasComponent{Type: "divider"}, canvasComponent{Type: "text", Text: top.UserReply, Style: "muted"})
	} else {
		cs = append(cs, canvasComponent{Type: "text", Text: "No cause found with the evidence this desk has.", Style: "paragraph"})
	}
	canvas(cs...)
}
