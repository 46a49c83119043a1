package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// logZoneHelp documents --log-tz.
const logZoneHelp = "the time zone of log timestamps that carry none (syslog): an IANA name such as Europe/Paris, UTC or Local " +
	"(default Local, this machine's); LOG=ZONE for one --log only, as a server in another zone writes it " +
	"(repeatable; in --config a mapping, log-tz: {paris.log: Europe/Paris})"

// logZones is the value of --log-tz: a zone for every log, and zones of
// single logs by their --log spec. It implements pflag.Value, and mapFlag
// so that a --config mapping names logs.
type logZones struct {
	all string
	per map[string]string // --log spec: ZONE
}

func (z *logZones) String() string {
	parts := []string{}
	if z.all != "" {
		parts = append(parts, z.all)
	}
	keys := make([]string, 0, len(z.per))
	for k := range z.per {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+z.per[k])
	}
	return strings.Join(parts, ",")
}

func (z *logZones) Type() string { return "ZONE|LOG=ZONE" }

// Set takes ZONE, for every log, or LOG=ZONE for the log named LOG. A
// zone never holds "=", so the last one splits.
func (z *logZones) Set(s string) error {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '='); i >= 0 {
		return z.setLog(s[:i], s[i+1:])
	}
	z.all = s
	return nil
}

func (z *logZones) setLog(spec, zone string) error {
	spec, zone = strings.TrimSpace(spec), strings.TrimSpace(zone)
	if spec == "" || zone == "" {
		return fmt.Errorf("%q is not LOG=ZONE (such as paris.log=Europe/Paris)", spec+"="+zone)
	}
	if z.per == nil {
		z.per = map[string]string{}
	}
	z.per[spec] = zone
	return nil
}

// SetMap sets the zones of a --config mapping (log-tz: {paris.log: Europe/Paris}).
func (z *logZones) SetMap(entries map[string]any) error {
	return eachString(entries, "a time zone such as Europe/Paris", z.setLog)
}

// zones reads the zones: the one of every log (nil, the local zone), and
// those of single logs by spec. A LOG that no --log names is a usage
// error, as is a zone that does not exist.
func (z *logZones) zones(logs []string) (*time.Location, map[string]*time.Location, error) {
	all, err := logZone(z.all)
	if err != nil {
		return nil, nil, err
	}
	var per map[string]*time.Location
	keys := make([]string, 0, len(z.per))
	for k := range z.per {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		spec := ""
		for _, l := range logs {
			if l == k || filepath.Clean(l) == filepath.Clean(k) {
				spec = l
				break
			}
		}
		if spec == "" {
			given := "none was given"
			if len(logs) > 0 {
				given = "the logs are " + strings.Join(logs, ", ")
			}
			return nil, nil, usageError("--log-tz %s=%s: no --log %s (%s)", k, z.per[k], k, given)
		}
		loc, err := logZone(z.per[k])
		if err != nil {
			return nil, nil, usageError("invalid --log-tz %s=%s: want an IANA time zone such as Europe/Paris, UTC or Local", k, z.per[k])
		}
		if loc == nil {
			loc = time.Local
		}
		if per == nil {
			per = map[string]*time.Location{}
		}
		per[spec] = loc
	}
	return all, per, nil
}
