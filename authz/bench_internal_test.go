package authz

// One policy decision for the demo's PCP case, every fact already gathered (issue 14: at most
// 20 µs p50): as the gateway makes it under load, where the same question recurs within the
// second and the memo answers (memo.go); and unremembered, each input new, so OPA evaluates
// it. Beside them, the same input through a trivial prepared Rego query: OPA's floor.
//
// Run with: go test ./authz -run '^$' -bench PolicyEvaluate -benchmem -count 5

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/policies"
)

// pcpInput is the input Decide builds when the demo user pcp (Practitioner/dr-patel, of
// Maple Street Pediatrics) reads child-01, whose generalPractitioner is dr-patel.
func pcpInput() Input {
	c := gateway.Caller{Subject: "accounts:u-pcp", Username: "pcp", IdP: "accounts", ClientID: "demo-app",
		Scopes: []string{"openid", "fhirUser", "user/*.rs"}, FHIRUser: "Practitioner/dr-patel", TokenID: "jti-pcp"}
	principal := Principal{ID: c.Subject, Practitioner: "Practitioner/dr-patel",
		Practices:       []string{"Organization/practice-maple"},
		PracticeMembers: []string{"Practitioner/dr-okafor", "Practitioner/dr-patel"}}
	pcpOf := map[string]PCP{"child-01": {Practitioners: []string{"Practitioner/dr-patel"}, Organizations: []string{}}}
	in := buildInput(c, gateway.Request{Interaction: gateway.Read, ResourceType: "Patient", Patients: []string{"child-01"}},
		principal, pcpOf)
	standing{counted: c, user: "active"}.addTo(&in, time.Now())
	return in
}

func BenchmarkPolicyEvaluatePCP(b *testing.B) {
	ctx := context.Background()
	p, err := LoadPolicy(ctx, policies.FS)
	if err != nil {
		b.Fatal(err)
	}
	in := pcpInput()
	b.ReportAllocs()
	LoopWithP50(b, func() {
		d, err := p.Evaluate(ctx, in)
		if err != nil || !d.Allow || d.Patients["child-01"].Basis != "pcp" {
			b.Fatalf("decision %+v, %v", d, err)
		}
	})
}

// BenchmarkPolicyEvaluatePCPUnremembered is the same decision when the memo cannot answer: each
// input is new (its time differs), so every iteration evaluates the policy.
func BenchmarkPolicyEvaluatePCPUnremembered(b *testing.B) {
	ctx := context.Background()
	p, err := LoadPolicy(ctx, policies.FS)
	if err != nil {
		b.Fatal(err)
	}
	in := pcpInput()
	start := time.Now()
	i := 0
	b.ReportAllocs()
	LoopWithP50(b, func() {
		i++
		in.Now = start.Add(time.Duration(i) * time.Second).UTC().Format(time.RFC3339)
		d, err := p.Evaluate(ctx, in)
		if err != nil || !d.Allow || d.Patients["child-01"].Basis != "pcp" {
			b.Fatalf("decision %+v, %v", d, err)
		}
	})
}

func BenchmarkPolicyEvaluateBaselineTrivialRego(b *testing.B) {
	ctx := context.Background()
	q, err := rego.New(rego.Query("data.bench.decision"),
		rego.Module("bench.rego", "package bench\n\ndecision := {\"allow\": input.request.interaction == \"read\"}\n"),
	).PrepareForEval(ctx)
	if err != nil {
		b.Fatal(err)
	}
	in := pcpInput()
	b.ReportAllocs()
	LoopWithP50(b, func() {
		rs, err := q.Eval(ctx, rego.EvalInput(in))
		if err != nil || len(rs) != 1 {
			b.Fatalf("%v %v", rs, err)
		}
	})
}

// LoopWithP50 runs f in the benchmark loop and reports the median duration of one call too
// (ns/op is the mean, which GC pauses pull up). Exported for the package's external
// benchmarks.
func LoopWithP50(b *testing.B, f func()) {
	var ds []time.Duration
	for b.Loop() {
		t0 := time.Now()
		f()
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Nanoseconds()), "p50-ns")
}
