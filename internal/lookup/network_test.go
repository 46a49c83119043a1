package lookup_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/lookup/lookuptest"
)

const exampleZone = `$ORIGIN example.com.
$TTL 300
@       SOA  ns1 hostmaster 1 7200 3600 1209600 300
@       NS   ns1
@       MX   10 mx1
@       MX   20 mx2
@       TXT  "v=spf1 " "include:_spf.example.net " "-all"
@       A    192.0.2.1
mx1     A    192.0.2.25
mx1     AAAA 2001:db8::25
mx2     A    192.0.2.26
v6only  AAAA 2001:db8::6
www     CNAME @
big     TXT  "` + "%s" + `"
`

// bigTXT is a TXT record too long for a 1232-byte UDP answer (6 strings of 250).
func bigTXT() string {
	s := strings.Repeat("a", 250)
	return strings.Join([]string{s, s, s, s, s, s}, `" "`)
}

func zones(t testing.TB, texts ...string) *lookup.Zones {
	t.Helper()
	z := &lookup.Zones{}
	for i, text := range texts {
		if err := z.Add(strings.NewReader(text), fmt.Sprintf("zone%d", i), ""); err != nil {
			t.Fatalf("zone %d: %v", i, err)
		}
	}
	return z
}

func example(t testing.TB) *lookup.Zones {
	return zones(t, fmt.Sprintf(exampleZone, bigTXT()))
}

// rdata returns the answer's records of its question type as text without
// their headers, sorted.
func rdata(a *lookup.Answer) []string {
	var out []string
	for _, rr := range a.Of(a.Question.Type) {
		s := rr.String()
		out = append(out, strings.TrimPrefix(s, rr.Header().String()))
	}
	slices.Sort(out)
	return out
}

func TestNetworkAnswers(t *testing.T) {
	var st lookuptest.Stats
	addr := lookuptest.Serve(t, example(t), lookuptest.Count(&st), lookuptest.ServFail("broken.example.com"))
	n := lookuptest.Network(t, addr)
	tests := []struct {
		name   string
		qtype  uint16
		status lookup.Status
		rcode  int
		want   []string
	}{
		{"example.com", dns.TypeA, lookup.StatusOK, dns.RcodeSuccess, []string{"192.0.2.1"}},
		{"EXAMPLE.com.", dns.TypeMX, lookup.StatusOK, dns.RcodeSuccess, []string{"10 mx1.example.com.", "20 mx2.example.com."}},
		{"example.com", dns.TypeTXT, lookup.StatusOK, dns.RcodeSuccess, []string{`"v=spf1 " "include:_spf.example.net " "-all"`}},
		{"mx1.example.com", dns.TypeAAAA, lookup.StatusOK, dns.RcodeSuccess, []string{"2001:db8::25"}},
		{"www.example.com", dns.TypeA, lookup.StatusOK, dns.RcodeSuccess, []string{"192.0.2.1"}},
		{"mx2.example.com", dns.TypeAAAA, lookup.StatusNoData, dns.RcodeSuccess, nil},
		{"nope.example.com", dns.TypeA, lookup.StatusNXDomain, dns.RcodeNameError, nil},
		{"broken.example.com", dns.TypeA, lookup.StatusServFail, dns.RcodeServerFailure, nil},
		{"example.org", dns.TypeA, lookup.StatusRefused, dns.RcodeRefused, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+dns.TypeToString[tt.qtype], func(t *testing.T) {
			a, err := n.Lookup(context.Background(), lookup.Question{Name: tt.name, Type: tt.qtype})
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			if a.Status() != tt.status || a.Rcode != tt.rcode {
				t.Errorf("status %s rcode %s, want %s %s", a.Status(), dns.RcodeToString[a.Rcode], tt.status, dns.RcodeToString[tt.rcode])
			}
			if got := rdata(a); !slices.Equal(got, tt.want) {
				t.Errorf("records %q, want %q", got, tt.want)
			}
			if a.Server != "udp "+addr {
				t.Errorf("Server = %q, want %q", a.Server, "udp "+addr)
			}
			if a.Duration <= 0 {
				t.Errorf("Duration = %v, want > 0", a.Duration)
			}
		})
	}
	if got := st.TCP.Load(); got != 0 {
		t.Errorf("%d TCP queries, want none", got)
	}
	// SERVFAIL is an answer: asked once, not retried on the same server.
	if got := st.Queries("broken.example.com", dns.TypeA); got != 1 {
		t.Errorf("broken.example.com asked %d times, want 1", got)
	}
}

// The TXT helper joins the strings of each record (RFC 7208 §3.3).
func TestNetworkTXTJoined(t *testing.T) {
	n := lookuptest.Network(t, lookuptest.Serve(t, example(t)))
	txt, a, err := lookup.TXT(context.Background(), n, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"v=spf1 include:_spf.example.net -all"}; !slices.Equal(txt, want) {
		t.Errorf("TXT = %q, want %q", txt, want)
	}
	if got := len(a.Of(dns.TypeTXT)[0].(*dns.TXT).Txt); got != 3 {
		t.Errorf("record has %d strings, want 3", got)
	}
}

func TestNetworkTruncationUsesTCP(t *testing.T) {
	tests := []struct {
		name  string
		opts  []lookuptest.Option
		qname string
	}{
		// The server sets TC with no records (as a server under attack does).
		{"forced", []lookuptest.Option{lookuptest.Truncate()}, "example.com"},
		// The answer is bigger than the 1232-byte EDNS0 buffer.
		{"too big", nil, "big.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st lookuptest.Stats
			addr := lookuptest.Serve(t, example(t), append(tt.opts, lookuptest.Count(&st))...)
			a, err := lookuptest.Network(t, addr).Lookup(context.Background(), lookup.Question{Name: tt.qname, Type: dns.TypeTXT})
			if err != nil {
				t.Fatal(err)
			}
			if a.Status() != lookup.StatusOK || len(a.Of(dns.TypeTXT)) != 1 {
				t.Errorf("status %s with %d TXT records, want one", a.Status(), len(a.Of(dns.TypeTXT)))
			}
			if a.Server != "tcp "+addr {
				t.Errorf("Server = %q, want tcp", a.Server)
			}
			if u, c := st.UDP.Load(), st.TCP.Load(); u != 1 || c != 1 {
				t.Errorf("%d UDP and %d TCP queries, want 1 and 1", u, c)
			}
		})
	}
}

func TestNetworkTimeout(t *testing.T) {
	var st lookuptest.Stats
	addr := lookuptest.Serve(t, example(t), lookuptest.Drop(), lookuptest.Count(&st))
	n := lookuptest.Network(t, addr)
	n.Timeout, n.Retries = 200*time.Millisecond, 1
	start := time.Now()
	a, err := n.Lookup(context.Background(), lookup.Question{Name: "example.com", Type: dns.TypeA})
	elapsed := time.Since(start)
	if err == nil {
		t.Fatalf("got answer %v, want timeout", a)
	}
	if !errors.Is(err, lookup.ErrTimeout) {
		t.Errorf("error %v does not wrap ErrTimeout", err)
	}
	if s := lookup.StatusOf(a, err); s != lookup.StatusTimeout {
		t.Errorf("StatusOf = %s, want timeout", s)
	}
	// The first try waits half the timeout: silence is usually a lost packet.
	if elapsed < 300*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("took %v, want about 100ms + 200ms", elapsed)
	}
	if got := st.UDP.Load(); got != 2 {
		t.Errorf("%d UDP queries, want 2 (one retry)", got)
	}
	// Through Do, the timeout stays distinct from SERVFAIL up to the checks.
	_, err = lookup.Do(context.Background(), n, "example.com", dns.TypeMX)
	if s := lookup.ErrStatus(err); s != lookup.StatusTimeout {
		t.Errorf("Do: ErrStatus(%v) = %s, want timeout", err, s)
	}
}

// A server that does not answer is followed by the next one.
func TestNetworkNextServer(t *testing.T) {
	dead := lookuptest.Serve(t, example(t), lookuptest.Drop())
	live := lookuptest.Serve(t, example(t))
	n, err := lookup.NewNetwork(dead, live)
	if err != nil {
		t.Fatal(err)
	}
	n.Timeout = 200 * time.Millisecond
	a, err := n.Lookup(context.Background(), lookup.Question{Name: "example.com", Type: dns.TypeMX})
	if err != nil {
		t.Fatal(err)
	}
	if a.Server != "udp "+live || len(a.Of(dns.TypeMX)) != 2 {
		t.Errorf("answer from %q with %d MX, want %q with 2", a.Server, len(a.Of(dns.TypeMX)), live)
	}
	// The first round waits 100ms: the shortest early try.
	if a.Duration < 100*time.Millisecond {
		t.Errorf("Duration %v does not count the attempt that timed out", a.Duration)
	}
}

// SERVFAIL from the first server: the next one is asked, as a stub resolver
// does; when it fails too, the failure is the answer.
func TestNetworkServFailNextServer(t *testing.T) {
	bad := lookuptest.Serve(t, example(t), lookuptest.ServFail())
	good := lookuptest.Serve(t, example(t))
	for _, tt := range []struct {
		servers []string
		status  lookup.Status
		server  string
	}{
		{[]string{bad, good}, lookup.StatusOK, "udp " + good},
		{[]string{bad, bad}, lookup.StatusServFail, "udp " + bad},
	} {
		n, _ := lookup.NewNetwork(tt.servers...)
		n.Timeout = time.Second
		a, err := n.Lookup(context.Background(), lookup.Question{Name: "example.com", Type: dns.TypeA})
		if err != nil {
			t.Fatal(err)
		}
		if a.Status() != tt.status || a.Server != tt.server {
			t.Errorf("%v: %s from %s, want %s from %s", tt.servers, a.Status(), a.Server, tt.status, tt.server)
		}
	}
}

func TestNetworkCancel(t *testing.T) {
	addr := lookuptest.Serve(t, example(t), lookuptest.Drop())
	n := lookuptest.Network(t, addr)
	n.Timeout = 10 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := n.Lookup(ctx, lookup.Question{Name: "example.com", Type: dns.TypeA})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancelled lookup took %v", d)
	}

	// Already cancelled: no query at all.
	var st lookuptest.Stats
	n = lookuptest.Network(t, lookuptest.Serve(t, example(t), lookuptest.Count(&st)))
	if _, err := n.Lookup(ctx, lookup.Question{Name: "example.com", Type: dns.TypeA}); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if st.Total() != 0 {
		t.Errorf("%d queries sent with a cancelled context", st.Total())
	}

	// A deadline on ctx is a timeout.
	dctx, dcancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer dcancel()
	n = lookuptest.Network(t, addr)
	_, err = n.Lookup(dctx, lookup.Question{Name: "example.com", Type: dns.TypeA})
	if s := lookup.StatusOf(nil, err); s != lookup.StatusTimeout || !errors.Is(err, lookup.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: StatusOf(%v) = %s, want a timeout wrapping ErrTimeout and DeadlineExceeded", err, s)
	}
}

// No server listening: an error, not a timeout, when the port is closed.
func TestNetworkUnreachable(t *testing.T) {
	n, _ := lookup.NewNetwork("127.0.0.1:1")
	n.Timeout = 300 * time.Millisecond
	_, err := n.Lookup(context.Background(), lookup.Question{Name: "example.com", Type: dns.TypeA})
	if err == nil {
		t.Fatal("got an answer from a closed port")
	}
	if s := lookup.StatusOf(nil, err); s != lookup.StatusError && s != lookup.StatusTimeout {
		t.Errorf("StatusOf(%v) = %s", err, s)
	}
}

func TestNewNetwork(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"127.0.0.1", "127.0.0.1:53", ""},
		{"127.0.0.1:5353", "127.0.0.1:5353", ""},
		{"::1", "[::1]:53", ""},
		{"[::1]", "[::1]:53", ""},
		{"[2001:db8::1]:5300", "[2001:db8::1]:5300", ""},
		{"dns.example.net", "dns.example.net:53", ""},
		{" 10.0.0.1:53 ", "10.0.0.1:53", ""},
		{"", "", "bad DNS server"},
		{"1.2.3.4:x", "", "port"},
		{"1.2.3.4:70000", "", "port"},
		{"1.2.3.4:", "", "port"},
	}
	for _, tt := range tests {
		n, err := lookup.NewNetwork(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NewNetwork(%q) error %v, want %q", tt.in, err, tt.err)
			}
		case err != nil:
			t.Errorf("NewNetwork(%q): %v", tt.in, err)
		case n.Servers[0] != tt.want:
			t.Errorf("NewNetwork(%q) = %q, want %q", tt.in, n.Servers[0], tt.want)
		}
	}
	if _, err := lookup.NewNetwork(); err == nil {
		t.Error("NewNetwork() with no server: no error")
	}
}

func TestFromResolvConf(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		text    string
		servers []string
		timeout time.Duration
		retries int
		err     bool
	}{
		{"# comment\nnameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch example.com\n",
			[]string{"192.0.2.53:53", "[2001:db8::53]:53"}, 5 * time.Second, lookup.DefaultRetries, false},
		// Fewer attempts than our default are raised to it; more are kept.
		{"nameserver 127.0.0.53\noptions timeout:1 attempts:3 edns0\n",
			[]string{"127.0.0.53:53"}, time.Second, lookup.DefaultRetries, false},
		{"nameserver 127.0.0.53\noptions attempts:6\n",
			[]string{"127.0.0.53:53"}, 5 * time.Second, 5, false},
		{"search example.com\n", nil, 0, 0, true},
	}
	for i, tt := range tests {
		path := filepath.Join(dir, fmt.Sprintf("resolv%d.conf", i))
		if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
			t.Fatal(err)
		}
		n, err := lookup.FromResolvConf(path)
		if tt.err {
			if err == nil {
				t.Errorf("%d: no error for %q", i, tt.text)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if !slices.Equal(n.Servers, tt.servers) || n.Timeout != tt.timeout || n.Retries != tt.retries {
			t.Errorf("%d: got %v %v %d, want %v %v %d", i, n.Servers, n.Timeout, n.Retries, tt.servers, tt.timeout, tt.retries)
		}
	}
	if _, err := lookup.FromResolvConf(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file: no error")
	}
}

// A server that does not know EDNS0 answers FORMERR: ask again without it.
func TestNetworkNoEDNS(t *testing.T) {
	var st lookuptest.Stats
	n := lookuptest.Network(t, lookuptest.Serve(t, example(t), lookuptest.NoEDNS(), lookuptest.Count(&st)))
	a, err := n.Lookup(context.Background(), lookup.Question{Name: "example.com", Type: dns.TypeMX})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status() != lookup.StatusOK || len(a.Of(dns.TypeMX)) != 2 {
		t.Errorf("%s with %d MX, want ok with 2", a.Status(), len(a.Of(dns.TypeMX)))
	}
	if st.UDP.Load() != 2 {
		t.Errorf("%d UDP queries, want 2 (with and without EDNS0)", st.UDP.Load())
	}
	// Without EDNS0 the limit is 512 bytes: the big TXT comes over TCP.
	a, err = n.Lookup(context.Background(), lookup.Question{Name: "big.example.com", Type: dns.TypeTXT})
	if err != nil || a.Server[:3] != "tcp" || a.Status() != lookup.StatusOK {
		t.Errorf("big TXT: %v %v, want ok over tcp", a, err)
	}
}
