package main

import (
	"bufio"
	"bytes"
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/mx"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/report"
)

// An address batch computes each domain's verdict (the mx check) once per
// run, however many addresses share it, and then, per address, only what
// is CPU work: the syntax and typo checks, given the domain's mx result.
// The verdicts are those of checking each address on its own (checkAddress):
// the mx check's findings are its domain's, except where it names the
// address (a security gateway's quarantine step), and there the address is
// checked on its own.

// addressJob is one address of the input.
type addressJob struct {
	address, source string
}

// addressOut is one address's output line, and whether its verdict is
// unknown (exit status 3).
type addressOut struct {
	line    []byte
	unknown bool
	// or, when tmpl is set, its line for job
	tmpl *lineTemplate
	job  addressJob
}

// writeTo writes o's line to w.
func (o addressOut) writeTo(w *bufio.Writer) error {
	if o.tmpl != nil {
		return o.tmpl.write(w, o.job)
	}
	_, err := w.Write(o.line)
	return err
}

// domainVerdict is the mx check's outcome for one domain, shared by the
// addresses at it.
type domainVerdict struct {
	key  string
	done bool // cr and the rest are set; waiters is nil
	// waiters are the addresses that came while the lookup ran.
	waiters []pendingAddress

	cr *checks.CheckResult // the mx check's
	// alone: mx's findings depend on the address, so each address is
	// checked on its own (its DNS answers are cached by then).
	alone    bool
	failed   time.Time // when a failed check finished, to ask again after lookup.ErrorTTL
	tailOnce sync.Once
	tailJSON []byte // cr's findings as JSON, comma-separated; nil if they would not encode
	tmpl     *lineTemplate
}

type pendingAddress struct {
	job  addressJob
	done func(addressOut)
}

type cpuJob struct {
	pendingAddress
	dv *domainVerdict
}

// maxDomains bounds the domain verdicts kept; beyond it the oldest finished
// ones are forgotten (an address at a forgotten domain has it checked again,
// from the DNS cache).
const maxDomains = 1 << 16

type addressBatch struct {
	ctx   context.Context
	cache lookup.Resolver
	json  bool
	cpu   chan cpuJob
	// domains to resolve, taken by long-lived goroutines: their stacks
	// grow once, not once a domain, and the domains in flight are bounded.
	// A worker is started when a domain finds none idle, up to resolvers:
	// a run of a few addresses starts a few.
	todo      chan *domainVerdict
	resolvers int
	workers   int          // started; only start (the reading goroutine) counts them
	idle      atomic.Int32 // workers waiting for a domain

	mu       sync.Mutex
	domains  map[string]*domainVerdict
	finished []string // keys of done domains, oldest first, for forgetting
}

// newAddressBatch starts the CPU workers; they and the domain workers
// stop with ctx. window is the most addresses in flight (ordered's), so
// that no send on cpu or todo blocks. resolvers is the most domains
// resolved at once: the DNS
// questions in flight (--dns-concurrency), since a domain has about one
// at a time (its MX, then its hosts' addresses at once), so that as many
// domains keep the DNS window full. Fewer cap the throughput: at 512 and
// 20 ms a round trip, 10,000 addresses over 2,000 domains took 10% longer.
func newAddressBatch(ctx context.Context, cache lookup.Resolver, json bool, window, resolvers int) *addressBatch {
	b := &addressBatch{ctx: ctx, cache: cache, json: json, cpu: make(chan cpuJob, window),
		todo: make(chan *domainVerdict, window), resolvers: max(1, min(resolvers, window)),
		domains: map[string]*domainVerdict{}}
	for range runtime.GOMAXPROCS(0) {
		go func() {
			for {
				select {
				case j := <-b.cpu:
					j.done(b.check(j.job, j.dv))
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	return b
}

// ticketFor is the ticket of one address, as checkAddress makes it.
func ticketFor(address string) *checks.Ticket {
	a := strings.TrimSpace(address)
	return &checks.Ticket{Mode: checks.Verify, Address: a, Domain: domainOf(a)}
}

// domainOf is ticketFor's Domain of a trimmed address, without the ticket.
func domainOf(address string) string {
	if i := strings.LastIndexByte(address, '@'); i >= 0 {
		return address[i+1:]
	}
	return ""
}

// start is ordered's: it never blocks.
func (b *addressBatch) start(job addressJob, done func(addressOut)) {
	if strings.TrimSpace(job.address) == "" {
		b.queue(cpuJob{pendingAddress{job, done}, nil})
		return
	}
	key := domainOf(strings.TrimSpace(job.address))
	b.mu.Lock()
	dv := b.domains[key]
	if dv != nil && dv.done && !dv.failed.IsZero() && time.Since(dv.failed) > lookup.ErrorTTL {
		dv = nil // a failure long ago: ask again, as the DNS cache does
	}
	switch {
	case dv == nil:
		dv = &domainVerdict{key: key, waiters: []pendingAddress{{job, done}}}
		b.domains[key] = dv
		b.mu.Unlock()
		b.todo <- dv // never blocks: each domain waiting holds an address of the window
		if b.workers < b.resolvers && int(b.idle.Load()) < len(b.todo) {
			b.workers++
			go b.resolveWorker()
		}
	case !dv.done:
		dv.waiters = append(dv.waiters, pendingAddress{job, done})
		b.mu.Unlock()
	default:
		b.mu.Unlock()
		b.dispatch(pendingAddress{job, done}, dv)
	}
}

// dispatch writes an address's line from its domain's template when it
// can, on the calling goroutine, and else hands it to the workers.
func (b *addressBatch) dispatch(p pendingAddress, dv *domainVerdict) {
	if dv.tmpl != nil {
		if dv.tmpl.fits(p.job) {
			p.done(addressOut{tmpl: dv.tmpl, job: p.job, unknown: dv.tmpl.unknown})
			return
		}
	}
	b.queue(cpuJob{p, dv})
}

func (b *addressBatch) queue(j cpuJob) {
	select {
	case b.cpu <- j:
	case <-b.ctx.Done():
	}
}

// resolveWorker resolves domains until ctx ends.
func (b *addressBatch) resolveWorker() {
	for {
		b.idle.Add(1)
		select {
		case dv := <-b.todo:
			b.idle.Add(-1)
			b.resolve(dv)
		case <-b.ctx.Done():
			b.idle.Add(-1)
			return
		}
	}
}

// resolve runs the mx check for dv's domain, then hands its waiting
// addresses to the workers.
func (b *addressBatch) resolve(dv *domainVerdict) {
	runner := &checks.Runner{DNS: b.cache}
	res, err := runner.Run(b.ctx, []*checks.Check{mx.Check}, &checks.Ticket{Mode: checks.Verify, Domain: dv.key})
	if err != nil || len(res.Checks) != 1 {
		dv.alone = true
	} else {
		dv.cr = res.Checks[0]
		md, _ := dv.cr.Result.(*mx.Domain)
		// The one finding of mx that names the address: the quarantine
		// step of a security gateway.
		dv.alone = md != nil && md.Gateway != ""
		if dv.cr.Status == checks.StatusFailed {
			dv.failed = time.Now()
		}
		if !dv.alone {
			dv.tmpl = b.template(dv)
		}
	}
	b.mu.Lock()
	waiters := dv.waiters
	dv.waiters, dv.done = nil, true
	if b.domains[dv.key] == dv {
		b.finished = append(b.finished, dv.key)
		for len(b.domains) > maxDomains && len(b.finished) > 0 {
			k := b.finished[0]
			b.finished = b.finished[1:]
			if old := b.domains[k]; old != nil && old.done {
				delete(b.domains, k)
			}
		}
	}
	b.mu.Unlock()
	for _, w := range waiters {
		b.dispatch(w, dv)
	}
}

// tail is dv's findings as JSON, made the first time an address needs
// them (most take the template instead).
func (dv *domainVerdict) tail() []byte {
	dv.tailOnce.Do(func() {
		var buf bytes.Buffer
		for i, f := range dv.cr.Findings {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := report.WriteJSONLine(&buf, f); err != nil {
				return
			}
			buf.Truncate(buf.Len() - 1) // the newline
		}
		dv.tailJSON = buf.Bytes()
	})
	return dv.tailJSON
}

// check gives one address its verdict and output line.
func (b *addressBatch) check(job addressJob, dv *domainVerdict) addressOut {
	return b.line(job, dv, true)
}

// line is check's; with shareTail, the domain's findings are written
// from their JSON made once (for a domain's template, whose line is made
// once anyway, they are not).
func (b *addressBatch) line(job addressJob, dv *domainVerdict, shareTail bool) addressOut {
	var v *report.AddressVerdict
	var tail []byte
	switch {
	case dv == nil || dv.alone:
		v = checkAddress(b.ctx, b.cache, job.address, job.source)
	default:
		v = report.NewAddressVerdict(job.address, job.source)
		// mx is given: the rest is CPU work, done here, check after check.
		runner := &checks.Runner{DNS: b.cache, Given: map[*checks.Check]any{mx.Check: dv.cr.Result}, Serial: true}
		res, err := runner.Run(b.ctx, addressChecks, ticketFor(job.address))
		if err != nil {
			v.Verdict, v.Reason = "unknown", err.Error()
			break
		}
		for i, c := range res.Checks {
			if c.Name == mx.Check.Name {
				res.Checks[i] = dv.cr
			}
		}
		v.Summarize(res)
		if last := len(res.Checks) - 1; b.json && len(dv.cr.Findings) > 0 && res.Checks[last] == dv.cr && shareTail && dv.tail() != nil {
			// The domain's findings come last (mx is last in the set):
			// their JSON is the domain's, written once.
			v.Findings = v.Findings[:len(v.Findings)-len(dv.cr.Findings)]
			tail = dv.tailJSON
		}
	}
	var buf bytes.Buffer
	if b.json {
		_ = report.WriteJSONLine(&buf, v)
		if len(tail) > 0 {
			// ...,"findings":[HEAD]}\n -> ...,"findings":[HEAD,TAIL]}\n
			buf.Truncate(buf.Len() - len("]}\n"))
			if len(v.Findings) > 0 {
				buf.WriteByte(',')
			}
			buf.Write(tail)
			buf.WriteString("]}\n")
		}
	} else {
		_ = report.AddressLine(&buf, v)
	}
	return addressOut{line: buf.Bytes(), unknown: v.Verdict == "unknown"}
}
