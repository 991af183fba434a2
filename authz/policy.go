package authz

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/mypatients/gateway/policies"
)

// Policy is the access policy compiled and prepared for evaluation. It is safe for concurrent
// use; a new bundle means a new Policy, never a changed one.
type Policy struct {
	decision rego.PreparedEvalQuery // policies.Query
	standing rego.PreparedEvalQuery // policies.StandingQuery
	revision string
	book     *ruleBook     // for explanations
	memo     *decisionMemo // nil when a rule is nondeterministic
}

// manifest is the part of an OPA bundle's .manifest that the gateway checks.
type manifest struct {
	Roots    []string `json:"roots"`
	Revision *string  `json:"revision"`
}

// LoadPolicy compiles the policy modules of bundle (every .rego file except the _test.rego
// ones) once and prepares both entrypoints on them.
func LoadPolicy(ctx context.Context, bundle fs.FS) (*Policy, error) {
	modules, revision, err := readBundle(bundle)
	if err != nil {
		return nil, err
	}
	book := newRuleBook(modules)
	compiler := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1)
	if compiler.Compile(modules); compiler.Failed() {
		return nil, fmt.Errorf("authz: compile policy: %w", compiler.Errors)
	}
	p := &Policy{revision: revision, book: book}
	if nondeterministic(modules) == "" {
		p.memo = &decisionMemo{}
	}
	for query, into := range map[string]*rego.PreparedEvalQuery{policies.Query: &p.decision, policies.StandingQuery: &p.standing} {
		*into, err = rego.New(rego.Compiler(compiler), rego.Query(query), rego.StrictBuiltinErrors(true)).PrepareForEval(ctx)
		if err != nil {
			return nil, fmt.Errorf("authz: prepare %s: %w", query, err)
		}
	}
	return p, nil
}

// Revision identifies the bundle: "sha256:" and the first 16 hex digits of a hash of the
// manifest and the policy modules (tests excluded), so that a changed rule always changes it
// and no hand-kept label can fall behind.
func (p *Policy) Revision() string { return p.revision }

// readBundle parses the manifest and the policy modules of bundle and computes its revision.
func readBundle(bundle fs.FS) (map[string]*ast.Module, string, error) {
	rawManifest, err := fs.ReadFile(bundle, ".manifest")
	if err != nil {
		return nil, "", fmt.Errorf("authz: read policy manifest: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(rawManifest, &m); err != nil {
		return nil, "", fmt.Errorf("authz: decode policy manifest: %w", err)
	}
	if m.Revision != nil {
		return nil, "", errors.New("authz: the policy manifest sets a revision; the revision is the bundle's content hash")
	}
	if !slices.Equal(m.Roots, []string{"mypatients"}) {
		return nil, "", fmt.Errorf("authz: the policy manifest's roots are %q, want [mypatients]", m.Roots)
	}
	files, err := policyFiles(bundle)
	if err != nil {
		return nil, "", err
	}
	hash := sha256.New()
	writeHashed(hash, ".manifest", rawManifest)
	modules, err := parseFiles(bundle, files, func(name string, src []byte) { writeHashed(hash, name, src) })
	if err != nil {
		return nil, "", err
	}
	return modules, "sha256:" + hex.EncodeToString(hash.Sum(nil))[:16], nil
}

// writeHashed feeds one named file into h, length-prefixed so that no two different bundles
// produce the same stream.
func writeHashed(h io.Writer, name string, content []byte) {
	fmt.Fprintf(h, "%d:%s\n%d:", len(name), name, len(content))
	h.Write(content)
}

// parseFiles parses the named .rego files of bundle, keyed by name, calling read (if not nil)
// with each file's source in order.
func parseFiles(bundle fs.FS, files []string, read func(name string, src []byte)) (map[string]*ast.Module, error) {
	modules := make(map[string]*ast.Module, len(files))
	for _, name := range files {
		src, err := fs.ReadFile(bundle, name)
		if err != nil {
			return nil, fmt.Errorf("authz: read policy %s: %w", name, err)
		}
		if read != nil {
			read(name, src)
		}
		m, err := ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{
			RegoVersion:       ast.RegoV1,
			ProcessAnnotation: true,
		})
		if err != nil {
			return nil, fmt.Errorf("authz: parse policy %s: %w", name, err)
		}
		modules[name] = m
	}
	return modules, nil
}

// policyFiles lists the .rego files of bundle that decide (tests excluded), sorted.
func policyFiles(bundle fs.FS) ([]string, error) {
	files, err := regoFiles(bundle)
	if err != nil {
		return nil, err
	}
	files = slices.DeleteFunc(files, isTestFile)
	if len(files) == 0 {
		return nil, errors.New("authz: policy bundle has no policy modules")
	}
	return files, nil
}

func isTestFile(name string) bool { return strings.HasSuffix(name, "_test.rego") }

// regoFiles lists every .rego file of bundle, tests included, sorted.
func regoFiles(bundle fs.FS) ([]string, error) {
	var files []string
	err := fs.WalkDir(bundle, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && path.Ext(name) == ".rego" {
			files = append(files, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("authz: list policy files: %w", err)
	}
	slices.Sort(files)
	return files, nil
}
