package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/mailaddr"
	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/report"
)

type addressOptions struct {
	config  string
	input   string
	workers int // deprecated: concurrency is the DNS's
	window  int
	out     outputOptions
	dns     dnsOptions
}

func newAddress(e *env) *cobra.Command {
	o := &addressOptions{}
	cmd := &cobra.Command{
		Use:   "address ADDRESS... | --input FILE|-",
		Short: "Check addresses: syntax, typos, whether the domain takes mail (batch: one JSON object a line)",
		Long: `address gives one verdict per address: ok, invalid, typo, no-domain, no-mail
or unknown (DNS could not answer), with the reason and any suggested
correction. With --input it reads one address a line, or a CSV whose header
has an "email" column, and streams results in input order; each domain's
verdict is looked up once, and a slow domain holds up no other's checking.

` + addressExitHelp,
		Example: `  whymail address alice@gmial.com bob@example.org
  whymail address --input list.csv --format json > verdicts.jsonl
  cat list.txt | whymail address --input -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd, o.config); err != nil {
				return err
			}
			if len(args) == 0 && o.input == "" {
				return usageError("give addresses as arguments or --input FILE (- for standard input)")
			}
			return o.run(cmd.Context(), e, args)
		},
	}
	fs := cmd.Flags()
	bindConfig(fs, &o.config)
	fs.StringVar(&o.input, "input", "", "read addresses from FILE (- for standard input): one a line, or CSV with an email column")
	fs.IntVar(&o.window, "window", 10000, "most addresses held between reading and writing: bounds memory (a slow domain holds back the writing of later addresses, not their checking)")
	// --workers bounded the addresses checked at once; now the DNS bounds
	// what is in flight. Still taken, so that scripts keep working.
	fs.IntVar(&o.workers, "workers", 0, "ignored: addresses are checked as fast as --dns-concurrency allows")
	_ = fs.MarkHidden("workers")
	markPath(fs, "input")
	o.out.bind(fs, "text", "json")
	o.dns.bind(fs)
	return cmd
}

func (o *addressOptions) run(ctx context.Context, e *env, args []string) error {
	if err := o.out.validate(); err != nil {
		return err
	}
	if o.window < 1 {
		return usageError("--window must be at least 1")
	}
	// Open the input before checking anything, so that a bad --input is
	// the only output.
	input, name, closeInput, err := e.openInput(o.input)
	if err != nil {
		return err
	}
	defer closeInput()
	cache, err := o.dns.resolver()
	if err != nil {
		return err
	}
	forBatch(cache)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the domain lookups and the workers on every return

	b := newAddressBatch(ctx, cache, o.out.format == "json", o.window, cmp.Or(o.dns.concurrency, lookup.DefaultMaxInFlight))
	read := func(emit func(addressJob) bool) error {
		for _, a := range args {
			if !emit(addressJob{address: a}) {
				return nil
			}
		}
		if input == nil {
			return nil
		}
		return readAddresses(input, name, func(addr, source string) bool {
			return emit(addressJob{address: addr, source: source})
		})
	}
	w := lineWriter(e.stdout)
	failed := false
	write := func(out addressOut) error {
		failed = failed || out.unknown
		if err := out.writeTo(w); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		return nil
	}
	if err := ordered(ctx, o.window, read, b.start, write, flusher(w)); err != nil {
		return err
	}
	if failed {
		return silentExit(ExitFailed)
	}
	return nil
}

// readAddresses reads plain lines (blank lines and # comments skipped), or
// CSV when the first line is a header naming an email column, with comma,
// semicolon (as spreadsheets write it in some locales) or tab between
// fields. UTF-16 with its byte order mark (a spreadsheet's "Unicode text")
// is decoded. Each address is emitted with its source, name:line. A line
// (or CSV row) is at most textinput.MaxLine (MaxRecord) bytes.
func readAddresses(r io.Reader, name string, emit func(addr, source string) bool) error {
	dr, _, err := textinput.Decode(r)
	if err != nil {
		return usageError("%s: %v", name, err)
	}
	lim := textinput.NewReader(dr, 1, textinput.MaxLine)
	br := bufio.NewReaderSize(lim, 64<<10)
	if _, err := br.Peek(1); err == io.EOF {
		return nil // empty input: nothing to check
	} else if err != nil {
		return readError(name, err)
	}
	head, _ := br.Peek(4096)
	first := firstDataLine(string(head))
	if comma, ok := csvHeader(first); ok {
		lim.MaxRecord = textinput.MaxRecord
		return readCSV(br, lim, name, comma, emit)
	}
	if !strings.Contains(first, "@") && strings.ContainsAny(first, ",;\t") {
		// A header, but without a column we know: say so rather than
		// check every row as one address.
		return usageError("%s:1: CSV header has no email column (found %s; name it one of %s)",
			name, textinput.Clip(strings.TrimSpace(first)), strings.Join(emailColumns, ", "))
	}
	sc := bufio.NewScanner(br)
	// lim bounds the line; the scanner's own bound must not come first.
	sc.Buffer(make([]byte, 64<<10), textinput.MaxLine+64)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !emit(line, name+":"+strconv.Itoa(n)) {
			return nil // the consumer stopped
		}
	}
	if err := sc.Err(); err != nil {
		if le := (*textinput.LimitError)(nil); errors.As(err, &le) {
			return readError(name, err)
		}
		return usageError("%s:%d: %v", name, n+1, err)
	}
	return nil
}

// readError is a failure to read --input: a bound passed (at its line), or
// the reader's own error.
func readError(name string, err error) error {
	if le := (*textinput.LimitError)(nil); errors.As(err, &le) {
		return usageError("%s:%d: %v", name, le.Line, le)
	}
	return usageError("%s: %v", name, err)
}

// firstDataLine returns the first line of head that is neither blank nor
// a # comment: the one that tells a CSV header from an address.
func firstDataLine(head string) string {
	for _, line := range strings.Split(head, "\n") {
		if t := strings.TrimSpace(strings.TrimPrefix(line, "\ufeff")); t != "" && !strings.HasPrefix(t, "#") {
			return line
		}
	}
	return ""
}

// emailColumns are the header names taken for the address column.
var emailColumns = []string{"email", "e-mail", "email_address", "email address", "emailaddress", "address", "mail"}

func isEmailColumn(h string) bool {
	return slices.Contains(emailColumns, strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))))
}

// csvHeader reports whether line is a CSV header with an email column, and
// the field separator it uses.
func csvHeader(line string) (rune, bool) {
	for _, comma := range []rune{',', ';', '\t'} {
		cr := csv.NewReader(strings.NewReader(line))
		cr.Comma = comma
		cr.LazyQuotes = true
		fields, err := cr.Read()
		if err == nil && len(fields) > 0 && slices.ContainsFunc(fields, isEmailColumn) {
			return comma, true
		}
	}
	return 0, false
}

func readCSV(r io.Reader, lim *textinput.Reader, name string, comma rune, emit func(addr, source string) bool) error {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if le := (*textinput.LimitError)(nil); errors.As(err, &le) {
		return readError(name, err)
	} else if err != nil {
		return usageError("%s:1: %v", name, err)
	}
	col := slices.IndexFunc(header, isEmailColumn)
	if col < 0 {
		return usageError("%s:1: CSV header has no email column (found %s)", name, textinput.Clip(strings.Join(header, ", ")))
	}
	for {
		lim.Mark()
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return usageError("%s:%d: %v", name, pe.Line, pe.Err)
			}
			return readError(name, err)
		}
		line, _ := cr.FieldPos(0) // only valid after a successful Read
		if col >= len(rec) {
			return usageError("%s:%d: row has %d fields, the email column is field %d", name, line, len(rec), col+1)
		}
		if !emit(strings.TrimSpace(rec[col]), fmt.Sprintf("%s:%d", name, line)) {
			return nil // the consumer stopped
		}
	}
}

// checkAddress runs the address checks for one address and sums them up.
func checkAddress(ctx context.Context, cache lookup.Resolver, address, source string) *report.AddressVerdict {
	v := report.NewAddressVerdict(address, source)
	if strings.TrimSpace(address) == "" {
		v.Verdict, v.Reason = "invalid", "the address is empty"
		return v
	}
	t := &checks.Ticket{Mode: checks.Verify, Address: strings.TrimSpace(address)}
	if _, d, ok := mailaddr.Split(t.Address); ok {
		t.Domain = d
	}
	runner := &checks.Runner{DNS: cache}
	res, err := runner.Run(ctx, addressChecks, t)
	if err != nil {
		v.Verdict, v.Reason = "unknown", err.Error()
		return v
	}
	v.Summarize(res)
	return v
}
