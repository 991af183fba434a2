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

// PolicyTestReport is what a run of the policy's tests found.
type PolicyTestReport struct {
	Revision       string
	Passed, Failed int
	Coverage       RuleCoverage
}

// OK reports whether every test passed and the tests cover every rule and reason code.
func (r PolicyTestReport) OK() bool { return r.Failed == 0 && r.Passed > 0 && r.Coverage.Complete() }

// RunPolicyTests runs the embedded policy bundle's _test.rego tests with OPA's test runner,
// the same one `opa test` uses, and prints to w: first the policy revision the tests are of
// (the one audit records carry), then the results as `opa test` prints them (every test when
// verbose, otherwise failures and a summary), then how many passed and failed and the rule
// coverage (see RuleCoverage). err reports a bundle that does not parse or compile, or a
// bundle without tests; failures and gaps are in the report (see OK).
func RunPolicyTests(ctx context.Context, w io.Writer, verbose bool) (PolicyTestReport, error) {
	return runPolicyTests(ctx, policies.FS, w, verbose)
}

func runPolicyTests(ctx context.Context, bundle fs.FS, w io.Writer, verbose bool) (PolicyTestReport, error) {
	_, revision, err := readBundle(bundle)
	if err != nil {
		return PolicyTestReport{}, err
	}
	modules, err := parseModules(bundle)
	if err != nil {
		return PolicyTestReport{}, err
	}
	report := PolicyTestReport{Revision: revision}
	fmt.Fprintf(w, "policy revision %s\n", revision)
	results, done, err := startPolicyTests(ctx, modules, true, nil)
	if err != nil {
		return PolicyTestReport{}, err
	}
	defer done()
	book := newRuleBook(modules)
	var fired []firing
	// Count the results and read their traces on their way to the reporter, which prints
	// them as they come; it prints a failure's trace only when verbose, as `opa test -v` does.
	counted := make(chan *tester.Result)
	go func() {
		defer close(counted)
		for r := range results {
			switch {
			case r.Pass():
				report.Passed++
				fired = append(fired, book.firings(r.Trace)...)
			case !r.Skip:
				report.Failed++
			}
			if !verbose {
				r.Trace = nil
			}
			counted <- r
		}
	}()
	reporter := tester.PrettyReporter{Output: w, Verbose: verbose, FailureLine: verbose}
	if err := reporter.Report(counted); err != nil {
		return report, fmt.Errorf("authz: policy tests: report: %w", err)
	}
	if report.Passed+report.Failed == 0 {
		return report, fmt.Errorf("authz: policy tests: the bundle has no tests")
	}
	report.Coverage = book.coverage(fired)
	fmt.Fprintf(w, "%d passed, %d failed\n", report.Passed, report.Failed)
	report.Coverage.write(w)
	return report, nil
}

// startPolicyTests starts OPA's test runner on modules, one test at a time (OPA chooses the
// order of the packages), each result with its evaluation trace when trace is set, or with
// coverage traced to cov when it is not nil (OPA does not do both). The results channel
// closes when the last test has run; the caller calls done once it has read them.
func startPolicyTests(ctx context.Context, modules map[string]*ast.Module, trace bool,
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
		EnableTracing(trace).
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
