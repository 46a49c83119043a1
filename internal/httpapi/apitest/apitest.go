// Package apitest holds what the HTTP source drivers' tests share: the
// failures every API must be shown to survive (401, 403, 500, 429 with a
// Retry-After within and past the deadline, an answer slower than the
// timeout, malformed JSON), each checked for an error that names no secret.
package apitest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A Run opens the driver's source against base and reads it within ctx,
// returning what it read.
type Run func(ctx context.Context, t *testing.T, base string) (string, error)

// Failures runs run against servers that fail in each documented way, and
// against one that answers 429 with Retry-After: 1 before good answers.
// secret is the credential the run uses: no error may hold it. The 401 body
// echoes it, as a careless server might.
func Failures(t *testing.T, secret string, good http.Handler, run Run) {
	t.Helper()
	ctx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 3*time.Second)
	}
	want, err := func() (string, error) {
		srv := httptest.NewServer(good)
		defer srv.Close()
		c, cancel := ctx()
		defer cancel()
		return run(c, t, srv.URL)
	}()
	if err != nil {
		t.Fatalf("good server: %v", err)
	}
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    string // in the error; "" for success
	}{
		{"401", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			w.Write([]byte(`{"errors":[{"field":null,"message":"authorization required: bad key ` + secret + `"}]}`))
		}, "401"},
		{"403", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(403)
			w.Write([]byte(`{"errors":[{"message":"access forbidden"}]}`))
		}, "403"},
		{"500", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			w.Write([]byte(`{"errors":[{"message":"internal error"}]}`))
		}, "500"},
		{"429 past the deadline", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
		}, "past the run's deadline"},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // so that the server sees the client go
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, "in time"},
		{"malformed JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"messages": [{"msg_id": "x"`))
		}, "JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			c, cancel := ctx()
			defer cancel()
			if tc.name == "slow" {
				c, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
			}
			start := time.Now()
			got, err := run(c, t, srv.URL)
			if err == nil {
				t.Fatalf("no error; read %q", got)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if secret != "" && strings.Contains(err.Error(), secret) {
				t.Errorf("error holds the secret: %v", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s to fail", d)
			}
		})
	}
	t.Run("429 then good", func(t *testing.T) {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(429)
				w.Write([]byte(`{"errors":[{"message":"too many requests"}]}`))
				return
			}
			good.ServeHTTP(w, r)
		}))
		defer srv.Close()
		c, cancel := ctx()
		defer cancel()
		start := time.Now()
		got, err := run(c, t, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("after the retry read\n%s\nwant\n%s", got, want)
		}
		if d := time.Since(start); d < 900*time.Millisecond {
			t.Errorf("retried after %s, before Retry-After's 1s", d)
		}
	})
}
