package source

import (
	"context"
	"sync"
)

// Once wraps m so that it is read at most once however many checks read
// it: the message check and the DKIM check both read the sent message, and
// a pipe or an API can be read only once. The messages are kept in memory,
// within the bounds of m's driver.
func Once(m Messages) Messages {
	if m == nil {
		return nil
	}
	return &once{m: m}
}

type once struct {
	m    Messages
	do   sync.Once
	msgs []Message
	err  error
}

func (o *once) Describe() string { return o.m.Describe() }

func (o *once) Messages(ctx context.Context, fn func(Message) error) error {
	o.do.Do(func() {
		o.err = o.m.Messages(ctx, func(msg Message) error {
			o.msgs = append(o.msgs, msg)
			return nil
		})
	})
	for _, msg := range o.msgs {
		if err := fn(msg); err != nil {
			return err
		}
	}
	return o.err
}
