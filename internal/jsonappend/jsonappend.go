// Package jsonappend appends JSON to a byte slice, byte for byte as an
// encoding/json Encoder with SetEscapeHTML(false) writes it, for the
// lines a batch writes hundreds of thousands of times (an address
// verdict), where reflection was a tenth of the CPU. Values of types it
// does not know go to encoding/json.
package jsonappend

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// String appends s as a JSON string. Like encoding/json it writes invalid
// UTF-8 as U+FFFD and escapes control characters, '"', '\\', U+2028 and
// U+2029, but not <, > and & (an Encoder's SetEscapeHTML(false)).
func String(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Strings appends ss as a JSON array: null when nil, as encoding/json does.
func Strings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, s)
	}
	return append(b, ']')
}

// Key appends `,"name":`, without the comma after an opening brace.
func Key(b []byte, name string) []byte {
	if n := len(b); n > 0 && b[n-1] != '{' {
		b = append(b, ',')
	}
	b = String(b, name)
	return append(b, ':')
}

// Value appends v: strings, bools, integers, []string, []any and
// map[string]any (keys sorted, as encoding/json sorts them) here, any other
// type through encoding/json.
func Value(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return String(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case []string:
		return Strings(b, v), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = Value(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		return Map(b, v)
	}
	return encode(b, v)
}

// Map appends m with its keys sorted; null when nil.
func Map(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '{')
	var keys [16]string // most findings' data have a few keys: no allocation
	sorted := slices.AppendSeq(keys[:0], maps.Keys(m))
	slices.Sort(sorted)
	for i, k := range sorted {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(String(b, k), ':')
		var err error
		if b, err = Value(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// encode is encoding/json's encoding of v, without HTML escaping.
func encode(b []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(b)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return b, err
	}
	out := buf.Bytes()
	return out[:len(out)-1], nil // Encode's newline
}
