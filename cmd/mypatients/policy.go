package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mypatients/gateway/authz"
)

// policyCommand is the auditors' pair: test runs the embedded Rego tests with rule coverage;
// explain prints the decision on an input document or scenario with the rules behind it.
func policyCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "test" {
		return policyTest(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "explain" {
		return policyExplain(ctx, args[1:], stdout)
	}
	return errors.New("usage: mypatients policy test [-v] | mypatients policy explain [--json] FILE|-")
}

func policyTest(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("policy test", stdout)
	verbose := fs.Bool("v", false, "list every test")
	if err := fs.Parse(args); err != nil {
		return err
	}
	report, err := authz.RunPolicyTests(ctx, stdout, *verbose)
	switch {
	case err != nil:
		return err
	case report.Failed > 0:
		return fmt.Errorf("%d policy tests failed", report.Failed)
	case !report.OK():
		return errors.New("the policy tests do not cover every rule and reason code")
	}
	return nil
}

func policyExplain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("policy explain", os.Stderr)
	asJSON := fs.Bool("json", false, "print the decision document and the rules as JSON")
	// The flag may come before or after the file.
	if err := fs.Parse(args); err != nil {
		return err
	}
	file := fs.Arg(0)
	if err := fs.Parse(fs.Args()[min(1, fs.NArg()):]); err != nil {
		return err
	}
	if file == "" || fs.NArg() > 0 {
		return errors.New("usage: mypatients policy explain [--json] FILE|- (an input document or a policies/testdata scenario)")
	}
	raw, err := readFileOrStdin(file)
	if err != nil {
		return err
	}
	if file == "-" {
		file = "standard input"
	}
	e, err := authz.ExplainDocument(ctx, raw)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if *asJSON {
		err = e.WriteJSON(stdout)
	} else {
		err = e.WriteText(stdout)
	}
	if err == nil && !e.Matches() {
		err = fmt.Errorf("%s: the decision differs from the scenario's expected decision", file)
	}
	return err
}

func readFileOrStdin(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}
