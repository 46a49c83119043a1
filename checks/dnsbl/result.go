package dnsbl

// Result is the result of Check.
type Result struct {
	Listings []Listing
}

// Listing is one positive blocklist answer.
type Listing struct {
	Subject string // the IP or domain looked up
	Zone    string // the list's zone
	Code    string // the 127.0.0.x answer
	Meaning string // the list's meaning of Code
}
