package ehr

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// TestPortalSearches runs the searches and reads the clinicians' portal makes, strictly (as the
// gateway asks: Prefer: handling=strict), and compares each answer with the dataset.
func TestPortalSearches(t *testing.T) {
	t.Parallel()
	e := startEHR(t, nil)
	strict := map[string]string{"Prefer": "handling=strict"}
	labs := hasValue("category.coding.code", "laboratory")
	tests := []struct {
		name, path string
		want       func(*Dataset) []string
		atLeast    int
	}{
		{"encounters", "Encounter?patient=child-01", where("Encounter", subjectAnd("child-01", nil)), 5},
		{"stays", "Encounter?patient=child-01&class=IMP", where("Encounter", subjectAnd("child-01", hasValue("class.code", "IMP"))), 1},
		{"recent encounters", "Encounter?patient=child-01&date=ge2026-10-01", where("Encounter", subjectAnd("child-01", func(doc map[string]any) bool {
			return first(doc, "period.end").(string) >= "2026-10-01"
		})), 2},
		{"in hospital now", "Encounter?status=in-progress&class=IMP", where("Encounter", hasValue("status", "in-progress")), 2},
		{"stays in the PICU", "Encounter?location=Location/loc-picu", where("Encounter", hasValue("location.location.reference", "Location/loc-picu")), 2},
		{"by diagnosis", "Encounter?diagnosis=Condition/cond-03-1", where("Encounter", hasValue("diagnosis.condition.reference", "Condition/cond-03-1")), 1},
		{"labs", "Observation?patient=child-03&category=laboratory", where("Observation", subjectAnd("child-03", labs)), 30},
		{"one analyte", "Observation?patient=child-03&category=laboratory&code=http://loinc.org|2339-0",
			where("Observation", subjectAnd("child-03", hasValue("code.coding.code", "2339-0"))), 4},
		{"vitals", "Observation?patient=child-05&category=vital-signs", where("Observation", subjectAnd("child-05", hasValue("category.coding.code", "vital-signs"))), 50},
		{"growth", "Observation?patient=child-05&category=vital-signs&code=8302-2,29463-7,9843-4,39156-5", where("Observation", subjectAnd("child-05", func(doc map[string]any) bool {
			c := first(doc, "code.coding.code")
			return c == "8302-2" || c == "29463-7" || c == "9843-4" || c == "39156-5"
		})), 40},
		{"reports", "DiagnosticReport?patient=child-01", where("DiagnosticReport", subjectAnd("child-01", nil)), 8},
		{"notes of a stay", "DocumentReference?patient=child-01&encounter=enc-01-5", where("DocumentReference", subjectAnd("child-01", hasValue("context.encounter.reference", "Encounter/enc-01-5"))), 3},
		{"active medicines", "MedicationRequest?patient=child-01&status=active", where("MedicationRequest", subjectAnd("child-01", hasValue("status", "active"))), 3},
		{"past medicines", "MedicationRequest?patient=child-01&status=completed,stopped", where("MedicationRequest", subjectAnd("child-01", func(doc map[string]any) bool {
			return doc["status"] == "completed" || doc["status"] == "stopped"
		})), 5},
		{"conditions", "Condition?patient=child-03", where("Condition", subjectAnd("child-03", nil)), 3},
		{"problem list", "Condition?patient=child-03&category=problem-list-item&clinical-status=active",
			where("Condition", subjectAnd("child-03", hasValue("category.coding.code", "problem-list-item"))), 1},
		{"allergies", "AllergyIntolerance?patient=child-05", where("AllergyIntolerance", func(doc map[string]any) bool { return refIs(doc, "patient", "Patient/child-05") }), 2},
		{"severe allergies", "AllergyIntolerance?patient=Patient/child-05&criticality=high", where("AllergyIntolerance", func(doc map[string]any) bool {
			return refIs(doc, "patient", "Patient/child-05") && doc["criticality"] == "high"
		}), 1},
		{"a clinician's roles", "PractitionerRole?practitioner=dr-kim", where("PractitionerRole", func(doc map[string]any) bool { return refIs(doc, "practitioner", "Practitioner/dr-kim") }), 1},
		{"units of a department", "Location?organization=dept-critical-care", where("Location", func(doc map[string]any) bool {
			return refIs(doc, "managingOrganization", "Organization/dept-critical-care")
		}), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := e.with(t)
			resp := e.get(tc.path+"&_count=100", strict)
			if resp.status != http.StatusOK {
				t.Fatalf("GET %s: status %d: %s", tc.path, resp.status, resp.body)
			}
			b := decodeBundle(t, resp.body)
			want := tc.want(e.d)
			if len(want) < tc.atLeast {
				t.Fatalf("the dataset has %d matches, want >= %d: fix the world or the test", len(want), tc.atLeast)
			}
			if got := b.ids("match"); !slices.Equal(got, want) {
				t.Errorf("GET %s\n got %v\nwant %v", tc.path, got, want)
			}
		})
	}
}

func TestPortalReads(t *testing.T) {
	t.Parallel()
	e := startEHR(t, nil)
	for _, path := range []string{"Location/loc-picu", "Location/loc-4west", "Practitioner/dr-achterberg", "Practitioner/rn-delgado",
		"PractitionerRole/role-kim-hospital-medicine", "Condition/cond-03-1", "AllergyIntolerance/alg-05-1", "Binary/bin-01-3"} {
		resp := e.get(path, nil)
		var m map[string]any
		if resp.status != http.StatusOK || json.Unmarshal(resp.body, &m) != nil || m["resourceType"].(string)+"/"+m["id"].(string) != path {
			t.Errorf("GET %s: %d %.200s", path, resp.status, resp.body)
		}
	}
	resp := e.get("Binary/bin-01-3", map[string]string{"Accept": "application/pdf"})
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != "application/pdf" || checkPDF(resp.body) != "" {
		t.Errorf("the PDF note as content: %d %q %s", resp.status, resp.header.Get("Content-Type"), checkPDF(resp.body))
	}
	meta := decodeObject(t, e.get("metadata", nil).body)
	types := valuesAt(meta, "rest.resource.type")
	for _, typ := range []string{"AllergyIntolerance", "Condition", "Location"} {
		if !slices.Contains(types, any(typ)) {
			t.Errorf("CapabilityStatement lacks %s: %v", typ, types)
		}
	}
}
