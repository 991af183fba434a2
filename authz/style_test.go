package authz

import (
	"bytes"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"

	"github.com/mypatients/gateway/policies"
)

// The style guide's linter, Regal, cannot be installed where the gateway is built, so the
// mechanical part of its main rules is checked here on the embedded bundle; the rest is kept
// by hand (see policies/README.md, "Style").

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// TestPolicyFilesAreFormatted is Regal's opa-fmt and line-length: every file as `opa fmt`
// writes it, no line longer than 120 characters.
func TestPolicyFilesAreFormatted(t *testing.T) {
	t.Parallel()
	files, err := regoFiles(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		src, err := fs.ReadFile(policies.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		formatted, err := format.SourceWithOpts(name, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(formatted, src) {
			t.Errorf("%s is not formatted as opa fmt formats it", name)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if n := utf8.RuneCountInString(line); n > 120 {
				t.Errorf("%s:%d: %d characters, more than 120", name, i+1, n)
			}
		}
	}
}

// TestPolicyLayout is Regal's directory-package-mismatch, test-outside-test-package,
// file-missing-test-suffix and rule-name-repeats-package, and the compiler's strict mode
// (unused imports and variables, shadowed input or data, deprecated built-ins).
func TestPolicyLayout(t *testing.T) {
	t.Parallel()
	modules, err := parseModules(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range modules {
		pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
		want := strings.ReplaceAll(strings.TrimSuffix(pkg, "_test"), ".", "/")
		if dir := path.Dir(name); dir != want {
			t.Errorf("%s: package %s belongs in %s/", name, pkg, want)
		}
		if isTestFile(name) != strings.HasSuffix(pkg, "_test") {
			t.Errorf("%s: package %s: tests, and only tests, go in _test.rego files of _test packages", name, pkg)
		}
		last := path.Base(want)
		for _, r := range m.Rules {
			rule := ruleName(r)
			if !isTestFile(name) && strings.HasPrefix(rule, "test_") {
				t.Errorf("%s: test %s outside a test file", name, rule)
			}
			if strings.HasPrefix(rule, last+"_") {
				t.Errorf("%s: rule %s repeats its package's name", name, rule)
			}
		}
	}
	compiler := ast.NewCompiler().WithStrict(true).WithDefaultRegoVersion(ast.RegoV1)
	if compiler.Compile(modules); compiler.Failed() {
		t.Errorf("strict compilation: %v", compiler.Errors)
	}
}

// TestPolicyRules is Regal's prefer-snake-case, use-assignment-operator, messy-rule,
// ambiguous-scope and external-reference, and the house rule that every boolean rule has a
// default.
func TestPolicyRules(t *testing.T) {
	t.Parallel()
	modules, err := parseModules(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range modules {
		ast.WalkVars(m, func(v ast.Var) bool {
			if v != "" && !v.IsGenerated() && !v.IsWildcard() && !snakeCase.MatchString(string(v)) {
				t.Errorf("%s: %s is not snake_case", name, v)
			}
			return false
		})
		defined := checkRules(t, name, m)
		for _, a := range m.Annotations {
			target := a.GetTargetPath()
			if last, _ := target[len(target)-1].Value.(ast.String); a.Scope == "rule" && defined[string(last)] > 1 {
				t.Errorf("%s:%d: METADATA on a rule with several definitions needs scope: document", name, a.Location.Row)
			}
			if a.Title == "" {
				t.Errorf("%s:%d: METADATA without a title", name, a.Location.Row)
			}
		}
	}
}

// checkRules checks the rules of module m and returns how often each is defined.
func checkRules(t *testing.T, name string, m *ast.Module) map[string]int {
	t.Helper()
	defined, defaults := map[string]int{}, map[string]bool{}
	previous := ""
	for _, r := range m.Rules {
		rule := ruleName(r)
		if defined[rule] > 0 && rule != previous {
			t.Errorf("%s:%d: the definitions of %s are not together", name, r.Location.Row, rule)
		}
		previous = rule
		defined[rule]++
		defaults[rule] = defaults[rule] || r.Default
		if v := r.Head.Value; v != nil && v.Location != nil && !r.Head.Assign {
			t.Errorf("%s:%d: %s assigns with = rather than :=", name, r.Location.Row, rule)
		}
		if len(r.Head.Args) > 0 && !isTestFile(name) {
			checkPure(t, name, m, r)
		}
	}
	for _, r := range m.Rules {
		implicitTrue := r.Head.Value != nil && r.Head.Value.Location == nil && r.Head.Key == nil && len(r.Head.Args) == 0
		if rule := ruleName(r); implicitTrue && !defaults[rule] && !isTestFile(name) {
			t.Errorf("%s:%d: boolean rule %s has no default", name, r.Location.Row, rule)
		}
	}
	return defined
}

// checkPure fails when function r of module m refers to input, data, a rule of its package
// or an imported package other than by calling a function: a function depends on its
// arguments only (Regal's external-reference).
func checkPure(t *testing.T, name string, m *ast.Module, r *ast.Rule) {
	t.Helper()
	external := map[ast.Var]bool{"input": true, "data": true}
	for _, other := range m.Rules {
		if len(other.Head.Args) == 0 {
			external[ast.Var(ruleName(other))] = true
		}
	}
	for _, imp := range m.Imports {
		external[imp.Name()] = true
	}
	called := map[*ast.Term]bool{}
	ast.WalkExprs(r, func(e *ast.Expr) bool {
		if e.IsCall() {
			called[e.Terms.([]*ast.Term)[0]] = true
		}
		return false
	})
	ast.WalkTerms(r, func(x *ast.Term) bool {
		if c, ok := x.Value.(ast.Call); ok {
			called[c[0]] = true
		}
		return false
	})
	ast.WalkTerms(r, func(x *ast.Term) bool {
		if called[x] {
			return true // a call, not a reference: the operator is not visited
		}
		if v, ok := x.Value.(ast.Var); ok && external[v] {
			t.Errorf("%s:%d: function %s refers to %s; pass it as an argument", name, x.Location.Row, ruleName(r), v)
		}
		return false
	})
}

// ruleName is the first part of a rule's head: "allow" for allow, "pcp_of" for pcp_of[id].
func ruleName(r *ast.Rule) string { return r.Head.Ref()[0].Value.(ast.Var).String() }
