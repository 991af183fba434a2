package authz

import (
	"context"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/mypatients/gateway/policies"
)

// TestMemoAnswersAsEvaluationWould: a remembered answer is the one evaluating gives, for the
// same input only; another input (another patient's PCP) is evaluated anew.
func TestMemoAnswersAsEvaluationWould(t *testing.T) {
	ctx := context.Background()
	p, err := LoadPolicy(ctx, policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	if p.memo == nil {
		t.Fatal("the embedded policy is deterministic, yet the memo is off")
	}
	fresh := &Policy{decision: p.decision, standing: p.standing, revision: p.revision} // no memo
	allowed := pcpInput()
	refused := pcpInput()
	refused.Facts.PCPOf["child-01"] = PCP{Practitioners: []string{"Practitioner/dr-lindqvist"}, Organizations: []string{}}
	for range 2 { // the second round answers from the memo
		for _, in := range []Input{allowed, refused} {
			got, err1 := p.Evaluate(ctx, in)
			want, err2 := fresh.Evaluate(ctx, in)
			if err1 != nil || err2 != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("memo %+v (%v), evaluation %+v (%v)", got, err1, want, err2)
			}
		}
	}
	if d, _ := p.Evaluate(ctx, refused); d.Allow {
		t.Fatal("the refused input was answered with the allowed one's decision")
	}
	if n := len(p.memo.answers); n != 2 {
		t.Errorf("memo holds %d answers, want 2", n)
	}
}

// TestMemoOffForNondeterministicPolicies: a rule calling a builtin whose answer can change
// between two evaluations of one input turns the memo off.
func TestMemoOffForNondeterministicPolicies(t *testing.T) {
	for src, want := range map[string]string{
		"package x\n\nallow if time.now_ns() > 0\n":             "time.now_ns",
		"package x\n\nallow if input.a == \"b\"\n":              "",
		"package x\n\nr := x if { x := http.send({}) }\n":       "http.send",
		"package x\n\nok if time.parse_rfc3339_ns(input.t) > 0": "",
	} {
		m, err := ast.ParseModuleWithOpts("x.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		if got := nondeterministic(map[string]*ast.Module{"x.rego": m}); got != want {
			t.Errorf("%q: nondeterministic %q, want %q", src, got, want)
		}
	}
}
