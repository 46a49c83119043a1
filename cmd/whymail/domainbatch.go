package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/dkim"
	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/report"
)

// domainJob is one domain of a `whymail domain --input` list: its own
// sending IPs and DKIM selectors, when the line gives them.
type domainJob struct {
	domain    string
	ips       []netip.Addr
	selectors []string
	source    string // name:line
}

// Header names of the CSV form.
var (
	domainColumns   = []string{"domain", "domain_name", "sender_domain"}
	ipColumns       = []string{"sending_ip", "sending_ips", "ip", "ips"}
	selectorColumns = []string{"dkim_selector", "dkim_selectors", "selector", "selectors"}
)

func columnOf(header []string, names []string) int {
	return slices.IndexFunc(header, func(h string) bool {
		return slices.Contains(names, strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))))
	})
}

// readDomains reads a domain list: one domain a line, optionally followed
// by its sending IPs and s=SELECTOR words (blank lines and # comments
// skipped), or a CSV whose header names a domain column and optionally
// sending_ip and dkim_selector columns (space-separated values in a
// cell), with comma, semicolon or tab between fields. A bad line is an
// exit-2 error naming name:line.
func readDomains(r io.Reader, name string, emit func(domainJob) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if _, err := br.Peek(1); err == io.EOF {
		return nil
	} else if err != nil {
		return usageError("%s: %v", name, err)
	}
	head, _ := br.Peek(4096)
	first := firstDataLine(string(head))
	if strings.ContainsAny(first, ",;\t") {
		for _, comma := range []rune{',', ';', '\t'} {
			cr := csv.NewReader(strings.NewReader(first))
			cr.Comma, cr.LazyQuotes = comma, true
			if fields, err := cr.Read(); err == nil && columnOf(fields, domainColumns) >= 0 {
				return readDomainCSV(br, name, comma, emit)
			}
		}
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		src := fmt.Sprintf("%s:%d", name, n)
		job, err := domainLine(strings.Fields(line))
		if err != nil {
			if n == 1 && strings.ContainsAny(first, ",;\t") {
				return usageError("%s: %v (a CSV header needs a column named %s)", src, err, strings.Join(domainColumns, ", "))
			}
			return usageError("%s: %v", src, err)
		}
		job.source = src
		if !emit(job) {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return usageError("%s:%d: %v", name, n+1, err)
	}
	return nil
}

// checkDomain checks a line's domain, saying so plainly when the line
// starts with something else.
func checkDomain(domain string) (string, error) {
	if _, err := netip.ParseAddr(domain); err == nil {
		return "", fmt.Errorf("%s is an IP address, not a domain: a line is DOMAIN [IP...] [s=SELECTOR...]", domain)
	}
	if strings.ContainsFunc(domain, func(r rune) bool {
		return r < 0x80 && !(r == '-' || r == '_' || r == '.' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
	}) {
		return "", fmt.Errorf("%q is not a domain name", clipWord(domain))
	}
	d, err := domainName(domain)
	if err == nil && (strings.HasPrefix(d, ".") || strings.Contains(d, "..")) {
		return "", fmt.Errorf("%q is not a domain name: it has an empty label", clipWord(domain))
	}
	if err == nil {
		return d, nil
	}
	var xe *exitError
	if errors.As(err, &xe) {
		err = xe.err
	}
	return "", err
}

// domainLine reads a plain line's words: the domain, then IPs and
// s=SELECTOR words in any order.
func domainLine(words []string) (domainJob, error) {
	d, err := checkDomain(words[0])
	if err != nil {
		return domainJob{}, err
	}
	job := domainJob{domain: d}
	for _, w := range words[1:] {
		if sel, ok := strings.CutPrefix(w, "s="); ok {
			if err := selectorOK(sel); err != nil {
				return domainJob{}, err
			}
			job.selectors = append(job.selectors, sel)
			continue
		}
		ip, err := netip.ParseAddr(w)
		if err != nil {
			return domainJob{}, fmt.Errorf("%q is neither an IP address nor s=SELECTOR", clipWord(w))
		}
		job.ips = append(job.ips, ip.Unmap())
	}
	return job, nil
}

// domainCells reads a CSV row's cells: the domain, the sending IPs and the
// selectors (s= optional).
func domainCells(domain string, ips, sels []string) (domainJob, error) {
	d, err := checkDomain(strings.TrimSpace(domain))
	if err != nil {
		return domainJob{}, err
	}
	job := domainJob{domain: d}
	for _, w := range ips {
		ip, err := netip.ParseAddr(w)
		if err != nil {
			return domainJob{}, fmt.Errorf("sending IP %q is not an IPv4 or IPv6 address", clipWord(w))
		}
		job.ips = append(job.ips, ip.Unmap())
	}
	for _, w := range sels {
		sel := strings.TrimPrefix(w, "s=")
		if err := selectorOK(sel); err != nil {
			return domainJob{}, err
		}
		job.selectors = append(job.selectors, sel)
	}
	return job, nil
}

// selectorOK checks a DKIM selector's syntax (RFC 6376 §3.1: dot-separated
// sub-domain labels).
func selectorOK(sel string) error {
	if sel == "" {
		return errors.New("empty DKIM selector after s=")
	}
	for _, l := range strings.Split(sel, ".") {
		if l == "" || len(l) > 63 || strings.ContainsFunc(l, func(r rune) bool {
			return !(r == '-' || r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
		}) {
			return fmt.Errorf("DKIM selector %q is not a selector (dot-separated labels of letters, digits, - and _)", clipWord(sel))
		}
	}
	return nil
}

func clipWord(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func readDomainCSV(r io.Reader, name string, comma rune, emit func(domainJob) bool) error {
	cr := csv.NewReader(r)
	cr.Comma, cr.Comment, cr.FieldsPerRecord = comma, '#', -1
	header, err := cr.Read()
	if err != nil {
		return usageError("%s:1: %v", name, err)
	}
	dcol, icol, scol := columnOf(header, domainColumns), columnOf(header, ipColumns), columnOf(header, selectorColumns)
	if dcol < 0 {
		return usageError("%s:1: CSV header has no domain column (found %s)", name, textinput.Clip(strings.Join(header, ", ")))
	}
	cell := func(rec []string, col int) []string {
		if col < 0 || col >= len(rec) {
			return nil
		}
		return strings.Fields(strings.ReplaceAll(rec[col], ",", " "))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return usageError("%s:%d: %v", name, pe.Line, pe.Err)
			}
			return usageError("%s: %v", name, err)
		}
		line, _ := cr.FieldPos(0)
		if dcol >= len(rec) {
			return usageError("%s:%d: row has %d fields, the domain column is field %d", name, line, len(rec), dcol+1)
		}
		job, err := domainCells(rec[dcol], cell(rec, icol), cell(rec, scol))
		if err != nil {
			return usageError("%s:%d: %v", name, line, err)
		}
		job.source = fmt.Sprintf("%s:%d", name, line)
		if !emit(job) {
			return nil
		}
	}
}

// batch lints each domain of the input as it is read, at most o.window at
// once, and streams the results in input order: a whymail.domain/v1
// document a line in JSON, one block a domain in text.
func (o *domainOptions) batch(ctx context.Context, e *env, failOn checks.Severity, never bool, ips []netip.Addr) error {
	switch o.out.format {
	case "json", "text", "github":
	default:
		return usageError("--input writes --format text, json or github, not %s", o.out.format)
	}
	if o.window < 1 {
		return usageError("--window must be at least 1")
	}
	input, name, closeInput, err := e.openInput(o.input)
	if err != nil {
		return err
	}
	defer closeInput()
	// The same checks, acceptances and baseline as for domains given as
	// arguments; total is the run's outcome, each domain a lint of its own.
	total, full, cache, _, err := o.prepare(failOn, never)
	if err != nil {
		return err
	}
	forBatch(cache)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	style := o.out.style(e)
	type result struct {
		lint *report.Lint
		err  error
	}
	read := func(emit func(domainJob) bool) error { return readDomains(input, name, emit) }
	start := func(job domainJob, done func(result)) {
		go func() {
			t := &checks.Ticket{Mode: checks.Lint, Domain: job.domain, Sender: job.domain, HELO: o.helo,
				SendingIPs: ips, DKIMSelectors: o.selectors, DNSBLZones: o.dnsbl, At: time.Now().UTC()}
			if len(job.ips) > 0 {
				t.SendingIPs = job.ips
			}
			var notes []string
			switch {
			case len(job.selectors) > 0:
				t.DKIMSelectors = job.selectors
				notes = append(notes, fmt.Sprintf("DKIM: only the selector(s) the input gives were checked (%s); the %d common selectors were not probed",
					strings.Join(job.selectors, ", "), len(dkim.CommonSelectors)))
			case len(t.DKIMSelectors) > 0:
				notes = append(notes, fmt.Sprintf("DKIM: only the --dkim-selector selector(s) were checked (%s); the %d common selectors were not probed",
					strings.Join(t.DKIMSelectors, ", "), len(dkim.CommonSelectors)))
			case !o.dkimProbe:
				t.NoDKIMProbe = true // the check skips; removing it from the set would not: DMARC requires it
				notes = append(notes, "DKIM: not checked: the input gives no selector and --dkim-probe=false")
			}
			res, err := runChecks(ctx, cache, full, t)
			if err != nil {
				done(result{err: err})
				return
			}
			l := total.Fresh()
			l.Add(job.domain, res)
			l.Domains[0].Source, l.Domains[0].Notes = job.source, notes
			done(result{lint: l})
		}()
	}
	w := lineWriter(e.stdout)
	var buf bytes.Buffer
	write := func(r result) error {
		if r.err != nil {
			return r.err
		}
		total.Merge(r.lint)
		buf.Reset()
		switch o.out.format {
		case "json":
			err = report.WriteJSONLine(&buf, r.lint)
		case "github":
			err = report.LintGitHub(&buf, r.lint)
		default:
			err = report.LintDomainText(&buf, r.lint.Domains[0], style)
		}
		if err == nil {
			_, err = w.Write(buf.Bytes())
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		return nil
	}
	flush := flusher(w)
	if err := ordered(ctx, o.window, read, start, write, flush); err != nil {
		return err
	}
	if o.out.format == "text" {
		if err := report.LintResultText(w, total, style); err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
	}
	switch {
	case total.Incomplete:
		return silentExit(ExitFailed)
	case total.Failed:
		return silentExit(ExitFindings)
	}
	return nil
}
