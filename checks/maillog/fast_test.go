package maillog

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestSameSecond: RFC 3339 timestamps read through the cache of their
// second are what time.Parse reads, valid or not, in any order.
func TestSameSecond(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	heads := []string{"2026-11-22T10:00:01", "2026-11-22T10:00:02", "2026-02-29T10:00:01", "2026-13-01T10:00:01",
		"2026-11-22T24:00:00", "2026-11-22T10:00:60", "2026-11-22t10:00:01", "2024-02-29T23:59:59"}
	zones := []string{"Z", "+01:00", "-05:30", "+00:00", "+0100", "z", "+24:00", "+01:60", ""}
	r := newTextReader(&fileState{at: at, zone: time.UTC, cov: &Coverage{}})
	head, zone := heads[0], zones[0]
	hits := 0
	for range 100000 {
		if rng.IntN(3) == 0 {
			// Mostly the second before, as a log has it.
			head, zone = heads[rng.IntN(len(heads))], zones[rng.IntN(len(zones))]
		}
		frac := ""
		switch rng.IntN(4) {
		case 0:
		case 1:
			frac = "." + strings.Repeat("7", 1+rng.IntN(12))
		case 2:
			frac = fmt.Sprintf(".%06d", rng.IntN(1000000))
		default:
			frac = [...]string{".", ",5", ".5x", ".123456789"}[rng.IntN(4)]
		}
		stamp := head + frac + zone
		if _, hit := r.sameSecond(stamp); hit {
			hits++
		}
		want, werr := time.Parse(time.RFC3339Nano, stamp)
		got, _, _, _, ok := r.syslogHeader(stamp + " mail postfix/smtp[1]: x")
		if ok != (werr == nil) {
			t.Fatalf("%s: read %v, time.Parse: %v", stamp, ok, werr)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: read %v, time.Parse %v", stamp, got, want)
		}
	}
	if hits < 10000 {
		t.Errorf("%d stamps of the second before", hits)
	}
}

// TestRFC3339Log: a log of high-precision timestamps reads the same with
// the prefilter and fastLine as without.
func TestRFC3339Log(t *testing.T) {
	var buf bytes.Buffer
	writePostfixStamped(&buf, 1, true)
	diffRead(t, buf.Bytes(), time.UTC, benchWatched)
	f, err := Read(bytes.NewReader(buf.Bytes()), "r.log", at, benchWatched)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := time.Parse(time.RFC3339Nano, buf.String()[:strings.IndexByte(buf.String(), ' ')])
	if !f.Coverage.First.Equal(first) || f.Coverage.Unparsed != 0 || f.Coverage.Zone != nil || len(f.Events) == 0 {
		t.Errorf("coverage %+v, %d events", f.Coverage, len(f.Events))
	}
}
