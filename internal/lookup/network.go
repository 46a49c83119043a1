package lookup

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Defaults of a Network whose fields are zero.
const (
	DefaultTimeout = 2 * time.Second
	// DefaultUDPSize is the EDNS0 buffer size advertised: 1232 bytes avoids
	// IP fragmentation on any path (DNS Flag Day 2020).
	DefaultUDPSize = 1232
	// DefaultRetries is what NewNetwork and FromResolvConf give at least:
	// four tries, so that at 5% packet loss a question goes unanswered
	// about once in 10,000.
	DefaultRetries = 3
	// DefaultMaxInFlight bounds the questions one Network asks at once (a
	// recursive resolver serves that many easily; lower it for one that
	// limits a client's rate). They share a few sockets (udp.go).
	DefaultMaxInFlight = 1024
	// minWait is the shortest scheduled wait of an early try (see Network);
	// a timeout learnt from the server's round trips may be shorter (rtt.go).
	minWait = 100 * time.Millisecond
)

// Network asks recursive DNS servers over the network: UDP with EDNS0 and
// the RD bit, again over TCP when the reply is truncated (RFC 7766 §5).
//
// A question is tried 1+Retries rounds over Servers. The last round waits
// Timeout for each server; each round before it half as long (but at least
// 100ms, or Timeout when that is shorter), and once the server's round
// trips are known at most a timeout learnt from them (rtt.go, tryLimit):
// silence is usually a lost packet, so retrying early is cheap, and a late
// answer to an earlier try is still taken (a retry is the same message on
// the same socket, with an ID of its own, so the answer says which try it
// is to, and an answer to the first try is not a loss).
// A server that answers SERVFAIL or REFUSED is not asked again, but the
// next one is, as a stub resolver does; when none does better, that answer
// is returned (it is an answer, not an error). When no server answered at
// all the error wraps ErrTimeout if every try timed out. Replies are taken
// only with the ID of one of the question's tries and its question; others
// are stale or forged and are ignored. Cancelling ctx stops the lookup at once.
//
// At most MaxInFlight questions are asked at once; more wait their turn.
// Fewer while questions go unanswered: the bound is halved when they do,
// and grows back by one for each answered at the first try (window.go).
// The questions in flight share a few UDP sockets per server (udp.go).
//
// A Network is safe for concurrent use; it keeps no answers between
// lookups (put a Cache in front of it). Set its fields before its first
// Lookup and do not copy it after.
type Network struct {
	Servers     []string      // HOST:PORT, tried in order
	Timeout     time.Duration // longest wait of one try; 0 means DefaultTimeout
	Retries     int           // extra rounds over Servers after the first
	UDPSize     uint16        // EDNS0 buffer size; 0 means DefaultUDPSize
	MaxInFlight int           // questions asked at once; 0 means DefaultMaxInFlight

	once  sync.Once
	slots *window // the questions in flight
	mu    sync.Mutex
	muxes map[string]*udpMux // the UDP sockets, per server
}

// NewNetwork returns a Network asking servers, each HOST:PORT, or a bare
// host (IPv4, IPv6 with or without brackets, or a name) meaning port 53.
func NewNetwork(servers ...string) (*Network, error) {
	if len(servers) == 0 {
		return nil, errors.New("no DNS servers given")
	}
	n := &Network{Retries: DefaultRetries}
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
// file (usually /etc/resolv.conf), with its timeout and attempts options;
// attempts below 1+DefaultRetries are raised to it, because a diagnosis
// must not turn one lost packet into "could not check".
func FromResolvConf(path string) (*Network, error) {
	cc, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading DNS servers: %w", err)
	}
	if len(cc.Servers) == 0 {
		return nil, fmt.Errorf("%s lists no nameserver", path)
	}
	n := &Network{Timeout: time.Duration(cc.Timeout) * time.Second, Retries: max(cc.Attempts-1, DefaultRetries)}
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

func (n *Network) maxInFlight() int {
	if n.MaxInFlight > 0 {
		return n.MaxInFlight
	}
	return DefaultMaxInFlight
}

// wait is how long try round (0-based) waits for each server. Before the
// last round it is drawn from [t, 1.5t): questions lost together (a burst
// that overflowed a server's receive buffer) are then not sent again
// together, to be lost again.
func (n *Network) wait(round int) time.Duration {
	t := n.timeout()
	back := max(n.Retries, 0) - round
	if back > 0 {
		t >>= min(back, 30)
	}
	t = max(t, min(n.timeout(), minWait))
	if back > 0 {
		t += rand.N(t/2 + 1)
	}
	return t
}

func (n *Network) init() {
	n.once.Do(func() {
		n.slots = newWindow(n.maxInFlight())
		n.muxes = map[string]*udpMux{}
	})
}

// server is one server's part in one lookup: the socket, IDs and message
// it keeps across rounds, so that a retry is a retransmission.
type server struct {
	addr     string
	call     *udpCall
	msg      *dns.Msg
	wire     []byte
	failed   bool // answered SERVFAIL or REFUSED
	answered int  // which UDP try the answer is to, 0 the first: more is a loss
	formerr  int  // which try the FORMERR that dropped EDNS0 was to
}

// Lookup asks the servers q and returns the first answer.
func (n *Network) Lookup(ctx context.Context, q Question) (*Answer, error) {
	q = q.normal()
	if len(n.Servers) == 0 {
		return nil, errors.New("no DNS servers configured")
	}
	n.init()
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if err := n.slots.acquire(ctx); err != nil {
		return nil, ctxErr(ctx)
	}
	// lost: the question took a retry to be answered, or got no answer
	// after timeouts, which is what cuts the window. A first server that
	// is down while the next answers in the same round is not a loss.
	var timeouts int
	lost := false
	defer func() { n.slots.release(lost) }()

	start := time.Now()
	servers := make([]*server, len(n.Servers))
	for i, addr := range n.Servers {
		servers[i] = &server{addr: addr}
	}
	defer func() {
		for _, s := range servers {
			n.release(s)
		}
	}()
	var (
		failed  *Answer // first SERVFAIL/REFUSED answer
		nfailed int
		lastErr error
		tries   int
	)
	for round := 0; round <= max(n.Retries, 0); round++ {
		wait := n.wait(round)
		for _, s := range servers {
			if s.failed {
				continue
			}
			if err := ctxErr(ctx); err != nil {
				return nil, err
			}
			r, via, err := n.ask(ctx, q, s, round, wait)
			tries++
			if err != nil {
				if err := ctxErr(ctx); err != nil {
					return nil, err
				}
				if isTimeout(err) {
					timeouts++
				}
				lastErr = err
				continue
			}
			a := &Answer{Question: q, Rcode: r.Rcode, Records: r.Answer, Server: via, Duration: time.Since(start),
				Authenticated: r.AuthenticatedData}
			if r.Rcode != dns.RcodeServerFailure && r.Rcode != dns.RcodeRefused {
				// An answer to the first try after a retry was sent is
				// a slow server, not a lost question.
				lost = s.answered > 0
				return a, nil
			}
			s.failed = true
			nfailed++
			if failed == nil {
				failed = a
			}
		}
		if nfailed == len(servers) {
			break
		}
	}
	lost = timeouts > 0
	if failed != nil {
		return failed, nil
	}
	list := strings.Join(n.Servers, ", ")
	if timeouts == tries {
		return nil, fmt.Errorf("no answer from %s in %v (%d tries): %w", list, time.Since(start).Round(time.Millisecond), tries, ErrTimeout)
	}
	return nil, fmt.Errorf("no answer from %s (%d tries): %w", list, tries, lastErr)
}

// ask tries s once over UDP, waiting at most tryLimit, and over TCP when the
// UDP reply is truncated. via says which transport answered: "udp
// 127.0.0.1:53".
func (n *Network) ask(ctx context.Context, q Question, s *server, round int, wait time.Duration) (*dns.Msg, string, error) {
	if s.msg == nil {
		s.msg = new(dns.Msg)
		s.msg.SetQuestion(q.Name, q.Type)
		s.msg.RecursionDesired = true
		// AD in a query asks a validating resolver to say whether it
		// validated the answer (RFC 6840 §5.7); others ignore it.
		s.msg.AuthenticatedData = true
		s.msg.SetEdns0(n.udpSize(), false)
	}
	r, err := n.udp(ctx, s, round, wait)
	if err == nil && r.Rcode == dns.RcodeFormatError && r.IsEdns0() == nil && s.msg.IsEdns0() != nil {
		// A server that does not know EDNS0 says FORMERR without an OPT
		// record: ask again without it (RFC 6891 §7), from now on.
		s.msg.Extra, s.wire = nil, nil
		s.formerr, s.call.base = s.answered, len(s.call.tries)
		r, err = n.udp(ctx, s, round, wait)
	}
	if err != nil {
		return nil, "", err
	}
	if !r.Truncated {
		return r, "udp " + s.addr, nil
	}
	r, err = n.tcp(ctx, s.msg, s.addr)
	if err != nil {
		return nil, "", fmt.Errorf("truncated over UDP, then over TCP: %w", err)
	}
	return r, "tcp " + s.addr, nil
}

// udp sends s's message (again) and waits for its reply.
func (n *Network) udp(ctx context.Context, s *server, round int, wait time.Duration) (*dns.Msg, error) {
	if s.call == nil {
		c, err := n.mux(s.addr).call(ctx)
		if err != nil {
			return nil, err
		}
		s.call, s.wire = c, nil
	}
	if s.wire == nil {
		s.msg.Id = s.call.id()
		w, err := s.msg.Pack()
		if err != nil {
			return nil, fmt.Errorf("packing the query: %w", err)
		}
		s.wire = w
	}
	r, try, err := s.call.exchange(ctx, s.wire, s.msg, n.tryLimit(s.call.rtt, round, wait))
	// Counted from the first try without EDNS0, and a loss before it too.
	s.answered = max(s.formerr, try-s.call.base)
	return r, err
}

// tryLimit is how long a try of round waits: the round's wait, and in a
// round before the last also at most the server's retransmission timeout
// once its round trips are known, doubled for each round before (RFC 6298
// §5.5) and drawn from [1, 1.5) times that, as wait is. A lost packet
// then costs about a round trip or two, not a schedule made for the
// slowest server; a slow answer to an early try is still taken later
// (exchange), and the last round waits the whole Timeout.
func (n *Network) tryLimit(e *rttEstimator, round int, wait time.Duration) tryLimit {
	if round >= max(n.Retries, 0) {
		return tryLimit{wait: wait}
	}
	return tryLimit{wait: wait, rtt: e, scale: float64(int64(1)<<min(round, 30)) * (1 + rand.Float64()/2)}
}

// tcp is one TCP round trip of at most n.Timeout, cut short when ctx is
// cancelled. TCP is rare (truncated answers) and gets a connection of its
// own.
func (n *Network) tcp(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout())
	defer cancel()
	m = m.Copy()
	m.Id = dns.Id()
	c := &dns.Client{Net: "tcp", Timeout: n.timeout(), UDPSize: n.udpSize()}
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
	if !sameQuestion(r, m) {
		return nil, fmt.Errorf("tcp %s answered another question (%s)", server, r.Question[0].String())
	}
	return r, nil
}

// sameQuestion reports whether r answers m's question. A reply without a
// question section (some servers' errors) is taken on its ID alone.
func sameQuestion(r, m *dns.Msg) bool {
	if len(r.Question) == 0 {
		return true
	}
	rq, mq := r.Question[0], m.Question[0]
	return len(r.Question) == 1 && rq.Qtype == mq.Qtype && rq.Qclass == mq.Qclass && strings.EqualFold(rq.Name, mq.Name)
}

// mux is the UDP sockets to server.
func (n *Network) mux(server string) *udpMux {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := n.muxes[server]
	if m == nil {
		m = &udpMux{addr: server, size: max(int(n.udpSize()), 4096)}
		n.muxes[server] = m
	}
	return m
}

// release takes s's question off its socket.
func (n *Network) release(s *server) {
	if s.call == nil {
		return
	}
	n.mux(s.addr).done(s.call)
	s.call = nil
}

// errMalformed is wrapped by the error of a try that got only replies that
// do not parse.
var errMalformed = errors.New("malformed reply")

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
