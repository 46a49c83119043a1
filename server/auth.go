package server

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Auth says who may use the server: API tokens, accepted as
// "Authorization: Bearer TOKEN" or as the password of HTTP basic auth, or
// a header set by an SSO proxy in front (oauth2-proxy's X-Forwarded-User,
// X-Forwarded-Email), whose value names the person. Either suffices.
type Auth struct {
	Tokens        []string
	TrustedHeader string
}

func (a Auth) configured() bool { return len(a.Tokens) > 0 || a.TrustedHeader != "" }

func (a Auth) validate() error {
	for i, t := range a.Tokens {
		if len(t) < 16 {
			return fmt.Errorf("token %d is %d characters long: a token has at least 16 (openssl rand -hex 32)", i+1, len(t))
		}
	}
	if h := a.TrustedHeader; h != "" && (strings.ContainsAny(h, " :\t") || http.CanonicalHeaderKey(h) == "Authorization") {
		return fmt.Errorf("trusted header %q is not a header name one proxy sets (X-Forwarded-User)", h)
	}
	return nil
}

// ReadTokens reads one token a line; blank lines and lines starting with
// # are skipped. The error names the line of a token that is too short.
func ReadTokens(r io.Reader, name string) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if len(t) < 16 || strings.ContainsAny(t, " \t") {
			return nil, fmt.Errorf("%s:%d: a token is one word of at least 16 characters (openssl rand -hex 32)", name, line)
		}
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no tokens in the file", name)
	}
	return out, nil
}

// who returns who the request is from, or "" when it is not allowed. With
// no auth configured everyone is "anonymous" (Serve allows that only on
// loopback).
func (a Auth) who(r *http.Request) string {
	if !a.configured() {
		return "anonymous"
	}
	if a.TrustedHeader != "" {
		if v := strings.TrimSpace(r.Header.Get(a.TrustedHeader)); v != "" && !hasControl(v) {
			return clip(v)
		}
	}
	if len(a.Tokens) == 0 {
		return ""
	}
	var given, user string
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		given = strings.TrimSpace(h[7:])
	} else if u, p, ok := r.BasicAuth(); ok {
		given, user = p, u
	}
	if given == "" {
		return ""
	}
	if n := a.match(given); n > 0 {
		if user != "" && !hasControl(user) {
			return fmt.Sprintf("token %d (%s)", n, clip(user))
		}
		return fmt.Sprintf("token %d", n)
	}
	return ""
}

// match returns the 1-based number of the token equal to given, or 0. It
// compares digests in constant time, and compares every token, so the
// time says nothing of which or how much matched.
func (a Auth) match(given string) int {
	g := sha256.Sum256([]byte(given))
	found := 0
	for i, t := range a.Tokens {
		d := sha256.Sum256([]byte(t))
		if subtle.ConstantTimeCompare(g[:], d[:]) == 1 && found == 0 {
			found = i + 1
		}
	}
	return found
}

// require lets a request through only from someone allowed, noting who
// in the audit log; else 401 with WWW-Authenticate: Basic, so a browser
// asks for the token with no login page.
func (a Auth) require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := a.who(r)
		if who == "" {
			if len(a.Tokens) > 0 {
				w.Header().Set("WWW-Authenticate", `Basic realm="whymail", charset="UTF-8"`)
			}
			msg := "this server needs an API token: Authorization: Bearer TOKEN, or the token as the password of basic auth"
			if len(a.Tokens) == 0 {
				msg = "this server is reached through its sign-in proxy: the request did not come through it"
			}
			writeError(w, errorf(http.StatusUnauthorized, CodeUnauthorized, "", "%s", msg))
			return
		}
		noteAudit(r, func(e *auditEntry) { e.Who = who })
		next.ServeHTTP(w, r)
	})
}
