package checks

// Tristate is yes, no, or could not tell.
type Tristate int

const (
	Maybe Tristate = iota // could not tell (DNS failed, not checked)
	Yes
	No
)

func (t Tristate) String() string { return [...]string{"unknown", "yes", "no"}[t] }

// MarshalText prints a Tristate by name.
func (t Tristate) MarshalText() ([]byte, error) { return []byte(t.String()), nil }
