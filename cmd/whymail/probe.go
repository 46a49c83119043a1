package main

import (
	"context"
	"crypto/x509"
	"net"
	"os"
	"slices"
	"time"

	"github.com/spf13/pflag"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/mtasts"
	"github.com/whymail/whymail/checks/smtp"
	"github.com/whymail/whymail/internal/smtpprobe"
)

// probeKinds are the values of --probe.
var probeKinds = []string{"smtp"}

// probeOptions say which receiving servers to probe: none unless asked.
type probeOptions struct {
	probes  []string
	timeout time.Duration
	// connect and ca are for tests: every probe connects to this address
	// instead of the MX host's, and certificates verify against this CA.
	connect string
	ca      string
}

func (o *probeOptions) bind(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.probes, "probe", nil, "talk to the receiving servers: smtp (each MX on port 25: banner, EHLO, STARTTLS and certificate; for an address, RCPT TO it and a random address, then QUIT, never sending); never by default")
	fs.DurationVar(&o.timeout, "probe-timeout", 10*time.Second, "longest conversation with one mail server of --probe")
	fs.StringVar(&o.connect, "probe-connect", "", "connect every probe to this HOST:PORT instead (tests)")
	fs.StringVar(&o.ca, "probe-ca", "", "verify probed certificates against this PEM CA file instead of the system roots (tests)")
	_ = fs.MarkHidden("probe-connect")
	_ = fs.MarkHidden("probe-ca")
	markPath(fs, "probe-ca")
}

// prober returns the SMTP prober of --probe smtp, or nil.
func (o *probeOptions) prober() (*smtpprobe.Prober, error) {
	on := false
	for _, p := range o.probes {
		if !slices.Contains(probeKinds, p) {
			return nil, usageError("unknown --probe %q: want smtp", p)
		}
		on = true
	}
	if !on {
		return nil, nil
	}
	if o.timeout <= 0 {
		return nil, usageError("--probe-timeout must be positive, got %s", o.timeout)
	}
	p := &smtpprobe.Prober{Timeout: o.timeout}
	if o.connect != "" {
		var d net.Dialer
		addr := o.connect
		p.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}
	}
	if o.ca != "" {
		pem, err := os.ReadFile(o.ca)
		if err != nil {
			return nil, usageError("--probe-ca: %v", err)
		}
		p.Roots = x509.NewCertPool()
		if !p.Roots.AppendCertsFromPEM(pem) {
			return nil, usageError("--probe-ca %s: no PEM certificate in it", o.ca)
		}
	}
	return p, nil
}

// withProbe returns set with the smtp check of p added (and, through its
// requirements, MTA-STS and DANE), or set itself when p is nil.
func withProbe(set []*checks.Check, offline bool, p *smtpprobe.Prober) []*checks.Check {
	if p == nil {
		return set
	}
	for _, c := range set {
		if c.Name == "mta-sts" {
			return append(slices.Clip(set), smtp.New(*p, c))
		}
	}
	sts := mtasts.New(mtasts.Fetcher{Offline: offline})
	return append(slices.Clip(set), sts, smtp.New(*p, sts))
}
