package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func jobString(j domainJob) string {
	var b strings.Builder
	b.WriteString(j.domain)
	for _, ip := range j.ips {
		b.WriteString(" " + ip.String())
	}
	for _, s := range j.selectors {
		b.WriteString(" s=" + s)
	}
	return b.String() + "@" + j.source
}

func TestReadDomains(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		err      string
	}{
		{"plain", "example.com\n\n# note\n example.org 192.0.2.1 s=s1 2001:db8::1 s=k2 \n",
			[]string{"example.com@in:1", "example.org 192.0.2.1 2001:db8::1 s=s1 s=k2@in:4"}, ""},
		{"trailing dot and bom", "\ufeffExample.COM.\r\n", []string{"Example.COM@in:1"}, ""},
		{"mapped ipv4", "example.com ::ffff:192.0.2.7\n", []string{"example.com 192.0.2.7@in:1"}, ""},
		{"csv", "domain,sending_ip,dkim_selector\nexample.com,\"192.0.2.1 192.0.2.2\",s1 s=k2\nexample.org,,\n",
			[]string{"example.com 192.0.2.1 192.0.2.2 s=s1 s=k2@in:2", "example.org@in:3"}, ""},
		{"csv semicolons, other order", "dkim_selector;Domain\ns1;example.com\n", []string{"example.com s=s1@in:2"}, ""},
		{"csv tabs, domain only", "domain\tnote\nexample.com\tx\n", []string{"example.com@in:2"}, ""},
		{"bad word", "example.com 192.0.2.1 selector1\n", nil, `in:1: "selector1" is neither an IP address nor s=SELECTOR`},
		{"ip first", "example.com\n192.0.2.1 example.com\n", nil, "in:2: 192.0.2.1 is an IP address, not a domain"},
		{"bad domain", "exa mple@x\n", nil, "in:1: "},
		{"empty selector", "example.com s=\n", nil, "in:1: empty DKIM selector"},
		{"bad selector", "example.com s=a..b\n", nil, `in:1: DKIM selector "a..b" is not a selector`},
		{"csv bad ip", "domain,sending_ip\nexample.com,300.1.1.1\n", nil, `in:2: sending IP "300.1.1.1" is not`},
		{"csv short row", "note,domain\nx\n", nil, "in:2: row has 1 fields, the domain column is field 2"},
		{"csv bad quote", "domain,ip\nexa\"mple.com,1\n", nil, "in:2: bare \""},
		{"csv without domain column", "name,ip\nexample.com,192.0.2.1\n", nil, "in:1: "},
		{"empty", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := readDomains(strings.NewReader(tt.in), "in", func(j domainJob) bool { got = append(got, jobString(j)); return true })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

var errLine = regexp.MustCompile(`^in:(\d+): `)

// FuzzReadDomains: never panics; every error names a line of the input;
// every domain emitted passes the domain syntax check, sources name lines
// in increasing order, and emitting stops when asked.
func FuzzReadDomains(f *testing.F) {
	for _, s := range []string{"example.com\n", "a.example 192.0.2.1 s=s1\n", "domain,sending_ip,dkim_selector\nx.example,192.0.2.1,s1\n",
		"# c\n\n b.example ::1 \n", "domain\n\"a,\nb\"\n", "192.0.2.1 x\n", "x s=\n", "d;ip\nx.example;1.2.3.4\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		lines := strings.Count(in, "\n") + 1
		last := 0
		n := 0
		err := readDomains(strings.NewReader(in), "in", func(j domainJob) bool {
			if _, err := domainName(j.domain); err != nil {
				t.Fatalf("emitted %q: %v", j.domain, err)
			}
			l, err := strconv.Atoi(strings.TrimPrefix(j.source, "in:"))
			if err != nil || l <= last || l > lines {
				t.Fatalf("source %q after line %d of %d", j.source, last, lines)
			}
			last = l
			n++
			return n < 3
		})
		if n > 3 {
			t.Fatalf("%d emitted after emit said stop", n)
		}
		if err != nil {
			m := errLine.FindStringSubmatch(err.Error())
			if m == nil && !strings.HasPrefix(err.Error(), "in: ") {
				t.Fatalf("error names no line: %v", err)
			}
			if m != nil {
				if l, _ := strconv.Atoi(m[1]); l < 1 || l > lines+1 {
					t.Fatalf("error names line %d of %d: %v", l, lines, err)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		}
	})
}

func TestReadDomainsStops(t *testing.T) {
	var in strings.Builder
	for i := range 100 {
		fmt.Fprintf(&in, "d%d.example\n", i)
	}
	n := 0
	if err := readDomains(strings.NewReader(in.String()), "in", func(domainJob) bool { n++; return n < 5 }); err != nil || n != 5 {
		t.Errorf("n = %d, err = %v", n, err)
	}
}
