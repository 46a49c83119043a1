package bounce

// Result is the result of Check: what the bounce messages say about the
// recipient.
type Result struct {
	// Files lists each file read and how many messages it held.
	Files []FileSummary
	// Recipients are the bounce records about the ticket's address, in file
	// order; Others counts records about other addresses.
	Recipients []Record
	Others     int
}

// FileSummary is one bounce file as read.
type FileSummary struct {
	File     string
	Format   string // eml, mbox, maildir
	Messages int
	Bounces  int // messages that were a bounce, feedback report or auto-reply
}
