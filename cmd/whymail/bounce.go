package main

import "github.com/spf13/cobra"

func newBounce(e *env) *cobra.Command {
	return &cobra.Command{Use: "bounce FILE...", Short: "Classify bounce messages (DSN or not)", Hidden: true}
}
