package authz

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/mypatients/gateway/policies"
)

// The tests here hold policies/README.md, the auditors' rule book, to the policy's own
// METADATA annotations: every table of the README is parsed and compared with what the Rego
// files declare, so that neither can change without the other.

// annotated is what the policy's METADATA says about its packages, rules and reasons.
type annotated struct {
	packages map[string][]string // file → package, title
	rules    [][]string          // rule, title, basis, entrypoint ("yes" or "")
	reasons  [][]string          // code, rule, title, message, next steps
	tests    int                 // test rules in _test.rego files
}

// readAnnotations collects the annotations of the embedded bundle; each reason's message and
// next steps are its rule's evaluated value.
func readAnnotations(t *testing.T) annotated {
	t.Helper()
	modules, err := parseModules(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	got := annotated{packages: map[string][]string{}}
	for name, m := range modules {
		if isTestFile(name) {
			for _, r := range m.Rules {
				if strings.HasPrefix(r.Head.Name.String(), "test_") {
					got.tests++
				}
			}
			continue
		}
		for _, a := range m.Annotations {
			rule := strings.TrimPrefix(a.GetTargetPath().String(), "data.mypatients.")
			code, _ := a.Custom["code"].(string)
			basis, _ := a.Custom["basis"].(string)
			switch {
			case a.Scope == "package":
				got.packages[name] = []string{strings.TrimPrefix(m.Package.Path.String(), "data."), a.Title}
			case code != "":
				got.reasons = append(got.reasons, append([]string{code, rule, a.Title}, reasonValue(t, modules, rule)...))
			default:
				got.rules = append(got.rules, []string{rule, a.Title, basis, map[bool]string{true: "yes"}[a.Entrypoint]})
			}
		}
	}
	return got
}

// reasonValue evaluates data.mypatients.<rule> and returns its message and next steps,
// failing unless it is a reason whose code is the rule's own name.
func reasonValue(t *testing.T, modules map[string]*ast.Module, rule string) []string {
	t.Helper()
	opts := []func(*rego.Rego){rego.Query("data.mypatients." + rule)}
	for _, m := range modules {
		opts = append(opts, rego.ParsedModule(m))
	}
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil || len(rs) != 1 {
		t.Fatalf("%s: %v %v", rule, rs, err)
	}
	v, _ := rs[0].Expressions[0].Value.(map[string]any)
	code, _ := v["code"].(string)
	message, _ := v["message"].(string)
	next, _ := v["next_steps"].(string)
	if _, name, _ := strings.Cut(rule, "."); code != name || message == "" {
		t.Errorf("%s = %v: a reason must have a message and its rule's name as its code", rule, v)
	}
	return []string{message, next}
}

// readmeTable returns the rows of the first table after heading in policies/README.md, each
// cell trimmed of spaces and backticks.
func readmeTable(t *testing.T, heading string) [][]string {
	t.Helper()
	raw, err := os.ReadFile("../policies/README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no heading %q", heading)
	}
	var rows [][]string
	for _, line := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(line, "|") {
			if len(rows) > 0 {
				break
			}
			continue
		}
		var row []string
		for _, cell := range strings.Split(strings.Trim(line, "|"), "|") {
			row = append(row, strings.Trim(strings.TrimSpace(cell), "`"))
		}
		rows = append(rows, row)
	}
	if len(rows) < 2 {
		t.Fatalf("README: no table under %q", heading)
	}
	return rows[2:] // past the header and its separator
}

func sortedRows(rows [][]string) [][]string {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(strings.Join(a, "|"), strings.Join(b, "|")) })
	return out
}

// sameRows reports rows that are in one list but not the other: the README's, and those of
// the policy (its METADATA or its scenarios).
func sameRows(t *testing.T, what string, readme, metadata [][]string) {
	t.Helper()
	for _, r := range sortedRows(readme) {
		if !slices.ContainsFunc(metadata, func(m []string) bool { return slices.Equal(m, r) }) {
			t.Errorf("README %s row %q is not in the policy", what, r)
		}
	}
	for _, m := range sortedRows(metadata) {
		if !slices.ContainsFunc(readme, func(r []string) bool { return slices.Equal(m, r) }) {
			t.Errorf("the policy has %q, which README's %s table lacks", m, what)
		}
	}
}

func TestReadmeMatchesMetadata(t *testing.T) {
	t.Parallel()
	got := readAnnotations(t)
	var packages [][]string
	for file, p := range got.packages {
		packages = append(packages, append([]string{file}, p...))
	}
	sameRows(t, "files", readmeTable(t, "## What is here"), packages)
	sameRows(t, "rules", readmeTable(t, "## Rules"), got.rules)
	sameRows(t, "reasons", readmeTable(t, "## Reason codes"), got.reasons)

	policyCodes := map[string]bool{}
	for _, r := range got.reasons {
		policyCodes[r[0]] = true
	}
	seen := map[string]bool{}
	for _, row := range readmeTable(t, "## Codes the gateway gives without asking the policy") {
		code := row[0]
		switch {
		case !regexp.MustCompile(`^[a-z][a-z_]*$`).MatchString(code) || len(row) != 2 || row[1] == "":
			t.Errorf("gateway code row %q: want a snake_case code and when it is given", row)
		case policyCodes[code]:
			t.Errorf("%s is a policy reason code; the gateway's own codes must differ", code)
		case seen[code]:
			t.Errorf("gateway code %s is listed twice", code)
		}
		seen[code] = true
	}

	raw, _ := os.ReadFile("../policies/README.md")
	m := regexp.MustCompile("`PASS: (\\d+)/(\\d+)` today").FindStringSubmatch(string(raw))
	if m == nil || m[1] != m[2] || m[1] != strconv.Itoa(got.tests) {
		t.Errorf("README gives the test count as %q; the bundle has %d tests", m, got.tests)
	}
}

// TestBasesAndEntrypoints checks that each annotated basis is a value the policy can give and
// that the annotated entrypoints are exactly the queries the gateway asks.
func TestBasesAndEntrypoints(t *testing.T) {
	t.Parallel()
	modules, err := parseModules(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	strs := map[string]bool{}
	for name, m := range modules {
		if !isTestFile(name) {
			ast.WalkTerms(m, func(x *ast.Term) bool {
				if s, ok := x.Value.(ast.String); ok {
					strs[string(s)] = true
				}
				return false
			})
		}
	}
	var entrypoints []string
	for _, r := range readAnnotations(t).rules {
		if r[2] != "" && !strs[r[2]] {
			t.Errorf("%s is annotated with basis %q, which no policy rule gives", r[0], r[2])
		}
		if r[3] == "yes" {
			entrypoints = append(entrypoints, "data.mypatients."+r[0])
		}
	}
	slices.Sort(entrypoints)
	if want := []string{policies.Query, policies.StandingQuery}; !slices.Equal(entrypoints, want) {
		t.Errorf("entrypoints = %v, want %v", entrypoints, want)
	}
}

// TestEveryLineIsTested runs the bundle's tests with OPA's coverage tracer: every line of
// every policy file must be reached by some test.
func TestEveryLineIsTested(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	modules, err := parseModules(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	cov := cover.New()
	results, done, err := startPolicyTests(ctx, modules, false, cov)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	for r := range results {
		if !r.Pass() {
			t.Errorf("%s: %v", r.Name, r.Error)
		}
	}
	for name, fr := range cov.Report(modules).Files {
		if isTestFile(name) {
			continue
		}
		for _, rng := range fr.NotCovered {
			t.Errorf("%s:%d-%d is reached by no test", name, rng.Start.Row, rng.End.Row)
		}
	}
}

// TestReadmeScenarios holds the README's list of scenarios to testdata/: every file listed
// with the decision it expects, and every reason code of the policy given by some scenario.
// It also checks that the README's example of `policy explain` is what the command prints.
func TestReadmeScenarios(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	files, err := filepath.Glob("../policies/testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	var listed [][]string
	for _, row := range readmeTable(t, "## Scenarios") {
		listed = append(listed, []string{row[0], strings.ReplaceAll(row[2], "`", "")})
	}
	var want [][]string
	given := map[string]bool{}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := ReadPolicyDocument(ctx, raw)
		if err != nil || doc.Expected == nil {
			t.Fatalf("%s: %v", file, err)
		}
		want = append(want, []string{filepath.Base(file), decisionCell(*doc.Expected)})
		for _, r := range doc.Expected.Reasons {
			given[r.Code] = true
		}
	}
	sameRows(t, "scenarios", listed, want)
	for _, r := range readAnnotations(t).reasons {
		if !given[r[0]] {
			t.Errorf("no scenario gives the reason %s", r[0])
		}
	}

	readme, _ := os.ReadFile("../policies/README.md")
	m := regexp.MustCompile("(?s)\n    go run ./cmd/mypatients policy explain policies/(testdata/[a-z-]+\\.json)\n.*?" +
		"For the scenario above, today:\n\n(.*?)\n\n`--json`").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no example of policy explain")
	}
	raw, err := os.ReadFile("../policies/" + string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	e, err := ExplainDocument(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	e.WriteText(&out)
	example := regexp.MustCompile("(?m)^    ").ReplaceAllString(string(m[2]), "")
	if example != strings.TrimSuffix(out.String(), "\n") {
		t.Errorf("README's example of policy explain is not what it prints today:\n%s", out.String())
	}
}

// decisionCell is a decision as the README's scenario table gives it: "allow: `pcp`" or
// "deny: `not_pcp`", the bases or reason codes sorted.
func decisionCell(d DecisionDocument) string {
	var names []string
	for _, pd := range d.Patients {
		if pd.Allowed && !slices.Contains(names, pd.Basis) {
			names = append(names, pd.Basis)
		}
	}
	if d.Basis != "" {
		names = append(names, d.Basis)
	}
	verdict := "allow: "
	if !d.Allow {
		verdict, names = "deny: ", nil
		for _, r := range d.Reasons {
			names = append(names, r.Code)
		}
	}
	slices.Sort(names)
	return verdict + strings.Join(names, ", ")
}
