package main

import (
	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/source"
	_ "github.com/whymail/whymail/source/clickhouse"    // clickhouse://
	_ "github.com/whymail/whymail/source/elasticsearch" // elasticsearch://, opensearch://
	_ "github.com/whymail/whymail/source/file"          // paths
	_ "github.com/whymail/whymail/source/journal"       // journal:, journal:UNIT
	_ "github.com/whymail/whymail/source/loki"          // loki://
	_ "github.com/whymail/whymail/source/mailgun"       // mailgun:DOMAIN
	_ "github.com/whymail/whymail/source/postmark"      // postmark:
	_ "github.com/whymail/whymail/source/sendgrid"      // sendgrid:
	_ "github.com/whymail/whymail/source/ses"           // ses:REGION
)

// evidenceOptions are the flags that name where a diagnosis's evidence
// comes from: each is a source spec (a path, or scheme:... for a
// registered driver).
type evidenceOptions struct {
	users        string
	suppressions []string
	logs         []string
	bounces      []string
	message      string
}

// sources opens the sources the flags name. A spec no driver can open is
// a usage error naming its flag.
func (o *evidenceOptions) sources() (checks.Sources, error) {
	var s checks.Sources
	var err error
	if o.users != "" {
		if s.Users, err = source.OpenUsers(o.users); err != nil {
			return s, usageError("--users %s: %v", o.users, err)
		}
	}
	for _, spec := range o.suppressions {
		st, err := source.OpenStreams(source.KindSuppressions, spec)
		if err != nil {
			return s, usageError("--suppressions %s: %v", spec, err)
		}
		s.Suppressions = append(s.Suppressions, st...)
	}
	for _, spec := range o.logs {
		st, err := source.OpenStreams(source.KindLog, spec)
		if err != nil {
			return s, usageError("--log %s: %v", spec, err)
		}
		s.Logs = append(s.Logs, st...)
	}
	for _, spec := range o.bounces {
		m, err := source.OpenMessages(source.KindBounces, spec)
		if err != nil {
			return s, usageError("--bounce %s: %v", spec, err)
		}
		s.Bounces = append(s.Bounces, m)
	}
	if o.message != "" {
		m, err := source.OpenMessages(source.KindMessage, o.message)
		if err != nil {
			return s, usageError("--message %s: %v", o.message, err)
		}
		// The message and DKIM checks both read it: once.
		s.Message = source.Once(m)
	}
	return s, nil
}
