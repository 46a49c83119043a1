package main

import (
	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/checks/address"
	"github.com/whymail/whymail/checks/mx"
)

// The check sets of each command. The runner orders each set by Requires
// and runs independent checks concurrently.
var (
	diagnoseChecks = []*checks.Check{
		address.Check, address.Typo, mx.Check, account.Check,
	}
	domainChecks = []*checks.Check{
		mx.Check,
	}
	addressChecks = []*checks.Check{
		address.Check, address.Typo, mx.Check,
	}
)
