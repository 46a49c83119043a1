// Package source says where a run's evidence comes from. Each kind of
// evidence is an interface (Users, Stream, Messages); each backend is a
// driver in a package of its own, registered under a scheme and chosen by
// a spec string, as database/sql chooses a driver by name. A spec is a
// path (the file driver, package source/file) or "scheme:..." for a
// registered scheme.
//
// The checks read evidence only through these interfaces, so a file, a
// database or a provider's API give the same verdicts. A source that fails
// returns its error; the check that asked says its causes are unknown, and
// the run is incomplete. Bad input (a file that does not parse) is an
// *InputError naming where and what.
package source

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kind is a kind of evidence.
type Kind int

const (
	KindUsers        Kind = iota // the app's user records
	KindSuppressions             // the sending provider's suppression lists
	KindLog                      // mail logs and provider events
	KindBounces                  // bounce messages
	KindMessage                  // a copy of the sent message
)

func (k Kind) String() string {
	switch k {
	case KindUsers:
		return "users"
	case KindSuppressions:
		return "suppressions"
	case KindLog:
		return "log"
	case KindBounces:
		return "bounce"
	case KindMessage:
		return "message"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// A Source is where one piece of evidence comes from. It describes itself
// for evidence and errors ("users.csv", "PostgreSQL users table"), never
// with a secret.
type Source interface {
	Describe() string
}

// Users are the app's user records.
type Users interface {
	Source
	// Users calls fn with the records that may be the ticket's account:
	// those whose id is q.ID or whose email is q.Address ignoring case. A
	// source that cannot filter (a file) calls fn with every record. It
	// returns how many records it looked at, or -1 when it cannot tell.
	Users(ctx context.Context, q UserQuery, fn func(User) error) (int, error)
}

// UserQuery is what a run looks a user up by.
type UserQuery struct {
	ID      string // the account id named in the ticket, or ""
	Address string // the recipient address of the ticket, or ""
}

// A User is one user record.
type User struct {
	// Where names the record for evidence ("users.csv:5"); Line is its
	// line in a file, 0 for a source without lines.
	Where       string
	Line        int
	ID          string
	Email       string
	Status      string // the app's word for the account state, lower-case
	LockedUntil time.Time
	ResetSentAt time.Time
}

// A Stream is evidence read as text in the formats its check parses: mail
// logs and provider events, suppression exports.
type Stream interface {
	Source
	// Open returns the evidence for q. A source that can filter (a log
	// store) returns what concerns q's recipients in q's window; a file
	// returns all of itself, and the check filters.
	Open(ctx context.Context, q Query) (io.ReadCloser, error)
}

// Query says which evidence a run wants from a Stream.
type Query struct {
	// Recipients are the addresses the run is about: the ticket's, and
	// the account's when that differs.
	Recipients []string
	// Since and Until bound the time of the evidence; zero means unbounded.
	Since, Until time.Time
}

// Messages are email messages: bounces, or a copy of the sent message.
type Messages interface {
	Source
	// Messages calls fn with each message in order.
	Messages(ctx context.Context, fn func(Message) error) error
}

// A Message is one email message as stored.
type Message struct {
	// Name says where it was found: the file, "file#3" for the third
	// message of an mbox, or the Maildir entry.
	Name string
	// Form is how the source stores it: eml, mbox, maildir, or the
	// driver's own word.
	Form string
	Data []byte
}

// A Driver opens sources from specs of its scheme. It returns an error
// for a kind of evidence it does not serve.
type Driver interface {
	Open(kind Kind, spec string) (Source, error)
}

var (
	mu      sync.RWMutex
	drivers = map[string]Driver{}
)

// Register makes a driver available under scheme: a spec "scheme:..." is
// opened by it. The driver for paths registers as "file". Registering a
// scheme twice panics, as sql.Register does.
func Register(scheme string, d Driver) {
	mu.Lock()
	defer mu.Unlock()
	if d == nil {
		panic("source: Register driver is nil")
	}
	if _, dup := drivers[scheme]; dup {
		panic("source: Register called twice for scheme " + scheme)
	}
	drivers[scheme] = d
}

// Schemes lists the registered schemes, sorted.
func Schemes() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(drivers))
	for s := range drivers {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Open opens the source of kind named by spec: "scheme:rest" when scheme
// is registered (a URL's scheme too, "postgres://..."), a path otherwise.
func Open(kind Kind, spec string) (Source, error) {
	scheme, rest, ok := strings.Cut(spec, ":")
	mu.RLock()
	d := drivers[scheme]
	known := d != nil
	if !ok || d == nil || !validScheme(scheme) {
		d = drivers["file"]
	}
	mu.RUnlock()
	if ok && validScheme(scheme) && strings.HasPrefix(rest, "//") && !known {
		// A URL of no driver (postgress://...) is a typo, not a path: said
		// so, and without the password it may hold, which a path error
		// would echo.
		return nil, fmt.Errorf("%s: no source driver for %q (known: %s)", Redact(spec), scheme, strings.Join(Schemes(), ", "))
	}
	if d == nil {
		return nil, fmt.Errorf("no source driver for %q (is the file driver linked in?)", Redact(spec))
	}
	return d.Open(kind, spec)
}

// validScheme is RFC 3986's scheme syntax, at least two letters long so
// that a Windows drive letter ("C:\logs") is a path.
func validScheme(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// OpenUsers opens spec as user records.
func OpenUsers(spec string) (Users, error) {
	s, err := Open(KindUsers, spec)
	if err != nil {
		return nil, err
	}
	u, ok := s.(Users)
	if !ok {
		return nil, fmt.Errorf("%s cannot give user records", s.Describe())
	}
	return u, nil
}

// OpenStream opens spec as a Stream of kind (KindLog, KindSuppressions).
func OpenStream(kind Kind, spec string) (Stream, error) {
	s, err := Open(kind, spec)
	if err != nil {
		return nil, err
	}
	st, ok := s.(Stream)
	if !ok {
		return nil, fmt.Errorf("%s cannot give %s", s.Describe(), kind)
	}
	return st, nil
}

// OpenMessages opens spec as Messages of kind (KindBounces, KindMessage).
func OpenMessages(kind Kind, spec string) (Messages, error) {
	s, err := Open(kind, spec)
	if err != nil {
		return nil, err
	}
	m, ok := s.(Messages)
	if !ok {
		return nil, fmt.Errorf("%s cannot give %s", s.Describe(), kind)
	}
	return m, nil
}

// A Group is one spec that stands for several sources of its kind: a
// provider's five suppression lists behind "sendgrid:", each read and
// described as the list it is. A front end adds each member (OpenStreams).
type Group interface {
	Source
	Members() []Source
}

// OpenStreams opens spec as Streams of kind: the one it names, or each
// member of the Group it names.
func OpenStreams(kind Kind, spec string) ([]Stream, error) {
	s, err := Open(kind, spec)
	if err != nil {
		return nil, err
	}
	members := []Source{s}
	if g, ok := s.(Group); ok {
		members = g.Members()
	}
	var out []Stream
	for _, m := range members {
		st, ok := m.(Stream)
		if !ok {
			return nil, fmt.Errorf("%s cannot give %s", m.Describe(), kind)
		}
		out = append(out, st)
	}
	return out, nil
}
