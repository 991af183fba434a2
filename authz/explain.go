package authz

import (
	"context"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/policies"
)

// Explanation is the policy's decision on a document with the rules that produced it.
type Explanation struct {
	Document PolicyDocument
	Decision gateway.Decision
	// Rules are the rules with a METADATA title that the evaluation asked, by path; the
	// helper rules between them are left out.
	Rules []ExplainedRule
}

// ExplainedRule is one named rule the decision asked.
type ExplainedRule struct {
	Rule  string `json:"rule"` // the path under data.mypatients, e.g. "relationships.is_pcp"
	Title string `json:"title"`
	// Held is true when a definition other than the rule's default held; false when only the
	// default did, or no definition held.
	Held bool `json:"held"`
	// Where lists the definitions that held ("file:row"), or where the rule is written when
	// none did.
	Where []string `json:"where"`
	Code  string   `json:"code,omitempty"`  // the reason the rule is
	Basis string   `json:"basis,omitempty"` // the basis the rule allows on
}

// Matches reports whether the decision is the scenario's expected one; true when the
// document is not a scenario.
func (e Explanation) Matches() bool {
	return e.Document.Expected == nil || e.Document.Expected.Equal(documentOf(e.Decision))
}

// ExplainDocument reads raw as ReadPolicyDocument does and explains the embedded policy's
// decision on it.
func ExplainDocument(ctx context.Context, raw []byte) (Explanation, error) {
	doc, err := ReadPolicyDocument(ctx, raw)
	if err != nil {
		return Explanation{}, err
	}
	p, err := LoadPolicy(ctx, policies.FS)
	if err != nil {
		return Explanation{}, err
	}
	return p.Explain(ctx, doc)
}

// Explain evaluates the access decision on doc's input, as Evaluate does, tracing which
// rules OPA asked and which held.
func (p *Policy) Explain(ctx context.Context, doc PolicyDocument) (Explanation, error) {
	var trace ruleTracer
	d, err := p.evaluate(ctx, doc.Input, rego.EvalQueryTracer(&trace))
	if err != nil {
		return Explanation{}, err
	}
	return Explanation{Document: doc, Decision: d, Rules: p.book.explain(trace.events)}, nil
}

// explain sums up a trace by named rule.
func (b *ruleBook) explain(trace []*topdown.Event) []ExplainedRule {
	asked := map[*bookRule]bool{}
	for _, ev := range trace {
		if r, ok := ev.Node.(*ast.Rule); ok && ev.Op == topdown.EnterOp && b.byDef[defKey(r)] != nil {
			asked[b.byDef[defKey(r)]] = true
		}
	}
	held := map[*bookRule][]string{}
	for _, f := range b.firings(trace) {
		if !slices.Contains(held[f.rule], f.def) {
			held[f.rule] = append(held[f.rule], f.def)
		}
	}
	var out []ExplainedRule
	for _, r := range b.rules {
		if !asked[r] || r.Title == "" {
			continue
		}
		er := ExplainedRule{Rule: r.Path, Title: r.Title, Code: r.Code, Basis: r.Basis, Where: held[r]}
		er.Held = len(er.Where) > 0 && !slices.Equal(er.Where, []string{r.defaults})
		if len(er.Where) == 0 {
			er.Where = r.defs[:1]
		}
		out = append(out, er)
	}
	return out
}

// source returns the asked rule that gives the reason code, or allows on the basis, named.
func (e Explanation) source(name string) (ExplainedRule, bool) {
	i := slices.IndexFunc(e.Rules, func(r ExplainedRule) bool { return r.Held && (r.Code == name || r.Basis == name) })
	if i < 0 {
		return ExplainedRule{}, false
	}
	return e.Rules[i], true
}

// ruleTracer keeps the events of an evaluation that enter or exit a rule. It asks OPA for
// no variable bindings, which only a full trace needs.
type ruleTracer struct{ events []*topdown.Event }

func (t *ruleTracer) Enabled() bool { return true }

func (t *ruleTracer) Config() topdown.TraceConfig { return topdown.TraceConfig{} }

func (t *ruleTracer) TraceEvent(ev topdown.Event) {
	if _, ok := ev.Node.(*ast.Rule); ok && (ev.Op == topdown.EnterOp || ev.Op == topdown.ExitOp) {
		t.events = append(t.events, &ev)
	}
}
