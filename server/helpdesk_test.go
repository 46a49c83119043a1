package server

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Signatures below were computed outside Go (Python's hmac), as each
// platform documents them: Help Scout base64(HMAC-SHA1(secret, body)),
// Intercom hex(HMAC-SHA256(client secret, body)), Zendesk an HS256 JWT.
const (
	helpScoutSecret = "helpscout-secret-for-tests"
	helpScoutBody   = `{"ticket":{"id":1,"number":42,"subject":"reset email"},"customer":{"id":7,"fname":"Alice","lname":"","email":"alice@gmial.com","emails":["alice@gmial.com"]},"mailbox":{"id":3,"email":"help@app.example"}}`
	helpScoutSig    = "A98eaXlBQDKm9srTC5/p4uA2QmA="

	intercomSecret = "intercom-client-secret-for-tests"
	intercomBody   = `{"workspace_id":"abc123","admin":{"id":"1"},"contact":{"type":"user","email":"dave@example.org","external_id":"u4"},"conversation":{"id":"9"},"context":{"location":"inbox"}}`
	intercomSig    = "9f602c3e22b5af69c90088c519134fc1aac83f6258cd19b633b170af7b0ef724"

	zendeskSecret = "zendesk-shared-secret-for-tests"
	// exp 2100-01-01, email agent@app.example
	zendeskJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMCwiZW1haWwiOiJhZ2VudEBhcHAuZXhhbXBsZSJ9.Y45uGKFjdVP2wRWejlMgbDeEJxVovnoTJ_mi534dvg8"
	// exp 2023-11-14
	zendeskExpired = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMH0.fa_sVt9RM_s8hz5nBKlPkUGOARB5IP6bl9S9qpqiHpQ"
	zendeskNone    = "eyJhbGciOiAibm9uZSJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMCwiZW1haWwiOiJhZ2VudEBhcHAuZXhhbXBsZSJ9."
)

func helpdeskServer(t *testing.T) (*Server, *syncBuffer) {
	var audit syncBuffer
	return newTest(t, nil, Options{Audit: &audit, Auth: Auth{Tokens: []string{token}}, Helpdesk: Helpdesk{
		ZendeskSecret: []byte(zendeskSecret), HelpScoutSecret: []byte(helpScoutSecret), IntercomSecret: []byte(intercomSecret),
	}}), &audit
}

func TestHelpScout(t *testing.T) {
	s, audit := helpdeskServer(t)
	r := do(s, "POST", "/helpdesk/helpscout", helpScoutBody, "X-HelpScout-Signature", helpScoutSig)
	if r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	var out struct{ HTML string }
	json.Unmarshal(r.Body.Bytes(), &out)
	if !strings.Contains(out.HTML, "The address is probably misspelled") || !strings.Contains(out.HTML, "Next step:") {
		t.Errorf("html %q", out.HTML)
	}
	if !strings.Contains(audit.String(), `"via":"helpscout"`) {
		t.Errorf("audit: %s", audit.String())
	}
	for _, c := range []struct{ name, body, sig string }{
		{"no signature", helpScoutBody, ""},
		{"wrong signature", helpScoutBody, "AAAAaXlBQDKm9srTC5/p4uA2QmA="},
		{"body changed", strings.Replace(helpScoutBody, "alice@gmial.com", "bob@corp.example", 2), helpScoutSig},
		{"not base64", helpScoutBody, "%%%"},
	} {
		r := do(s, "POST", "/helpdesk/helpscout", c.body, "X-HelpScout-Signature", c.sig)
		if r.Code != 401 || r.errorCode() != CodeBadSignature {
			t.Errorf("%s: %d %s", c.name, r.Code, r.Body)
		}
	}
}

func TestIntercom(t *testing.T) {
	s, _ := helpdeskServer(t)
	r := do(s, "POST", "/helpdesk/intercom", intercomBody, "X-Body-Signature", intercomSig)
	if r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	var out struct {
		Canvas struct {
			Content struct {
				Components []canvasComponent
			}
		}
	}
	json.Unmarshal(r.Body.Bytes(), &out)
	cs := out.Canvas.Content.Components
	if len(cs) < 3 || cs[0].Style != "header" || !strings.Contains(cs[1].Text, "locked") {
		t.Errorf("canvas %s", r.Body)
	}
	for _, sig := range []string{"", strings.ToUpper(intercomSig[:10]) + "00" + intercomSig[12:], "zz"} {
		if r := do(s, "POST", "/helpdesk/intercom", intercomBody, "X-Body-Signature", sig); r.Code != 401 {
			t.Errorf("signature %q: %d", sig, r.Code)
		}
	}
}

func TestZendesk(t *testing.T) {
	s, audit := helpdeskServer(t)
	body := `{"address":"alice@gmial.com"}`
	r := do(s, "POST", "/helpdesk/zendesk", body, "Authorization", "Bearer "+zendeskJWT)
	if r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	if d := decodeDiagnosis(t, r.Body.Bytes()); d.Causes[0].ID != "address-typo" {
		t.Errorf("top %s", d.Causes[0].ID)
	}
	if !strings.Contains(audit.String(), `"who":"zendesk (agent@app.example)"`) {
		t.Errorf("audit: %s", audit.String())
	}
	for _, c := range []struct{ name, auth string }{
		{"none", ""}, {"expired", "Bearer " + zendeskExpired}, {"alg none", "Bearer " + zendeskNone},
		{"an API token is not a JWT", "Bearer " + token},
		{"tampered", "Bearer " + strings.Replace(zendeskJWT, "eyJpYXQ", "eyJpYXR", 1)},
	} {
		if r := do(s, "POST", "/helpdesk/zendesk", body, "Authorization", c.auth); r.Code != 401 || r.errorCode() != CodeBadSignature {
			t.Errorf("%s: %d %s", c.name, r.Code, r.Body)
		}
	}
	// A request the JWT lets through is still only a ticket.
	if r := do(s, "POST", "/helpdesk/zendesk", `{"address":"a@b.example","dns":"10.0.0.1"}`, "Authorization", "Bearer "+zendeskJWT); r.errorCode() != CodeUnknownField {
		t.Errorf("unknown field through zendesk: %d %s", r.Code, r.Body)
	}
}

// TestVerifyJWTRFC7515 checks the HS256 example of RFC 7515 appendix A.1.
func TestVerifyJWTRFC7515(t *testing.T) {
	key, _ := base64.RawURLEncoding.DecodeString("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
	tok := "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	claims, ok := verifyJWT(tok, key, time.Unix(1300819300, 0))
	if !ok || claims["iss"] != "joe" {
		t.Errorf("RFC 7515 A.1: %v %v", claims, ok)
	}
	if _, ok := verifyJWT(tok, key, time.Unix(1300819380+120, 0)); ok {
		t.Error("accepted after exp")
	}
	if _, ok := verifyJWT(tok, []byte("other key"), time.Unix(1300819300, 0)); ok {
		t.Error("accepted with the wrong key")
	}
}

func TestHelpdeskNotConfigured(t *testing.T) {
	s := newTest(t, nil, Options{})
	for _, p := range []string{"/helpdesk/zendesk", "/helpdesk/helpscout", "/helpdesk/intercom"} {
		if r := do(s, "POST", p, `{}`); r.Code != 404 {
			t.Errorf("%s: %d", p, r.Code)
		}
	}
}

// TestIntegrationFiles: the helpdesk apps' JSON files parse, and the
// Zendesk manifest's sidebar page exists.
func TestIntegrationFiles(t *testing.T) {
	dir := filepath.Join("..", "integrations")
	for _, f := range []string{"zendesk/manifest.json", "zendesk/translations/en.json", "freshdesk/manifest.json",
		"freshdesk/config/requests.json", "freshdesk/config/iparams.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "zendesk", "manifest.json"))
	var m struct {
		Location struct {
			Support struct {
				Sidebar struct{ URL string } `json:"ticket_sidebar"`
			}
		}
	}
	json.Unmarshal(b, &m)
	if _, err := os.Stat(filepath.Join(dir, "zendesk", m.Location.Support.Sidebar.URL)); err != nil || m.Location.Support.Sidebar.URL == "" {
		t.Errorf("sidebar page %q: %v", m.Location.Support.Sidebar.URL, err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "zendesk", "assets", "iframe.html"))
	for _, want := range []string{"/helpdesk/zendesk", "{{jwt.token}}", "{{setting.shared_secret}}", `algorithm: "HS256"`, "secure: true"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("iframe.html lacks %s", want)
		}
	}
}
