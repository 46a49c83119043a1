package file

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/internal/textinput/textinputtest"
	"github.com/whymail/whymail/source"
)

func readAll(text string) ([]source.User, error) {
	var out []source.User
	err := ReadUsers(strings.NewReader(text), "users.csv", func(u source.User) error {
		out = append(out, u)
		return nil
	})
	return out, err
}

// brief prints a record as "line:id:email:status".
func brief(us []source.User) string {
	var parts []string
	for _, u := range us {
		s := fmt.Sprintf("%d:%s:%s:%s", u.Line, u.ID, u.Email, u.Status)
		if !u.LockedUntil.IsZero() {
			s += ":L" + u.LockedUntil.UTC().Format(time.RFC3339)
		}
		if !u.ResetSentAt.IsZero() {
			s += ":R" + u.ResetSentAt.UTC().Format(time.RFC3339)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestReadUsers(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // brief of the records
		err      string // the whole error message
	}{
		{name: "csv", in: "id,email,status,locked_until,reset_sent_at\n1,a@example.com,active,,\n2,b@example.com,Locked,2026-11-23T10:00:00Z,2026-11-20T09:00:00+01:00\n",
			want: "2:1:a@example.com:active 3:2:b@example.com:locked:L2026-11-23T10:00:00Z:R2026-11-20T08:00:00Z"},
		{name: "csv columns in any order, extra ignored, optional missing", in: "Email , note, ID,STATUS\r\nc@example.com,\"hi, there\",7,pending\r\n",
			want: "2:7:c@example.com:pending"},
		{name: "csv with BOM and blank lines", in: "\uFEFF\n\nid,email,status\n\n9,d@example.com,disabled\n",
			want: "5:9:d@example.com:disabled"},
		{name: "csv quoted multi-line field keeps the start line", in: "id,email,status,note\n1,a@example.com,active,\"two\nlines\"\n2,b@example.com,inactive,x\n",
			want: "2:1:a@example.com:active 4:2:b@example.com:inactive"},
		{name: "csv header only", in: "id,email,status\n", want: ""},
		{name: "json", in: `[
  {"id": "1", "email": "a@example.com", "status": "active", "locked_until": null, "reset_sent_at": ""},
  {"id": 2, "email": "b@example.com", "status": "INACTIVE", "extra": {"x": [1]},
   "reset_sent_at": "2026-11-20T08:00:00Z"}
]`, want: "2:1:a@example.com:active 3:2:b@example.com:inactive:R2026-11-20T08:00:00Z"},
		{name: "json with BOM and leading lines", in: "\uFEFF\n\n[{\"id\":\"x\",\"email\":\"e@example.com\",\"status\":\"locked\"}]\n",
			want: "3:x:e@example.com:locked"},
		{name: "json empty array", in: " [ ] ", want: ""},

		{name: "empty file", in: "", err: "users.csv: the file is empty: want a CSV header (id,email,status,locked_until,reset_sent_at) or a JSON array"},
		{name: "blank file", in: "\n \n", err: "users.csv: the file is empty: want a CSV header (id,email,status,locked_until,reset_sent_at) or a JSON array"},
		{name: "missing column", in: "id,mail,status\n1,a@example.com,active\n",
			err: `users.csv:1: the header has no "email" column (want id,email,status,locked_until,reset_sent_at; found "id,mail,status")`},
		{name: "duplicate column", in: "\nid,email,status,Email\n", err: `users.csv:2: column "email" appears twice in the header`},
		{name: "wrong field count", in: "id,email,status\n1,a@example.com,active\n2,b@example.com\n",
			err: "users.csv:3: wrong number of fields: the row does not have as many as the header"},
		{name: "bad status", in: "id,email,status\n1,a@example.com,active\n2,b@example.com,gone\n",
			err: `users.csv:3: status "gone" is not one of active, inactive, disabled, locked, pending`},
		{name: "empty status", in: "id,email,status\n1,a@example.com,\n",
			err: `users.csv:2: status "" is not one of active, inactive, disabled, locked, pending`},
		{name: "bad time", in: "id,email,status,locked_until\n\n1,a@example.com,locked,2026-11-23 10:00\n",
			err: `users.csv:3: locked_until "2026-11-23 10:00" is not an RFC 3339 time (like 2026-11-22T10:00:00Z)`},
		{name: "bad reset time", in: "id,email,status,reset_sent_at\n1,a@example.com,active,yesterday\n",
			err: `users.csv:2: reset_sent_at "yesterday" is not an RFC 3339 time (like 2026-11-22T10:00:00Z)`},
		{name: "bad quote", in: "id,email,status\n1,\"a@example.com,active\n",
			err: "users.csv:2: extraneous or missing \" in quoted-field"},
		{name: "json bad status", in: "[\n{\"id\":\"1\",\"email\":\"a@example.com\",\"status\":\"active\"},\n{\"id\":\"2\",\n \"email\":\"b@example.com\",\"status\":\"zombie\"}\n]",
			err: `users.csv:3: status "zombie" is not one of active, inactive, disabled, locked, pending`},
		{name: "json bad time", in: "[\n\n  {\"id\":\"1\",\"email\":\"a@example.com\",\"status\":\"locked\",\"locked_until\":\"soon\"}]",
			err: `users.csv:3: locked_until "soon" is not an RFC 3339 time (like 2026-11-22T10:00:00Z)`},
		{name: "json wrong type", in: "[\n{\"id\":\"1\",\"email\":42,\"status\":\"active\"}]",
			err: `users.csv:2: "email" is a JSON number; want a string`},
		{name: "json id of wrong type", in: "[\n{\"id\":true,\"email\":\"a@example.com\",\"status\":\"active\"}]",
			err: `users.csv:2: "id" must be a string or a number, not bool`},
		{name: "json element not an object", in: "[\n{\"id\":\"1\",\"email\":\"a@example.com\",\"status\":\"active\"},\n\"a@example.com\"]",
			err: `users.csv:3: array element is not an object: "a@example.com"`},
		{name: "json syntax error", in: "[\n{\"id\":\"1\",\"email\":\"a@example.com\",\"status\":\"active\"},\n{\"id\":\"2\" \"email\":\"b\"}\n]",
			err: `users.csv:3: bad JSON: invalid character '"' after object key:value pair`},
		{name: "json truncated", in: "[\n{\"id\":\"1\",\"email\":\"a@example.com\",\n",
			err: "users.csv:2: the JSON array ends early (missing ] or })"},
		{name: "json object, not array", in: "\n{\"users\": []}", err: `users.csv:2: a JSON users file must be an array of objects ([{"id": ...}, ...]), not one object`},
		// In a one-line file the line does not locate a record: the error names it too.
		{name: "json one line bad status", in: `[{"id":"1","email":"a@example.com","status":"active"},{"id":"2","email":"b@example.com","status":"active"},{"id":"3","email":"c@example.com","status":"zombie"}]`,
			err: `users.csv:1: record 3: status "zombie" is not one of active, inactive, disabled, locked, pending`},
		{name: "json one line first record", in: `[{"id":"1","email":"a@example.com","status":"locked","locked_until":"soon"}]`,
			err: `users.csv:1: record 1: locked_until "soon" is not an RFC 3339 time (like 2026-11-22T10:00:00Z)`},
		{name: "json one line wrong type", in: `[{"id":"1","email":"a@example.com","status":"active"},{"id":"2","email":7,"status":"active"}]`,
			err: `users.csv:1: record 2: "email" is a JSON number; want a string`},
		{name: "json one line not an object", in: `[{"id":"1","email":"a@example.com","status":"active"}, 5]`,
			err: `users.csv:1: record 2: array element is not an object: 5`},
		{name: "json one line syntax error", in: `[{"id":"1","email":"a@example.com","status":"active"},{"id":"2" "email":"b"}]`,
			err: `users.csv:1: record 2: bad JSON: invalid character '"' after object key:value pair`},
		{name: "json syntax error inside a pretty record", in: "[\n  {\n    \"id\": \"1\",\n    \"email\": \"a@example.com\"\n    \"status\": \"active\"\n  }\n]",
			err: `users.csv:5: bad JSON: invalid character '"' after object key:value pair`},
		{name: "csv NUL in email", in: "id,email,status\n1,a@example.com,active\n2,b\x00@example.com,active\n",
			err: `users.csv:3: email "b\x00@example.com" holds a control character (U+0000): the file is damaged or not text`},
		{name: "json NUL in email", in: "[\n{\"id\":\"1\",\"email\":\"a@example.com\\u0000\",\"status\":\"active\"}]",
			err: `users.csv:2: email "a@example.com\x00" holds a control character (U+0000): the file is damaged or not text`},
		{name: "csv tab in email", in: "id,email,status\n1,a@exa\tmple.com,active\n",
			err: `users.csv:2: email "a@exa\tmple.com" holds a control character (U+0009): the file is damaged or not text`},
		{name: "utf-16le csv is decoded", in: string(textinputtest.UTF16("id,email,status\r\n1,björn@example.com,active\r\n", false)),
			want: "2:1:björn@example.com:active"},
		{name: "utf-16be json is decoded", in: string(textinputtest.UTF16("[\n{\"id\":\"1\",\"email\":\"a@example.com\",\"status\":\"active\"}]", true)),
			want: "2:1:a@example.com:active"},
		{name: "utf-16 without its mark is refused", in: string(textinputtest.UTF16("id,email,status\n", false)[2:]),
			err: "users.csv: the file looks like UTF-16 without a byte order mark (a NUL every other byte): save it as UTF-8"},
		{name: "a hundred thousand columns are clipped", in: "id,status" + columns(1e5) + "\n",
			err: `users.csv:1: the header has no "email" column (want id,email,status,locked_until,reset_sent_at; found "id,status,c0,c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12,c13,c14,"... (672.8 KiB in all))`},
		{name: "a header line over 1 MiB", in: "id,email,status" + strings.Repeat("x", 2<<20) + "\n",
			err: "users.csv:1: line longer than 1 MiB: not a text file of this kind"},
		{name: "a record over 1 MiB", in: "id,email,status\n1,a@example.com,active\n2,\"" + strings.Repeat("x\n", 1<<20) + "\n",
			err: "users.csv:3: record longer than 1 MiB (a quoted field that never ends?)"},
		{name: "json trailing data", in: "[{\"id\":\"1\",\"email\":\"a@example.com\",\"status\":\"active\"}]\n\n[]",
			err: "users.csv:3: unexpected data after the closing ] of the array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(tc.in)
			if tc.err != "" {
				var ie *source.InputError
				if !errors.As(err, &ie) {
					t.Fatalf("error %v (%T), want *source.InputError %q", err, err, tc.err)
				}
				if err.Error() != tc.err {
					t.Errorf("error\n  %s\nwant\n  %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b := brief(got); b != tc.want {
				t.Errorf("records\n  %s\nwant\n  %s", b, tc.want)
			}
		})
	}
}

// TestReadUsersStops: an error from the callback stops the read and is
// returned unchanged.
func TestReadUsersStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := ReadUsers(strings.NewReader("id,email,status\n1,a@x,active\n2,b@x,active\n"), "u.csv", func(source.User) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("err %v after %d records, want stop after 1", err, n)
	}
}

func FuzzReadUsers(f *testing.F) {
	for _, s := range []string{
		"id,email,status,locked_until,reset_sent_at\n1,a@example.com,active,,\n",
		"\uFEFFemail,id,status\n\"a,b\"@example.com,2,locked\n",
		`[{"id": 1, "email": "a@example.com", "status": "pending", "reset_sent_at": "2026-11-20T08:00:00Z"}]`,
		"[\n{\"id\":\"2\" \"email\":\"b\"}\n]",
		"[", "\n\n", "id,email,status\n1,\"x\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		err := ReadUsers(strings.NewReader(in), "users", func(u source.User) error {
			if u.Line < 1 {
				t.Errorf("record with line %d", u.Line)
			}
			return nil
		})
		if err != nil {
			var ie *source.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is %T, want *source.InputError", err, err)
			}
			if ie.File != "users" {
				t.Errorf("error names file %q", ie.File)
			}
		}
	})
}

func BenchmarkReadUsersCSV(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("id,email,status,locked_until,reset_sent_at\n")
	for i := range 100000 {
		fmt.Fprintf(&sb, "%d,user%d@example.com,active,,2026-11-20T08:00:00Z\n", i, i)
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := ReadUsers(strings.NewReader(data), "users.csv", func(source.User) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadUsersJSON(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("[\n")
	for i := range 100000 {
		if i > 0 {
			sb.WriteString(",\n")
		}
		fmt.Fprintf(&sb, `{"id": "%d", "email": "user%d@example.com", "status": "active", "reset_sent_at": "2026-11-20T08:00:00Z"}`, i, i)
	}
	sb.WriteString("\n]\n")
	data := sb.String()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := ReadUsers(strings.NewReader(data), "users.json", func(source.User) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// columns returns ",c0,c1,..." with n columns.
func columns(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ",c%d", i)
	}
	return b.String()
}
