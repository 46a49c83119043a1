package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/whymail/whymail/checks/account"
	"github.com/whymail/whymail/source/file"
)

// statusMapHelp documents --status-map and, with it, what a users file's
// status column may hold.
var statusMapHelp = "what the app's account status words mean, WORD=STATE[,WORD=STATE...] (repeatable; in --config a mapping), " +
	"such as deactivated=inactive,suspended=locked; STATE is one of " + strings.Join(account.States, ", ") +
	"; an empty WORD (=active) is an empty status. A word neither mapped nor a state leaves the account causes unknown"

// usersHelp documents --users: the columns, the status words and the times.
var usersHelp = "user records, CSV or JSON: id,email,status,locked_until,reset_sent_at. status: " +
	strings.Join(account.States, ", ") + ", or the app's own words mapped with --status-map; times: " + file.TimeForms

// statusMap is the value of --status-map: the app's words, lower-case, to
// whymail's account states. It implements pflag.Value, and mapFlag so that
// a --config mapping sets it entry by entry.
type statusMap map[string]string

func (m statusMap) String() string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

func (m statusMap) Type() string { return "WORD=STATE,..." }

// Set adds the pairs of s, "deactivated=inactive,suspended=locked".
func (m statusMap) Set(s string) error {
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		word, state, ok := strings.Cut(pair, "=")
		if !ok {
			return fmt.Errorf("%q is not WORD=STATE (such as deactivated=inactive)", pair)
		}
		if err := m.setPair(word, state); err != nil {
			return err
		}
	}
	return nil
}

func (m statusMap) setPair(word, state string) error {
	word, state = strings.ToLower(strings.TrimSpace(word)), strings.ToLower(strings.TrimSpace(state))
	if !slices.Contains(account.States, state) {
		return fmt.Errorf("%s=%s: %q is not one of whymail's states (%s)", word, state, state, strings.Join(account.States, ", "))
	}
	m[word] = state
	return nil
}

// SetMap sets the entries of a --config mapping (status-map: {deactivated: inactive}).
func (m statusMap) SetMap(entries map[string]any) error {
	return eachString(entries, "a state ("+strings.Join(account.States, ", ")+")", m.setPair)
}

// eachString calls set with each entry of a --config mapping, in key
// order; a value that is not a string is an error saying what was wanted.
func eachString(entries map[string]any, want string, set func(k, v string) error) error {
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := entries[k].(string)
		if !ok {
			return fmt.Errorf("%s: want %s, got %v", k, want, entries[k])
		}
		if err := set(k, v); err != nil {
			return err
		}
	}
	return nil
}

// mapFlag is a flag that a --config mapping may set.
type mapFlag interface {
	SetMap(map[string]any) error
}
