// Package smtptest runs an in-process SMTP server on loopback for tests of
// the SMTP probe (github.com/emersion/go-smtp): STARTTLS with a
// certificate from a test CA, mailboxes that exist, a catch-all,
// greylisting, policy refusals, or a banner that turns clients away. It
// never accepts a message: DATA is refused and counted.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// Options say how the server behaves.
type Options struct {
	// TLSNames, when set, offers STARTTLS with a certificate for these
	// names, issued by the server's test CA. Expired makes the certificate
	// one that expired yesterday; SelfSigned one no CA issued.
	TLSNames   []string
	Expired    bool
	SelfSigned bool
	// Mailboxes are the local parts that exist; others get 550 5.1.1.
	Mailboxes []string
	// CatchAll accepts every recipient.
	CatchAll bool
	// Greylist answers every RCPT TO with 450 4.2.0.
	Greylist bool
	// Policy refuses every RCPT TO with 550 5.7.1 (a blocklisted client).
	Policy bool
	// Banner, when set, is sent instead of a 220 greeting ("554 5.7.1
	// blocked"), and the connection closed.
	Banner string
}

// Server is a running test server.
type Server struct {
	Addr string // 127.0.0.1:PORT
	// CA is the PEM of the CA that issued the certificate (nil without TLS).
	CA []byte
	// Roots holds the CA.
	Roots *x509.CertPool
	// Leaf is the server's certificate.
	Leaf *x509.Certificate
	// Conns counts connections, Data attempts to send a message, Rcpts
	// the RCPT TO addresses received.
	Conns, Data atomic.Int64
	mu          sync.Mutex
	rcpts       []string
	stop        func()
}

// Rcpts returns the RCPT TO addresses received, in order.
func (s *Server) Rcpts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rcpts...)
}

// Close stops the server.
func (s *Server) Close() { s.stop() }

// Start starts a server on 127.0.0.1.
func Start(o Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String()}
	if o.Banner != "" {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				s.Conns.Add(1)
				fmt.Fprintf(c, "%s\r\n", o.Banner)
				c.Close()
			}
		}()
		s.stop = func() { ln.Close() }
		return s, nil
	}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		return &session{s: s, o: o}, nil
	}))
	srv.Domain = "mx.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.AllowInsecureAuth = true
	if len(o.TLSNames) > 0 {
		cfg, err := s.certificate(o)
		if err != nil {
			ln.Close()
			return nil, err
		}
		srv.TLSConfig = cfg
	}
	counting := &countingListener{Listener: ln, n: &s.Conns}
	go srv.Serve(counting)
	s.stop = func() { srv.Close() }
	return s, nil
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

type session struct {
	s *Server
	o Options
}

func (*session) Reset()        {}
func (*session) Logout() error { return nil }
func (*session) Mail(string, *gosmtp.MailOptions) error {
	return nil
}

func (x *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	x.s.mu.Lock()
	x.s.rcpts = append(x.s.rcpts, to)
	x.s.mu.Unlock()
	local := to
	if i := strings.LastIndex(to, "@"); i >= 0 {
		local = to[:i]
	}
	switch {
	case x.o.Greylist:
		return &gosmtp.SMTPError{Code: 450, EnhancedCode: gosmtp.EnhancedCode{4, 2, 0}, Message: "Greylisted, try again later"}
	case x.o.Policy:
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 7, 1}, Message: "Client host blocked using zen.spamhaus.org"}
	case x.o.CatchAll:
		return nil
	}
	for _, m := range x.o.Mailboxes {
		if strings.EqualFold(m, local) {
			return nil
		}
	}
	return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}
}

func (x *session) Data(r io.Reader) error {
	x.s.Data.Add(1)
	io.Copy(io.Discard, r)
	return errors.New("this test server accepts no message")
}

// certificate makes a CA and a leaf for o.TLSNames.
func (s *Server) certificate(o Options) (*tls.Config, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "whymail test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: o.TLSNames[0]}, DNSNames: o.TLSNames,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	if o.Expired {
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	}
	parent, signer := ca, any(caKey)
	if o.SelfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, err
	}
	s.Leaf, _ = x509.ParseCertificate(der)
	s.CA = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	s.Roots = x509.NewCertPool()
	s.Roots.AddCert(ca)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: s.Leaf}}}, nil
}
