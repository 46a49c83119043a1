package sql

import (
	"errors"
	"fmt"
)

// placeholders returns how many parameters query takes: the highest $N
// for PostgreSQL, the number of ? for MySQL and SQLite, skipping string
// literals, quoted names and comments. It must be 1 or 2: the address,
// then the account id.
func placeholders(e Engine, query string) (int, error) {
	if query == "" {
		return 0, errors.New("the query is empty")
	}
	n, err := scanPlaceholders(e, query)
	if err != nil {
		return 0, err
	}
	want := "? and ?"
	if e == Postgres {
		want = "$1 and $2"
	}
	switch {
	case n == 0:
		return 0, fmt.Errorf("the query takes no parameter: it must filter by the address and the account id, bound as %s", want)
	case n > 2:
		return 0, fmt.Errorf("the query takes %d parameters; it is given two, the address and the account id (%s)", n, want)
	}
	return n, nil
}

func scanPlaceholders(e Engine, q string) (int, error) {
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"' || (c == '`' && e == MySQL):
			end := closeQuote(q, i, c, e == MySQL)
			if end < 0 {
				return 0, fmt.Errorf("the query has an unclosed %c", c)
			}
			i = end
		case c == '-' && i+1 < len(q) && q[i+1] == '-', c == '#' && e == MySQL:
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := indexFrom(q, i+2, "*/")
			if j < 0 {
				return 0, errors.New("the query has an unclosed /* comment")
			}
			i = j + 1
		case c == '$' && e == Postgres:
			j := i + 1
			v := 0
			for j < len(q) && q[j] >= '0' && q[j] <= '9' && v < 1000 {
				v = v*10 + int(q[j]-'0')
				j++
			}
			if j > i+1 {
				n = max(n, v)
				i = j - 1
				continue
			}
			// A dollar-quoted string: $tag$ ... $tag$.
			for j < len(q) && (q[j] == '_' || 'a' <= q[j] && q[j] <= 'z' || 'A' <= q[j] && q[j] <= 'Z' || '0' <= q[j] && q[j] <= '9') {
				j++
			}
			if j < len(q) && q[j] == '$' {
				tag := q[i : j+1]
				k := indexFrom(q, j+1, tag)
				if k < 0 {
					return 0, fmt.Errorf("the query has an unclosed %s string", tag)
				}
				i = k + len(tag) - 1
			}
		case c == '?' && e != Postgres:
			if e == SQLite && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9' {
				return 0, errors.New("write the parameters as ? and ?, not ?NNN")
			}
			n++
		case (c == ':' || c == '@') && e == SQLite && i+1 < len(q) && isIdentStart(q[i+1]):
			return 0, fmt.Errorf("write the parameters as ? and ?, not %c names", c)
		}
	}
	return n, nil
}

func isIdentStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// closeQuote returns the index of the quote closing the one at i: a
// doubled quote is a quote, and for MySQL a backslash escapes.
func closeQuote(q string, i int, c byte, backslash bool) int {
	for j := i + 1; j < len(q); j++ {
		switch {
		case backslash && q[j] == '\\' && c != '`':
			j++
		case q[j] == c && j+1 < len(q) && q[j+1] == c:
			j++
		case q[j] == c:
			return j
		}
	}
	return -1
}

func indexFrom(s string, from int, sub string) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
