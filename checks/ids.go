package checks

import (
	"fmt"
	"regexp"
	"slices"
	"sync"
)

// A finding ID names a kind of finding, stably: "spf.too-many-lookups",
// "dmarc.policy-none". JSON, annotations, SARIF rules, baselines and the
// config's accepted findings refer to it; docs/findings.md lists every one
// with its meaning and fix. An ID never changes meaning; a finding that
// changes meaning gets a new one.

var (
	idsMu sync.Mutex
	ids   = map[string]bool{}
)

var idSyntax = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$`)

// ID declares a finding ID and returns it. Check packages declare theirs
// as package variables, so that IDs lists every ID the code can report.
// An ID is "area.what" in lower case with dashes; declaring one twice or
// one of another shape is a programming error.
func ID(id string) string {
	if !idSyntax.MatchString(id) {
		panic(fmt.Sprintf("finding ID %q: want area.what, lower case with dashes", id))
	}
	idsMu.Lock()
	defer idsMu.Unlock()
	if ids[id] {
		panic(fmt.Sprintf("finding ID %q declared twice", id))
	}
	ids[id] = true
	return id
}

// IDs returns every declared finding ID, sorted.
func IDs() []string {
	idsMu.Lock()
	defer idsMu.Unlock()
	out := make([]string, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Declared reports whether id was declared with ID.
func Declared(id string) bool {
	idsMu.Lock()
	defer idsMu.Unlock()
	return ids[id]
}

// UnknownOf is the finding of Pass.Unknown with an ID: cause could not be
// settled, saying why.
func UnknownOf(id string, cause CauseID, format string, args ...any) Finding {
	return Finding{ID: id, Severity: Info, Cause: cause, Verdict: Unknown, Message: fmt.Sprintf(format, args...)}
}

// MissingOf is the finding of Pass.Missing with an ID: cause could not be
// settled for want of the inputs needs, saying what they would show.
func MissingOf(id string, cause CauseID, needs []Input, format string, args ...any) Finding {
	return Finding{ID: id, Severity: Info, Cause: cause, Verdict: Unknown, Needs: needs, Message: fmt.Sprintf(format, args...)}
}
