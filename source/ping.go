package source

import "context"

// A Pinger is a source that can tell cheaply whether it answers: a
// database runs a query that reads at most one row, an API makes one
// small request. A front end's set-up check calls it; a source without
// it is tested by a small ordinary read.
type Pinger interface {
	Ping(ctx context.Context) error
}
