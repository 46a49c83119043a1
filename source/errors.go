package source

import (
	"errors"
	"fmt"
)

// An InputError is bad input: evidence that cannot be read or does not
// parse. Commands exit 2 on it. It names where (the file, or the source's
// description), the line when known, and what was wrong.
type InputError struct {
	File string // path as given, or the source's description
	Line int    // 1-based; 0 when the error is not about one line
	Err  error
}

func (e *InputError) Error() string {
	switch {
	case e.File == "":
		return e.Err.Error()
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Inputf returns an *InputError for file and line with a formatted message.
func Inputf(file string, line int, format string, args ...any) error {
	return &InputError{File: file, Line: line, Err: fmt.Errorf(format, args...)}
}

// IsInputError reports whether err is, or wraps, an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}
