package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/whymail/whymail/checks"
)

// An Acceptance is a finding a team has decided to live with, from the
// config: its ID, optionally for one domain, with the reason and an expiry
// date after which the finding counts again.
type Acceptance struct {
	ID      string    `json:"id" yaml:"id"`
	Domain  string    `json:"domain,omitempty" yaml:"domain"`
	Reason  string    `json:"reason,omitempty" yaml:"reason"`
	Expires time.Time `json:"expires,omitzero" yaml:"expires"`
}

// matches reports whether a applies to a finding with id about domain.
func (a Acceptance) matches(id, domain string) bool {
	return a.ID == id && (a.Domain == "" || strings.EqualFold(strings.TrimSuffix(a.Domain, "."), domain))
}

// expired reports whether a no longer applies at t: its expiry date is
// the last day it holds.
func (a Acceptance) expired(t time.Time) bool {
	return !a.Expires.IsZero() && t.After(a.Expires.Add(24*time.Hour-time.Nanosecond))
}

// Accepted says why a finding does not reach the fail-on threshold.
type Accepted struct {
	// By is "config" (an accepted ID) or "baseline" (the earlier run had it).
	By      string    `json:"by"`
	Reason  string    `json:"reason,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
}

// LintFinding is a finding of the lint with what the run made of it.
type LintFinding struct {
	checks.Finding
	// Accepted is set when the finding is accepted in the config or known
	// from the baseline: it is shown but does not reach the threshold.
	Accepted *Accepted `json:"accepted,omitempty"`
	// Expired is set when the config accepted the finding until a date
	// that has passed: it counts again.
	Expired *Acceptance `json:"acceptance_expired,omitempty"`
	// Location is where the record the finding is about was read, when it
	// came from a zone file.
	Location *Location `json:"location,omitempty"`
}

// Location is a line of a file.
type Location struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"` // 1-based; omitted when not known
}

// A Baseline is the findings of an earlier domain lint's JSON document
// run: a finding it already had is not new, so it does not fail the run.
type Baseline struct {
	Source string
	// known counts the findings per domain and ID; messages lets a
	// finding whose text is unchanged be matched first.
	known    map[baselineKey]int
	messages map[baselineKey][]string
}

type baselineKey struct{ domain, id string }

// ReadBaseline reads whymail.domain/v1 JSON: one document, or one a line
// (what `whymail domain --input` writes).
func ReadBaseline(r io.Reader, source string) (*Baseline, error) {
	type document struct {
		Schema  string `json:"schema"`
		Domains []struct {
			Domain  string `json:"domain"`
			Records []struct {
				Findings []struct {
					ID       string `json:"id"`
					Severity string `json:"severity"`
					Message  string `json:"message"`
				} `json:"findings"`
			} `json:"records"`
		} `json:"domains"`
	}
	b := &Baseline{Source: source, known: map[baselineKey]int{}, messages: map[baselineKey][]string{}}
	// One document, or one a line as `whymail domain --input` writes them.
	dec := json.NewDecoder(r)
	for n := 1; ; n++ {
		var doc document
		err := dec.Decode(&doc)
		if err == io.EOF && n > 1 {
			return b, nil
		}
		if err != nil {
			return nil, fmt.Errorf("not a JSON document of whymail domain (document %d): %v", n, err)
		}
		if doc.Schema != DomainSchema {
			return nil, fmt.Errorf("document %d: schema %q, want %s (the JSON document of a domain lint)", n, doc.Schema, DomainSchema)
		}
		for _, d := range doc.Domains {
			for _, g := range d.Records {
				for _, f := range g.Findings {
					if f.ID == "" {
						continue // a run from before finding IDs: nothing to match on
					}
					k := baselineKey{strings.ToLower(d.Domain), f.ID}
					b.known[k]++
					b.messages[k] = append(b.messages[k], f.Message)
				}
			}
		}
	}
}

// Len returns how many findings the baseline holds.
func (b *Baseline) Len() int {
	n := 0
	for _, c := range b.known {
		n += c
	}
	return n
}

// baselineMatcher consumes the baseline's findings of one domain as the
// run's findings are matched to them, so that a finding that occurs more
// often than before is new.
type baselineMatcher struct {
	left     map[string]int
	messages map[string][]string
}

func (b *Baseline) matcher(domain string) *baselineMatcher {
	m := &baselineMatcher{left: map[string]int{}, messages: map[string][]string{}}
	if b == nil {
		return m
	}
	domain = strings.ToLower(domain)
	for k, n := range b.known {
		if k.domain == domain {
			m.left[k.id] = n
			m.messages[k.id] = append([]string(nil), b.messages[k]...)
		}
	}
	return m
}

// known reports whether the baseline had f (same ID; the same message
// first), consuming it.
func (m *baselineMatcher) known(f checks.Finding) bool {
	if f.ID == "" || m.left[f.ID] == 0 {
		return false
	}
	m.left[f.ID]--
	msgs := m.messages[f.ID]
	for i, msg := range msgs {
		if msg == f.Message {
			m.messages[f.ID] = append(msgs[:i:i], msgs[i+1:]...)
			return true
		}
	}
	return true
}

// judge decides whether a finding of domain is accepted.
func (l *Lint) judge(domain string, f checks.Finding, bm *baselineMatcher) LintFinding {
	lf := LintFinding{Finding: f}
	if f.Severity == checks.OK || f.ID == "" {
		return lf
	}
	for _, a := range l.Accept {
		if !a.matches(f.ID, domain) {
			continue
		}
		if a.expired(l.now()) {
			a := a
			lf.Expired = &a
			continue
		}
		lf.Accepted = &Accepted{By: "config", Reason: a.Reason, Expires: a.Expires}
		return lf
	}
	if bm.known(f) {
		lf.Accepted = &Accepted{By: "baseline", Reason: "in the baseline " + l.Baseline.Source}
	}
	return lf
}

func (l *Lint) now() time.Time {
	if l.Now.IsZero() {
		return time.Now()
	}
	return l.Now
}

// acceptedNote words what was accepted, for the result line: "2 accepted
// in the config, 1 known from the baseline", or "".
func (l *Lint) acceptedNote() string {
	var parts []string
	if l.AcceptedCount.Config > 0 {
		parts = append(parts, fmt.Sprintf("%d accepted in the config", l.AcceptedCount.Config))
	}
	if l.AcceptedCount.Baseline > 0 {
		parts = append(parts, fmt.Sprintf("%d known from the baseline", l.AcceptedCount.Baseline))
	}
	if l.AcceptedCount.Expired > 0 {
		parts = append(parts, fmt.Sprintf("%d whose acceptance expired", l.AcceptedCount.Expired))
	}
	return strings.Join(parts, ", ")
}

// acceptedText words one accepted finding's note: "accepted: moving to
// p=reject in Q1 (until 2027-03-31)".
func acceptedText(f LintFinding) string {
	switch {
	case f.Accepted != nil && f.Accepted.By == "baseline":
		return "known from the baseline, not failing"
	case f.Accepted != nil:
		s := "accepted in the config"
		if f.Accepted.Reason != "" {
			s += ": " + f.Accepted.Reason
		}
		if !f.Accepted.Expires.IsZero() {
			s += " (until " + f.Accepted.Expires.Format(time.DateOnly) + ")"
		}
		return s + ", not failing"
	case f.Expired != nil:
		return "accepted in the config until " + f.Expired.Expires.Format(time.DateOnly) + ", which has passed: counts again"
	}
	return ""
}
