package file

import (
	"errors"
	"strings"
	"testing"

	"github.com/whymail/whymail/internal/textinput/textinputtest"
	"github.com/whymail/whymail/source"
)

// TestReadUsersEndless gives ReadUsers input without end: each read stops
// at a bound with an input error naming the file and line, having read
// and allocated a few times the bound at most.
func TestReadUsersEndless(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  *textinputtest.Endless
		err  string
	}{
		{name: "/dev/zero", src: textinputtest.Zeros(0), err: "users.csv:1: line longer than 1 MiB"},
		{name: "endless header", src: &textinputtest.Endless{Prefix: "id,email,status,", Fill: 'a'}, err: "users.csv:1: line longer than 1 MiB"},
		{name: "endless quoted field", src: &textinputtest.Endless{Prefix: "id,email,status\n1,\"", Fill: 'a', Sep: '\n', Every: 80},
			err: "users.csv:2: record longer than 1 MiB"},
		{name: "endless JSON string", src: &textinputtest.Endless{Prefix: "[\n{\"id\": \"", Fill: 'a'}, err: "users.csv:2: a JSON record longer than 1 MiB"},
		{name: "endless JSON white space", src: &textinputtest.Endless{Prefix: "[", Fill: ' '}, err: "users.csv:1: a JSON record longer than 1 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Max = 256 << 20
			var err error
			alloc := textinputtest.Alloc(func() {
				err = ReadUsers(tt.src, "users.csv", func(source.User) error { return nil })
			})
			if !source.IsInputError(err) || !strings.Contains(err.Error(), tt.err) || errors.Is(err, textinputtest.ErrRanAway) {
				t.Errorf("err = %v, want an input error %q", err, tt.err)
			}
			if tt.src.Count() > 4*MaxRecord || alloc > 16*MaxRecord {
				t.Errorf("read %d bytes, allocated %s", tt.src.Count(), textinputtest.MiB(alloc))
			}
		})
	}
}

// TestReadUsersManyRows reads a file larger than the record bound: the
// bound is per row, not per file.
func TestReadUsersManyRows(t *testing.T) {
	const rows = 100000
	in := "id,email,status\n" + strings.Repeat("1,a@example.com,active\n", rows)
	n := 0
	err := ReadUsers(strings.NewReader(in), "users.csv", func(source.User) error { n++; return nil })
	if err != nil || n != rows || len(in) < 2*MaxRecord {
		t.Errorf("read %d of %d rows (%d bytes): %v", n, rows, len(in), err)
	}
}
