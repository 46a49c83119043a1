package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/report"
)

// TestAddressBatchSameVerdicts: the batch, which looks each domain up once
// and gives its mx result to every address at it, writes for each address
// exactly the line of checking it on its own (checkAddress), in JSON and text.
func TestAddressBatchSameVerdicts(t *testing.T) {
	demo := filepath.Join("..", "..", "testdata", "demo")
	rcpt := filepath.Join(t.TempDir(), "rcpt.zone")
	if err := os.WriteFile(rcpt, []byte(rcptZone(40)), 0o644); err != nil {
		t.Fatal(err)
	}
	zones := []string{filepath.Join(demo, "example.org.zone"), filepath.Join(demo, "gmial.com.zone"),
		filepath.Join(demo, "corp.example.zone"), filepath.Join(demo, "mimecast.com.zone"), rcpt}
	addrs := []string{
		"alice@gmial.com", "bob@gmial.com", "bob@example.org", "Bob@EXAMPLE.org", " carol@example.org ",
		"x@nomail.example.org", "q@nowhere.example.org", "not-an-address", "", "a@@example.org",
		"admin@corp.example", "dave@corp.example", // a gateway: the quarantine step names the address
		"postmaster@example.org", "zoë@example.org", "e@[192.0.2.1]", "f@elsewhere.example", "g@gmail.con",
		"h@example.org.", "\"a b\"@example.org",
	}
	for i := range 40 {
		addrs = append(addrs, fmt.Sprintf("u%d@%s", i, rcptDomain(i)), fmt.Sprintf("v%d@%s", i, rcptDomain(i)))
	}
	// Local parts the domain's template takes and those it must not.
	for _, l := range []string{"Carol.Smith", "c+tag", "c_d-e", "admin+x", "Info", "a..b", ".a", "a.",
		strings.Repeat("l", 64), strings.Repeat("l", 65), "a/b", "a&b", "wm7local7standin", "gmail"} {
		addrs = append(addrs, l+"@gmial.com", l+"@example.org", l+"@"+rcptDomain(3))
	}
	z, err := lookup.LoadZoneFiles(zones...)
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, z := range zones {
		args = append(args, "--zone", z)
	}
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			cache := lookup.NewCache(z)
			var want bytes.Buffer
			for _, a := range addrs {
				v := checkAddress(context.Background(), cache, a, "")
				if format == "json" {
					report.WriteJSONLine(&want, v)
				} else {
					report.AddressLine(&want, v)
				}
			}
			var got bytes.Buffer
			Main(append([]string{"address", "--format", format}, append(args, addrs...)...), nil, &got, io.Discard)
			sameLines(t, got.String(), want.String())

			// From --input, each address with its source: most take their
			// domain's template (addresstemplate.go).
			list := filepath.Join(t.TempDir(), "list.txt")
			if err := os.WriteFile(list, []byte(strings.Join(addrs, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			want.Reset()
			n := 0
			err := readAddresses(strings.NewReader(strings.Join(addrs, "\n")+"\n"), list, func(a, source string) bool {
				n++
				v := checkAddress(context.Background(), cache, a, source)
				if format == "json" {
					report.WriteJSONLine(&want, v)
				} else {
					report.AddressLine(&want, v)
				}
				return true
			})
			if err != nil || n < 80 {
				t.Fatalf("read %d addresses: %v", n, err)
			}
			got.Reset()
			Main(append([]string{"address", "--format", format, "--input", list}, args...), nil, &got, io.Discard)
			sameLines(t, got.String(), want.String())
		})
	}
}

func sameLines(t *testing.T, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, gl[i], wl[i])
		}
	}
	t.Fatalf("%d lines, want %d", len(gl), len(wl))
}

// TestAddressTemplateTaken: the template is what most plain addresses
// get, and never an address whose line it cannot be.
func TestAddressTemplateTaken(t *testing.T) {
	tm := &lineTemplate{domain: "example.org"}
	for _, c := range []struct {
		addr, source string
		fits         bool
	}{
		{"alice@example.org", "l:1", true},
		{"Alice.B+x@example.org", "l:1", true},
		{"alice@example.org", "", false},
		{"alice@example.org", "a\"b:1", false},
		{"alice@Example.org", "l:1", false},
		{"admin@example.org", "l:1", false},
		{"Admin+x@example.org", "l:1", false},
		{"a..b@example.org", "l:1", false},
		{"zoë@example.org", "l:1", false},
		{"\"a\"@example.org", "l:1", false},
		{" alice@example.org", "l:1", false},
		{strings.Repeat("a", 65) + "@example.org", "l:1", false},
	} {
		if got := tm.fits(addressJob{c.addr, c.source}); got != c.fits {
			t.Errorf("fits(%q, %q) = %v, want %v", c.addr, c.source, got, c.fits)
		}
	}
}

// gate answers from zones, holding every question about slow until
// released, and counts the MX questions answered about other names.
type gate struct {
	z       *lookup.Zones
	slow    string
	release chan struct{}
	fastMX  atomic.Int64
}

func (g *gate) Lookup(ctx context.Context, q lookup.Question) (*lookup.Answer, error) {
	if strings.Contains(strings.ToLower(q.Name), g.slow) {
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	} else if q.Type == dns.TypeMX {
		defer g.fastMX.Add(1)
	}
	return g.z.Lookup(ctx, q)
}

// lineCounter counts the lines written to it.
type lineCounter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines int
}

func (w *lineCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines += bytes.Count(p, []byte("\n"))
	return w.buf.Write(p)
}

func (w *lineCounter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lines
}

// TestAddressSlowDomain: a domain whose DNS does not answer holds up no
// other domain's checking, and only the writing of the addresses after it:
// while it hangs, every other domain is looked up and every address before
// it is written. The slow domain is released when all others are done (or,
// if that never happens, after a while, and the test fails on the counts).
func TestAddressSlowDomain(t *testing.T) {
	const before, after = 7, 3000
	z, err := lookup.ParseZones(rcptZone(after+before)+"slow IN MX 10 mx.d0000\n", "")
	if err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	for i := range before {
		fmt.Fprintf(&in, "b%d@%s\n", i, rcptDomain(i))
	}
	in.WriteString("s@slow.rcpt.test\n")
	for i := range after {
		fmt.Fprintf(&in, "a%d@%s\n", i, rcptDomain(before+i))
	}
	g := &gate{z: z, slow: "slow.rcpt.test", release: make(chan struct{})}
	out := &lineCounter{}
	var linesAtRelease, fastAtRelease int
	go func() {
		deadline := time.After(20 * time.Second) // only if the batch is blocked: then the counts fail
		for g.fastMX.Load() < before+after || out.count() < before {
			select {
			case <-deadline:
				linesAtRelease, fastAtRelease = out.count(), int(g.fastMX.Load())
				close(g.release)
				return
			case <-time.After(time.Millisecond):
			}
		}
		linesAtRelease, fastAtRelease = out.count(), int(g.fastMX.Load())
		close(g.release)
	}()
	o := &addressOptions{input: "-", window: 10000, out: outputOptions{format: "text", formats: []string{"text"}},
		dns: dnsOptions{answers: g, timeout: time.Second}}
	e := &env{stdin: strings.NewReader(in.String()), stdout: out, stderr: io.Discard, getenv: os.Getenv}
	if err := o.run(context.Background(), e, nil); err != nil {
		t.Fatal(err)
	}
	if fastAtRelease != before+after {
		t.Errorf("while the slow domain hung, %d of the %d other domains were looked up", fastAtRelease, before+after)
	}
	if linesAtRelease != before {
		t.Errorf("while the slow domain hung, %d lines were written, want the %d before it", linesAtRelease, before)
	}
	lines := strings.Split(strings.TrimSpace(out.buf.String()), "\n")
	if len(lines) != before+1+after || !strings.HasPrefix(lines[before], "s@slow.rcpt.test\t") {
		t.Errorf("%d lines, line %d = %q: want the slow domain's address in its place", len(lines), before+1, lines[min(before, len(lines)-1)])
	}
}

// TestAddressBatchWorkers: a domain worker is started only when a domain
// finds none idle, up to the bound, so a short list starts a few and a
// long one no more than the bound.
func TestAddressBatchWorkers(t *testing.T) {
	z, err := lookup.ParseZones(rcptZone(50), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		domains, bound, most int
	}{
		{1, 1024, 1},
		{3, 1024, 3},
		{50, 8, 8},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		b := newAddressBatch(ctx, lookup.NewCache(z), true, 100, tt.bound)
		var wg sync.WaitGroup
		for i := range tt.domains {
			wg.Add(1)
			b.start(addressJob{address: fmt.Sprintf("bob@%s", rcptDomain(i)), source: "l:1"}, func(o addressOut) {
				if o.unknown {
					t.Errorf("domain %d: unknown", i)
				}
				wg.Done()
			})
		}
		wg.Wait()
		cancel()
		if b.workers > tt.most || b.workers < 1 {
			t.Errorf("%d domains, bound %d: %d workers started, want 1 to %d", tt.domains, tt.bound, b.workers, tt.most)
		}
	}
}
