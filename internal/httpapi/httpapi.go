// Package httpapi is what the HTTP source drivers (provider APIs, log
// stores) share: one call with the run's context and a timeout of its own,
// 429 answers retried after their Retry-After while the run's deadline
// allows, refused keys, server errors and answers that are not JSON turned
// into errors that name the service and never the secret, and bounded
// bodies. A driver builds a Client per source and decodes what it gets.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/whymail/whymail/internal/textinput"
)

// Defaults of a Client.
const (
	DefaultTimeout = 30 * time.Second
	DefaultMaxBody = 32 << 20
	DefaultRetries = 3
	DefaultBudget  = 10 * time.Second
	// maxWait bounds one wait for a 429 whatever Retry-After says.
	maxWait = 2 * time.Minute
)

// A Client calls one service.
type Client struct {
	// Name names the service in errors ("SendGrid API").
	Name string
	// Base is the URL the paths are appended to, without a trailing slash.
	Base string
	// Auth sets the credential on a request (a header; never the URL).
	Auth func(*http.Request)
	// Secrets are scrubbed from every error text, should a server echo one.
	Secrets []string
	// KeyHint says where the credential comes from, for a refused key
	// ("SENDGRID_API_KEY").
	KeyHint string
	// HTTP is the client used; nil is a client of its own.
	HTTP *http.Client
	// Timeout bounds each call (within the run's deadline); 0 is DefaultTimeout.
	Timeout time.Duration
	// MaxBody bounds an answer; 0 is DefaultMaxBody.
	MaxBody int64
	// Retries is how many times a 429 is retried; 0 is DefaultRetries.
	Retries int
	// Budget bounds the time spent waiting to retry when the run has no
	// deadline; 0 is DefaultBudget.
	Budget time.Duration
}

// ErrNotFound is a 404 answer: for a per-address lookup, "not listed".
var ErrNotFound = errors.New("not found (HTTP 404)")

// A StatusError is an answer with a status that is no success.
type StatusError struct {
	Service string
	Code    int
	Detail  string // the start of the body, one line, scrubbed
	Hint    string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s answered HTTP %d %s", e.Service, e.Code, http.StatusText(e.Code))
	switch {
	case e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden:
		s += ": the credential was refused"
		if e.Hint != "" {
			s += " (check " + e.Hint + " and its permissions)"
		}
	case e.Code == http.StatusTooManyRequests:
		s += ": rate limited"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

var defaultHTTP = &http.Client{Transport: http.DefaultTransport}

// Seg escapes one path segment (an address, an id).
func Seg(s string) string { return url.PathEscape(s) }

// Get calls GET Base+path?query and returns the body of a 2xx answer.
// path is escaped already (use Seg for its variable parts).
func (c *Client) Get(ctx context.Context, path string, query url.Values) ([]byte, error) {
	return c.Do(ctx, http.MethodGet, path, query, nil, "")
}

// GetJSON calls Get and decodes the answer into v; an answer that is not
// JSON of v's shape is an error naming the service.
func (c *Client) GetJSON(ctx context.Context, path string, query url.Values, v any) error {
	body, err := c.Get(ctx, path, query)
	if err != nil {
		return err
	}
	return c.Decode(body, v)
}

// Decode decodes a JSON answer, as GetJSON does.
func (c *Client) Decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: the answer is not the JSON it documents: %s", c.Name, c.scrub(err.Error()))
	}
	return nil
}

// Do makes one call, retrying a 429 while the context's deadline allows.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body []byte, contentType string) ([]byte, error) {
	u := c.Base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	retries := c.Retries
	if retries == 0 {
		retries = DefaultRetries
	}
	budget := c.Budget
	if budget == 0 {
		budget = DefaultBudget
	}
	return Retry(ctx, retries, budget, func() ([]byte, time.Duration, error) {
		return c.once(ctx, method, u, body, contentType)
	})
}

// Retry calls try until it gives an answer or an error other than a 429
// (a *StatusError), at most retries times more. Before each retry it waits
// what the 429 asked for (try's wait), unless that passes the context's
// deadline or, with no deadline, the budget of waiting left: then it says
// so. Drivers whose client is a library (the AWS SDK) retry through it too.
func Retry[T any](ctx context.Context, retries int, budget time.Duration, try func() (T, time.Duration, error)) (T, error) {
	var zero T
	for attempt := 0; ; attempt++ {
		data, wait, err := try()
		var se *StatusError
		if !errors.As(err, &se) || se.Code != http.StatusTooManyRequests || attempt >= retries {
			return data, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return zero, fmt.Errorf("%w; it asked to wait %s, past the run's deadline", err, wait.Round(time.Millisecond))
		}
		if _, ok := ctx.Deadline(); !ok && wait > budget {
			return zero, fmt.Errorf("%w; it asked to wait %s, past the retry budget of %s", err, wait.Round(time.Millisecond), budget)
		}
		budget -= wait
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, fmt.Errorf("%w; the run ended while waiting %s to retry", err, wait.Round(time.Millisecond))
		case <-t.C:
		}
	}
}

// once makes one request; for a 429 it returns how long to wait.
func (c *Client) once(ctx context.Context, method, u string, body []byte, contentType string) ([]byte, time.Duration, error) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %s", c.Name, c.scrub(err.Error()))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "whymail")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Auth != nil {
		c.Auth(req)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("%s did not answer in time (%s)", c.Name, timeout)
		}
		return nil, 0, fmt.Errorf("%s: %s", c.Name, c.scrub(unwrapURL(err).Error()))
	}
	defer resp.Body.Close()
	max := c.MaxBody
	if max == 0 {
		max = DefaultMaxBody
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("%s did not finish its answer in time (%s)", c.Name, timeout)
		}
		return nil, 0, fmt.Errorf("%s: reading the answer: %s", c.Name, c.scrub(unwrapURL(err).Error()))
	}
	if int64(len(data)) > max {
		return nil, 0, fmt.Errorf("%s: the answer is larger than %s", c.Name, textinput.Size(max))
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return data, 0, nil
	case resp.StatusCode == http.StatusNotFound:
		return data, 0, ErrNotFound
	}
	se := &StatusError{Service: c.Name, Code: resp.StatusCode, Detail: detail([]byte(c.scrub(string(data)))), Hint: c.KeyHint}
	if resp.StatusCode == http.StatusTooManyRequests {
		return nil, RetryAfter(resp.Header.Get("Retry-After"), time.Now()), se
	}
	return nil, 0, se
}

// unwrapURL drops net/http's `Get "URL":` prefix: the URL holds the
// recipient's address, and the service is named already.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// RetryAfter reads a Retry-After header (seconds or an HTTP date), 1s when
// absent or unreadable, at most two minutes.
func RetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	d := time.Second
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = max(t.Sub(now), 0)
	}
	return min(d, maxWait)
}

// detail is the start of an error body, on one line.
func detail(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return strconv.Quote(s)
}

func (c *Client) scrub(s string) string {
	for _, k := range c.Secrets {
		if k != "" {
			s = strings.ReplaceAll(s, k, "[redacted]")
		}
	}
	return s
}

// Secret reads a credential from the environment variable name, or from
// the file named by name_FILE; "" when neither is set.
func Secret(name string) (string, error) {
	if v := os.Getenv(name); v != "" {
		return strings.TrimSpace(v), nil
	}
	p := os.Getenv(name + "_FILE")
	if p == "" {
		return "", nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: cannot read the file it names", name)
	}
	return strings.TrimSpace(string(b)), nil
}

// BaseURL is the environment variable env when set (a proxy, a region, a
// test server), def otherwise, without a trailing slash.
func BaseURL(env, def string) (string, error) {
	v := os.Getenv(env)
	if v == "" {
		v = def
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s=%q is not an http(s) URL", env, v)
	}
	if u.User != nil {
		return "", fmt.Errorf("%s must not hold credentials; they come from their own variable", env)
	}
	return strings.TrimRight(v, "/"), nil
}

// Each runs fn for each of n items, at most par at once, and returns the
// first error.
func Each(n, par int, fn func(i int) error) error {
	if par < 1 {
		par = 1
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, par)
	)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}
