package mtasts

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/tagvalue"
)

// Record is a parsed _mta-sts TXT record (RFC 8461 §3.1).
type Record struct {
	ID         string
	Extensions map[string]string
}

// ParseRecord parses one _mta-sts TXT record:
//
//	sts-text-record = sts-version 1*(*WSP %x3B *WSP sts-field) [%x3B]
//	sts-version     = %s"v=STSv1"
//	sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
func ParseRecord(txt string) (*Record, error) {
	r := &Record{}
	ext, err := tagvalue.ParseSTS(txt, "v=STSv1", func(name, value string) (bool, error) {
		if name != "id" {
			return false, nil
		}
		if r.ID != "" {
			return true, fmt.Errorf("id= appears twice")
		}
		if !validID(value) {
			return true, fmt.Errorf("id=%q must be 1 to 32 letters and digits", tagvalue.Clip(value))
		}
		r.ID = value
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	r.Extensions = ext
	if r.ID == "" {
		return nil, fmt.Errorf("id= is missing: senders use it to notice a new policy")
	}
	return r, nil
}

func validID(s string) bool {
	if len(s) < 1 || len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !isAlnum(c) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Policy is a parsed MTA-STS policy file (RFC 8461 §3.2).
type Policy struct {
	Version string
	Mode    string // enforce, testing, none
	MaxAge  int64  // seconds; -1 when absent or invalid
	MX      []string
}

// Problem is one thing wrong with a policy, with the line it is on (0 for
// the whole file).
type Problem struct {
	ID       string // the finding ID
	Severity checks.Severity
	Line     int
	Message  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return p.Message
}

// The max_age bounds of RFC 8461 §3.2: at most 31557600 (a year); values
// "SHOULD be in weeks or greater", and a day is the least that is sensible.
const (
	MaxMaxAge = 31557600
	MinMaxAge = 86400
	weekAge   = 604800
)

// ParsePolicy parses a policy file and lints it. It never fails: what it
// cannot use is reported as a Problem.
//
//	sts-policy-field = sts-policy-version / sts-policy-mode / sts-policy-max-age / sts-policy-mx / extension
//	field-delim      = ":" *WSP
//	lines end in LF or CRLF
func ParsePolicy(text string) (*Policy, []Problem) {
	pol := &Policy{MaxAge: -1}
	var probs []Problem
	add := func(id string, sev checks.Severity, line int, format string, args ...any) {
		probs = append(probs, Problem{ID: id, Severity: sev, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	seen := map[string]int{}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			add(idNotKeyValue, checks.Error, n, "%q is not a \"key: value\" line", tagvalue.Clip(line))
			continue
		}
		value = strings.TrimRight(strings.TrimLeft(value, " \t"), " \t")
		if key != strings.TrimSpace(key) {
			add(idKeySpace, checks.Error, n, "space around the key %q", key)
			key = strings.TrimSpace(key)
		}
		if key != "mx" {
			if prev, dup := seen[key]; dup {
				add(idFieldRepeated, checks.Warning, n, "%s appears again (first on line %d): senders may take either", key, prev)
			} else {
				seen[key] = n
			}
		}
		switch key {
		case "version":
			if value != "STSv1" {
				add(idVersionWrong, checks.Error, n, "version is %q, want STSv1", tagvalue.Clip(value))
			}
			if pol.Version == "" {
				pol.Version = value
			}
		case "mode":
			switch value {
			case "enforce", "testing", "none":
				if pol.Mode == "" {
					pol.Mode = value
				}
			default:
				add(idModeInvalid, checks.Error, n, "mode %q is not enforce, testing or none (case-sensitive)", tagvalue.Clip(value))
			}
		case "max_age":
			age, err := strconv.ParseInt(value, 10, 64)
			switch {
			case err != nil || len(value) > 10 || strings.HasPrefix(value, "+") || strings.HasPrefix(value, "-"):
				add(idMaxAgeInvalid, checks.Error, n, "max_age %q is not 1 to 10 digits", tagvalue.Clip(value))
			case age > MaxMaxAge:
				add(idMaxAgeTooLong, checks.Error, n, "max_age %d is above the maximum of %d (one year)", age, MaxMaxAge)
				if pol.MaxAge < 0 {
					pol.MaxAge = age
				}
			default:
				if pol.MaxAge < 0 {
					pol.MaxAge = age
				}
			}
		case "mx":
			pat := value
			if strings.HasSuffix(pat, ".") {
				add(idPatternDot, checks.Warning, n, "mx pattern %q ends with a dot: write it without", tagvalue.Clip(pat))
				pat = strings.TrimSuffix(pat, ".")
			}
			if err := checkPattern(pat); err != nil {
				add(idPatternInvalid, checks.Error, n, "mx pattern %q: %v", tagvalue.Clip(value), err)
				continue
			}
			pol.MX = append(pol.MX, strings.ToLower(pat))
		default:
			if !tagvalue.IsExtName(key) {
				add(idFieldName, checks.Error, n, "%q is not a valid field name", tagvalue.Clip(key))
			} else {
				add(idFieldUnknown, checks.Info, n, "unknown field %q is ignored by senders", key)
			}
		}
	}
	if _, ok := seen["version"]; !ok {
		add(idVersionMissing, checks.Error, 0, "version: STSv1 is missing")
	}
	if _, ok := seen["mode"]; !ok {
		add(idModeMissing, checks.Error, 0, "mode is missing (enforce, testing or none)")
	}
	switch _, ok := seen["max_age"]; {
	case !ok:
		add(idMaxAgeMissing, checks.Error, 0, "max_age is missing")
	case pol.MaxAge >= 0 && pol.MaxAge < MinMaxAge:
		add(idMaxAgeDay, checks.Warning, seen["max_age"], "max_age %d is under a day: senders refetch the policy constantly and an attacker who blocks the fetch strips it soon; RFC 8461 §3.2 recommends weeks (%d or more)", pol.MaxAge, weekAge)
	case pol.MaxAge >= MinMaxAge && pol.MaxAge < weekAge:
		add(idMaxAgeWeek, checks.Info, seen["max_age"], "max_age %d is under a week: RFC 8461 §3.2 recommends weeks or more (%d)", pol.MaxAge, weekAge)
	}
	if len(pol.MX) == 0 && (pol.Mode == "enforce" || pol.Mode == "testing") {
		add(idNoPattern, checks.Error, 0, "no valid mx pattern: in mode %s senders match every MX host against these, so none would match", pol.Mode)
	}
	return pol, probs
}

// checkPattern checks an mx pattern: ["*."] Domain, a wildcard only as the
// whole leftmost label (RFC 8461 §3.2, §4.1).
func checkPattern(p string) error {
	if p == "" {
		return fmt.Errorf("empty")
	}
	host := strings.TrimPrefix(p, "*.")
	if strings.Contains(host, "*") {
		return fmt.Errorf("a wildcard may only be the whole leftmost label (\"*.example.com\")")
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return fmt.Errorf("not a fully qualified host name")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return fmt.Errorf("empty or over-long label")
		}
		for j := 0; j < len(l); j++ {
			c := l[j]
			if !isAlnum(c) && !(c == '-' && j > 0 && j < len(l)-1) {
				return fmt.Errorf("label %q is not a host name label (letters, digits, inner hyphens)", l)
			}
		}
	}
	return nil
}

// Match reports whether an MX host matches an mx pattern: case-insensitive;
// "*.example.com" matches exactly one label in its place, so
// mx1.example.com but neither example.com nor a.b.example.com (RFC 8461 §4.1).
func Match(pattern, host string) bool {
	pattern = strings.ToLower(strings.TrimSuffix(pattern, "."))
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		first, parent, ok := strings.Cut(host, ".")
		return ok && first != "" && parent == rest
	}
	return pattern == host
}
