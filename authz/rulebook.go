package authz

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// ruleBook is what the policy modules of a bundle define: every rule by its path under
// data.mypatients (for example "relationships.is_pcp"), with each of its definitions and
// what its METADATA annotation says. Policy tests and explanations both read evaluation
// traces through it.
type ruleBook struct {
	rules []*bookRule            // sorted by path
	byDef map[string]*bookRule   // by definition, "file:row"
	byKey map[string]*bookRule   // by path
	codes map[string]*bookRule   // reason rules by their custom.code
	bases map[string][]*bookRule // rules by the basis (custom.basis) they allow on
}

// bookRule is one rule of the policy.
type bookRule struct {
	Path  string // under data.mypatients
	Title string // the METADATA title; "" for a helper rule without an annotation
	Code  string // custom.code: the rule is a reason the policy gives for a refusal
	Basis string // custom.basis: the basis the rule allows on
	// defs are the rule's definitions, each "file:row": every body, every else branch and
	// the default, in the order they are written.
	defs     []string
	defaults string // the default's "file:row", if the rule has one
}

// newRuleBook indexes the rules of modules, skipping _test.rego files.
func newRuleBook(modules map[string]*ast.Module) *ruleBook {
	b := &ruleBook{byDef: map[string]*bookRule{}, byKey: map[string]*bookRule{}, codes: map[string]*bookRule{},
		bases: map[string][]*bookRule{}}
	for name, m := range modules {
		if isTestFile(name) {
			continue
		}
		for _, r := range m.Rules {
			br := b.rule(rulePath(r.Ref().GroundPrefix()))
			for def := r; def != nil; def = def.Else {
				b.byDef[defKey(def)] = br
				br.defs = append(br.defs, defKey(def))
				if def.Default {
					br.defaults = defKey(def)
				}
			}
		}
		for _, a := range m.Annotations {
			if a.Scope == "package" || a.Scope == "subpackages" {
				continue
			}
			br := b.rule(rulePath(a.GetTargetPath()))
			br.Title = a.Title
			br.Code, _ = a.Custom["code"].(string)
			br.Basis, _ = a.Custom["basis"].(string)
		}
	}
	for _, br := range b.byKey {
		b.rules = append(b.rules, br)
		if br.Code != "" {
			b.codes[br.Code] = br
		}
		if br.Basis != "" {
			b.bases[br.Basis] = append(b.bases[br.Basis], br)
		}
	}
	slices.SortFunc(b.rules, func(x, y *bookRule) int { return strings.Compare(x.Path, y.Path) })
	return b
}

func (b *ruleBook) rule(path string) *bookRule {
	br, ok := b.byKey[path]
	if !ok {
		br = &bookRule{Path: path}
		b.byKey[path] = br
	}
	return br
}

// rulePath names a rule by its path under data.mypatients.
func rulePath(ref ast.Ref) string { return strings.TrimPrefix(ref.String(), "data.mypatients.") }

// defKey identifies one definition of a rule by where it is written.
func defKey(r *ast.Rule) string {
	if r.Location == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
}

// firing is one definition of a policy rule that held during an evaluation: its body was
// satisfied (or, for a default, no other definition was) and it produced its value.
type firing struct {
	rule *bookRule
	def  string // "file:row"
	// gives are the reason codes the definition names: it held, so it gave them.
	gives []string
}

// firings reads an evaluation trace for the definitions of the book's rules that held, in
// the order they did. A test's own rules are not the policy's and are left out, so a reason
// a test names in the value it expects is not counted as given.
func (b *ruleBook) firings(trace []*topdown.Event) []firing {
	var out []firing
	for _, ev := range trace {
		r, ok := ev.Node.(*ast.Rule)
		if !ok || ev.Op != topdown.ExitOp {
			continue
		}
		if br := b.byDef[defKey(r)]; br != nil {
			out = append(out, firing{rule: br, def: defKey(r), gives: b.reasonsNamed(r)})
		}
	}
	return out
}

// reasonsNamed lists the reason codes whose rules definition r refers to, in its head or
// body (not in its else branches, which are definitions of their own). r is the compiled
// rule of a trace, whose references are resolved to full paths.
func (b *ruleBook) reasonsNamed(r *ast.Rule) []string {
	var codes []string
	visit := func(ref ast.Ref) bool {
		if br := b.byKey[rulePath(ref.GroundPrefix())]; br != nil && br.Code != "" && !slices.Contains(codes, br.Code) {
			codes = append(codes, br.Code)
		}
		return false
	}
	ast.WalkRefs(r.Head, visit)
	ast.WalkRefs(r.Body, visit)
	return codes
}
