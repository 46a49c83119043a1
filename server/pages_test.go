package server

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPageIndex(t *testing.T) {
	s := newTest(t, nil, Options{})
	r := do(s, "GET", "/", "")
	body := r.Body.String()
	if r.Code != 200 || !strings.HasPrefix(r.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", r.Code, body)
	}
	for _, want := range []string{
		`<form method="get" action="/d"`, `<label for="address">`, `id="address" name="address"`,
		`<label for="user">`, `<html lang="en">`, `name="viewport"`, `/static/style.css`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("index lacks %s", want)
		}
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") && !strings.Contains(body, "https://github.com/whymail/whymail/blob/main/docs/api.md") {
		t.Errorf("the page refers to another host")
	}
	csp := r.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	for _, asset := range []string{"/static/style.css", "/static/copy.js"} {
		if r := do(s, "GET", asset, ""); r.Code != 200 || r.Body.Len() == 0 {
			t.Errorf("%s: %d", asset, r.Code)
		}
	}
}

func TestPageDiagnose(t *testing.T) {
	s := newTest(t, nil, Options{})
	r := do(s, "GET", "/d?address=alice@gmial.com&at=2026-11-22T10:00:00Z", "")
	body := r.Body.String()
	if r.Code != 200 {
		t.Fatalf("%d %s", r.Code, body)
	}
	// The order an agent reads: top cause, next step, reply, others,
	// could not check, ruled out, the Markdown.
	order := []string{`id="top-cause">The address is probably misspelled`, `id="next-step"`,
		`id="reply-text"`, `Other causes`, `Could not check`, `Ruled out`, `id="md-text"`}
	last := -1
	for _, w := range order {
		i := strings.Index(body, w)
		if i < 0 {
			t.Errorf("page lacks %s", w)
			continue
		}
		if i < last {
			t.Errorf("%s comes before what precedes it", w)
		}
		last = i
	}
	for _, want := range []string{`value="alice@gmial.com"`, `gmail.com`, `data-copy="reply-text"`, `Copy as Markdown`,
		`/d?address=alice%40gmial.com&amp;at=2026-11-22T10%3A00%3A00Z`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// The same URL answers JSON to Accept: application/json, the
	// document of the API.
	j := do(s, "GET", "/d?address=alice@gmial.com", "", "Accept", "application/json")
	api := do(s, "POST", "/v1/diagnose", `{"address":"alice@gmial.com"}`)
	if j.Code != 200 || j.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("JSON: %d %s", j.Code, j.Header().Get("Content-Type"))
	}
	if normal(t, j.Body.Bytes()) != normal(t, api.Body.Bytes()) {
		t.Errorf("the permalink's JSON differs from the API's")
	}
	md := do(s, "GET", "/d?address=alice@gmial.com&format=markdown", "")
	if !strings.HasPrefix(md.Header().Get("Content-Type"), "text/markdown") || !strings.Contains(md.Body.String(), "misspelled") {
		t.Errorf("markdown: %s %s", md.Header().Get("Content-Type"), md.Body)
	}
	// Escaping: an address with markup is shown as text.
	x := do(s, "GET", "/d?address=%3Cscript%3Ealert(1)%3C/script%3E@example.org", "")
	if strings.Contains(x.Body.String(), "<script>alert") {
		t.Errorf("markup in the address reached the page")
	}
}

// normal drops the timings from a document.
func normal(t *testing.T, b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var strip func(any)
	strip = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			delete(v, "duration_ms")
			for _, x := range v {
				strip(x)
			}
		case []any:
			for _, x := range v {
				strip(x)
			}
		}
	}
	strip(v)
	out, _ := json.Marshal(v)
	return string(out)
}

func TestPageDomain(t *testing.T) {
	s := newTest(t, nil, Options{})
	if r := do(s, "GET", "/domain", ""); r.Code != 200 || !strings.Contains(r.Body.String(), `<label for="domain">`) {
		t.Errorf("empty domain page: %d", r.Code)
	}
	r := do(s, "GET", "/domain?domain=app.example", "")
	if r.Code != 200 || !strings.Contains(r.Body.String(), "<h2>app.example") || !strings.Contains(r.Body.String(), "spf") {
		t.Errorf("domain page: %d %s", r.Code, r.Body)
	}
	if r := do(s, "GET", "/domain?domain=app.example", "", "Accept", "application/json"); !strings.Contains(r.Body.String(), `"schema": "whymail.domain/v1"`) {
		t.Errorf("domain JSON: %s", r.Body)
	}
	if r := do(s, "GET", "/domain?domain=bad/domain", ""); r.Code != 400 || !strings.Contains(r.Body.String(), "not a domain name") {
		t.Errorf("bad domain: %d", r.Code)
	}
}
