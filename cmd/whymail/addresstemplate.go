package main

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/whymail/whymail/checks/address"
)

// Most addresses of a list are a plain local part at a domain seen
// before, and every check of such an address but the syntax check looks
// at the domain alone. So each domain's output line is made once, for a
// stand-in local part (and source), and an address with a plain local
// part gets that line with its own put in: the same bytes checking it on
// its own would give (addresstemplate_test.go compares the two). Any other
// address (quoted, UTF-8, a role account, too long, no source) is checked
// in full.

const (
	// The stand-ins: plain local parts no domain or wording holds.
	localStandIn  = "wm7local7standin"
	sourceStandIn = "wm7source7standin"
)

// lineTemplate is a domain's output line cut at the stand-ins.
type lineTemplate struct {
	parts   [][]byte // literal text between the holes
	holes   []byte   // what goes after parts[i]: 'l' the local part, 's' the source
	domain  string   // the domain as the addresses write it
	unknown bool
}

// template makes dv's template, or nil when its line cannot be one.
func (b *addressBatch) template(dv *domainVerdict) *lineTemplate {
	d := strings.ToLower(dv.key)
	if strings.Contains(d, localStandIn) || strings.Contains(d, sourceStandIn) ||
		len(localStandIn)+1+len(dv.key) > address.MaxAddress {
		return nil
	}
	job := addressJob{address: localStandIn + "@" + dv.key, source: sourceStandIn}
	if m, err := address.Parse(job.address); err != nil || m.SMTPUTF8 {
		return nil // the syntax check's findings would depend on the local part
	}
	out := b.line(job, dv, false)
	t := &lineTemplate{domain: dv.key, unknown: out.unknown}
	line := out.line
	for {
		l := bytes.Index(line, []byte(localStandIn))
		s := bytes.Index(line, []byte(sourceStandIn))
		if l < 0 && s < 0 {
			break
		}
		at, hole, n := l, byte('l'), len(localStandIn)
		if l < 0 || (s >= 0 && s < l) {
			at, hole, n = s, 's', len(sourceStandIn)
		}
		t.parts = append(t.parts, line[:at])
		t.holes = append(t.holes, hole)
		line = line[at+n:]
	}
	t.parts = append(t.parts, line)
	if bytes.Count(t.holes, []byte{'l'}) == 0 {
		return nil // the line does not show the address: not this kind
	}
	return t
}

// fits reports whether job's line is t's: its local part is plain, at
// t's domain, and its source needs no escaping.
func (t *lineTemplate) fits(job addressJob) bool {
	at := strings.IndexByte(job.address, '@')
	return at >= 0 && job.address[at+1:] == t.domain && len(job.address) <= address.MaxAddress &&
		job.source != "" && plainSource(job.source) && plainLocal(job.address[:at])
}

// write writes job's line, for a job that fits t.
func (t *lineTemplate) write(w *bufio.Writer, job addressJob) error {
	local := job.address[:strings.IndexByte(job.address, '@')]
	for i, p := range t.parts {
		w.Write(p)
		if i == len(t.holes) {
			break
		}
		if t.holes[i] == 'l' {
			w.WriteString(local)
		} else {
			w.WriteString(job.source)
		}
	}
	_, err := w.Write(nil) // bufio keeps the first error
	return err
}

// plainLocal reports whether local is a dot-atom of letters, digits and
// . _ + -, that is no role account: the syntax check says of it only
// that the address is well-formed, and it needs no escaping anywhere.
func plainLocal(local string) bool {
	if local == "" || len(local) > address.MaxLocal || local[0] == '.' || local[len(local)-1] == '.' {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '+', c == '-':
		case c == '.':
			if local[i-1] == '.' {
				return false
			}
		default:
			return false
		}
	}
	return address.Role(local) == ""
}

// plainSource reports whether s is written in JSON as it is.
func plainSource(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
