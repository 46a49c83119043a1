// Command whymail tells a support desk why an email did not arrive, and
// lints a sender domain's mail DNS for CI. See README.md.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
