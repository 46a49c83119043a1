// Package lookuptest serves zones from a loopback DNS server for tests: real
// UDP and TCP round trips on 127.0.0.1, never the internet, with faults to
// order per name and type (silence, SERVFAIL, REFUSED, truncation with and
// without TCP, a wrong message ID, garbage, latency), random loss from a
// fixed seed, and counters of the queries that arrived.
package lookuptest

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/whymail/whymail/internal/lookup"
)

// An Option changes how the server of Serve answers.
type Option func(*server)

// Delay holds every answer back by d, like a distant server.
func Delay(d time.Duration) Option {
	return func(s *server) { s.delay = d }
}

// A Fault is what the server does to a query instead of answering it
// plainly.
type Fault int

const (
	FaultDrop          Fault = iota + 1 // never answer: the client times out
	FaultServFail                       // answer SERVFAIL
	FaultRefused                        // answer REFUSED
	FaultTruncate                       // over UDP, TC with no records; TCP answers
	FaultTruncateNoTCP                  // over UDP, TC with no records; over TCP, hang up without answering
	FaultWrongID                        // answer with another message ID (a stale or spoofed reply)
	FaultGarbage                        // answer bytes that do not parse: the query's ID, then a broken header
	FaultDelay                          // answer after Rule.Delay (on top of Delay)
)

var faultNames = map[Fault]string{
	FaultDrop: "drop", FaultServFail: "servfail", FaultRefused: "refused", FaultTruncate: "truncate",
	FaultTruncateNoTCP: "truncate-notcp", FaultWrongID: "wrongid", FaultGarbage: "garbage", FaultDelay: "delay",
}

func (f Fault) String() string { return faultNames[f] }

// A Rule applies a fault to the queries it matches. The first matching
// rule other than FaultDelay decides; every matching FaultDelay adds its
// delay.
type Rule struct {
	Name  string // any case, with or without the final dot; "" or "*" matches every name
	Type  uint16 // 0 matches every type
	Fault Fault
	Delay time.Duration // of FaultDelay
	Times int           // the rule matches only a question's first Times arrivals; 0: every one
}

// match reports whether r applies to q arriving for the (n+1)th time.
func (r Rule) match(q lookup.Question, n uint64) bool {
	name := strings.ToLower(dns.Fqdn(r.Name))
	return (r.Name == "" || r.Name == "*" || name == q.Name) && (r.Type == 0 || r.Type == q.Type) &&
		(r.Times == 0 || n < uint64(r.Times))
}

// Faults adds rules, after those of earlier options.
func Faults(rules ...Rule) Option {
	return func(s *server) { s.rules = append(s.rules, rules...) }
}

// nameRules is one fault for names (every name when none are given).
func nameRules(f Fault, names []string) Option {
	if len(names) == 0 {
		return Faults(Rule{Fault: f})
	}
	rules := make([]Rule, len(names))
	for i, n := range names {
		rules[i] = Rule{Name: n, Fault: f}
	}
	return Faults(rules...)
}

// Truncate answers UDP queries for names (all names when none are given)
// with the TC bit set and no records, so the client must ask again over TCP.
func Truncate(names ...string) Option { return nameRules(FaultTruncate, names) }

// Drop never answers queries for names (all names when none are given), so
// the client times out.
func Drop(names ...string) Option { return nameRules(FaultDrop, names) }

// ServFail answers SERVFAIL for names (all names when none are given).
func ServFail(names ...string) Option { return nameRules(FaultServFail, names) }

// Loss loses each UDP query on its way in, and each UDP reply on its way
// out, with probability rate. Whether a packet is lost depends only on
// seed, the question and how many times that question arrived before, so
// a run is reproducible from its seed in whatever order queries arrive.
func Loss(rate float64, seed uint64) Option {
	return func(s *server) { s.lossRate, s.lossSeed = rate, seed }
}

// NoEDNS makes the server one from before EDNS0 (RFC 6891 §7): a query
// carrying an OPT record gets FORMERR without one.
func NoEDNS() Option {
	return func(s *server) { s.noEDNS = true }
}

// Validating makes the server answer as a validating resolver that
// vouches for every answer: the AD bit is set (RFC 4035 §3.2.3).
func Validating() Option {
	return func(s *server) { s.ad = true }
}

// Count makes the server count the queries it receives into st.
func Count(st *Stats) Option {
	return func(s *server) { s.stats = st }
}

// Stats counts the queries a server received, answered or not. The zero
// value is ready; it is safe for concurrent use.
type Stats struct {
	UDP  atomic.Int64 // queries received over UDP
	TCP  atomic.Int64 // queries received over TCP
	Lost atomic.Int64 // UDP queries and replies lost by Loss (lost queries are not counted as received)
	// Peak is the most queries the server held at once, from receiving
	// each to just before answering it (with Delay, how many the client
	// had in flight).
	Peak atomic.Int64

	held atomic.Int64

	mu      sync.Mutex
	qs      map[lookup.Question]int
	sources map[string]bool
}

// hold counts a query held until its answer, raising Peak.
func (st *Stats) hold() {
	n := st.held.Add(1)
	for {
		p := st.Peak.Load()
		if n <= p || st.Peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// Sources returns how many distinct client addresses (IP and port) sent
// UDP queries: how many sockets the client used.
func (st *Stats) Sources() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.sources)
}

// Total returns the number of queries received over either transport.
func (st *Stats) Total() int64 { return st.UDP.Load() + st.TCP.Load() }

// Queries returns how many times the question name/type was received
// (name in any case, with or without the final dot), over either transport.
func (st *Stats) Queries(name string, t uint16) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.qs[lookup.Question{Name: strings.ToLower(dns.Fqdn(name)), Type: t}]
}

func (st *Stats) add(network, from string, q lookup.Question) {
	udp := !strings.HasPrefix(network, "tcp")
	if udp {
		st.UDP.Add(1)
	} else {
		st.TCP.Add(1)
	}
	st.mu.Lock()
	if st.qs == nil {
		st.qs = map[lookup.Question]int{}
		st.sources = map[string]bool{}
	}
	st.qs[q]++
	if udp {
		st.sources[from] = true
	}
	st.mu.Unlock()
}

type server struct {
	zones  *lookup.Zones
	delay  time.Duration
	rules  []Rule
	noEDNS bool
	ad     bool
	stats  *Stats

	lossRate float64
	lossSeed uint64
	mu       sync.Mutex
	arrivals map[lookup.Question]uint64 // UDP arrivals per question, for Loss
	seen     map[lookup.Question]uint64 // arrivals per question, for Rule.Times
}

// Serve starts an authoritative DNS server answering from z on 127.0.0.1,
// over UDP and TCP on the same port, and returns its address
// ("127.0.0.1:PORT") once both are listening. Answers carry the rcode and
// records of z.Lookup (REFUSED outside every zone). The server stops when
// the test ends.
func Serve(t testing.TB, z *lookup.Zones, opts ...Option) string {
	t.Helper()
	addr, stop, err := Start(z, opts...)
	if err != nil {
		t.Fatalf("lookuptest: %v", err)
	}
	t.Cleanup(stop)
	return addr
}

// Start is Serve outside a test (a testscript command, a demo): it returns
// the address and a function that stops the server.
func Start(z *lookup.Zones, opts ...Option) (addr string, stop func(), err error) {
	s := &server{zones: z}
	for _, o := range opts {
		o(s)
	}
	pc, ln, err := listen()
	if err != nil {
		return "", nil, err
	}
	addr = pc.LocalAddr().String()
	var started sync.WaitGroup
	servers := []*dns.Server{
		{PacketConn: pc, Handler: s},
		{Listener: ln, Handler: s},
	}
	stop = func() {
		for _, srv := range servers {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			srv.ShutdownContext(ctx)
			cancel()
		}
	}
	errc := make(chan error, len(servers))
	for _, srv := range servers {
		started.Add(1)
		srv.NotifyStartedFunc = started.Done
		go func() { errc <- srv.ActivateAndServe() }()
	}
	done := make(chan struct{})
	go func() { started.Wait(); close(done) }()
	select {
	case <-done:
		return addr, stop, nil
	case err = <-errc:
		err = fmt.Errorf("serving on %s: %w", addr, err)
	case <-time.After(10 * time.Second):
		err = fmt.Errorf("server on %s did not start", addr)
	}
	pc.Close()
	ln.Close()
	return "", nil, err
}

// readBuffer is the receive buffer asked for the server's UDP socket
// (the kernel caps it at net.core.rmem_max).
const readBuffer = 8 << 20

// listen opens UDP and TCP on one free loopback port.
func listen() (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		// A large receive buffer, as production DNS servers set one
		// (unbound's so-rcvbuf, say): a client's burst of questions is
		// not dropped by the kernel before this server, sharing the
		// test's CPU, reads it. Losses are the Loss and Drop options'.
		if u, ok := pc.(*net.UDPConn); ok {
			_ = u.SetReadBuffer(readBuffer)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		lastErr = err
		pc.Close()
	}
	return nil, nil, fmt.Errorf("no port free for both UDP and TCP: %w", lastErr)
}

// ServeDNS answers one query.
func (s *server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	network := w.LocalAddr().Network()
	udp := !strings.HasPrefix(network, "tcp")
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	dq := req.Question[0]
	q := lookup.Question{Name: strings.ToLower(dns.Fqdn(dq.Name)), Type: dq.Qtype}
	var lostQuery, lostReply bool
	if udp && s.lossRate > 0 {
		lostQuery, lostReply = s.lose(q)
	}
	if lostQuery {
		s.countLost()
		return
	}
	if s.stats != nil {
		s.stats.add(network, w.RemoteAddr().String(), q)
		s.stats.hold()
	}
	fault, delay := s.fault(q)
	if d := s.delay + delay; d > 0 {
		time.Sleep(d)
	}
	if s.stats != nil {
		// Let go before answering: once the client has the answer it may
		// ask its next question, which must not find this one still held.
		s.stats.held.Add(-1)
	}
	if fault == FaultDrop {
		return
	}
	if lostReply {
		s.countLost()
		return
	}
	switch {
	case fault == FaultGarbage:
		// The query's ID, so the client cannot discard it unread, then a
		// header promising a question that is not there.
		w.Write([]byte{byte(req.Id >> 8), byte(req.Id), 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xff})
		return
	case fault == FaultTruncateNoTCP && !udp:
		w.Close() // hang up: this server's TCP does not work
		return
	}
	m := new(dns.Msg)
	if s.noEDNS && req.IsEdns0() != nil {
		m.SetRcode(req, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	m.SetReply(req)
	m.RecursionAvailable = req.RecursionDesired
	switch {
	case fault == FaultServFail:
		m.Rcode = dns.RcodeServerFailure
	case fault == FaultRefused:
		m.Rcode = dns.RcodeRefused
	case udp && (fault == FaultTruncate || fault == FaultTruncateNoTCP):
		m.Truncated = true
	default:
		a, err := s.zones.Lookup(context.Background(), q)
		if err != nil {
			m.Rcode = dns.RcodeServerFailure
			break
		}
		m.Rcode = a.Rcode
		m.Authoritative = a.Rcode != dns.RcodeRefused
		m.AuthenticatedData = s.ad && a.Rcode != dns.RcodeRefused
		for _, rr := range a.Records {
			m.Answer = append(m.Answer, dns.Copy(rr))
		}
	}
	if fault == FaultWrongID {
		m.Id = req.Id ^ 0x5a5a
	}
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		m.SetEdns0(opt.UDPSize(), false)
		size = int(opt.UDPSize())
	}
	if udp {
		m.Truncate(size) // sets TC when the answer does not fit
	}
	w.WriteMsg(m)
}

// fault returns the fault of the first matching rule and the sum of the
// matching delays.
func (s *server) fault(q lookup.Question) (f Fault, delay time.Duration) {
	n := s.count(&s.seen, q)
	for _, r := range s.rules {
		switch {
		case !r.match(q, n):
		case r.Fault == FaultDelay:
			delay += r.Delay
		case f == 0:
			f = r.Fault
		}
	}
	return f, delay
}

// count adds one to q's count in *m and returns the count before.
func (s *server) count(m *map[lookup.Question]uint64, q lookup.Question) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *m == nil {
		*m = map[lookup.Question]uint64{}
	}
	n := (*m)[q]
	(*m)[q]++
	return n
}

// lose decides whether this arrival of q, and its reply, are lost.
func (s *server) lose(q lookup.Question) (query, reply bool) {
	n := s.count(&s.arrivals, q)
	return s.chance(q, n, 0) < s.lossRate, s.chance(q, n, 1) < s.lossRate
}

// chance is a number in [0, 1) fixed by the seed, the question, the
// arrival and the direction.
func (s *server) chance(q lookup.Question, n uint64, dir byte) float64 {
	h := fnv.New64a()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], s.lossSeed)
	h.Write(b[:])
	h.Write([]byte(q.Name))
	binary.BigEndian.PutUint16(b[:2], q.Type)
	h.Write(b[:2])
	binary.BigEndian.PutUint64(b[:], n)
	h.Write(b[:])
	h.Write([]byte{dir})
	// A splitmix64 finish, so that neighbouring arrivals give unrelated
	// numbers.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

func (s *server) countLost() {
	if s.stats != nil {
		s.stats.Lost.Add(1)
	}
}

// Network returns a network resolver asking addr, with timeouts short
// enough for tests (1s per attempt, one retry).
func Network(t testing.TB, addr string) *lookup.Network {
	t.Helper()
	n, err := lookup.NewNetwork(addr)
	if err != nil {
		t.Fatalf("lookuptest: %v", err)
	}
	n.Timeout = time.Second
	n.Retries = 1
	return n
}
