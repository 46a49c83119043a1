package maillog

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSESKinds reads each Amazon SES sample of the corpus (the documented
// notification and event-publishing examples, listed in its index.tsv)
// and checks that every listed recipient gets the event its type means:
// Bounce -> bounced, Complaint -> complaint, Delivery -> delivered,
// DeliveryDelay -> deferred (with the status), Reject -> rejected.
func TestSESKinds(t *testing.T) {
	dir := filepath.Join(needCorpus(t, "esp-webhooks"), "amazon-ses")
	index, err := os.ReadFile(filepath.Join(dir, "index.tsv"))
	if err != nil {
		t.Skipf("no index.tsv: %v", err)
	}
	cr := csv.NewReader(bytes.NewReader(index))
	cr.Comma = '\t'
	cr.LazyQuotes = true
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{"Bounce": "bounced", "Complaint": "complaint", "Delivery": "delivered",
		"DeliveryDelay": "deferred", "Reject": "rejected"}
	checked := 0
	for _, row := range rows[1:] {
		file, typ, status, rcpts := row[0], row[3], row[7], row[8]
		want, ok := kinds[typ]
		if !ok {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		watched := strings.Split(rcpts, ",")
		if rcpts == "" {
			// The index lists no recipient (the Reject sample): every
			// address in the file is watched, and one must get the event.
			f, err := Read(bytes.NewReader(data), file, at, allAddresses(data)...)
			if err != nil {
				t.Errorf("%s: %v", file, err)
				continue
			}
			if len(f.Events) == 0 || f.Events[0].Kind != Kind(want) {
				t.Errorf("%s: events %+v, want one %q", file, f.Events, want)
			}
			checked++
			continue
		}
		f, err := Read(bytes.NewReader(data), file, at, watched...)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if f.Coverage.Format != "ses" {
			t.Errorf("%s: format %q, want ses", file, f.Coverage.Format)
		}
		for _, rc := range watched {
			found := false
			for _, e := range f.Events {
				if !strings.EqualFold(e.Recipient, rc) {
					continue
				}
				found = true
				if e.Kind != Kind(want) {
					t.Errorf("%s: %s event for %s is %q, want %q", file, typ, rc, e.Kind, want)
				}
				if strings.Count(status, ".") == 2 && e.DSN != status {
					t.Errorf("%s: status %q for %s, want %q", file, e.DSN, rc, status)
				}
				if e.Time.IsZero() {
					t.Errorf("%s: event for %s has no time", file, rc)
				}
			}
			if !found {
				t.Errorf("%s: no event for %s (events: %+v)", file, rc, f.Events)
			}
		}
		checked++
	}
	t.Logf("ses: %d samples give the event their type means", checked)
	if checked < 10 {
		t.Errorf("checked %d SES samples, want at least 10", checked)
	}
}
