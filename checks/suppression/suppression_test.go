package suppression

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/internal/checktest"
	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/internal/textinput/textinputtest"
)

func ticket(addr string, files ...string) *checks.Ticket {
	for i, f := range files {
		files[i] = filepath.Join("testdata", f)
	}
	return &checks.Ticket{Address: addr, Domain: addr[strings.LastIndexByte(addr, '@')+1:],
		At: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Sources: checks.Sources{Suppressions: checktest.Streams(files...)}}
}

func TestRead(t *testing.T) {
	tests := []struct {
		file     string
		provider string
		list     string
		entries  int
		first    Entry // fields compared: Address, Reason, Status, Created, Line
	}{
		{"generic.csv", Generic, "suppression", 2, Entry{Line: 2, Address: "bob@example.com", Reason: "hard bounce", Created: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}},
		{"sendgrid_bounces.json", SendGrid, "bounces", 2, Entry{Line: 2, Address: "carol@example.org", Reason: "550 5.1.1 The email account that you tried to reach does not exist.", Status: "5.1.1", Created: time.Unix(1443651125, 0).UTC()}},
		{"sendgrid_spam_reports.json", SendGrid, "spam_reports", 1, Entry{Line: 1, Address: "alice@example.com", Created: time.Unix(1795168800, 0).UTC()}},
		{"sendgrid_blocks.csv", SendGrid, "blocks", 2, Entry{Line: 2, Address: "dave@example.net", Reason: "550 5.7.1 blocked", Status: "5.7.1", Created: time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)}},
		{"ses.json", SES, "account-level suppression", 2, Entry{Line: 3, Address: "bob@example.com", Reason: "COMPLAINT", Created: time.Date(2026, 10, 30, 8, 0, 0, 0, time.UTC)}},
		{"postmark.json", Postmark, "suppressions", 2, Entry{Line: 3, Address: "alice@example.com", Reason: "HardBounce", Status: "Recipient", Created: time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)}},
		{"mailgun_bounces.json", Mailgun, "bounces", 1, Entry{Line: 3, Address: "alice@example.com", Reason: "No such mailbox", Status: "550", Created: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}},
		{"mailgun_complaints.json", Mailgun, "complaints", 1, Entry{Line: 1, Address: "alice@example.com", Created: time.Date(2026, 11, 17, 10, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			// Each file is read plain and gzipped, under a neutral name
			// except where the name is the only hint (bounces vs blocks).
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(data)
			zw.Close()
			for _, in := range [][]byte{data, gz.Bytes()} {
				var got []Entry
				f, err := Read(bytes.NewReader(in), tt.file, func(e Entry) error { got = append(got, e); return nil })
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				if f.Provider != tt.provider || f.List != "" && f.List != tt.list {
					t.Errorf("format = %+v, want %s %s", f, tt.provider, tt.list)
				}
				if len(got) != tt.entries {
					t.Fatalf("%d entries, want %d", len(got), tt.entries)
				}
				e := got[0]
				if e.List != tt.list {
					t.Errorf("list = %q, want %q", e.List, tt.list)
				}
				if e.Line != tt.first.Line || e.Address != tt.first.Address || e.Reason != tt.first.Reason ||
					e.Status != tt.first.Status || !e.Created.Equal(tt.first.Created) {
					t.Errorf("first entry = %+v\nwant %+v", e, tt.first)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		ticket  *checks.Ticket
		verdict checks.Verdict
		want    []string // substrings of the messages
		step    string   // substring of the steps
	}{
		{"sendgrid", ticket("alice@example.com", "sendgrid_bounces.json"), checks.Confirmed,
			[]string{"SendGrid bounces list", "sendgrid_bounces.json:3", "User unknown in virtual mailbox table", "2026-11-20T10:00:00Z"}, "DELETE https://api.sendgrid.com/v3/suppression/bounces/alice@example.com"},
		{"ses", ticket("alice@example.com", "ses.json"), checks.Confirmed,
			[]string{"Amazon SES", `reason: "BOUNCE"`, "ses.json:8"}, "aws sesv2 delete-suppressed-destination --email-address alice@example.com"},
		{"postmark", ticket("alice@example.com", "postmark.json"), checks.Confirmed,
			[]string{"Postmark", "HardBounce"}, "Suppressions tab"},
		{"mailgun", ticket("alice@example.com", "mailgun_bounces.json"), checks.Confirmed,
			[]string{"Mailgun bounces", "No such mailbox"}, "DELETE https://api.mailgun.net/v3/{domain}/bounces/alice@example.com"},
		{"blocks", ticket("alice@example.com", "sendgrid_blocks.csv"), checks.Confirmed,
			[]string{"SendGrid blocks list", "zen.spamhaus.org"}, "/v3/suppression/blocks/alice@example.com"},
		{"case folded", ticket("alice@example.com", "generic.csv"), checks.Confirmed,
			[]string{"as Alice@Example.COM", "only the local part's case differs"}, "Remove Alice@Example.COM"},
		{"domain case", ticket("bob@EXAMPLE.com", "generic.csv"), checks.Confirmed,
			[]string{"generic suppression list (testdata/generic.csv:2)", "hard bounce"}, ""},
		{"not listed", ticket("zoe@example.com", "generic.csv", "ses.json", "postmark.json"), checks.RuledOut,
			[]string{"none of the suppression lists", "testdata/ses.json: Amazon SES account-level suppression (json), 2 entries"}, ""},
		{"no lists", ticket("alice@example.com"), checks.Unknown, []string{"No suppression list was given"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := checktest.Run(t, nil, tt.ticket, Check)
			if got := checktest.Best(res, checks.Suppressed); got != tt.verdict {
				t.Errorf("verdict = %q, want %q", got, tt.verdict)
			}
			if needs := checktest.Needs(res, checks.Suppressed); (len(tt.ticket.Sources.Suppressions) == 0) != slices.Equal(needs, []checks.Input{checks.InputSuppressions}) {
				t.Errorf("suppressed needs %v with %d lists given", needs, len(tt.ticket.Sources.Suppressions))
			}
			msgs := strings.Join(checktest.Messages(res, "suppression"), "\n")
			for _, w := range tt.want {
				if !strings.Contains(msgs, w) {
					t.Errorf("messages lack %q:\n%s", w, msgs)
				}
			}
			var steps []string
			for _, f := range res.Findings() {
				steps = append(steps, f.Steps...)
				if f.Verdict == checks.Confirmed && f.Strength != checks.OfRecord {
					t.Errorf("confirmed finding with strength %v", f.Strength)
				}
			}
			if tt.step != "" && !strings.Contains(strings.Join(steps, "\n"), tt.step) {
				t.Errorf("steps lack %q: %q", tt.step, steps)
			}
		})
	}
	// Two lists, two hits.
	res := checktest.Run(t, nil, ticket("alice@example.com", "ses.json", "mailgun_complaints.json"), Check)
	if n := len(checktest.Verdicts(res)[checks.Suppressed]); n != 2 {
		t.Errorf("two lists with the address: %d findings, want 2", n)
	}
	if res.Check("suppression").Status != checks.StatusWarning {
		t.Errorf("status = %s, want warning", res.Check("suppression").Status)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		file string
		line int
		want string
	}{
		{"unknown.txt", 0, "not a known suppression list"},
		{"badrow.csv", 2, "extraneous or missing"},
		{"bad.json", 1, "bad entry"},
		{"missing.json", 0, "no such file"},
	}
	for _, tt := range tests {
		_, err := checktest.RunErr(nil, ticket("alice@example.com", tt.file), Check)
		var ie *checks.InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want an InputError", tt.file, err)
			continue
		}
		if ie.File != filepath.Join("testdata", tt.file) || ie.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v (line %d), want line %d and %q", tt.file, err, ie.Line, tt.line, tt.want)
		}
	}
}

// TestCorpus reads the SendGrid bounces-API samples of the shared corpus.
func TestCorpus(t *testing.T) {
	dir := "../../../shared/corpus/esp-webhooks/sisimai-json"
	files, _ := filepath.Glob(filepath.Join(dir, "json-sendgrid-*.json"))
	if len(files) == 0 {
		t.Skip("corpus not present")
	}
	lists, events := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		_, err = Read(bytes.NewReader(data), f, func(e Entry) error {
			n++
			if !strings.Contains(e.Address, "@") {
				t.Errorf("%s:%d: address %q", f, e.Line, e.Address)
			}
			return nil
		})
		// The corpus mixes the legacy bounces API (lists) and event
		// webhook batches; an event batch has no "created" and is a list
		// only in shape, which Read accepts; count both.
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if bytes.Contains(data, []byte(`"event"`)) {
			events++
		} else {
			lists++
			if n == 0 {
				t.Errorf("%s: no entries", f)
			}
		}
	}
	t.Logf("sendgrid suppression samples: %d lists, %d event batches read", lists, events)
	if lists < 11 {
		t.Errorf("read %d list files, want 11", lists)
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"generic.csv", "sendgrid_bounces.json", "ses.json", "postmark.json", "mailgun_bounces.json", "sendgrid_blocks.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Hostile seeds: a NUL in an address, UTF-16 with and without its mark.
	f.Add([]byte("email,reason,created_at\nbob\x00@example.com,hard bounce,2026-11-01T09:00:00Z\n"))
	f.Add([]byte(`[{"email": "a\u0000@example.com", "created": 1}]`))
	f.Add(textinputtest.UTF16("email,reason,created_at\nbob@example.com,x,2026-11-01\n", false))
	f.Add(textinputtest.UTF16("email,reason,created_at\n", true)[2:])
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Read(bytes.NewReader(data), "x", func(e Entry) error {
			if e.Line < 0 {
				t.Fatalf("negative line %d", e.Line)
			}
			if _, _, bad := textinput.Control(e.Address); bad {
				t.Fatalf("line %d: address %q with a control character passed", e.Line, e.Address)
			}
			return nil
		})
	})
}

// TestAccountAddress: the account's own address, when the user record has
// another than the ticket's, is where the app sends: it is looked up too,
// and a listing of it is the suppression of the mail.
func TestAccountAddress(t *testing.T) {
	tk := ticket("zoe@example.com", "generic.csv")
	acct := &account.Account{Found: true, ID: "u2", Email: "bob@example.com", Status: "active"}
	res := checktest.RunGiven(t, nil, tk, map[*checks.Check]any{account.Check: checktest.Result(acct)}, Check)
	msgs := strings.Join(checktest.Messages(res, "suppression"), "\n")
	if v := checktest.Best(res, checks.Suppressed); v != checks.Confirmed {
		t.Errorf("the account's address listed: suppressed %q, want confirmed\n%s", v, msgs)
	}
	if !strings.Contains(msgs, "bob@example.com, the address on the account (where the app sends the mail, not to zoe@example.com), is on the generic") {
		t.Errorf("messages %s", msgs)
	}
	f := res.Check("suppression").Findings[0]
	if f.Data["account_address"] != true || !strings.Contains(strings.Join(f.Steps, " "), "bob@example.com") {
		t.Errorf("data %v steps %q", f.Data, f.Steps)
	}

	// Neither listed: both named in the ruling-out.
	acct.Email = "nina@example.com"
	res = checktest.RunGiven(t, nil, tk, map[*checks.Check]any{account.Check: checktest.Result(acct)}, Check)
	if v := checktest.Best(res, checks.Suppressed); v != checks.RuledOut ||
		!strings.Contains(strings.Join(checktest.Messages(res, "suppression"), "\n"), "zoe@example.com and nina@example.com, the address on the account, are on none") {
		t.Errorf("neither listed: %q %v", v, checktest.Messages(res, "suppression"))
	}

	// No record, or the record's address is the ticket's: the ticket's alone.
	for _, a := range []*account.Account{nil, {Found: false}, {Found: true, Email: "ZOE@example.com"}} {
		res = checktest.RunGiven(t, nil, tk, map[*checks.Check]any{account.Check: checktest.Result(a)}, Check)
		if msgs := checktest.Messages(res, "suppression"); checktest.Best(res, checks.Suppressed) != checks.RuledOut ||
			!strings.Contains(msgs[0], "zoe@example.com is on none") {
			t.Errorf("account %+v: %v", a, msgs)
		}
	}
}
