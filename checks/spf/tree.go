package spf

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/internal/lookup"
)

// A Node is one SPF record of the include/redirect tree: the root is the
// sender domain's record, children are the records its include and
// redirect terms lead to.
type Node struct {
	Domain string `json:"domain"`
	// Term is the include or redirect term of the parent that led here
	// ("" for the root).
	Term   string        `json:"term,omitempty"`
	Record string        `json:"record,omitempty"` // the v=spf1 record, "" when none
	Status lookup.Status `json:"status"`           // of the TXT question
	// Lookups counts the DNS-querying terms of this record (§4.6.4);
	// Total adds those of every record below it.
	Lookups  int     `json:"lookups"`
	Total    int     `json:"total"`
	Children []*Node `json:"children,omitempty"`
	// Alternatives holds, when the name publishes several v=spf1 records
	// (a permerror, RFC 7208 §4.5), each record expanded on its own, so
	// that its problems and lookups are still shown; Alt numbers them
	// from 1. Total is then the largest of theirs.
	Alternatives []*Node `json:"alternatives,omitempty"`
	Alt          int     `json:"alt,omitempty"`

	// What the expansion found, for the lint rules.
	Parsed    *Record      `json:"-"`
	SyntaxErr SyntaxErrors `json:"-"`
	SPFs      []string     `json:"-"` // every v=spf1 record at the name
	Strings   [][]string   `json:"-"` // each TXT record's character-strings
	WireSize  int          `json:"-"` // size of the TXT answer message
	Err       error        `json:"-"` // the TXT lookup failed
	Loop      []string     `json:"-"` // set when Term closes a loop: the domains of the cycle
	Truncated bool         `json:"-"` // not expanded: the tree was too large or deep
	Legacy    []string     `json:"-"` // records of the SPF RR type (99), root only
	// Terms records what each of this record's lookups found, by term index.
	Probes map[int]*Probe `json:"-"`
}

// A Probe is what the lint learned from one term's own lookup.
type Probe struct {
	Term   *Term
	Target string
	Status lookup.Status
	Count  int // records found (MX records for mx, addresses for a and exists)
	Err    error
}

// Void reports whether the lookup found nothing (§4.6.4: NXDOMAIN or no answers).
func (p *Probe) Void() bool {
	return p.Err == nil && (p.Status == lookup.StatusNXDomain || p.Status == lookup.StatusNoData)
}

// Limits on the expansion: check_host stops at 10 DNS-querying terms, so a
// tree deeper than 11 or larger than this cannot be evaluated anyway.
const (
	maxDepth = 12
	maxNodes = 100
)

type expander struct {
	ctx   context.Context
	dns   lookup.Resolver
	nodes atomic.Int32
}

// Expand fetches the SPF record of domain and, concurrently, every record
// its include and redirect terms lead to, and the targets of its a, mx and
// exists terms. Sibling lookups are issued at once, so the wall time is the
// depth of the tree in round trips, not its number of lookups. The root
// also asks for the legacy SPF RR type (§3.1).
func Expand(ctx context.Context, r lookup.Resolver, domain string) *Node {
	e := &expander{ctx: ctx, dns: r}
	root := &Node{Domain: strings.TrimSuffix(strings.ToLower(domain), ".")}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a, err := lookup.Do(ctx, r, root.Domain, dns.TypeSPF)
		if err == nil {
			for _, rr := range a.Of(dns.TypeSPF) {
				root.Legacy = append(root.Legacy, strings.Join(txtStrings(rr.(*dns.SPF).Txt), ""))
			}
		}
	}()
	e.expand(root, nil)
	wg.Wait()
	sum(root)
	return root
}

func (e *expander) expand(n *Node, path []string) {
	e.nodes.Add(1)
	n.Probes = map[int]*Probe{}
	a, err := lookup.Do(e.ctx, e.dns, n.Domain, dns.TypeTXT)
	if err != nil {
		n.Err, n.Status = err, lookup.ErrStatus(err)
		return
	}
	n.Status = a.Status()
	if txts := a.Of(dns.TypeTXT); len(txts) > 0 {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(n.Domain), dns.TypeTXT)
		m.Answer = a.Records
		n.WireSize = m.Len()
		for _, rr := range txts {
			ss := txtStrings(rr.(*dns.TXT).Txt)
			n.Strings = append(n.Strings, ss)
			if t := strings.Join(ss, ""); IsSPF(t) {
				n.SPFs = append(n.SPFs, t)
			}
		}
	}
	if len(n.SPFs) > 1 {
		var wg sync.WaitGroup
		for i, r := range n.SPFs {
			alt := &Node{Domain: n.Domain, Term: n.Term, Alt: i + 1, Status: n.Status, SPFs: []string{r},
				Probes: map[int]*Probe{}}
			n.Alternatives = append(n.Alternatives, alt)
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.expandRecord(alt, r, path)
			}()
		}
		wg.Wait()
		return
	}
	if len(n.SPFs) == 0 {
		return
	}
	e.expandRecord(n, n.SPFs[0], path)
}

// expandRecord parses one v=spf1 record of n and expands its terms.
func (e *expander) expandRecord(n *Node, record string, path []string) {
	n.Record = record
	rec, perr := Parse(n.Record)
	n.Parsed = rec
	if perr != nil {
		n.SyntaxErr = perr.(SyntaxErrors)
	}
	path = append(path[:len(path):len(path)], n.Domain)
	// §6.1: a redirect beside an all mechanism is ignored: it is neither
	// looked up nor counted against the limits of §4.6.4.
	hasAll := false
	for _, t := range rec.Terms {
		hasAll = hasAll || (t.Name == "all" && !t.Modifier)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, t := range rec.Terms {
		if hasAll && t.Name == "redirect" && t.Modifier {
			continue
		}
		if t.Lookups() {
			n.Lookups++
		}
		if !t.Lookups() || t.HasMacros() || t.Name == "ptr" {
			continue
		}
		target := n.Domain
		if t.Domain != "" {
			target = strings.TrimSuffix(strings.ToLower(t.Domain), ".")
		}
		switch t.Name {
		case "include", "redirect":
			c := &Node{Domain: target, Term: t.Text}
			n.Children = append(n.Children, c)
			if i := indexOf(path, target); i >= 0 {
				c.Loop = append(append([]string(nil), path[i:]...), target)
				continue
			}
			if len(path) >= maxDepth || int(e.nodes.Load()) >= maxNodes {
				c.Truncated = true
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.expand(c, path)
			}()
		case "a", "exists", "mx":
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := e.probe(t, target)
				mu.Lock()
				n.Probes[t.Index] = p
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
}

func (e *expander) probe(t *Term, target string) *Probe {
	p := &Probe{Term: t, Target: target}
	if t.Name == "mx" {
		mxs, a, err := lookup.MX(e.ctx, e.dns, target)
		p.Count, p.Err = len(mxs), err
		if err != nil {
			p.Status = lookup.ErrStatus(err)
		} else {
			p.Status = a.Status()
		}
		return p
	}
	addrs, st, err := lookup.Addrs(e.ctx, e.dns, target)
	if err != nil && len(addrs) > 0 {
		// The lint asks only whether the term finds something, and it
		// does; the failed family is evaluation's business.
		st, err = lookup.StatusOK, nil
	}
	p.Count, p.Status, p.Err = len(addrs), st, err
	return p
}

func indexOf(path []string, s string) int {
	for i, p := range path {
		if p == s {
			return i
		}
	}
	return -1
}

func sum(n *Node) int {
	n.Total = n.Lookups
	for _, c := range n.Children {
		n.Total += sum(c)
	}
	for _, a := range n.Alternatives {
		n.Total = max(n.Total, sum(a))
	}
	return n.Total
}

// Walk calls f for n and every node below it, parents first, with depth.
// The alternatives of a name with several records come right after it, one
// level deeper.
func (n *Node) Walk(f func(n *Node, depth int)) { n.walk(f, 0) }

func (n *Node) walk(f func(*Node, int), d int) {
	f(n, d)
	for _, a := range n.Alternatives {
		a.walk(f, d+1)
	}
	for _, c := range n.Children {
		c.walk(f, d+1)
	}
}

// Tops returns the records whose lookups are counted against the limits:
// n itself, or each of its alternatives when it has several records.
func (n *Node) Tops() []*Node {
	if len(n.Alternatives) > 0 {
		return n.Alternatives
	}
	return []*Node{n}
}

// Label names the node in the tree: the term that led to it (or its
// domain), and which record it is of several.
func (n *Node) Label() string {
	label := n.Domain
	if n.Term != "" {
		label = n.Term
	}
	if n.Alt > 0 {
		label = fmt.Sprintf("%s record %d", label, n.Alt)
	}
	return label
}

// Render draws the tree as indented text, one line per record with the
// DNS-querying terms of its branch, so an admin sees which include to
// flatten.
func (n *Node) Render() string {
	var b strings.Builder
	n.Walk(func(x *Node, d int) {
		indent := strings.Repeat("  ", d)
		label := x.Label()
		switch {
		case len(x.Alternatives) > 0:
			fmt.Fprintf(&b, "%s%s: %d v=spf1 records (permerror), each counted on its own:\n", indent, label, len(x.Alternatives))
		case d == 0 || (x.Alt > 0 && x.Term == ""):
			fmt.Fprintf(&b, "%s%s: %s in all (limit 10), %d in its own record\n", indent, label, lookups(x.Total), x.Lookups)
		default:
			// The branch costs the include/redirect term itself plus its tree.
			fmt.Fprintf(&b, "%s%s: %d lookups (1 for the term, %d in its record, %d below)", indent, label, 1+x.Total, x.Lookups, x.Total-x.Lookups)
			switch {
			case x.Loop != nil:
				b.WriteString(" [loop]")
			case x.Truncated:
				b.WriteString(" [not expanded]")
			case x.Err != nil:
				fmt.Fprintf(&b, " [%s]", x.Status)
			case len(x.SPFs) == 0:
				b.WriteString(" [no SPF record]")
			}
			b.WriteByte('\n')
		}
	})
	return b.String()
}
