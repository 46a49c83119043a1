package checks

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/whymail/whymail/source"
)

// Sources are where a run's evidence comes from, one interface for each
// kind (package source). The checks read evidence through them only.
type Sources struct {
	Users        source.Users
	Suppressions []source.Stream
	Logs         []source.Stream
	Bounces      []source.Messages
	// Message is a copy of the sent message. Two checks read it, so a
	// front end wraps it in source.Once.
	Message source.Messages
}

// A ZonedLog is a log whose timestamps without a zone are in Zone, not in
// the ticket's LogZone: the logs of two servers written in two zones.
type ZonedLog struct {
	source.Stream
	Zone *time.Location
}

// LogZoneOf is the zone of src's timestamps that carry none: its own
// (ZonedLog), else LogZone.
func (t *Ticket) LogZoneOf(src source.Stream) *time.Location {
	if z, ok := src.(*ZonedLog); ok && z.Zone != nil {
		return z.Zone
	}
	return t.LogZone
}

// errMany stops reading a sent message at its second message.
var errMany = errors.New("more than one message")

// SentMessage reads the copy of the sent message (Sources.Message): where
// it came from and its bytes, or nil when none was given. A source that
// holds more than one message, or none, is bad input.
func (p *Pass) SentMessage() (name string, data []byte, err error) {
	src := p.Ticket.Sources.Message
	if src == nil {
		return "", nil, nil
	}
	name = src.Describe()
	n := 0
	err = src.Messages(p.Context, func(m source.Message) error {
		if n++; n > 1 {
			return errMany
		}
		name, data = m.Name, m.Data
		return nil
	})
	switch {
	case errors.Is(err, errMany):
		return name, nil, Inputf(src.Describe(), 0, "holds more than one message; give one copy of the sent message")
	case err != nil:
		return name, nil, err
	case n == 0:
		return name, nil, Inputf(src.Describe(), 0, "holds no message")
	}
	return name, data, nil
}

// An Opened is a stream opened by OpenAll: its reader, or why not.
type Opened struct {
	RC  io.ReadCloser
	Err error
}

// OpenAll opens every stream for q at once, so that sources which answer
// over a network cost the slowest one's time, not the sum; the check then
// reads them in order (and closes each).
func OpenAll(ctx context.Context, streams []source.Stream, q source.Query) []Opened {
	out := make([]Opened, len(streams))
	var wg sync.WaitGroup
	for i, s := range streams {
		wg.Go(func() { out[i].RC, out[i].Err = s.Open(ctx, q) })
	}
	wg.Wait()
	return out
}
