// Command mypatients is the MyPatients gateway. With no arguments it serves: on its embedded
// defaults that is the whole demo system on one machine. Other subcommands run the policy
// tests and explain a decision for auditors, read the audit trail, suspend and reinstate
// accounts for the support team, and sign a demo user in from the shell. This package only wires: it reads flags and
// configuration, builds the parts in an order that needs no field set afterwards (the token
// check, then the FHIR API, then the SMART server that searches through it), serves and shuts
// down. Any rule, flow or adapter belongs to the package of its concern, never here.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the hospital's time zone, on machines without a zone database
)

const usage = `MyPatients gateway: a read-only SMART-on-FHIR window on a children's hospital's records.

Usage:
  mypatients [serve] [flags]          run the gateway (the default; see serve -h)
  mypatients policy test [-v]         run the embedded Rego policy tests, with rule coverage
  mypatients policy explain [--json] FILE|-
                                      the policy's decision on an input document or scenario,
                                      with the rules that produced it
  mypatients audit [list|patient|user|refusals|export|verify|status|keygen] [flags]
                                      the audit trail: the auditors' questions, export, verification
  mypatients demo token [flags] USER  sign a demo user in and print an access token
  mypatients account show|suspend|reinstate [flags] USERID
                                      the support team: an account's standing (see account)
  mypatients ehr check [--config FILE]
                                      probe the configured EHR for what the gateway relies on
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Environ()); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mypatients:", err)
		}
		os.Exit(2)
	}
}

// run dispatches to a subcommand. It is main without the process: tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr, environ)
	case "policy":
		return policyCommand(ctx, args, stdout)
	case "audit":
		return auditCommand(ctx, args, stdout, environ)
	case "demo":
		return demoCommand(ctx, args, stdout, environ)
	case "account":
		return accountCommand(ctx, args, stdout, environ)
	case "ehr":
		return ehrCommand(ctx, args, stdout, environ)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
