package spf

// Result is the result of Lint for the sender domain.
type Result struct {
	Domain string
	Record string // the v=spf1 record, "" when there is none
	// Lookups counts DNS-querying terms across the include/redirect tree.
	Lookups     int
	Evaluations []Evaluation // one per sending IP
}
