package source

import (
	"net/url"
	"strings"
)

// secretParams are the query parameters of a spec that hold secrets.
var secretParams = []string{"password", "passwd", "pass", "pwd", "secret", "token", "key", "api_key", "apikey", "access_token", "sslpassword"}

// Redact returns spec fit to be shown: a URL's password (what follows
// USER: before the last @), and the value of any query parameter that
// names a secret (password, token, key, ...), become "xxxxx". It works on
// the text, so a spec that does not parse as a URL is redacted too. A
// spec without "://" is returned as it is. Front ends show a spec only
// through Redact; drivers' Describe shows none.
func Redact(spec string) string {
	scheme, rest, ok := strings.Cut(spec, "://")
	if !ok {
		return spec
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, hasPW := strings.Cut(rest[:at], ":"); hasPW {
			rest = user + ":xxxxx" + rest[at:]
		}
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		pairs := strings.Split(rest[q+1:], "&")
		for i, p := range pairs {
			k, _, hasV := strings.Cut(p, "=")
			name, err := url.QueryUnescape(k)
			if err != nil {
				name = k
			}
			for _, s := range secretParams {
				if hasV && strings.EqualFold(name, s) {
					pairs[i] = k + "=xxxxx"
				}
			}
		}
		rest = rest[:q+1] + strings.Join(pairs, "&")
	}
	return scheme + "://" + rest
}

// HasPassword reports whether spec, a URL, has a password in it.
func HasPassword(spec string) bool {
	return Redact(spec) != spec
}
