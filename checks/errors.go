package checks

import (
	"fmt"

	"github.com/whymail/whymail/source"
)

// InputError is bad input the agent gave: evidence that cannot be read or
// does not parse. Commands exit 2 on it. Sources and checks report it
// alike, so it is source.InputError.
type InputError = source.InputError

// Inputf returns an *InputError for file and line with a formatted message.
func Inputf(file string, line int, format string, args ...any) error {
	return source.Inputf(file, line, format, args...)
}

// IsInputError reports whether err is, or wraps, an *InputError.
func IsInputError(err error) bool { return source.IsInputError(err) }

// A MisplacedError is input of one kind given as another, such as provider
// events given as a suppression list. Belongs names the input it is; front
// ends word it (the command line: "give it with" its flag).
type MisplacedError struct {
	Holds   string // what the input holds, "SendGrid events"
	Not     string // what it was given as, "a suppression list"
	Belongs Input
}

func (e *MisplacedError) Error() string {
	return fmt.Sprintf("this file holds %s, not %s", e.Holds, e.Not)
}
