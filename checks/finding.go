package checks

import "fmt"

// Severity grades a finding about a record itself, for `whymail domain` and CI.
type Severity int

const (
	OK Severity = iota
	Info
	Warning
	Error
)

var severityNames = [...]string{"ok", "info", "warning", "error"}

func (s Severity) String() string {
	if s < OK || s > Error {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name as printed by String.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if n == s {
			return Severity(i), nil
		}
	}
	return OK, fmt.Errorf("unknown severity %q (want ok, info, warning or error)", s)
}

// MarshalText makes severities print by name in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Strength says how directly a finding's evidence points at its cause, to
// order findings that share a verdict (docs/design.md: evidence about this
// recipient outranks a base rate).
type Strength int

const (
	// BaseRate: nothing about this recipient, only how common the cause is.
	BaseRate Strength = 0
	// Indirect: something about this recipient that makes the cause plausible.
	Indirect Strength = 1
	// Direct: evidence about this recipient that names the cause.
	Direct Strength = 2
	// OfRecord: a source of record (bounce, log, list, user record).
	OfRecord Strength = 3
)

var strengthNames = [...]string{"base-rate", "indirect", "direct", "of-record"}

func (s Strength) String() string {
	if s < BaseRate || s > OfRecord {
		return fmt.Sprintf("strength(%d)", int(s))
	}
	return strengthNames[s]
}

// MarshalText makes strengths print by name in JSON.
func (s Strength) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// A Finding is one thing a check found. It speaks to a record (Severity,
// Record) for CI, to a cause (Cause, Verdict) for the diagnosis, or both.
type Finding struct {
	// ID names the kind of finding, stably ("spf.too-many-lookups"): see
	// ID and docs/findings.md. Every finding about a record has one.
	ID string `json:"id,omitempty"`
	// Check is the name of the check that reported it; the Pass fills it in.
	Check string `json:"check"`
	// Severity grades the finding about the record itself.
	Severity Severity `json:"severity"`
	// Record names what the finding is about, such as "spf", "mx" or
	// "users.csv:12"; optional.
	Record string `json:"record,omitempty"`
	// Cause is the catalog cause the finding speaks to, or "".
	Cause CauseID `json:"cause,omitempty"`
	// Verdict is the finding's verdict on Cause; required when Cause is set.
	Verdict Verdict `json:"verdict,omitempty"`
	// Strength orders findings with the same verdict.
	Strength Strength `json:"strength,omitempty"`
	// Message says what was found, in plain words, with the evidence.
	Message string `json:"message"`
	// Steps are agent steps specific to this finding, such as "ask IT to
	// search the Mimecast held queue". When the deciding findings of a
	// cause give steps, they replace the catalog's general ones, so give
	// a complete list.
	Steps []string `json:"steps,omitempty"`
	// Data carries the finding's evidence for machines: record text, codes, times.
	Data map[string]any `json:"data,omitempty"`
	// Needs names the inputs that would settle the finding's cause, for an
	// Unknown verdict that a missing input left open. Front ends word them.
	Needs []Input `json:"needs,omitempty"`
	// Note marks a finding the agent must read before the causes, though
	// it names none (a disposable-mail domain, an account id that names no
	// record): a diagnosis leads with its notes.
	Note bool `json:"note,omitempty"`
}
