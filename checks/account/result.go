package account

import "time"

// Account is the result of Check: the user record that
// belongs to the ticket, if any.
type Account struct {
	Found       bool
	ID          string
	Email       string
	Status      string // active, inactive, disabled, locked, pending; "" for a word no mapping names
	Word        string // the app's own status word, lower-case
	LockedUntil time.Time
	ResetSentAt time.Time
}
