// Package lookup is the DNS the checks see: a Resolver answering one
// question at a time from the network (miekg/dns) or from zone files, a
// per-run Cache that merges identical in-flight queries and keeps every
// exchange for the trace and for evidence.
//
// NXDOMAIN, NODATA, SERVFAIL, REFUSED and timeouts stay distinct all the way
// up: they mean different things to a user ("no such domain" versus "DNS is
// broken").
package lookup

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// A Resolver answers one DNS question. A returned error means no answer was
// had at all (timeout, network unreachable, cancelled); an answer with a
// failure rcode (SERVFAIL, REFUSED, NXDOMAIN) is an Answer, not an error.
type Resolver interface {
	Lookup(ctx context.Context, q Question) (*Answer, error)
}

// Question is a name (any case, with or without the final dot) and a type.
type Question struct {
	Name string
	Type uint16
}

func (q Question) String() string {
	return fmt.Sprintf("%s %s", dns.Fqdn(q.Name), dns.TypeToString[q.Type])
}

// normal returns q with the name lower-cased and fully qualified, the form
// cache keys and zone lookups use.
func (q Question) normal() Question {
	if isNormal(q.Name) {
		return q // most names are, and this is on every lookup's path
	}
	return Question{Name: strings.ToLower(dns.Fqdn(q.Name)), Type: q.Type}
}

// isNormal reports whether name is fully qualified and has no upper-case
// ASCII letter.
func isNormal(name string) bool {
	if !strings.HasSuffix(name, ".") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' || c >= 0x80 {
			return false
		}
	}
	return true
}

// Status summarises an answer the way a report speaks of it.
type Status string

const (
	StatusOK       Status = "ok"       // records of the type asked
	StatusNXDomain Status = "nxdomain" // the name does not exist
	StatusNoData   Status = "nodata"   // the name exists, without that type
	StatusServFail Status = "servfail" // the server failed (often DNSSEC or a broken authoritative)
	StatusRefused  Status = "refused"  // the server would not answer (or the name is outside every loaded zone)
	StatusTimeout  Status = "timeout"  // no answer in time
	StatusError    Status = "error"    // another failure
)

// Answer is the reply to one question.
type Answer struct {
	Question Question
	Rcode    int      // dns.RcodeSuccess, dns.RcodeNameError, ...
	Records  []dns.RR // the answer section, CNAMEs included
	// Server says who answered: "udp 127.0.0.1:53", "tcp ...", "zone file.zone".
	Server   string
	Duration time.Duration
	// Authenticated is the AD bit of the reply: a validating resolver
	// vouches for the records with DNSSEC (RFC 4035 §3.2.3). Zone files
	// never set it.
	Authenticated bool
}

// Status classifies the answer. A NOERROR answer whose CNAME chain loops
// without reaching the type asked is a SERVFAIL, as a resolver that
// noticed the loop would have said: the name does not lack the type, its
// DNS is broken.
func (a *Answer) Status() Status {
	switch a.Rcode {
	case dns.RcodeSuccess:
		if len(a.Of(a.Question.Type)) > 0 {
			return StatusOK
		}
		if a.Loop() != nil {
			return StatusServFail
		}
		return StatusNoData
	case dns.RcodeNameError:
		return StatusNXDomain
	case dns.RcodeServerFailure:
		return StatusServFail
	case dns.RcodeRefused:
		return StatusRefused
	}
	return StatusError
}

// Loop returns the CNAME chain of the answer from the question's name when
// it comes back to a name already on it ("a.", "b.", "a."), or nil.
func (a *Answer) Loop() []string {
	if a == nil || a.Question.Type == dns.TypeCNAME {
		return nil
	}
	target := map[string]string{}
	for _, rr := range a.Records {
		if c, ok := rr.(*dns.CNAME); ok {
			target[strings.ToLower(dns.Fqdn(c.Hdr.Name))] = strings.ToLower(dns.Fqdn(c.Target))
		}
	}
	name := strings.ToLower(dns.Fqdn(a.Question.Name))
	chain := []string{name}
	seen := map[string]bool{name: true}
	for {
		next, ok := target[name]
		if !ok {
			return nil
		}
		chain = append(chain, next)
		if seen[next] {
			return chain
		}
		seen[next], name = true, next
	}
}

// Of returns the answer's records of type t.
func (a *Answer) Of(t uint16) []dns.RR {
	all := true
	for _, rr := range a.Records {
		all = all && rr.Header().Rrtype == t
	}
	if all {
		// The usual case, asked on every lookup: no copy (capped, so
		// that an append by the caller copies).
		return a.Records[:len(a.Records):len(a.Records)]
	}
	var out []dns.RR
	for _, rr := range a.Records {
		if rr.Header().Rrtype == t {
			out = append(out, rr)
		}
	}
	return out
}

// Failed reports whether the answer says nothing about the name: the server
// failed or refused. NXDOMAIN and NODATA are answers, not failures.
func (a *Answer) Failed() bool {
	s := a.Status()
	return s != StatusOK && s != StatusNXDomain && s != StatusNoData
}

// ErrTimeout is wrapped by errors of lookups that got no answer in time.
var ErrTimeout = errors.New("timed out")

// StatusOf returns the status of an answer and its error together: a
// timeout error is StatusTimeout, any other error StatusError.
func StatusOf(a *Answer, err error) Status {
	switch {
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return StatusTimeout
	case err != nil:
		return StatusError
	}
	return a.Status()
}

// An Error is a lookup that did not give a usable answer, as checks return
// it up: "lookup example.com MX: servfail".
type Error struct {
	Question Question
	Status   Status
	Err      error    // the transport error, if any
	Loop     []string // the CNAME chain, when it loops
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("lookup %s: %v", e.Question, e.Err)
	case e.Loop != nil:
		return fmt.Sprintf("lookup %s: %s (CNAME loop %s)", e.Question, e.Status, LoopText(e.Loop))
	}
	return fmt.Sprintf("lookup %s: %s", e.Question, e.Status)
}

// LoopOf returns the looping CNAME chain behind err, or nil.
func LoopOf(err error) []string {
	var le *Error
	if errors.As(err, &le) {
		return le.Loop
	}
	return nil
}

// LoopText writes a CNAME chain the way people read it: "a -> b -> a".
func LoopText(chain []string) string {
	out := make([]string, len(chain))
	for i, n := range chain {
		out[i] = strings.TrimSuffix(n, ".")
	}
	return strings.Join(out, " -> ")
}

func (e *Error) Unwrap() error { return e.Err }

// Do asks r and returns the answer when it says something about the name
// (ok, NXDOMAIN or NODATA), or an *Error for a failure or a timeout.
func Do(ctx context.Context, r Resolver, name string, t uint16) (*Answer, error) {
	q := Question{Name: name, Type: t}
	a, err := r.Lookup(ctx, q)
	if err != nil {
		return nil, &Error{Question: q, Status: StatusOf(nil, err), Err: err}
	}
	if a.Failed() {
		return a, &Error{Question: q, Status: a.Status(), Loop: a.Loop()}
	}
	return a, nil
}

// TXT returns the TXT records at name, each joined from its strings
// (RFC 7208 §3.3), with the answer.
func TXT(ctx context.Context, r Resolver, name string) ([]string, *Answer, error) {
	a, err := Do(ctx, r, name, dns.TypeTXT)
	if err != nil {
		return nil, a, err
	}
	var out []string
	for _, rr := range a.Of(dns.TypeTXT) {
		out = append(out, Unescape(strings.Join(rr.(*dns.TXT).Txt, "")))
	}
	return out, a, nil
}

// MX returns the MX records at name, with the answer.
func MX(ctx context.Context, r Resolver, name string) ([]*dns.MX, *Answer, error) {
	a, err := Do(ctx, r, name, dns.TypeMX)
	if err != nil {
		return nil, a, err
	}
	var out []*dns.MX
	for _, rr := range a.Of(dns.TypeMX) {
		out = append(out, rr.(*dns.MX))
	}
	return out, a, nil
}

// Addrs returns the A and AAAA addresses of name, asking both at once.
//
// The name has no address (NXDOMAIN or NODATA, with a nil error) only when
// both answers say so. When either question failed (timeout, SERVFAIL,
// REFUSED, a CNAME loop), err is that failure, the status its status, and
// the addresses the other answer gave are returned too: they are real,
// for a caller that needs one working address, but may not be all of them.
func Addrs(ctx context.Context, r Resolver, name string) ([]netip.Addr, Status, error) {
	type res struct {
		addrs []netip.Addr
		st    Status
		err   error
	}
	ch := make(chan res, 1)
	go func() {
		addrs, st, err := family(ctx, r, name, dns.TypeAAAA)
		ch <- res{addrs, st, err}
	}()
	addrs, st, err := family(ctx, r, name, dns.TypeA)
	r6 := <-ch
	addrs = append(addrs, r6.addrs...)
	switch {
	case err != nil:
		return addrs, st, err
	case r6.err != nil:
		return addrs, r6.st, r6.err
	case len(addrs) > 0:
		return addrs, StatusOK, nil
	case st == StatusNoData:
		return nil, r6.st, nil // NXDOMAIN if AAAA says so
	}
	return nil, st, nil
}

// AddrsLike returns the addresses of name of ip's family: its A records
// for an IPv4 ip, AAAA for IPv6. Checks that compare with one IP (SPF's a
// and mx terms, forward-confirmed reverse DNS) ask only that question
// (RFC 7208 §5.3), so the other family's failure cannot spoil them.
func AddrsLike(ctx context.Context, r Resolver, name string, ip netip.Addr) ([]netip.Addr, Status, error) {
	t := dns.TypeA
	if ip.Unmap().Is6() {
		t = dns.TypeAAAA
	}
	return family(ctx, r, name, t)
}

// family asks one address type of name.
func family(ctx context.Context, r Resolver, name string, t uint16) ([]netip.Addr, Status, error) {
	a, err := Do(ctx, r, name, t)
	if err != nil {
		return nil, ErrStatus(err), err
	}
	var out []netip.Addr
	for _, rr := range a.Of(t) {
		var ip net.IP
		switch rr := rr.(type) {
		case *dns.A:
			ip = rr.A.To4()
		case *dns.AAAA:
			ip = rr.AAAA
		}
		if addr, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, addr)
		}
	}
	if len(out) > 0 {
		return out, StatusOK, nil
	}
	return nil, a.Status(), nil
}

// ErrStatus returns the Status an error of Do stands for.
func ErrStatus(err error) Status {
	var le *Error
	if errors.As(err, &le) {
		return le.Status
	}
	return StatusOf(nil, err)
}

// Unescape turns miekg/dns presentation format (names and TXT strings keep
// a byte outside printable ASCII as \DDD, and quote, backslash and a few
// others behind a backslash) into the octets on the wire, which is what
// record parsers (SPF, DKIM, DMARC) read.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			if n := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0'); n <= 255 {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
