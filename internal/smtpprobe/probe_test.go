package smtpprobe_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/whymail/whymail/internal/smtpprobe"
	"github.com/whymail/whymail/internal/smtpprobe/smtptest"
)

func start(t *testing.T, o smtptest.Options) (*smtptest.Server, *smtpprobe.Prober) {
	t.Helper()
	s, err := smtptest.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	host, port, _ := net.SplitHostPort(s.Addr)
	_ = host
	return s, &smtpprobe.Prober{Port: port, Roots: s.Roots, Timeout: 5 * time.Second}
}

func TestProbeTLSAndMailbox(t *testing.T) {
	s, p := start(t, smtptest.Options{TLSNames: []string{"mx.example.com"}, Mailboxes: []string{"alice"}})
	r := p.Probe(context.Background(), "mx.example.com", "127.0.0.1", "alice@example.com", "zz-random@example.com")
	if r.ConnectErr != "" || r.Err != "" {
		t.Fatalf("probe failed: %+v", r)
	}
	if r.Banner == nil || r.Banner.Code != 220 || !r.StartTLS || r.TLS == nil || !r.TLS.Valid() {
		t.Fatalf("banner %v, starttls %v, tls %+v; want 220, STARTTLS and a valid certificate", r.Banner, r.StartTLS, r.TLS)
	}
	if r.Rcpt.Code != 250 || r.Random.Code != 550 {
		t.Errorf("RCPT answers %v / %v, want 250 / 550", r.Rcpt, r.Random)
	}
	if got := s.Rcpts(); len(got) != 2 || got[0] != "alice@example.com" {
		t.Errorf("server saw RCPT %v", got)
	}
	if s.Data.Load() != 0 {
		t.Error("the probe sent DATA")
	}
	// Without the test CA, and for another name, the certificate does not verify.
	p.Roots = nil
	r = p.Probe(context.Background(), "mx.other.example", "127.0.0.1", "", "")
	if r.TLS == nil || r.TLS.ChainErr == "" || r.TLS.NameOK {
		t.Errorf("tls %+v: want a chain error and a name mismatch", r.TLS)
	}
	if r.Rcpt != nil {
		t.Error("RCPT TO asked without a recipient")
	}
}

func TestProbeUnknowns(t *testing.T) {
	_, p := start(t, smtptest.Options{Banner: "554 5.7.1 Service unavailable; client host blocked"})
	r := p.Probe(context.Background(), "mx.example.com", "127.0.0.1", "a@example.com", "b@example.com")
	if r.Banner == nil || r.Banner.Code != 554 || r.Rcpt != nil {
		t.Errorf("banner %v rcpt %v: want 554 and no RCPT", r.Banner, r.Rcpt)
	}
	_, p = start(t, smtptest.Options{Greylist: true})
	r = p.Probe(context.Background(), "mx.example.com", "127.0.0.1", "a@example.com", "b@example.com")
	if r.StartTLS || r.Rcpt == nil || r.Rcpt.Code != 450 {
		t.Errorf("starttls %v rcpt %v: want no STARTTLS and 450", r.StartTLS, r.Rcpt)
	}
	// A closed port: connection refused, said plainly.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	p = &smtpprobe.Prober{Port: port, Timeout: 2 * time.Second}
	r = p.Probe(context.Background(), "mx.example.com", "127.0.0.1", "", "")
	if r.ConnectErr == "" || r.Banner != nil {
		t.Errorf("probe of a closed port: %+v", r)
	}
	// A server that never answers: the timeout bounds the probe.
	ln, _ = net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	p = &smtpprobe.Prober{Port: port, Timeout: 300 * time.Millisecond}
	start := time.Now()
	r = p.Probe(context.Background(), "mx.example.com", "127.0.0.1", "", "")
	if r.Err == "" || time.Since(start) > 2*time.Second {
		t.Errorf("silent server: %+v after %v", r, time.Since(start))
	}
}
