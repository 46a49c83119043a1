package report

import (
	"io"
	"slices"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/mailaddr"
)

// AddressSchema is the version of the `whymail address` JSON lines.
const AddressSchema = "whymail.address/v1"

// AddressVerdict is the one verdict a list owner acts on for an address:
// one line of `whymail address`.
type AddressVerdict struct {
	Schema     string           `json:"schema"`
	Address    string           `json:"address"`
	Source     string           `json:"source,omitempty"` // file:line of the input list
	Verdict    string           `json:"verdict"`          // ok, invalid, typo, no-domain, no-mail, unknown
	Reason     string           `json:"reason,omitempty"`
	Suggestion string           `json:"suggestion,omitempty"`
	Findings   []checks.Finding `json:"findings"`
}

// NewAddressVerdict starts the verdict for address read from source.
func NewAddressVerdict(address, source string) *AddressVerdict {
	return &AddressVerdict{Schema: AddressSchema, Address: address, Source: source, Findings: []checks.Finding{}}
}

// Summarize sets v's verdict from the run of the address checks, in the
// order a list owner cares about: invalid, typo, no domain, no mail,
// could not check, ok.
func (v *AddressVerdict) Summarize(res *checks.Result) {
	fs := res.Findings()
	v.Findings = fs
	pick := func(cause checks.CauseID, verdicts ...checks.Verdict) *checks.Finding {
		for i, f := range fs {
			if f.Cause == cause && slices.Contains(verdicts, f.Verdict) {
				return &fs[i]
			}
		}
		return nil
	}
	suggestion := func(f *checks.Finding) string {
		s, _ := f.Data["suggestion"].(string)
		return s
	}
	if f := pick(checks.AddressInvalid, checks.Confirmed, checks.Likely); f != nil {
		v.Verdict, v.Reason = "invalid", f.Message
		return
	}
	if f := pick(checks.AddressTypo, checks.Likely, checks.Confirmed); f != nil {
		v.Verdict, v.Reason, v.Suggestion = "typo", f.Message, suggestion(f)
		return
	}
	if f := pick(checks.DomainNotFound, checks.Confirmed); f != nil {
		v.Verdict, v.Reason = "no-domain", f.Message
		return
	}
	if f := pick(checks.DomainNoMail, checks.Confirmed, checks.Likely); f != nil {
		v.Verdict, v.Reason = "no-mail", f.Message
		return
	}
	for _, c := range res.Checks {
		if c.Status == checks.StatusFailed {
			v.Verdict, v.Reason = "unknown", c.Name+": "+c.Reason
			return
		}
	}
	v.Verdict = "ok"
	if f := pick(checks.AddressTypo, checks.Possible); f != nil {
		v.Reason, v.Suggestion = f.Message, suggestion(f)
	}
}

// AddressLine writes v as one tab-separated line: address, verdict, then
// the reason (leading with the suggested address when there is one), so
// that `cut -f2` gives the verdicts.
func AddressLine(w io.Writer, v *AddressVerdict) error {
	p := &printer{w: w}
	reason := v.Reason
	if v.Suggestion != "" {
		suggested := v.Suggestion
		if local, _, ok := mailaddr.Split(v.Address); ok {
			suggested = local + "@" + v.Suggestion
		}
		reason = "did you mean " + suggested + "? " + reason
	}
	if reason == "" {
		p.f("%s\t%s\n", v.Address, v.Verdict)
	} else {
		p.f("%s\t%s\t%s\n", v.Address, v.Verdict, reason)
	}
	return p.err
}
