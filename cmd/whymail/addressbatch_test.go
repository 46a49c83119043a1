package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
			w := want.String()
			if got.String() != w {
				gl, wl := strings.Split(got.String(), "\n"), strings.Split(w, "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("%d lines, want %d", len(gl), len(wl))
			}
		})
	}
}
