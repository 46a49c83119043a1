package lookup

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// The UDP transport: a few sockets per server, shared by every question in
// flight, each read by a goroutine of its own that takes many replies per
// system call (recvmmsg) and hands each to the question with its ID. Under
// load that is a fraction of the system calls of a socket per question,
// and no socket is opened per question. A socket is closed a moment after
// its last question is done (muxLinger), so that questions asked one
// after another share it, and an idle Network holds no file and no
// goroutine.
// Replies are matched by ID here and by question by the asker: a reply
// with an ID nobody waits for (late, or forged) is dropped.

const (
	// muxSockets is the sockets per server: replies are read on as many
	// goroutines, and a question's ID is unique within its socket.
	muxSockets = 4
	// readBatch is the most replies one read system call takes.
	readBatch = 32
	// readBuffer is the receive buffer asked of the kernel for each
	// socket (it caps it at net.core.rmem_max), so that a burst of
	// replies is not dropped before the reader takes it.
	readBuffer = 1 << 20
	// muxLinger is how long a socket no question holds stays open.
	muxLinger = 250 * time.Millisecond
)

// udpMux is one Network's sockets to one server.
type udpMux struct {
	addr  string
	size  int // read buffer per reply
	rtt   rttEstimator
	mu    sync.Mutex
	socks [muxSockets]*muxSock
	next  int
}

// muxSock is one connected UDP socket and the questions waiting on it.
type muxSock struct {
	conn  *net.UDPConn
	users int         // questions holding it; guarded by udpMux.mu
	idle  *time.Timer // closes it when no question holds it; guarded by udpMux.mu

	mu    sync.Mutex
	calls map[uint16]*udpCall
}

// udpCall is one question's place on a socket, kept across its retries so
// that a late reply to an earlier try is still taken. Each try has an ID
// of its own, so a reply says which try it answers: its round trip is
// known even after a retry (Karn's ambiguity, RFC 6298 §5, does not
// arise), and a retry that was not needed is told from a lost question.
type udpCall struct {
	sock    *muxSock
	rtt     *rttEstimator // the server's
	tries   []udpTry      // the IDs on sock, one a try; the first is set by call
	base    int           // replies to tries before it are to another message (the query before EDNS0 was dropped)
	replies chan reply
}

// udpTry is one try's ID and when it was sent.
type udpTry struct {
	id   uint16
	sent time.Time
}

// reply is a message read for a call; or a datagram with its ID that
// does not parse (malformed); or the error that ended a read (the
// server's port unreachable, say).
type reply struct {
	msg       *dns.Msg
	malformed error
	err       error
	at        time.Time // when it was read off the socket
}

// errUDPTimeout is a try that heard no reply in its wait.
var errUDPTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// call registers a question on one of m's sockets, opening it if need be,
// with an ID no other question there has.
func (m *udpMux) call(ctx context.Context) (*udpCall, error) {
	m.mu.Lock()
	i := m.next
	m.next = (m.next + 1) % muxSockets
	s := m.socks[i]
	if s == nil {
		var err error
		if s, err = m.open(ctx); err != nil {
			m.mu.Unlock()
			return nil, err
		}
		m.socks[i] = s
	}
	if s.users++; s.idle != nil {
		s.idle.Stop()
		s.idle = nil
	}
	m.mu.Unlock()

	c := &udpCall{sock: s, rtt: &m.rtt, replies: make(chan reply, 4)}
	c.addTry()
	return c, nil
}

// addTry registers a new ID for c's next try, one no other question on
// its socket has. A retry on a socket with few IDs left keeps the last
// try's: the drawing must not spin on a full socket.
func (c *udpCall) addTry() {
	s := c.sock
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(c.tries) > 0 && len(s.calls) >= 1<<15 {
		c.tries = append(c.tries, udpTry{id: c.id()})
		return
	}
	for {
		// math/rand/v2's generator is ChaCha8, seeded by the runtime:
		// unpredictable IDs without a getrandom call each (dns.Id's).
		id := uint16(rand.Uint32())
		if _, busy := s.calls[id]; !busy {
			s.calls[id] = c
			c.tries = append(c.tries, udpTry{id: id})
			return
		}
	}
}

// id is the ID of c's latest try.
func (c *udpCall) id() uint16 { return c.tries[len(c.tries)-1].id }

// done takes c off its socket, and closes the socket when no question
// has held it for muxLinger.
func (m *udpMux) done(c *udpCall) {
	s := c.sock
	s.mu.Lock()
	for _, t := range c.tries {
		delete(s.calls, t.id)
	}
	s.mu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.users--; s.users > 0 {
		return
	}
	s.idle = time.AfterFunc(muxLinger, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if s.users > 0 || s.idle == nil {
			return // taken again meanwhile
		}
		for i := range m.socks {
			if m.socks[i] == s {
				m.socks[i] = nil
			}
		}
		s.conn.Close() // ends its reader
	})
}

func (m *udpMux) open(ctx context.Context) (*muxSock, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", m.addr)
	if err != nil {
		return nil, err
	}
	conn := c.(*net.UDPConn)
	_ = conn.SetReadBuffer(readBuffer) // best effort: the kernel's cap applies
	s := &muxSock{conn: conn, calls: map[uint16]*udpCall{}}
	var br batchReader
	if ra, ok := conn.RemoteAddr().(*net.UDPAddr); ok && ra.IP.To4() == nil {
		br = ipv6.NewPacketConn(conn)
	} else {
		br = ipv4.NewPacketConn(conn)
	}
	go s.read(br, m.size)
	return s, nil
}

// batchReader is ipv4.PacketConn's or ipv6.PacketConn's ReadBatch.
type batchReader interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
}

// read hands each datagram to the call with its ID until the socket is
// closed. A read error (an ICMP port unreachable is one) goes to every
// call waiting, and reading goes on unless the socket is closed.
func (s *muxSock) read(br batchReader, size int) {
	msgs := make([]ipv4.Message, readBatch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, size)}
	}
	for {
		n, err := br.ReadBatch(msgs, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.mu.Lock()
			for _, c := range s.calls {
				select {
				case c.replies <- reply{err: err}:
				default:
				}
			}
			s.mu.Unlock()
			time.Sleep(time.Millisecond) // a socket failing at once, every time, must not spin
			continue
		}
		for _, m := range msgs[:n] {
			b := m.Buffers[0][:m.N]
			if len(b) < 2 {
				continue
			}
			s.mu.Lock()
			c := s.calls[uint16(b[0])<<8|uint16(b[1])]
			s.mu.Unlock()
			if c == nil {
				continue
			}
			// Unpacked here, on a goroutine whose stack has grown once,
			// not on the asker's, which is often new (and small).
			r := reply{msg: new(dns.Msg), at: time.Now()}
			if err := r.msg.Unpack(b); err != nil {
				r.msg, r.malformed = nil, fmt.Errorf("%w from %s: %w", errMalformed, s.conn.RemoteAddr(), err)
			}
			select {
			case c.replies <- r:
			default: // a flood for one ID must not hold the reader
			}
		}
	}
}

// exchange sends wire, m packed, as c's next try, and waits for the reply
// to m as long as limit says (see Network.tryLimit), looking at the limit
// again now and then while the server's round trips are being learnt.
// Replies to any of c's tries are taken; try says which one was answered.
// Replies with another question (forgeries, or a late answer to an earlier
// question with the ID), and replies that do not parse, are skipped; only
// a timeout then reports the malformed one.
func (c *udpCall) exchange(ctx context.Context, wire []byte, m *dns.Msg, limit tryLimit) (r *dns.Msg, try int, err error) {
	if !c.tries[len(c.tries)-1].sent.IsZero() {
		c.addTry() // a retry: an ID of its own
	}
	id := c.id()
	wire[0], wire[1] = byte(id>>8), byte(id)
	sent := time.Now()
	c.tries[len(c.tries)-1].sent = sent
	if _, err := c.sock.conn.Write(wire); err != nil {
		return nil, 0, err
	}
	timer := time.NewTimer(limit.next(0))
	defer timer.Stop()
	var malformed error
	for {
		select {
		case r := <-c.replies:
			switch {
			case r.err != nil:
				return nil, 0, r.err
			case r.malformed != nil:
				malformed = r.malformed
			case r.msg.Response && sameQuestion(r.msg, m):
				try := c.try(r.msg.Id)
				c.rtt.add(r.at.Sub(c.tries[try].sent))
				if try < c.base {
					continue // an answer to the query with EDNS0
				}
				return r.msg, try, nil
			}
		case now := <-timer.C:
			if d := now.Sub(sent); !limit.expired(d) {
				timer.Reset(limit.next(d))
				continue
			}
			if malformed != nil {
				return nil, 0, malformed
			}
			return nil, 0, errUDPTimeout
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
}

// try is the index of c's try with the ID.
func (c *udpCall) try(id uint16) int {
	for i, t := range c.tries {
		if t.id == id {
			return i
		}
	}
	return len(c.tries) - 1 // not reached: the reader hands c only its own IDs
}
