package lookup_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

// TestZoneEndless: a zone file without end (/dev/zero) stops at
// MaxZoneFile with an error naming it, in bounded memory.
func TestZoneEndless(t *testing.T) {
	src := textinputtest.Zeros(1 << 30)
	var err error
	alloc := textinputtest.Alloc(func() { err = (&lookup.Zones{}).Add(src, "zero.zone", "") })
	var ze *lookup.ZoneError
	if !errors.As(err, &ze) || ze.File != "zero.zone" || err.Error() != "zero.zone: zone file larger than 16 MiB" {
		t.Errorf("err = %v, want zero.zone: zone file larger than 16 MiB", err)
	}
	if src.Count() > lookup.MaxZoneFile+1<<20 || alloc > 8*lookup.MaxZoneFile {
		t.Errorf("read %d bytes, allocated %s", src.Count(), textinputtest.MiB(alloc))
	}
}

// TestZoneHostile: binary content gets a short error with its line;
// UTF-16 (as some Windows editors save) is decoded.
func TestZoneHostile(t *testing.T) {
	const text = "$ORIGIN example.com.\n@ SOA ns h 1 2 3 4 5\nmx A 192.0.2.1\n"
	for _, tt := range []struct {
		name string
		data []byte
		err  string
	}{
		{name: "UTF-16LE", data: textinputtest.UTF16(text, false)},
		{name: "UTF-16BE", data: textinputtest.UTF16(text, true)},
		{name: "UTF-16 without its mark", data: textinputtest.UTF16(text, false)[2:], err: "z.zone: the file looks like UTF-16 without a byte order mark"},
		{name: "a megabyte of NULs", data: make([]byte, 1<<20), err: "z.zone:1: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			z := &lookup.Zones{}
			err := z.Add(strings.NewReader(string(tt.data)), "z.zone", "")
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) || len(err.Error()) > 200 {
					t.Errorf("err = %.300q, want one short line starting %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ans, err := z.Lookup(context.Background(), lookup.Question{Name: "mx.example.com", Type: dns.TypeA})
			if err != nil || len(ans.Records) != 1 {
				t.Errorf("mx.example.com A = %v, %v; want one record", ans, err)
			}
		})
	}
}
