package lookup

import (
	"context"
	"strings"

	"github.com/miekg/dns"
)

// Split answers names inside the loaded zones from the zone files and every
// other name from Rest (a Network): a zone is linted before it is published
// with the rest of the world live. A CNAME in a zone file that leads out of
// the loaded zones, and a name the file delegates to a zone that is not
// loaded, are followed through Rest, as a resolver would once the zone is
// published.
type Split struct {
	Zones *Zones
	Rest  Resolver
}

// Lookup answers q from the zone holding its name, or from Rest.
func (s *Split) Lookup(ctx context.Context, q Question) (*Answer, error) {
	q = q.normal()
	if !s.Zones.Holds(q.Name) {
		return s.Rest.Lookup(ctx, q)
	}
	a, err := s.Zones.Lookup(ctx, q)
	if err != nil || a.Rcode != dns.RcodeRefused {
		return a, err
	}
	// The zone files could not answer: the chain left them (the last CNAME
	// points outside) or the name is delegated to a zone not loaded.
	next := q.Name
	if n := len(a.Records); n > 0 {
		if c, ok := a.Records[n-1].(*dns.CNAME); ok {
			next = strings.ToLower(dns.Fqdn(c.Target))
		}
	}
	rest, err := s.Rest.Lookup(ctx, Question{Name: next, Type: q.Type})
	if err != nil {
		return nil, err
	}
	out := &Answer{Question: q, Rcode: rest.Rcode, Server: rest.Server, Duration: rest.Duration,
		Authenticated: rest.Authenticated}
	out.Records = append(append(out.Records, a.Records...), rest.Records...)
	if len(a.Records) > 0 {
		out.Server = a.Server + ", then " + rest.Server
	}
	return out, nil
}

// Holds reports whether name (any case, with or without the final dot) is
// at or below the origin of a loaded zone.
func (z *Zones) Holds(name string) bool {
	return z.find(strings.ToLower(dns.Fqdn(name))) != nil
}
