package server

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The request decoders read what anyone sends: they must never panic, and
// every refusal is a 4xx with a stable code.
var codes = map[string]bool{CodeInvalidJSON: true, CodeUnknownField: true, CodeMissingField: true, CodeInvalidField: true}

func checkRefusal(t *testing.T, e *apiError) {
	if e == nil {
		return
	}
	if !codes[e.Code] || e.status != http.StatusBadRequest || e.Message == "" {
		t.Fatalf("refusal %+v", e)
	}
}

func FuzzDiagnoseRequest(f *testing.F) {
	for _, s := range []string{`{"address":"alice@gmial.com"}`, `{"address":"a@b","user":"u1","at":"2026-11-22T10:00:00Z","sender":"x.example"}`,
		`{"address":"a@b","zone":"x"}`, `{"address":1}`, `[]`, `{"address":"a@b"}{}`, "{\"address\":\"\\u0000\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req DiagnoseRequest
		e := decodeJSON(b, &req, ticketFields)
		checkRefusal(t, e)
		if e == nil {
			tk, e := req.ticket()
			checkRefusal(t, e)
			if e == nil && (tk.Address == "" || len(tk.Address) > maxAddress) {
				t.Fatalf("accepted address %q", tk.Address)
			}
		}
	})
}

func FuzzDomainRequest(f *testing.F) {
	for _, s := range []string{`{"domain":"app.example"}`, `{"domain":"a/b"}`, `{"domain":""}`, `{"domain":"x","url":"y"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req DomainRequest
		e := decodeJSON(b, &req, "domain")
		checkRefusal(t, e)
		if e == nil {
			d, e := req.domain()
			checkRefusal(t, e)
			if e == nil && !isDomain(d) {
				t.Fatalf("accepted domain %q", d)
			}
		}
	})
}

func FuzzAddressRequest(f *testing.F) {
	for _, s := range []string{`{"addresses":["a@b.example","x"]}`, `{"addresses":[]}`, `{"addresses":[1]}`, `{"addresses":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req AddressRequest
		e := decodeJSON(b, &req, "addresses")
		checkRefusal(t, e)
		if e == nil {
			as, e := req.addresses(10)
			checkRefusal(t, e)
			if e == nil && (len(as) == 0 || len(as) > 10) {
				t.Fatalf("accepted %d addresses", len(as))
			}
		}
	})
}

// FuzzVerifyJWT: the Zendesk adapter's token reader takes any string.
func FuzzVerifyJWT(f *testing.F) {
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.AAAA")
	f.Add("a.b.c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		if _, ok := verifyJWT(tok, []byte("k"), time.Unix(0, 0)); ok && !strings.Contains(tok, ".") {
			t.Fatal("accepted a token without parts")
		}
	})
}
