package authz

import (
	"net/url"
	"testing"

	"github.com/mypatients/gateway/upstream"
)

func TestNormalizeRef(t *testing.T) {
	t.Parallel()
	up, err := upstream.New(upstream.Options{BaseURL: "https://ehr.example.org/fhir"})
	if err != nil {
		t.Fatal(err)
	}
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
		typ, id, ok := normalizeRef(up, tt.ref, types...)
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
