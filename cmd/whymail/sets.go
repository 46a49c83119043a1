package main

import (
	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/checks/address"
	"github.com/whymail/whymail/checks/dkim"
	"github.com/whymail/whymail/checks/dnsbl"
	"github.com/whymail/whymail/checks/mx"
	"github.com/whymail/whymail/checks/ptr"
	"github.com/whymail/whymail/checks/spf"
	"github.com/whymail/whymail/checks/suppression"
)

// The check sets of each command. The runner orders each set by Requires
// and runs independent checks concurrently.
var (
	diagnoseChecks = []*checks.Check{
		address.Check, address.Typo, mx.Check, account.Check,
		spf.Lint, dkim.Check, ptr.Check, dnsbl.Check,
		suppression.Check,
	}
	domainChecks = []*checks.Check{
		mx.Check, spf.Lint, dkim.Check, ptr.Check, dnsbl.Check,
	}
	addressChecks = []*checks.Check{
		address.Check, address.Typo, mx.Check,
	}
)
