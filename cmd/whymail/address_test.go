package main

import (
	"slices"
	"strings"
	"testing"
)

func TestReadAddresses(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // address@source
		err      string
	}{
		{"plain", "a@x.example\n\n# note\n b@y.example \n", []string{"a@x.example@in:1", "b@y.example@in:4"}, ""},
		{"crlf and bom", "\ufeffa@x.example\r\nb@y.example\r\n", []string{"a@x.example@in:1", "b@y.example@in:2"}, ""},
		{"csv", "name,Email\nAl,a@x.example\n\"Bo, Jr\",b@y.example\n", []string{"a@x.example@in:2", "b@y.example@in:3"}, ""},
		{"csv bom header", "\ufeffemail\na@x.example\n", []string{"a@x.example@in:2"}, ""},
		{"csv without email column", "name,phone\nAl,1\n", nil, "in:1: CSV header has no email column"},
		{"plain line with commas", "a@x.example, b@y.example\n", []string{"a@x.example, b@y.example@in:1"}, ""},
		{"semicolons", "Name;E-Mail\nAl;a@x.example\n", []string{"a@x.example@in:2"}, ""},
		{"tabs", "id\temail\n1\ta@x.example\n", []string{"a@x.example@in:2"}, ""},
		{"display name line", "\"Doe, Jane\" <jane@x.example>\n", []string{"\"Doe, Jane\" <jane@x.example>@in:1"}, ""},
		{"csv short row", "name,email\nAl\n", nil, "in:2: row has 1 fields"},
		{"csv bad quote", "name,email\nA\"l,a@x\n", nil, "in: parse error on line 2"},
		{"empty", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := readAddresses(strings.NewReader(tt.in), "in", func(a, src string) { got = append(got, a+"@"+src) })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzReadAddresses: never panics; plain input loses no line: every line
// that is not blank or a comment is emitted once, in order.
func FuzzReadAddresses(f *testing.F) {
	for _, s := range []string{"a@b.c\n", "email\na@b.c\n", "x,email\n1,a@b\n", "# c\n\n a \n", "\"a,\nb\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var got []string
		err := readAddresses(strings.NewReader(in), "in", func(a, src string) { got = append(got, a) })
		first := strings.SplitN(in, "\n", 2)[0]
		if _, isCSV := csvHeader(first); err != nil || isCSV {
			return // CSV, or an error that names the input
		}
		if len(in) > 60000 {
			return // long lines are refused by the scanner
		}
		var want []string
		for _, line := range strings.Split(strings.ReplaceAll(in, "\r\n", "\n"), "\n") {
			line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
			if line != "" && !strings.HasPrefix(line, "#") {
				want = append(want, line)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}
