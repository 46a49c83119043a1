// Package checks is the framework every whymail check is written against: a
// Check declared as a value, the Pass through which it sees its inputs, DNS
// and the results of the checks it requires, the Findings it reports, the
// cause catalog's IDs, and the Runner that orders and runs a set of checks.
//
// The model is golang.org/x/tools/go/analysis. A check package never imports
// another check package: it names the checks it Requires and reads their
// typed results (declared in this package, see facts.go) from the Pass.
package checks
