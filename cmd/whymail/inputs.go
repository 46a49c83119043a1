package main

import (
	"errors"
	"strings"

	"github.com/whymail/whymail/checks"
)

// flagOf words an input of the checks as the command line names it: the
// flag that gives it. Checks and the report speak of inputs, never of flags.
func flagOf(in checks.Input) string {
	switch in {
	case checks.InputAddress:
		return "ADDRESS"
	case checks.InputDNS:
		return "--dns"
	}
	return "--" + string(in)
}

// flagsOf words a list of inputs as their flags: "--sender, --sending-ip".
func flagsOf(ins []checks.Input) string {
	words := make([]string, len(ins))
	for i, in := range ins {
		words[i] = flagOf(in)
	}
	return strings.Join(words, ", ")
}

// wordError adds to an error what the command line can do about it: a file
// given with the wrong flag says which flag it belongs to.
func wordError(err error) string {
	msg := oneLine(err)
	var me *checks.MisplacedError
	if errors.As(err, &me) && me.Belongs != "" {
		msg += ": give it with " + flagOf(me.Belongs)
	}
	return msg
}
