// Package smtpprobe talks to a receiving mail server the way a sender
// would, up to the point of sending: it connects, reads the banner, says
// EHLO, upgrades with STARTTLS and inspects the certificate, and, when
// asked, tries RCPT TO for a recipient and for a random local part at the
// same domain, then QUITs. It never sends DATA.
package smtpprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"
)

// A Prober probes mail servers. The zero value probes port 25 with the
// system's roots and a 10-second bound per server.
type Prober struct {
	// Dial connects; nil is a net.Dialer. Tests point it at a loopback server.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Port is the SMTP port; "" is 25.
	Port string
	// Timeout bounds one server's whole conversation; 0 is 10 seconds.
	Timeout time.Duration
	// HELO is the name the probe says EHLO with; "" is "whymail.invalid".
	HELO string
	// Roots verifies certificates; nil is the system's roots.
	Roots *x509.CertPool
	// Now is the time certificates are checked at; nil is time.Now.
	Now func() time.Time
}

// Reply is one SMTP reply.
type Reply struct {
	Code int    `json:"code"`
	Text string `json:"text"`
}

func (r *Reply) String() string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf("%d %s", r.Code, strings.ReplaceAll(r.Text, "\n", " "))
}

// TLS is what STARTTLS came to.
type TLS struct {
	Version string   `json:"version"`
	Cipher  string   `json:"cipher"`
	Names   []string `json:"names"` // the certificate's DNS names (and subject CN when it has none)
	Issuer  string   `json:"issuer"`
	// NotAfter is when the certificate expires.
	NotAfter time.Time `json:"not_after"`
	// ChainErr says why the chain does not verify against the roots, or "".
	ChainErr string `json:"chain_error,omitempty"`
	// NameOK is set when the certificate is valid for the MX host name.
	NameOK bool `json:"name_ok"`
	// Leaf is the server's certificate.
	Leaf *x509.Certificate `json:"-"`
}

// Valid reports whether the certificate verifies and names the host.
func (t *TLS) Valid() bool { return t != nil && t.ChainErr == "" && t.NameOK }

// Result is what probing one address of one MX host found.
type Result struct {
	Host string `json:"host"`
	Addr string `json:"addr"`
	// ConnectErr says why no conversation was had (refused, timeout).
	ConnectErr string `json:"connect_error,omitempty"`
	Banner     *Reply `json:"banner,omitempty"`
	EHLO       *Reply `json:"ehlo,omitempty"`
	// StartTLS is set when the server offers STARTTLS; TLS is what the
	// upgrade came to (nil when not tried), TLSErr why it failed.
	StartTLS bool   `json:"starttls"`
	TLS      *TLS   `json:"tls,omitempty"`
	TLSErr   string `json:"tls_error,omitempty"`
	// Mail is the reply to MAIL FROM:<>, Rcpt to RCPT TO the recipient,
	// Random to RCPT TO the random local part.
	Mail   *Reply `json:"mail,omitempty"`
	Rcpt   *Reply `json:"rcpt,omitempty"`
	Random *Reply `json:"random,omitempty"`
	// Err is where the conversation broke off, when it did.
	Err string `json:"error,omitempty"`
}

// Probe talks to addr (an IP address) as the MX host host. When rcpt is
// set it also asks RCPT TO for rcpt and for random, a random local part
// at the same domain.
func (p *Prober) Probe(ctx context.Context, host, addr, rcpt, random string) *Result {
	res := &Result{Host: host, Addr: addr}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	port := p.Port
	if port == "" {
		port = "25"
	}
	dial := p.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(ctx, "tcp", net.JoinHostPort(addr, port))
	if err != nil {
		res.ConnectErr = cleanErr(err)
		return res
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	c := &conv{conn: conn, tp: textproto.NewConn(conn)}
	fail := func(step string, err error) *Result {
		res.Err = step + ": " + cleanErr(err)
		return res
	}
	if res.Banner, err = c.read(); err != nil {
		return fail("banner", err)
	}
	if res.Banner.Code != 220 {
		c.quit()
		return res
	}
	helo := p.HELO
	if helo == "" {
		helo = "whymail.invalid"
	}
	if res.EHLO, err = c.cmd("EHLO %s", helo); err != nil {
		return fail("EHLO", err)
	}
	if res.EHLO.Code != 250 {
		c.quit()
		return res
	}
	res.StartTLS = hasExtension(res.EHLO.Text, "STARTTLS")
	if res.StartTLS {
		r, err := c.cmd("STARTTLS")
		switch {
		case err != nil:
			return fail("STARTTLS", err)
		case r.Code != 220:
			res.TLSErr = "STARTTLS answered " + r.String()
		default:
			tc := tls.Client(conn, &tls.Config{ServerName: host, InsecureSkipVerify: true})
			if err := tc.HandshakeContext(ctx); err != nil {
				res.TLSErr = "handshake: " + cleanErr(err)
				return res
			}
			res.TLS = p.inspect(tc.ConnectionState(), host)
			c.conn, c.tp = tc, textproto.NewConn(tc)
			if res.EHLO, err = c.cmd("EHLO %s", helo); err != nil {
				return fail("EHLO after STARTTLS", err)
			}
		}
	}
	if rcpt != "" {
		if res.Mail, err = c.cmd("MAIL FROM:<>"); err != nil {
			return fail("MAIL FROM", err)
		}
		if res.Mail.Code == 250 {
			if res.Rcpt, err = c.cmd("RCPT TO:<%s>", rcpt); err != nil {
				return fail("RCPT TO", err)
			}
			if random != "" {
				if res.Random, err = c.cmd("RCPT TO:<%s>", random); err != nil {
					return fail("RCPT TO", err)
				}
			}
		}
	}
	c.quit()
	return res
}

// inspect reads the certificate of a TLS connection and verifies it.
func (p *Prober) inspect(st tls.ConnectionState, host string) *TLS {
	t := &TLS{Version: tls.VersionName(st.Version), Cipher: tls.CipherSuiteName(st.CipherSuite)}
	if len(st.PeerCertificates) == 0 {
		t.ChainErr = "no certificate"
		return t
	}
	leaf := st.PeerCertificates[0]
	t.Leaf, t.NotAfter, t.Issuer = leaf, leaf.NotAfter, leaf.Issuer.CommonName
	t.Names = leaf.DNSNames
	if len(t.Names) == 0 && leaf.Subject.CommonName != "" {
		t.Names = []string{leaf.Subject.CommonName}
	}
	inter := x509.NewCertPool()
	for _, c := range st.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	opts := x509.VerifyOptions{Roots: p.Roots, Intermediates: inter, CurrentTime: now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if _, err := leaf.Verify(opts); err != nil {
		t.ChainErr = cleanErr(err)
	}
	t.NameOK = leaf.VerifyHostname(strings.TrimSuffix(host, ".")) == nil
	return t
}

func hasExtension(ehlo, ext string) bool {
	for _, line := range strings.Split(ehlo, "\n")[1:] {
		if f := strings.Fields(line); len(f) > 0 && strings.EqualFold(f[0], ext) {
			return true
		}
	}
	return false
}

// conv is one SMTP conversation.
type conv struct {
	conn net.Conn
	tp   *textproto.Conn
}

func (c *conv) read() (*Reply, error) {
	code, msg, err := c.tp.ReadResponse(0)
	var pe textproto.ProtocolError
	if err != nil && (errors.As(err, &pe) || code == 0) {
		return nil, err
	}
	return &Reply{Code: code, Text: msg}, nil
}

func (c *conv) cmd(format string, args ...any) (*Reply, error) {
	if err := c.tp.PrintfLine(format, args...); err != nil {
		return nil, err
	}
	return c.read()
}

// quit says QUIT, not waiting long for the answer.
func (c *conv) quit() {
	c.conn.SetDeadline(time.Now().Add(2 * time.Second))
	c.cmd("QUIT")
}

// cleanErr words a network error without the Go plumbing.
func cleanErr(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.HasPrefix(s, "dial ") {
		s = s[i+2:]
	}
	return s
}
