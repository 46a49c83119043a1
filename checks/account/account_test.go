package account

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
)

const csvUsers = `id,email,status,locked_until,reset_sent_at
1,alice@example.com,active,,2026-11-22T09:00:00Z
2,bob@example.com,inactive,,
3,carol@example.com,disabled,,
4,dave@example.com,pending,,
5,erin@example.com,locked,2026-11-22T13:00:00Z,
6,frank@example.com,active,2026-11-22T14:30:00Z,
7,grace@example.com,active,2026-11-21T10:00:00Z,
8,heidi@example.com,locked,,
9,ivan@example.com,locked,2026-11-20T10:00:00Z,
10,judy@example.com,active,,2026-11-19T08:00:00Z
11,Mallory@Example.COM,active,,
12,niaj@example.com,active,,2026-11-22T12:30:00Z
13,olivia@example.com,active,,
14,olivia@example.com,inactive,,
15,peggy@bücher.de,active,,
`

// jsonUsers holds the same records as csvUsers, one object a line, after
// the opening bracket on line 1: record n is on line n+1, as in the CSV.
func jsonUsers(t *testing.T) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(csvUsers), "\n")
	var objs []string
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		objs = append(objs, fmt.Sprintf(`{"id": %q, "email": %q, "status": %q, "locked_until": %q, "reset_sent_at": %q}`,
			f[0], f[1], f[2], f[3], f[4]))
	}
	return "[\n" + strings.Join(objs, ",\n") + "\n]\n"
}

var at = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

type verdicts map[checks.CauseID]checks.Verdict

func TestCauses(t *testing.T) {
	tests := []struct {
		name    string
		address string
		user    string
		ttl     time.Duration
		want    verdicts
		msgs    []string // substrings some message must hold
		found   string   // the id in the result ("" for not found)
	}{
		{name: "active, link valid", address: "alice@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut,
				checks.AccountLocked: checks.RuledOut, checks.LinkExpired: checks.RuledOut},
			msgs:  []string{`account id "1" has the email alice@example.com`, "sent 3h ago (2026-11-22T09:00:00Z); its link is valid until 2026-11-23T09:00:00Z"},
			found: "1"},
		{name: "no account", address: "zoe@example.com",
			want: verdicts{checks.NoAccount: checks.Confirmed, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.RuledOut},
			msgs: []string{"no user record has the email zoe@example.com (15 records in users"}},
		{name: "no account at another domain", address: "alice@example.org",
			want: verdicts{checks.NoAccount: checks.Confirmed, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.RuledOut}},
		{name: "inactive", address: "bob@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.Confirmed, checks.AccountLocked: checks.RuledOut},
			msgs: []string{`account id "2" is inactive: the app sends no email to it`}, found: "2"},
		{name: "disabled", address: "carol@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.Confirmed, checks.AccountLocked: checks.RuledOut},
			msgs: []string{"is disabled"}, found: "3"},
		{name: "pending", address: "dave@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.Confirmed, checks.AccountLocked: checks.RuledOut},
			msgs: []string{"is pending (never activated)"}, found: "4"},
		{name: "locked until later", address: "erin@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.Confirmed},
			msgs: []string{`account id "5" is locked until 2026-11-22T13:00:00Z (1h from now)`}, found: "5"},
		{name: "active but locked_until later", address: "frank@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.Confirmed},
			msgs: []string{"locked until 2026-11-22T14:30:00Z"}, found: "6"},
		{name: "lock ended", address: "grace@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.RuledOut},
			msgs: []string{"its lock ended at 2026-11-21T10:00:00Z"}, found: "7"},
		{name: "locked without end", address: "heidi@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.Confirmed},
			msgs: []string{"is locked (status locked, no end time)"}, found: "8"},
		{name: "locked status, lock time passed", address: "ivan@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.Confirmed},
			msgs: []string{"its lock time 2026-11-20T10:00:00Z has passed (2d2h ago)"}, found: "9"},
		{name: "link expired", address: "judy@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut,
				checks.AccountLocked: checks.RuledOut, checks.LinkExpired: checks.Possible},
			msgs: []string{"sent 3d4h ago (2026-11-19T08:00:00Z); its link expired after 24h"}, found: "10"},
		{name: "link within a longer ttl", address: "judy@example.com", ttl: 96 * time.Hour,
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut,
				checks.AccountLocked: checks.RuledOut, checks.LinkExpired: checks.RuledOut}, found: "10"},
		{name: "link expired after a short ttl", address: "alice@example.com", ttl: time.Hour,
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut,
				checks.AccountLocked: checks.RuledOut, checks.LinkExpired: checks.Possible},
			msgs: []string{"its link expired after 1h"}, found: "1"},
		{name: "reset after --at", address: "niaj@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.RuledOut},
			msgs: []string{"after the time of the diagnosis"}, found: "12"},
		{name: "domain case-insensitive", address: "alice@EXAMPLE.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut,
				checks.AccountLocked: checks.RuledOut, checks.LinkExpired: checks.RuledOut}, found: "1"},
		{name: "local part exact", address: "Mallory@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.RuledOut},
			msgs: []string{`account id "11" has the email Mallory@Example.COM`}, found: "11"},
		{name: "local part only ignoring case", address: "mallory@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.RuledOut},
			msgs: []string{"matched only when ignoring case in the local part"}, found: "11"},
		{name: "IDN domain matches its A-labels", address: "peggy@xn--bcher-kva.de",
			want:  verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.RuledOut},
			found: "15"},
		{name: "two records, first used", address: "olivia@example.com",
			want: verdicts{checks.NoAccount: checks.RuledOut, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.RuledOut},
			msgs: []string{"2 records match the address (lines 14, 15); using the first"}, found: "13"},

		{name: "--user with the same email", address: "alice@example.com", user: "1",
			want: verdicts{checks.WrongInbox: checks.RuledOut, checks.AccountInactive: checks.RuledOut,
				checks.AccountLocked: checks.RuledOut, checks.LinkExpired: checks.RuledOut},
			msgs: []string{"the address in the ticket"}, found: "1"},
		{name: "--user with another email", address: "alice@example.org", user: "2",
			want: verdicts{checks.WrongInbox: checks.Confirmed, checks.AccountInactive: checks.Confirmed, checks.AccountLocked: checks.RuledOut},
			msgs: []string{`account id "2" has the email bob@example.com, not alice@example.org: the email went to bob@example.com`}, found: "2"},
		{name: "--user differing in case only", address: "MALLORY@example.com", user: "11",
			want: verdicts{checks.WrongInbox: checks.RuledOut, checks.AccountInactive: checks.RuledOut, checks.AccountLocked: checks.RuledOut},
			msgs: []string{"matches MALLORY@example.com only when ignoring case in the local part"}, found: "11"},
		{name: "--user unknown", address: "alice@example.com", user: "99",
			want: verdicts{checks.NoAccount: checks.Unknown, checks.WrongInbox: checks.Unknown, checks.AccountInactive: checks.Unknown,
				checks.AccountLocked: checks.Unknown, checks.LinkExpired: checks.Unknown},
			msgs: []string{`no record in users.csv (15 records) has id "99"; the address alice@example.com belongs to id "1" (users.csv:2)`}},
		{name: "--user without address", user: "3",
			want: verdicts{checks.AccountInactive: checks.Confirmed, checks.AccountLocked: checks.RuledOut}, found: "3"},
	}
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("users.csv", []byte(csvUsers), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("users.json", []byte(jsonUsers(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"users.csv", "users.json"} {
		for _, tc := range tests {
			t.Run(file+"/"+tc.name, func(t *testing.T) {
				tk := &checks.Ticket{Address: tc.address, UserID: tc.user, Sources: checks.Sources{Users: checktest.UsersFile(file)}, At: at, LinkTTL: tc.ttl}
				res := checktest.Run(t, nil, tk, Check)
				cr := res.Check("account")
				if cr.Status == checks.StatusFailed || cr.Status == checks.StatusSkipped {
					t.Fatalf("status %s: %s", cr.Status, cr.Reason)
				}
				got := verdicts{}
				for _, f := range cr.Findings {
					if f.Cause == "" {
						continue
					}
					if v, dup := got[f.Cause]; dup {
						t.Errorf("two verdicts on %s: %s and %s", f.Cause, v, f.Verdict)
					}
					got[f.Cause] = f.Verdict
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("verdicts\n  %v\nwant\n  %v", got, tc.want)
				}
				all := strings.Join(checktest.Messages(res, "account"), "\n")
				for _, m := range tc.msgs {
					m = strings.ReplaceAll(m, "users.csv", file)
					if !strings.Contains(all, m) {
						t.Errorf("no message holds %q; messages:\n%s", m, all)
					}
				}
				acc, _ := cr.Result.(*Account)
				if acc == nil {
					t.Fatalf("result %T, want *Account", cr.Result)
				}
				if acc.Found != (tc.found != "") || acc.ID != tc.found {
					t.Errorf("result found=%v id=%q, want id %q", acc.Found, acc.ID, tc.found)
				}
			})
		}
	}
}

func TestSkipped(t *testing.T) {
	for _, tk := range []*checks.Ticket{
		{Address: "alice@example.com"},
		{Sources: checks.Sources{Users: checktest.UsersFile("users.csv")}},
	} {
		res := checktest.Run(t, nil, tk, Check)
		cr := res.Check("account")
		if cr.Status != checks.StatusSkipped || cr.Reason == "" {
			t.Errorf("%+v: status %s, want skipped with a reason", tk, cr.Status)
		}
		for _, c := range causes {
			if v := checktest.Best(res, c); v != checks.Unknown {
				t.Errorf("%s %s, want unknown", c, v)
			}
		}
		for _, c := range causes {
			if needs := checktest.Needs(res, c); tk.Sources.Users == nil && !slices.Contains(needs, checks.InputUsers) {
				t.Errorf("%s needs %v, want the user records among them", c, needs)
			}
		}
	}
}

func TestInputErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	os.WriteFile("bad.csv", []byte("id,email,status\n1,a@example.com,active\n2,b@example.com,sleeping\n"), 0o644)
	os.WriteFile("empty.csv", nil, 0o644)
	for file, want := range map[string]string{
		"bad.csv":     `bad.csv:3: status "sleeping" is not one of active, inactive, disabled, locked, pending`,
		"empty.csv":   "empty.csv: the file is empty",
		"missing.csv": "missing.csv: cannot read: no such file or directory",
	} {
		_, err := checktest.RunErr(nil, &checks.Ticket{Address: "a@example.com", Sources: checks.Sources{Users: checktest.UsersFile(file)}, At: at}, Check)
		if !checks.IsInputError(err) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error %v, want an input error %q", file, err, want)
		}
	}
}

func TestEmptyExport(t *testing.T) {
	t.Chdir(t.TempDir())
	os.WriteFile("users.csv", []byte("id,email,status\n"), 0o644)
	res := checktest.Run(t, nil, &checks.Ticket{Address: "a@example.com", Sources: checks.Sources{Users: checktest.UsersFile("users.csv")}, At: at}, Check)
	if v := checktest.Best(res, checks.NoAccount); v != checks.Unknown {
		t.Errorf("no-account %s from an empty export, want unknown", v)
	}
}

func TestRoundDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		9 * time.Second: "9s", 4*time.Minute + 10*time.Second: "4m", time.Hour: "1h", 5*time.Hour + 10*time.Minute: "5h10m",
		24 * time.Hour: "24h", 48 * time.Hour: "2d", 74 * time.Hour: "3d2h", -time.Hour: "1h",
	} {
		if got := roundDur(d); got != want {
			t.Errorf("roundDur(%s) = %s, want %s", d, got, want)
		}
	}
}
