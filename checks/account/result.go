package account

import "time"

// Account is the result of Check: the user record that
// belongs to the ticket, if any.
type Account struct {
	Found       bool
	ID          string
	Email       string
	Status      string // active, inactive, disabled, locked, pending
	LockedUntil time.Time
	ResetSentAt time.Time
}
