package suppression

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
)

// TestWrongFile: provider events given with --suppressions are refused
// with a pointer to --log; JSON errors name the line, and the record when
// the line holds several.
func TestWrongFile(t *testing.T) {
	tests := []struct {
		name, content string
		err           string // the whole message, after the file name
	}{
		{"sendgrid_events.json", "[\n" + `{"email":"a@example.com","timestamp":1795168800,"event":"delivered","sg_event_id":"x"}` + "\n]",
			":2: this file holds SendGrid events, not a suppression list"},
		{"ses_bounce.json", `{"notificationType":"Bounce","bounce":{"bounceType":"Permanent"},"mail":{"destination":["a@example.com"]}}`,
			":1: this file holds Amazon SES notifications, not a suppression list"},
		{"ses_events.json", `[{"eventType":"Bounce","mail":{"destination":["a@example.com"]}}]`,
			":1: this file holds Amazon SES notifications, not a suppression list"},
		{"sns.json", "{\n  \"Type\": \"Notification\",\n  \"MessageId\": \"m\",\n  \"TopicArn\": \"arn:aws:sns:eu-west-1:1:ses\",\n  \"Message\": \"{}\"\n}",
			":4: this file holds Amazon SNS notifications, not a suppression list"},
		{"mailgun_webhook.json", `{"signature": {"token": "t"}, "event-data": {"event": "failed", "recipient": "a@example.com"}}`,
			":1: this file holds Mailgun webhook events, not a suppression list"},
		{"mailgun_events.json", "{\"items\": [\n{\"event\": \"failed\", \"recipient\": \"a@example.com\"}]}",
			":2: this file holds Mailgun events, not a suppression list"},
		{"postmark.ndjson", `{"RecordType":"Bounce","Email":"a@example.com","Type":"HardBounce"}` + "\n" + `{"RecordType":"Delivery"}`,
			":1: this file holds Postmark webhook events, not a suppression list"},
		{"oneline.json", `[{"email":"a@example.com","created":1},{"email":"b@example.com","created":2},{"email":}]`,
			":1: SendGrid unsubscribes (json): bad entry: invalid character '}' looking for beginning of value"},
		{"typed.json", "{\"Suppressions\": [{\"EmailAddress\": \"a@example.com\"}, {\"EmailAddress\": 5}]}",
			":1: Postmark suppressions (json): bad entry: json: cannot unmarshal number into Go struct field jsonEntry.EmailAddress of type string"},
		{"twice.json", "[{\"email\":\"a@example.com\",\"created\":1}]\n[]",
			":2: SendGrid unsubscribes (json): unexpected data after the closing ] of the array"},
		{"notarray.json", "{\"items\": {\"address\": \"a@example.com\"}}",
			`:1: Mailgun (json): want a JSON array under "items", not an object`},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		path := filepath.Join(dir, tt.name)
		if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
			t.Fatal(err)
		}
		tk := &checks.Ticket{Address: "a@example.com", Domain: "example.com",
			At: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Sources: checks.Sources{Suppressions: checktest.Streams([]string{path}...)}}
		_, err := checktest.RunErr(nil, tk, Check)
		var ie *checks.InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want an InputError", tt.name, err)
			continue
		}
		if got := strings.TrimPrefix(err.Error(), path); got != tt.err {
			t.Errorf("%s: error\n  %s\nwant\n  %s", tt.name, got, tt.err)
		}
		var me *checks.MisplacedError
		if isEvents := strings.Contains(tt.err, "not a suppression list"); isEvents != errors.As(err, &me) || isEvents && me.Belongs != checks.InputLog {
			t.Errorf("%s: misplaced %v (%+v), want it to belong with the log exactly when it holds events", tt.name, errors.As(err, &me), me)
		}
	}
}
