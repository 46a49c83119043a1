package lookup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/internal/textinput"
)

// Zones answers from RFC 1035 zone files, as their authoritative servers
// would: the loaded zone with the longest matching origin answers; a name it
// does not hold is NXDOMAIN, a name without the type NODATA; CNAMEs are
// followed (across zones too). A name outside every zone is REFUSED, so a
// report says "could not check", never a false NXDOMAIN.
type Zones struct {
	zones []*zone // longest origin first
}

type zone struct {
	origin string // lower-case FQDN
	source string
	names  map[string][]dns.RR // owner (lower-case FQDN) -> records
	above  map[string]bool     // names with owners below them (ancestors of owners)
	lines  map[dns.RR]int      // the line each record starts on, when known
}

// ZoneError is a zone file that does not parse, naming file and line.
type ZoneError struct {
	File string
	Line int
	Err  error
}

func (e *ZoneError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ZoneError) Unwrap() error { return e.Err }

// LoadZoneFiles reads each zone file. The origin is the file's $ORIGIN, or
// else the owner of its SOA record.
func LoadZoneFiles(paths ...string) (*Zones, error) {
	z := &Zones{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, &ZoneError{File: p, Err: err}
		}
		err = z.Add(f, p, "")
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return z, nil
}

// ParseZones parses zone text, for tests and embedded data. origin may be
// "" when the text has $ORIGIN or an SOA.
func ParseZones(text, origin string) (*Zones, error) {
	z := &Zones{}
	if err := z.Add(strings.NewReader(text), "zone text", origin); err != nil {
		return nil, err
	}
	return z, nil
}

// MaxZoneFile bounds a zone file: zone files given for a run hold the few
// names a ticket touches (the largest testdata zone is a few KiB), and the
// parsed records take several times the file's size in memory.
const MaxZoneFile = 16 << 20

// Add parses one zone from r; source names it in errors and traces. A
// UTF-8 byte order mark is skipped and UTF-16 decoded; more than
// MaxZoneFile bytes is an error.
func (z *Zones) Add(r io.Reader, source, origin string) error {
	dr, _, err := textinput.Decode(r)
	if err != nil {
		return &ZoneError{File: source, Err: err}
	}
	data, err := textinput.ReadAll(dr, MaxZoneFile, "zone file")
	if err != nil {
		return &ZoneError{File: source, Err: err}
	}
	zp := dns.NewZoneParser(bytes.NewReader(data), dns.Fqdn(origin), source)
	if origin == "" {
		zp = dns.NewZoneParser(bytes.NewReader(data), "", source)
	}
	zp.SetIncludeAllowed(false)
	// Zone files often lack $TTL; a TTL does not change any answer here.
	zp.SetDefaultTTL(3600)
	zn := &zone{source: source, names: map[string][]dns.RR{}, lines: map[dns.RR]int{}}
	var soaOwner string
	starts := entryLines(data)
	var all []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		all = append(all, rr)
		h := rr.Header()
		h.Name = strings.ToLower(h.Name)
		zn.names[h.Name] = append(zn.names[h.Name], rr)
		if h.Rrtype == dns.TypeSOA && soaOwner == "" {
			soaOwner = h.Name
		}
	}
	if len(starts) == len(all) {
		for i, rr := range all {
			zn.lines[rr] = starts[i]
		}
	}
	if err := zp.Err(); err != nil {
		line := 0
		if pe, ok := err.(*dns.ParseError); ok {
			line = parseErrorLine(pe)
		}
		return &ZoneError{File: source, Line: line, Err: cleanParseError(err, source)}
	}
	switch {
	case origin != "":
		zn.origin = strings.ToLower(dns.Fqdn(origin))
	case soaOwner != "":
		zn.origin = soaOwner
	case originDirective(data) != "":
		zn.origin = originDirective(data)
	default:
		return &ZoneError{File: source, Err: fmt.Errorf("no $ORIGIN and no SOA record: cannot tell which zone this is")}
	}
	if len(zn.names) == 0 {
		return &ZoneError{File: source, Err: fmt.Errorf("no records")}
	}
	for name := range zn.names {
		if !dns.IsSubDomain(zn.origin, name) {
			return &ZoneError{File: source, Err: fmt.Errorf("record %s is outside the zone %s", name, zn.origin)}
		}
	}
	for _, other := range z.zones {
		if other.origin == zn.origin {
			return &ZoneError{File: source, Err: fmt.Errorf("zone %s is already loaded from %s", zn.origin, other.source)}
		}
	}
	zn.above = map[string]bool{}
	for name := range zn.names {
		for n := name; n != zn.origin; {
			i, end := dns.NextLabel(n, 0)
			if end {
				break
			}
			n = n[i:]
			if zn.above[n] {
				break // and so are its ancestors
			}
			zn.above[n] = true
		}
	}
	z.zones = append(z.zones, zn)
	sort.SliceStable(z.zones, func(i, j int) bool {
		return dns.CountLabel(z.zones[i].origin) > dns.CountLabel(z.zones[j].origin)
	})
	return nil
}

// Where returns the zone file and line of the first record at name of type
// t for which match (nil: any) is true, as the file was given; line is 0
// when the file's lines could not be told apart, file "" when no loaded
// zone has such a record.
func (z *Zones) Where(name string, t uint16, match func(dns.RR) bool) (file string, line int) {
	name = strings.ToLower(dns.Fqdn(name))
	zn := z.find(name)
	if zn == nil {
		return "", 0
	}
	for _, rr := range zn.names[name] {
		if rr.Header().Rrtype == t && (match == nil || match(rr)) {
			return zn.source, zn.lines[rr]
		}
	}
	return "", 0
}

// entryLines returns the line each record entry of a zone file starts on,
// in order: an entry is a line with content outside comments, with the
// lines its parentheses continue it onto (RFC 1035 §5.1). It returns nil
// when a directive makes records of several entries or one entry of
// several ($GENERATE, $INCLUDE), so that no line is given rather than a
// wrong one.
func entryLines(data []byte) []int {
	var starts []int
	depth, inQuote := 0, false
	for i, line := range strings.Split(string(data), "\n") {
		atStart := depth == 0 && !inQuote
		content := false
		for j := 0; j < len(line); j++ {
			c := line[j]
			switch {
			case inQuote && c == '\\':
				j++
			case inQuote:
				if c == '"' {
					inQuote = false
				}
			case c == '\\':
				j++
				content = true
			case c == ';':
				j = len(line)
			case c == '"':
				inQuote, content = true, true
			case c == '(':
				depth++
				content = true
			case c == ')':
				depth--
			case c != ' ' && c != '\t' && c != '\r':
				content = true
			}
		}
		if !atStart || !content {
			continue
		}
		if f := strings.TrimLeft(line, " \t"); strings.HasPrefix(f, "$") && f == line {
			d := strings.ToUpper(strings.Fields(f)[0])
			if d == "$GENERATE" || d == "$INCLUDE" {
				return nil
			}
			continue // $ORIGIN, $TTL: no record
		}
		starts = append(starts, i+1)
	}
	return starts
}

// Origins lists the loaded zones' origins, longest first.
func (z *Zones) Origins() []string {
	var out []string
	for _, zn := range z.zones {
		out = append(out, zn.origin)
	}
	return out
}

// Lookup answers q from the zone with the longest origin holding q.Name.
func (z *Zones) Lookup(ctx context.Context, q Question) (*Answer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q = q.normal()
	a := &Answer{Question: q}
	name := q.Name
	seen := map[string]bool{}
	// Follow CNAMEs, at most 16 deep.
	for range 16 {
		if seen[name] {
			// A CNAME loop: a resolver gives up with SERVFAIL.
			a.Rcode = dns.RcodeServerFailure
			return a, nil
		}
		seen[name] = true
		zn := z.find(name)
		if zn != nil && q.Type == dns.TypeDS && name == zn.origin && name == q.Name {
			// A DS record lives in the parent zone, at the delegation
			// (RFC 4035 §3.1.4.1): the child's file does not hold it.
			zn = z.parentOf(zn)
		}
		if zn == nil {
			// Outside every zone, or a CNAME leading out of them: we cannot
			// tell, so REFUSED (keeping the chain so far), never a false
			// NXDOMAIN or NODATA.
			a.Rcode, a.Server = dns.RcodeRefused, "zone files (no zone holds "+name+")"
			return a, nil
		}
		a.Server = "zone " + zn.source
		if cut := zn.delegation(name); cut != "" && !(cut == name && (q.Type == dns.TypeNS || q.Type == dns.TypeDS)) {
			// The name is delegated to servers whose zone is not loaded
			// (RFC 1034 §4.3.2): its parent's file does not know the answer.
			a.Rcode, a.Server = dns.RcodeRefused, "zone "+zn.source+" (delegates "+cut+"; that zone is not loaded)"
			return a, nil
		}
		rrs, exists := zn.names[name]
		if !exists {
			exists = zn.hasBelow(name)
		}
		if !exists {
			if wild := zn.wildcard(name); wild != nil {
				rrs, exists = wild, true
			}
		}
		if !exists {
			a.Rcode = dns.RcodeNameError
			return a, nil
		}
		var cname *dns.CNAME
		found := false
		for _, rr := range rrs {
			switch {
			case rr.Header().Rrtype == q.Type || q.Type == dns.TypeANY:
				a.Records = append(a.Records, withName(rr, name))
				found = true
			case rr.Header().Rrtype == dns.TypeCNAME:
				cname = withName(rr, name).(*dns.CNAME)
			}
		}
		if cname == nil || found {
			a.Rcode = dns.RcodeSuccess
			return a, nil
		}
		a.Records = append(a.Records, cname)
		name = strings.ToLower(cname.Target)
	}
	a.Rcode = dns.RcodeServerFailure // chain too long
	return a, nil
}

// parentOf returns the loaded zone holding the parent of zn's origin, or nil.
func (z *Zones) parentOf(zn *zone) *zone {
	i, end := dns.NextLabel(zn.origin, 0)
	if end {
		return nil
	}
	return z.find(zn.origin[i:])
}

func (z *Zones) find(name string) *zone {
	for _, zn := range z.zones {
		if dns.IsSubDomain(zn.origin, name) {
			return zn
		}
	}
	return nil
}

// hasBelow reports whether name is an empty non-terminal: it owns nothing
// but names below it exist, so it answers NODATA, not NXDOMAIN (RFC 8020).
func (zn *zone) hasBelow(name string) bool {
	return zn.above[name]
}

// wildcard returns the records of the closest *.parent wildcard (RFC 4592).
func (zn *zone) wildcard(name string) []dns.RR {
	labels := dns.SplitDomainName(name)
	for i := 1; i < len(labels); i++ {
		parent := dns.Fqdn(strings.Join(labels[i:], "."))
		if !dns.IsSubDomain(zn.origin, parent) {
			break
		}
		if rrs, ok := zn.names["*."+parent]; ok {
			return rrs
		}
		if _, ok := zn.names[parent]; ok || zn.hasBelow(parent) {
			// The closest encloser (empty non-terminals included,
			// RFC 4592 §2.2.2) has no wildcard.
			break
		}
	}
	return nil
}

// originDirective returns the name of the first absolute $ORIGIN in a zone
// file (RFC 1035 §5.1), lower-cased, or "".
func originDirective(data []byte) string {
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.EqualFold(f[0], "$ORIGIN") && strings.HasSuffix(f[1], ".") {
			return strings.ToLower(f[1])
		}
	}
	return ""
}

// delegation returns the delegation point at or above name (below the
// origin), a name with NS records, or "".
func (zn *zone) delegation(name string) string {
	for n := name; n != zn.origin && dns.IsSubDomain(zn.origin, n); {
		for _, rr := range zn.names[n] {
			if rr.Header().Rrtype == dns.TypeNS {
				return n
			}
		}
		i, end := dns.NextLabel(n, 0)
		if end {
			break
		}
		n = n[i:]
	}
	return ""
}

func withName(rr dns.RR, name string) dns.RR {
	if rr.Header().Name == name {
		return rr
	}
	c := dns.Copy(rr)
	c.Header().Name = name
	return c
}

func parseErrorLine(pe *dns.ParseError) int {
	// ParseError prints "dns: <err>: "<token>" at line: L:C"; keep L.
	s := pe.Error()
	i := strings.LastIndex(s, "at line: ")
	if i < 0 {
		return 0
	}
	var line, col int
	fmt.Sscanf(s[i+len("at line: "):], "%d:%d", &line, &col)
	return line
}

// cleanParseError drops what ZoneError says itself (file and line) from a
// miekg/dns parse error: "bad A A: \"300.1.1.1\"".
func cleanParseError(err error, source string) error {
	s := err.Error()
	if i := strings.LastIndex(s, " at line: "); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimPrefix(s, source+": ")
	s = strings.TrimPrefix(s, "dns: ")
	// miekg/dns says "bad A A" and "bad TXT Txt": name the type once.
	for _, f := range []string{" A", " Txt", " Aaaa", " Mx", " Ns", " Ptr", " Target", " Cname"} {
		s = strings.Replace(s, f+":", ":", 1)
	}
	// The offending token is quoted at the end; binary input would make it
	// kilobytes long.
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return errors.New(s)
}
