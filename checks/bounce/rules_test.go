package bounce

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/smtpreply"
)

// TestRules: one synthetic message per rule of issue 11's "bounces from
// other collections"; each names the class of bounce, not one message.
func TestRules(t *testing.T) {
	tests := []struct {
		file   string
		kind   Kind
		rcpts  []string // recipients found; all a file's rows list all it has
		action Action
		reason smtpreply.Reason
		status string
		perm   bool
	}{
		// Status codes only where a reply puts them: not a version number.
		{"version-numbers.eml", Text, []string{"kate@example.com"}, Failed, smtpreply.UserUnknown, "", true},
		// Nor a count in the message details ("Size (in bytes): 222").
		{"size-line.eml", Text, []string{"liam@example.com"}, Failed, smtpreply.UserUnknown, "", true},
		// The recipient without an SMTP: or RFC822; type.
		{"smtp-prefix.eml", Text, []string{"lena@example.com"}, Failed, smtpreply.UserUnknown, "5.1.1", true},
		{"dsn-smtp-prefix.eml", DSN, []string{"mike@example.com"}, Failed, smtpreply.UserUnknown, "5.1.1", true},
		// A bounce of a list post: the bounced member, not the list's own
		// addresses (the post's To, List-Id, List-Post, Sender, Errors-To)
		// quoted in the text or in the returned post.
		{"list-member.eml", Text, []string{"nina@example.org"}, Failed, smtpreply.UserUnknown, "5.1.1", true},
		{"list-post-headers.eml", Text, []string{"omar@example.net"}, Failed, smtpreply.UserUnknown, "5.1.1", true},
		// Naming no member: a bounce that names no recipient; a post the
		// list addressed To the member names the member.
		{"list-post-unnamed.eml", Text, []string{""}, Failed, smtpreply.UserUnknown, "5.1.1", true},
		{"list-post-personal.eml", Text, []string{"nina@example.org"}, Failed, smtpreply.UserUnknown, "5.1.1", true},
		// Both of two bounced recipients.
		{"two-failed.eml", Text, []string{"olga@example.com", "pete@example.net"}, Failed, smtpreply.UserUnknown, "5.1.1", true},
		// Actions outside RFC 3464 normalised.
		{"action-error.eml", DSN, []string{"quinn@example.com"}, Failed, smtpreply.UserUnknown, "5.1.1", true},
		{"action-empty.eml", DSN, []string{"ruth@example.com"}, Failed, smtpreply.MailboxFull, "5.2.2", true},
		// Action failed with 4.x.x: given up after retries, permanent.
		{"failed-4xx.eml", DSN, []string{"sam@example.com"}, Failed, smtpreply.Expired, "4.4.7", true},
		{"failed-4xx-full.eml", DSN, []string{"tess@example.com"}, Failed, smtpreply.MailboxFull, "4.2.2", true},
		// Content and spam rejections are not generic policy.
		{"content-rejected.eml", DSN, []string{"ursula@example.com"}, Failed, smtpreply.Spam, "5.7.1", true},
		{"spamassassin-rejected.eml", DSN, []string{"vic@example.com"}, Failed, smtpreply.Spam, "5.7.1", true},
		// "no mailbox" / "does not exist" under 5.7.1 or without a code.
		{"nomailbox-571.eml", DSN, []string{"wes@example.com"}, Failed, smtpreply.UserUnknown, "5.7.1", true},
		{"nomailbox-nocode.eml", Text, []string{"xena@example.com"}, Failed, smtpreply.UserUnknown, "", true},
		// A reply whose wording says policy against its status keeps it
		// when the human part says nothing more than the status.
		{"wording-over-status.eml", DSN, []string{"abel@example.com"}, Failed, smtpreply.Policy, "5.1.1", true},
		// Of several recipients, one with its own reply is not classified
		// by what the message says about another.
		{"two-own-replies.eml", DSN, []string{"bert@example.com"}, Failed, smtpreply.Other, "5.0.0", true},
		{"two-own-replies.eml", DSN, []string{"cleo@example.net"}, Delayed, smtpreply.Network, "4.0.0", false},
		// The remote's reply, not the reporting MTA's gloss of a status
		// before it ("5.1.0 - Unknown address error 550-'5.7.1 ...'").
		{"glossed-reply.eml", DSN, []string{"dora@example.com"}, Failed, smtpreply.Policy, "5.0.0", true},
		// A list refusing a post: the list, refused by its policy.
		{"list-refusal.eml", Text, []string{"cats@lists.example.org"}, Failed, smtpreply.Policy, "", true},
		// Still queued for a domain with no mail server (TestDelayedNoMail).
		{"delayed-no-mx.eml", DSN, []string{"erin@no-mx.example"}, Delayed, smtpreply.HostUnknown, "4.0.0", false},
		// au (KDDI) names the address it does not have, and leaves it out
		// for mail its filter refused.
		{"kddi-unknown.eml", Text, []string{"fumi@ezweb.ne.jp"}, Failed, smtpreply.UserUnknown, "", true},
		{"kddi-unknown.eml", Text, []string{"gabi@au.com"}, Failed, smtpreply.Policy, "", true},
		// A DSN's bare "no such user" with no X.1.x status and no command
		// named: a filtering gateway's stock refusal, as in a plain-text
		// bounce; with 5.1.1 in the reply, an unknown mailbox.
		{"gateway-unknown.eml", DSN, []string{"hana@example.com"}, Failed, smtpreply.Policy, "5.0.0", true},
		{"gateway-unknown.eml", DSN, []string{"ivan@example.com"}, Failed, smtpreply.UserUnknown, "5.0.0", true},
		// The status comment's words over a stock "User Unknown".
		{"status-comment.eml", DSN, []string{"jack@example.com"}, Failed, smtpreply.MailboxDisabled, "5.2.1", true},
		// Challenge-response and whitelist auto-replies are not bounces.
		{"challenge.eml", AutoReply, []string{"yuri@example.com"}, Delivered, smtpreply.Delivered, "", false},
		{"whitelist.eml", AutoReply, []string{"zack@example.com"}, Delivered, smtpreply.Delivered, "", false},
		// Old AOL, CompuServe and GroupWise forms name the recipient
		// without its domain; the returned message's To gives it.
		{"aol-old.eml", Text, []string{"bobaol@aol.com"}, Failed, smtpreply.Policy, "", true},
		{"compuserve-old.eml", Text, []string{"71234.567@compuserve.com"}, Failed, smtpreply.UserUnknown, "", true},
		{"groupwise-old.eml", Text, []string{"tina@gw.example.com"}, Failed, smtpreply.UserUnknown, "", true},
	}
	// The failed recipients of each file, over its rows: a file has no
	// others (a list's address, a quoted To besides the bounced one).
	all := map[string][]string{}
	for _, tt := range tests {
		all[tt.file] = append(all[tt.file], tt.rcpts...)
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			b, err := Parse(strings.NewReader(string(data)))
			if err != nil {
				t.Fatal(err)
			}
			var have []string
			for _, r := range b.Recipients {
				have = append(have, r.Address)
			}
			for _, a := range have {
				if !slices.ContainsFunc(all[tt.file], func(w string) bool { return strings.EqualFold(a, w) }) {
					t.Errorf("recipient %s found besides %v (recipients %v)", a, all[tt.file], have)
				}
			}
			if b.Kind != tt.kind {
				t.Errorf("kind %q, want %q (recipients %v)", b.Kind, tt.kind, have)
			}
			for _, want := range tt.rcpts {
				i := slices.IndexFunc(b.Recipients, func(r Recipient) bool { return strings.EqualFold(r.Address, want) })
				if i < 0 {
					t.Errorf("no recipient %s among %v", want, have)
					continue
				}
				r := b.Recipients[i]
				if r.Action != tt.action || r.Class.Reason != tt.reason || r.Class.Status != tt.status || r.Class.Permanent != tt.perm {
					t.Errorf("%s: action %q reason %s status %q permanent %v, want %q %s %q %v (%q)", want, r.Action, r.Class.Reason, r.Class.Status, r.Class.Permanent, tt.action, tt.reason, tt.status, tt.perm, r.Diagnostic)
				}
			}
		})
	}
}

// TestSES: an SES notification is a bounce by itself, raw or in SNS.
func TestSES(t *testing.T) {
	for file, want := range map[string]string{"ses-raw.json": "uma@example.com mailbox-unknown", "ses-sns.json": "vera@example.org mailbox-full"} {
		data, _ := os.ReadFile(filepath.Join("testdata", file))
		b, err := Parse(strings.NewReader(string(data)))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(b.Recipients) != 1 || b.Recipients[0].Address+" "+string(b.Recipients[0].Class.Cause) != want {
			t.Errorf("%s: %+v, want %s", file, b.Recipients, want)
		}
	}
}

// TestListRefusal: a list refusing a post names itself on the refusal
// line; the address to write to for help is not a failed recipient.
func TestListRefusal(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("testdata", "list-refusal.eml"))
	b, err := Parse(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Recipients) != 1 || b.Recipients[0].Address != "cats@lists.example.org" {
		t.Errorf("recipients %+v, want only cats@lists.example.org", b.Recipients)
	}
}

// TestDelayedNoMail: a deferral because the domain publishes no mail
// server has the domain for its cause, not the delay.
func TestDelayedNoMail(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("testdata", "delayed-no-mx.eml"))
	b, err := Parse(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Recipients) != 1 || b.Recipients[0].Class.Cause != checks.DomainNoMail {
		t.Errorf("recipients %+v, want one with cause %s", b.Recipients, checks.DomainNoMail)
	}
}
