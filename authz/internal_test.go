package authz

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/mypatients/gateway/policies"
)

func TestNormalizeRef(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("https://ehr.example.org/fhir")
	types := []string{"Practitioner", "Organization", "PractitionerRole"}
	tests := []struct {
		ref, want string
	}{
		{"Practitioner/dr-patel", "Practitioner/dr-patel"},
		{"PractitionerRole/role-patel-maple", "PractitionerRole/role-patel-maple"},
		{"Organization/practice-maple", "Organization/practice-maple"},
		{"Practitioner/dr-patel/_history/2", "Practitioner/dr-patel"},
		{"https://ehr.example.org/fhir/Practitioner/dr-patel", "Practitioner/dr-patel"},
		{"HTTPS://EHR.example.org/fhir/Organization/practice-maple", "Organization/practice-maple"},
		{"https://ehr.example.org/fhir/Practitioner/dr-patel/_history/7", "Practitioner/dr-patel"},
		// Everything below names nothing the gateway can rely on.
		{"https://elsewhere.example.org/fhir/Practitioner/dr-patel", ""},
		{"http://ehr.example.org/fhir/Practitioner/dr-patel", ""},
		{"https://ehr.example.org/other/Practitioner/dr-patel", ""},
		{"https://ehr.example.org/fhir/Practitioner/dr-patel?x=1", ""},
		{"https://ehr.example.org/fhirPractitioner/dr-patel", ""},
		{"#contained", ""},
		{"urn:uuid:6d3b2c1e-1111-4222-8333-944455556666", ""},
		{"Patient/child-01", ""},
		{"practitioner/dr-patel", ""},
		{"Practitioner/", ""},
		{"Practitioner/..", ""},
		{"Practitioner/a/b", ""},
		{"Practitioner/dr patel", ""},
		{"/Practitioner/dr-patel", ""},
		{"", ""},
	}
	for _, tt := range tests {
		typ, id, ok := normalizeRef(base, tt.ref, types...)
		got := ""
		if ok {
			got = typ + "/" + id
		}
		if got != tt.want {
			t.Errorf("normalizeRef(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestBelowBase(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("http://127.0.0.1:8081/fhir")
	tests := []struct {
		link, path, query string
		ok                bool
	}{
		{"http://127.0.0.1:8081/fhir/PractitionerRole?organization=Organization%2Fx&page=2", "PractitionerRole", "organization=Organization%2Fx&page=2", true},
		{"PractitionerRole?page=2", "PractitionerRole", "page=2", true},
		{"http://evil.example/fhir/PractitionerRole?page=2", "", "", false},
		{"http://127.0.0.1:8081/PractitionerRole?page=2", "", "", false},
		{"https://127.0.0.1:8081/fhir/PractitionerRole", "", "", false},
	}
	for _, tt := range tests {
		path, q, err := belowBase(base, tt.link)
		if (err == nil) != tt.ok || path != tt.path || q.Encode() != tt.query {
			t.Errorf("belowBase(%q) = %q, %q, %v", tt.link, path, q.Encode(), err)
		}
	}
}

// TestReasonAnnotations checks what auditors read in the policy's METADATA against what the
// policy does: one entrypoint, the decision; and every custom.code annotation sits on a
// reason whose code is that same string, covering exactly the documented codes.
func TestReasonAnnotations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	modules, err := parseModules(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	var entrypoints, codes []string
	reasonRules := map[string]string{}
	for name, m := range modules {
		for _, a := range m.Annotations {
			target := a.GetTargetPath().String()
			if a.Entrypoint {
				entrypoints = append(entrypoints, target)
			}
			if code, ok := a.Custom["code"].(string); ok {
				codes = append(codes, code)
				reasonRules[target] = code
			}
			if a.Scope == "" {
				t.Errorf("%s: annotation without scope", name)
			}
		}
	}
	if !slices.Equal(entrypoints, []string{policies.Query}) {
		t.Errorf("entrypoints = %v, want [%s]", entrypoints, policies.Query)
	}
	slices.Sort(codes)
	want := []string{"account_suspended", "grant_expired", "no_patient_named", "not_clinician", "not_pcp", "not_read_only",
		"scope_not_permitted", "sponsor_suspended", "staff_suspended"}
	if !slices.Equal(codes, want) {
		t.Errorf("annotated reason codes = %v, want %v", codes, want)
	}
	for rule, code := range reasonRules {
		var opts []func(*rego.Rego)
		for _, m := range modules {
			opts = append(opts, rego.ParsedModule(m))
		}
		rs, err := rego.New(append(opts, rego.Query(rule+".code"))...).Eval(ctx)
		if err != nil || len(rs) != 1 || rs[0].Expressions[0].Value != code {
			t.Errorf("%s.code = %v (%v), but it is annotated %q", rule, rs, err, code)
		}
	}
}
