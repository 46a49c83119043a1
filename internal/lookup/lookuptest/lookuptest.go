// Package lookuptest serves zones from a loopback DNS server for tests: real
// UDP and TCP round trips on 127.0.0.1, never the internet, with faults to
// order (latency, truncation, SERVFAIL, silence) and counters of the queries
// that arrived.
package lookuptest

import (
	"context"
	"fmt"
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

// Truncate answers UDP queries for names (all names when none are given)
// with the TC bit set and no records, so the client must ask again over TCP.
func Truncate(names ...string) Option {
	return func(s *server) { s.truncate = nameSet(names) }
}

// Drop never answers queries for names (all names when none are given), so
// the client times out.
func Drop(names ...string) Option {
	return func(s *server) { s.drop = nameSet(names) }
}

// ServFail answers SERVFAIL for names (all names when none are given).
func ServFail(names ...string) Option {
	return func(s *server) { s.servfail = nameSet(names) }
}

// NoEDNS makes the server one from before EDNS0 (RFC 6891 §7): a query
// carrying an OPT record gets FORMERR without one.
func NoEDNS() Option {
	return func(s *server) { s.noEDNS = true }
}

// Count makes the server count the queries it receives into st.
func Count(st *Stats) Option {
	return func(s *server) { s.stats = st }
}

// Stats counts the queries a server received, answered or not. The zero
// value is ready; it is safe for concurrent use.
type Stats struct {
	UDP atomic.Int64 // queries received over UDP
	TCP atomic.Int64 // queries received over TCP

	mu sync.Mutex
	qs map[lookup.Question]int
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

func (st *Stats) add(network string, q lookup.Question) {
	if strings.HasPrefix(network, "tcp") {
		st.TCP.Add(1)
	} else {
		st.UDP.Add(1)
	}
	st.mu.Lock()
	if st.qs == nil {
		st.qs = map[lookup.Question]int{}
	}
	st.qs[q]++
	st.mu.Unlock()
}

// names is a set of lower-case FQDNs; an empty non-nil set matches every name.
type names map[string]bool

func nameSet(list []string) names {
	set := names{}
	for _, n := range list {
		set[strings.ToLower(dns.Fqdn(n))] = true
	}
	return set
}

func (set names) match(name string) bool {
	return set != nil && (len(set) == 0 || set[name])
}

type server struct {
	zones    *lookup.Zones
	delay    time.Duration
	truncate names
	drop     names
	servfail names
	noEDNS   bool
	stats    *Stats
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

// listen opens UDP and TCP on one free loopback port.
func listen() (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
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
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	dq := req.Question[0]
	q := lookup.Question{Name: strings.ToLower(dns.Fqdn(dq.Name)), Type: dq.Qtype}
	if s.stats != nil {
		s.stats.add(network, q)
	}
	if s.drop.match(q.Name) {
		return
	}
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	m := new(dns.Msg)
	if s.noEDNS && req.IsEdns0() != nil {
		m.SetRcode(req, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	m.SetReply(req)
	m.RecursionAvailable = req.RecursionDesired
	udp := !strings.HasPrefix(network, "tcp")
	switch {
	case s.servfail.match(q.Name):
		m.Rcode = dns.RcodeServerFailure
	case udp && s.truncate.match(q.Name):
		m.Truncated = true
	default:
		a, err := s.zones.Lookup(context.Background(), q)
		if err != nil {
			m.Rcode = dns.RcodeServerFailure
			break
		}
		m.Rcode = a.Rcode
		m.Authoritative = a.Rcode != dns.RcodeRefused
		for _, rr := range a.Records {
			m.Answer = append(m.Answer, dns.Copy(rr))
		}
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
