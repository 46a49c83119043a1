package server

import (
	"encoding/json"
	"html"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/report"
)

// topTitle is the title of a diagnosis document's first cause.
func topTitle(t *testing.T, b []byte) string {
	t.Helper()
	var d struct {
		Causes []struct {
			ID    checks.CauseID `json:"id"`
			Title string         `json:"title"`
		} `json:"causes"`
	}
	if err := json.Unmarshal(b, &d); err != nil || len(d.Causes) == 0 {
		t.Fatalf("%v: %s", err, b)
	}
	return d.Causes[0].Title
}

// TestLanguage: a request asks for the causes' words and the reply to the
// user in a language of the catalogs ("lang"), over the desk's; a language
// without a catalog is refused naming those there are.
func TestLanguage(t *testing.T) {
	en, fr := report.English[checks.AddressTypo].Title, report.French[checks.AddressTypo].Title
	if en == fr {
		t.Fatalf("the French title of %s is the English one", checks.AddressTypo)
	}
	s := newTest(t, nil, Options{})
	for _, c := range []struct{ body, want string }{
		{`{"address":"alice@gmial.com"}`, en},
		{`{"address":"alice@gmial.com","lang":"fr"}`, fr},
		{`{"address":"alice@gmial.com","lang":"fr-CA"}`, fr},
		{`{"address":"alice@gmial.com","lang":" FR "}`, fr},
		{`{"address":"alice@gmial.com","lang":"en"}`, en},
	} {
		r := do(s, "POST", "/v1/diagnose", c.body)
		if r.Code != 200 {
			t.Fatalf("%s: %d %s", c.body, r.Code, r.Body)
		}
		if got := topTitle(t, r.Body.Bytes()); got != c.want {
			t.Errorf("%s: top cause %q, want %q", c.body, got, c.want)
		}
	}
	for _, body := range []string{`{"address":"alice@gmial.com","lang":"xx"}`, `{"address":"alice@gmial.com","lang":"de-DE"}`} {
		r := do(s, "POST", "/v1/diagnose", body)
		var e struct {
			Error struct{ Code, Message, Field string }
		}
		json.Unmarshal(r.Body.Bytes(), &e)
		if r.Code != 400 || e.Error.Code != CodeInvalidField || e.Error.Field != "lang" ||
			!strings.Contains(e.Error.Message, "the languages are "+strings.Join(report.Languages(), ", ")) {
			t.Errorf("%s: %d %+v", body, r.Code, e.Error)
		}
	}
	// The refusal of an unknown field names lang among the fields there are.
	r := do(s, "POST", "/v1/diagnose", `{"address":"a@b.example","language":"fr"}`)
	if r.Code != 400 || !strings.Contains(r.Body.String(), "address, user, at, sender, lang") {
		t.Errorf("unknown field: %d %s", r.Code, r.Body)
	}

	// A French desk answers in French unless a request asks for English.
	d := demoDesk(t, nil)
	d.Catalog, d.Lang = report.French, "fr"
	fs := newTest(t, d, Options{})
	if got := topTitle(t, do(fs, "POST", "/v1/diagnose", `{"address":"alice@gmial.com"}`).Body.Bytes()); got != fr {
		t.Errorf("French desk: top cause %q, want %q", got, fr)
	}
	if got := topTitle(t, do(fs, "POST", "/v1/diagnose", `{"address":"alice@gmial.com","lang":"en"}`).Body.Bytes()); got != en {
		t.Errorf("French desk, lang en: top cause %q, want %q", got, en)
	}
	page := do(fs, "GET", "/", "").Body.String()
	if !strings.Contains(page, `<option value="fr" lang="fr" selected>Français</option>`) {
		t.Errorf("the French desk's form does not select French:\n%s", page)
	}
}

// TestPageLanguage: the permalink takes lang, the form offers the
// languages, and the catalog's words on the page say their language.
func TestPageLanguage(t *testing.T) {
	s := newTest(t, nil, Options{})
	fr := report.French[checks.AddressTypo]
	r := do(s, "GET", "/d?address=alice@gmial.com&at=2026-11-22T10:00:00Z&lang=fr", "")
	if r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	page := r.Body.String()
	for _, want := range []string{
		`<span lang="fr" id="top-cause">` + html.EscapeString(fr.Title) + `</span>`,
		`<textarea lang="fr" id="reply-text"`,
		`<option value="fr" lang="fr" selected>Français</option>`,
		`<option value="en" lang="en">English</option>`,
		`/d?address=alice%40gmial.com&amp;at=2026-11-22T10%3A00%3A00Z&amp;lang=fr"`,
		`format=markdown&amp;lang=fr"`,
		`format=json&amp;lang=fr"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	md := do(s, "GET", "/d?address=alice@gmial.com&lang=fr&format=markdown", "").Body.String()
	if !strings.Contains(md, fr.Title) {
		t.Errorf("Markdown in French lacks %q:\n%s", fr.Title, md)
	}
	j := do(s, "GET", "/d?address=alice@gmial.com&lang=fr", "", "Accept", "application/json")
	if got := topTitle(t, j.Body.Bytes()); got != fr.Title {
		t.Errorf("JSON permalink: top cause %q, want %q", got, fr.Title)
	}
	// Without lang the page is the desk's language, English, selected.
	en := do(s, "GET", "/d?address=alice@gmial.com", "").Body.String()
	if !strings.Contains(en, `<option value="en" lang="en" selected>English</option>`) || strings.Contains(en, "lang=fr") {
		t.Errorf("English page: language not selected, or a French link")
	}
	bad := do(s, "GET", "/d?address=alice@gmial.com&lang=xx", "", "Accept", "application/json")
	if bad.Code != 400 || bad.errorCode() != CodeInvalidField {
		t.Errorf("lang=xx: %d %s", bad.Code, bad.Body)
	}
}

// TestZendeskLanguage: the Zendesk app's body is a diagnose request, lang
// included.
func TestZendeskLanguage(t *testing.T) {
	s, _ := helpdeskServer(t)
	r := do(s, "POST", "/helpdesk/zendesk", `{"address":"alice@gmial.com","lang":"fr"}`, "Authorization", "Bearer "+zendeskJWT)
	if r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	if got, want := topTitle(t, r.Body.Bytes()), report.French[checks.AddressTypo].Title; got != want {
		t.Errorf("top cause %q, want %q", got, want)
	}
}
