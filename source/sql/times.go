package sql

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/whymail/whymail/internal/textinput"
)

// textLayouts are the forms of a time held as text: RFC 3339, SQL's with
// a space, either with or without a zone (without one: UTC), and a date.
var textLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999 -07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// parseTime reads a time column's value: a timestamp (UTC when the column
// has no zone, as the drivers return it), text in one of textLayouts, or
// Unix seconds as a number or digits. NULL, empty text and MySQL's zero
// date are no time.
func parseTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		if v.IsZero() || v.Year() <= 1 {
			return time.Time{}, nil
		}
		return v.UTC(), nil
	case int64:
		return unix(v)
	case int32:
		return unix(int64(v))
	case int:
		return unix(int64(v))
	case float64:
		return unix(int64(v))
	case []byte:
		return parseTimeText(string(v))
	case string:
		return parseTimeText(v)
	}
	return time.Time{}, fmt.Errorf("a %T is not a time", v)
}

func unix(s int64) (time.Time, error) {
	if s == 0 {
		return time.Time{}, nil
	}
	// Milliseconds would be year 50000 and more: say so rather than guess.
	if s < 0 || s > 1<<35 {
		return time.Time{}, fmt.Errorf("%d is not a time in Unix seconds", s)
	}
	return time.Unix(s, 0).UTC(), nil
}

func parseTimeText(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "0000-00-00") {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return unix(n)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "eE") {
		return unix(int64(f))
	}
	for _, l := range textLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s is not a time (want a timestamp, 2026-11-22T10:00:00Z, 2026-11-22 10:00:00 or Unix seconds)", textinput.Clip(s))
}
