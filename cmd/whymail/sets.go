package main

import (
	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/checks/address"
	"github.com/whymail/whymail/checks/bimi"
	"github.com/whymail/whymail/checks/bounce"
	"github.com/whymail/whymail/checks/dane"
	"github.com/whymail/whymail/checks/delivery"
	"github.com/whymail/whymail/checks/dkim"
	"github.com/whymail/whymail/checks/dmarc"
	"github.com/whymail/whymail/checks/dnsbl"
	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/checks/message"
	"github.com/whymail/whymail/checks/mtasts"
	"github.com/whymail/whymail/checks/mx"
	"github.com/whymail/whymail/checks/ptr"
	"github.com/whymail/whymail/checks/spf"
	"github.com/whymail/whymail/checks/suppression"
	"github.com/whymail/whymail/checks/tlsrpt"
)

// The check sets of each command. The runner orders each set by Requires
// and runs independent checks concurrently.
var (
	diagnoseChecks = []*checks.Check{
		address.Check, address.Typo, mx.Check, account.Check,
		spf.Lint, dkim.Check, dmarc.Check, ptr.Check, dnsbl.Check,
		suppression.Check, maillog.Check, bounce.Check, message.Check,
		delivery.Check, dane.DNSSEC, dane.Check,
	}
	addressChecks = []*checks.Check{
		address.Check, address.Typo, mx.Check,
	}
)

// domainChecks is the set of `whymail domain`. Offline (--zone) runs do not
// fetch MTA-STS policies over HTTPS: zone files say nothing of web servers.
func domainChecks(offline bool) []*checks.Check {
	return lintChecks(mtasts.Fetcher{Offline: offline})
}

// lintChecks is the set of `whymail domain` with the MTA-STS policy
// fetched as f says (the server refuses non-public addresses).
func lintChecks(f mtasts.Fetcher) []*checks.Check {
	return []*checks.Check{
		mx.Check, spf.Lint, dkim.Check, dmarc.Check, ptr.Check, dnsbl.Check,
		mtasts.New(f), tlsrpt.Check, bimi.Check,
		dane.DNSSEC, dane.Check,
	}
}
