package lookup

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Defaults of a Network whose fields are zero.
const (
	DefaultTimeout = 2 * time.Second
	// DefaultUDPSize is the EDNS0 buffer size advertised: 1232 bytes avoids
	// IP fragmentation on any path (DNS Flag Day 2020).
	DefaultUDPSize = 1232
)

// Network asks recursive DNS servers over the network: UDP with EDNS0 and
// the RD bit, again over TCP when the reply is truncated (RFC 7766 §5).
//
// Each attempt waits at most Timeout. A server that does not answer in time
// (or cannot be reached) is followed by the next one; the whole list is
// tried 1+Retries times. A server that answers SERVFAIL or REFUSED is not
// asked again, but the next one is, as a stub resolver does; when none does
// better, that answer is returned (it is an answer, not an error). When no
// server answered at all the error wraps ErrTimeout if every attempt timed
// out. Cancelling ctx stops the lookup at once.
//
// A Network is safe for concurrent use; it keeps no state between lookups
// (put a Cache in front of it).
type Network struct {
	Servers []string      // HOST:PORT, tried in order
	Timeout time.Duration // per attempt; 0 means DefaultTimeout
	Retries int           // extra rounds over Servers after the first
	UDPSize uint16        // EDNS0 buffer size; 0 means DefaultUDPSize
}

// NewNetwork returns a Network asking servers, each HOST:PORT, or a bare
// host (IPv4, IPv6 with or without brackets, or a name) meaning port 53.
func NewNetwork(servers ...string) (*Network, error) {
	if len(servers) == 0 {
		return nil, errors.New("no DNS servers given")
	}
	n := &Network{}
	for _, s := range servers {
		addr, err := serverAddr(s, "53")
		if err != nil {
			return nil, err
		}
		n.Servers = append(n.Servers, addr)
	}
	return n, nil
}

// FromResolvConf returns a Network asking the nameservers of a resolv.conf(5)
// file (usually /etc/resolv.conf), with its timeout and attempts options.
func FromResolvConf(path string) (*Network, error) {
	cc, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading DNS servers: %w", err)
	}
	if len(cc.Servers) == 0 {
		return nil, fmt.Errorf("%s lists no nameserver", path)
	}
	n := &Network{Timeout: time.Duration(cc.Timeout) * time.Second}
	if cc.Attempts > 1 {
		n.Retries = cc.Attempts - 1
	}
	for _, s := range cc.Servers {
		addr, err := serverAddr(s, cc.Port)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		n.Servers = append(n.Servers, addr)
	}
	return n, nil
}

// serverAddr returns s as HOST:PORT, adding port when s has none.
func serverAddr(s, port string) (string, error) {
	s = strings.TrimSpace(s)
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		// No port: a bare host, an IPv6 address or [IPv6].
		host, p = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), port
	}
	if host == "" || strings.ContainsAny(host, "[]/ ") {
		return "", fmt.Errorf("bad DNS server %q: want HOST or HOST:PORT", s)
	}
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("bad DNS server %q: port %q is not a number 1-65535", s, p)
	}
	return net.JoinHostPort(host, p), nil
}

func (n *Network) timeout() time.Duration {
	if n.Timeout > 0 {
		return n.Timeout
	}
	return DefaultTimeout
}

func (n *Network) udpSize() uint16 {
	if n.UDPSize >= dns.MinMsgSize {
		return n.UDPSize
	}
	return DefaultUDPSize
}

// Lookup asks the servers q and returns the first answer.
func (n *Network) Lookup(ctx context.Context, q Question) (*Answer, error) {
	q = q.normal()
	if len(n.Servers) == 0 {
		return nil, errors.New("no DNS servers configured")
	}
	start := time.Now()
	var (
		failed   *Answer          // first SERVFAIL/REFUSED answer
		answered = map[int]bool{} // servers that gave a failure rcode
		lastErr  error
		tries    int
		timeouts int
	)
	for round := 0; round <= max(n.Retries, 0); round++ {
		for i, server := range n.Servers {
			if answered[i] {
				continue
			}
			if ctxErr(ctx) != nil {
				return nil, ctxErr(ctx)
			}
			r, via, err := n.ask(ctx, q, server)
			tries++
			if err != nil {
				if ctxErr(ctx) != nil {
					return nil, ctxErr(ctx)
				}
				if isTimeout(err) {
					timeouts++
				}
				lastErr = err
				continue
			}
			a := &Answer{Question: q, Rcode: r.Rcode, Records: r.Answer, Server: via, Duration: time.Since(start)}
			if r.Rcode != dns.RcodeServerFailure && r.Rcode != dns.RcodeRefused {
				return a, nil
			}
			answered[i] = true
			if failed == nil {
				failed = a
			}
		}
		if len(answered) == len(n.Servers) {
			break
		}
	}
	if failed != nil {
		return failed, nil
	}
	servers := strings.Join(n.Servers, ", ")
	if timeouts == tries {
		return nil, fmt.Errorf("no answer from %s in %v (%d tries): %w", servers, n.timeout(), tries, ErrTimeout)
	}
	return nil, fmt.Errorf("no answer from %s (%d tries): %w", servers, tries, lastErr)
}

// ask sends q to one server over UDP, and over TCP when the UDP reply is
// truncated. via says which transport answered: "udp 127.0.0.1:53".
func (n *Network) ask(ctx context.Context, q Question, server string) (*dns.Msg, string, error) {
	m := new(dns.Msg)
	m.SetQuestion(q.Name, q.Type)
	m.RecursionDesired = true
	m.SetEdns0(n.udpSize(), false)

	r, err := n.exchange(ctx, m, "udp", server)
	if err == nil && r.Rcode == dns.RcodeFormatError && r.IsEdns0() == nil {
		// A server that does not know EDNS0 says FORMERR without an OPT
		// record: ask again without it (RFC 6891 §7).
		m.Extra = nil
		r, err = n.exchange(ctx, m, "udp", server)
	}
	if err != nil {
		return nil, "", err
	}
	if !r.Truncated {
		return r, "udp " + server, nil
	}
	r, err = n.exchange(ctx, m, "tcp", server)
	if err != nil {
		return nil, "", fmt.Errorf("truncated over UDP, then over TCP: %w", err)
	}
	return r, "tcp " + server, nil
}

// exchange is one round trip of at most n.Timeout, cut short when ctx is
// cancelled.
func (n *Network) exchange(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout())
	defer cancel()
	m = m.Copy()
	m.Id = dns.Id()
	c := &dns.Client{Net: network, Timeout: n.timeout(), UDPSize: n.udpSize()}
	co, err := c.DialContext(ctx, server)
	if err != nil {
		return nil, err
	}
	defer co.Close()
	// miekg/dns obeys only the deadline of ctx: wake the read on cancel too.
	stop := context.AfterFunc(ctx, func() { co.SetDeadline(time.Now()) })
	defer stop()
	r, _, err := c.ExchangeWithConnContext(ctx, m, co)
	if err != nil {
		return nil, err
	}
	if len(r.Question) > 0 {
		rq := r.Question[0]
		if !strings.EqualFold(rq.Name, m.Question[0].Name) || rq.Qtype != m.Question[0].Qtype {
			return nil, fmt.Errorf("%s %s answered another question (%s)", network, server, rq.String())
		}
	}
	return r, nil
}

// ctxErr is the error of a lookup stopped by ctx, or nil: a deadline is a
// timeout. A deadline just passed counts before ctx's own timer has fired
// (the socket's deadline may wake us first).
func ctxErr(ctx context.Context) error {
	err := ctx.Err()
	if dl, ok := ctx.Deadline(); ok && err == nil && !time.Now().Before(dl) {
		err = context.DeadlineExceeded
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}
