package authz

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/mypatients/gateway/policies"
)

// RunPolicyTests runs the embedded policy bundle's _test.rego tests with OPA's test runner,
// the same one `opa test` uses, and prints the results to w as `opa test` does (every test
// when verbose, otherwise failures and a summary), after a first line naming the policy
// revision the tests are of (the one audit records carry). It returns how many tests passed
// and how many failed or errored; err reports a bundle that does not parse or compile, or a
// bundle without tests.
func RunPolicyTests(ctx context.Context, w io.Writer, verbose bool) (passed, failed int, err error) {
	return runPolicyTests(ctx, policies.FS, w, verbose)
}

func runPolicyTests(ctx context.Context, bundle fs.FS, w io.Writer, verbose bool) (passed, failed int, err error) {
	_, revision, err := readBundle(bundle)
	if err != nil {
		return 0, 0, err
	}
	modules, err := parseModules(bundle)
	if err != nil {
		return 0, 0, err
	}
	fmt.Fprintf(w, "policy revision %s\n", revision)
	results, done, err := startPolicyTests(ctx, modules, verbose, nil)
	if err != nil {
		return 0, 0, err
	}
	defer done()
	// Count the results on their way to the reporter, which prints them as they come.
	counted := make(chan *tester.Result)
	go func() {
		defer close(counted)
		for r := range results {
			switch {
			case r.Pass():
				passed++
			case !r.Skip:
				failed++
			}
			counted <- r
		}
	}()
	reporter := tester.PrettyReporter{Output: w, Verbose: verbose, FailureLine: verbose}
	if err := reporter.Report(counted); err != nil {
		return passed, failed, fmt.Errorf("authz: policy tests: report: %w", err)
	}
	if passed+failed == 0 {
		return 0, 0, fmt.Errorf("authz: policy tests: the bundle has no tests")
	}
	return passed, failed, nil
}

// startPolicyTests starts OPA's test runner on modules, one test at a time (OPA chooses the
// order of the packages), with coverage traced to cov when it is not nil. The results
// channel closes when the last test has run; the caller calls done once it has read them.
func startPolicyTests(ctx context.Context, modules map[string]*ast.Module, verbose bool,
	cov topdown.QueryTracer) (results <-chan *tester.Result, done func(), err error) {
	store := inmem.NewWithOpts(inmem.OptRoundTripOnWrite(false))
	txn, err := store.NewTransaction(ctx, storage.WriteParams)
	if err != nil {
		return nil, nil, fmt.Errorf("authz: policy tests: open store: %w", err)
	}
	done = func() { store.Abort(ctx, txn) }
	runner := tester.NewRunner().
		SetStore(store).
		SetModules(modules).
		SetDefaultRegoVersion(ast.RegoV1).
		CapturePrintOutput(true).
		EnableTracing(verbose).
		RaiseBuiltinErrors(true).
		SetParallel(1)
	if cov != nil {
		runner = runner.SetCoverageQueryTracer(cov)
	}
	results, err = runner.RunTests(ctx, txn)
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("authz: policy tests: %w", err)
	}
	return results, done, nil
}

// parseModules parses every .rego file of bundle, tests included, keyed by file name.
func parseModules(bundle fs.FS) (map[string]*ast.Module, error) {
	files, err := regoFiles(bundle)
	if err != nil {
		return nil, err
	}
	return parseFiles(bundle, files, nil)
}
