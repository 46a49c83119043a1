// Package lookup is the DNS the checks see: a Resolver answering one
// question at a time from the network (miekg/dns) or from zone files, a
// per-run Cache that merges identical in-flight queries and keeps every
// exchange for --trace and for evidence.
//
// NXDOMAIN, NODATA, SERVFAIL, REFUSED and timeouts stay distinct all the way
// up: they mean different things to a user ("no such domain" versus "DNS is
// broken").
package lookup

import (
	"context"
	"errors"
	"fmt"
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
	return Question{Name: strings.ToLower(dns.Fqdn(q.Name)), Type: q.Type}
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
}

// Status classifies the answer.
func (a *Answer) Status() Status {
	switch a.Rcode {
	case dns.RcodeSuccess:
		if len(a.Of(a.Question.Type)) > 0 {
			return StatusOK
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

// Of returns the answer's records of type t.
func (a *Answer) Of(t uint16) []dns.RR {
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
	Err      error // the transport error, if any
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("lookup %s: %v", e.Question, e.Err)
	}
	return fmt.Sprintf("lookup %s: %s", e.Question, e.Status)
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
		return a, &Error{Question: q, Status: a.Status()}
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

// Addrs returns the A and AAAA addresses of name, asking both at once. The
// status is that of the A answer unless only AAAA records exist; err is set
// only when neither question got an answer.
func Addrs(ctx context.Context, r Resolver, name string) ([]netip.Addr, Status, error) {
	type res struct {
		a   *Answer
		err error
	}
	ch := make(chan res, 1)
	go func() {
		a, err := Do(ctx, r, name, dns.TypeAAAA)
		ch <- res{a, err}
	}()
	a4, err4 := Do(ctx, r, name, dns.TypeA)
	r6 := <-ch
	var out []netip.Addr
	if err4 == nil {
		for _, rr := range a4.Of(dns.TypeA) {
			if ip, ok := netip.AddrFromSlice(rr.(*dns.A).A.To4()); ok {
				out = append(out, ip)
			}
		}
	}
	if r6.err == nil {
		for _, rr := range r6.a.Of(dns.TypeAAAA) {
			if ip, ok := netip.AddrFromSlice(rr.(*dns.AAAA).AAAA); ok {
				out = append(out, ip)
			}
		}
	}
	switch {
	case len(out) > 0:
		return out, StatusOK, nil
	case err4 == nil:
		return nil, a4.Status(), nil
	case r6.err == nil:
		return nil, r6.a.Status(), nil
	}
	return nil, ErrStatus(err4), err4
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
