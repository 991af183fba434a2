package authz_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/authz"
	"github.com/mypatients/gateway/policies"
)

func TestNarrow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name   string
		caller gateway.Caller
		want   string
	}{
		{"pcp", pcp, "Organization/practice-maple,Practitioner/dr-okafor,Practitioner/dr-patel," +
			"PractitionerRole/role-okafor-maple,PractitionerRole/role-patel-maple"},
		// Dr Okafor's old, inactive role at Harbor is listed (a patient may still name it)
		// but makes neither Harbor his practice nor its members his colleagues.
		{"colleague", colleague, "Organization/practice-maple,Practitioner/dr-okafor,Practitioner/dr-patel," +
			"PractitionerRole/role-okafor-harbor-old,PractitionerRole/role-okafor-maple,PractitionerRole/role-patel-maple"},
		{"specialist", specialist, "Organization/practice-lakeside,Practitioner/dr-moreau,PractitionerRole/role-moreau-lakeside"},
		{"practitioner without roles", caller("nobody", "dr-unknown"), "Practitioner/dr-unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, ok, err := e.az.Narrow(context.Background(), tt.caller, "Patient")
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			if len(q) != 1 || q.Get("general-practitioner") != tt.want {
				t.Fatalf("Narrow = %v\nwant general-practitioner=%s", q, tt.want)
			}
		})
	}
}

func TestNarrowRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	if q, ok, err := e.az.Narrow(ctx, staff, "Patient"); ok || err != nil {
		t.Fatalf("staff: got %v, %v, %v; want nothing visible", q, ok, err)
	}
	odd := pcp
	odd.FHIRUser = "RelatedPerson/mum"
	if q, ok, err := e.az.Narrow(ctx, odd, "Patient"); ok || err != nil {
		t.Fatalf("RelatedPerson: got %v, %v, %v; want nothing visible", q, ok, err)
	}
	if q, _, err := e.az.Narrow(ctx, pcp, "Observation"); !errors.Is(err, authz.ErrNotNarrowable) {
		t.Fatalf("Observation: got %v, %v; want ErrNotNarrowable", q, err)
	}
}

func TestRunPolicyTests(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	report, err := authz.RunPolicyTests(context.Background(), &out, true)
	if err != nil {
		t.Fatal(err)
	}
	if report.Failed != 0 || report.Passed < 30 {
		t.Fatalf("passed %d, failed %d:\n%s", report.Passed, report.Failed, out.String())
	}
	p, err := authz.LoadPolicy(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"policy revision " + p.Revision() + "\n", "test_one_unallowed_patient_refuses_the_whole_request: PASS", "PASS: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
