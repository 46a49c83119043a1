package source

import (
	"net/url"
	"strings"
)

// secretParams are the query parameters of a spec that hold secrets.
var secretParams = []string{"password", "passwd", "pass", "pwd", "secret", "token", "key", "api_key", "apikey", "access_token", "sslpassword"}

// Redact returns spec fit to be shown: a URL's password, and the value of
// any query parameter that names a secret (password, token, key, ...),
// become "xxxxx". A spec that is not a URL is returned as it is. Front
// ends show a spec only through Redact; drivers' Describe shows none.
func Redact(spec string) string {
	if !strings.Contains(spec, "://") {
		return spec
	}
	u, err := url.Parse(spec)
	if err != nil {
		// Unparsable: cut what could be userinfo.
		scheme, rest, _ := strings.Cut(spec, "://")
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			return scheme + "://xxxxx@" + rest[at+1:]
		}
		return spec
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k := range q {
			for _, s := range secretParams {
				if strings.EqualFold(k, s) {
					q.Set(k, "xxxxx")
					changed = true
				}
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}
