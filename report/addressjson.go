package report

import (
	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/jsonappend"
)

// appendJSON appends v as encoding/json writes it (WriteJSONLine: no HTML
// escaping), without reflection: a batch writes a line for every address,
// and for each domain a line in full. TestAddressVerdictJSON holds it to
// encoding/json.
func (v *AddressVerdict) appendJSON(b []byte) ([]byte, error) {
	b = jsonappend.String(append(b, `{"schema":`...), v.Schema)
	b = jsonappend.String(jsonappend.Key(b, "address"), v.Address)
	if v.Source != "" {
		b = jsonappend.String(jsonappend.Key(b, "source"), v.Source)
	}
	b = jsonappend.String(jsonappend.Key(b, "verdict"), v.Verdict)
	if v.Reason != "" {
		b = jsonappend.String(jsonappend.Key(b, "reason"), v.Reason)
	}
	if v.Suggestion != "" {
		b = jsonappend.String(jsonappend.Key(b, "suggestion"), v.Suggestion)
	}
	b = jsonappend.Key(b, "findings")
	if v.Findings == nil {
		return append(b, "null}"...), nil
	}
	b = append(b, '[')
	for i := range v.Findings {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendFinding(b, &v.Findings[i]); err != nil {
			return nil, err
		}
	}
	return append(b, "]}"...), nil
}

// appendFinding appends f as encoding/json writes a checks.Finding.
func appendFinding(b []byte, f *checks.Finding) ([]byte, error) {
	b = append(b, '{')
	if f.ID != "" {
		b = jsonappend.String(jsonappend.Key(b, "id"), f.ID)
	}
	b = jsonappend.String(jsonappend.Key(b, "check"), f.Check)
	b = jsonappend.String(jsonappend.Key(b, "severity"), f.Severity.String())
	if f.Record != "" {
		b = jsonappend.String(jsonappend.Key(b, "record"), f.Record)
	}
	if f.Cause != "" {
		b = jsonappend.String(jsonappend.Key(b, "cause"), string(f.Cause))
	}
	if f.Verdict != "" {
		b = jsonappend.String(jsonappend.Key(b, "verdict"), string(f.Verdict))
	}
	if f.Strength != 0 {
		b = jsonappend.String(jsonappend.Key(b, "strength"), f.Strength.String())
	}
	b = jsonappend.String(jsonappend.Key(b, "message"), f.Message)
	if len(f.Steps) > 0 {
		b = jsonappend.Strings(jsonappend.Key(b, "steps"), f.Steps)
	}
	if len(f.Data) > 0 {
		var err error
		if b, err = jsonappend.Map(jsonappend.Key(b, "data"), f.Data); err != nil {
			return b, err
		}
	}
	if len(f.Needs) > 0 {
		b = append(jsonappend.Key(b, "needs"), '[')
		for i, n := range f.Needs {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonappend.String(b, string(n))
		}
		b = append(b, ']')
	}
	if f.Note {
		b = append(jsonappend.Key(b, "note"), "true"...)
	}
	return append(b, '}'), nil
}
