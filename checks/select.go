package checks

import (
	"fmt"
	"strings"
)

// Select returns the checks of set with the given names, in set's order;
// the runner adds what they require (Closure). Naming a check that set
// does not have is an error listing the names it does have.
func Select(set []*Check, names []string) ([]*Check, error) {
	want := map[string]bool{}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if !hasName(set, n) {
			return nil, fmt.Errorf("no check named %q: want %s", n, strings.Join(Names(set), ", "))
		}
		want[n] = true
	}
	var out []*Check
	for _, c := range set {
		if want[c.Name] {
			out = append(out, c)
		}
	}
	return out, nil
}

func hasName(set []*Check, name string) bool {
	for _, c := range set {
		if c.Name == name {
			return true
		}
	}
	return false
}

// Names is the names of set's checks, in order.
func Names(set []*Check) []string {
	out := make([]string, len(set))
	for i, c := range set {
		out[i] = c.Name
	}
	return out
}
