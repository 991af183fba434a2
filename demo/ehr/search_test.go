package ehr

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// patients returns a want function for an explicit list of patient numbers.
func patients(ns ...int) func(*Dataset) []string {
	return func(*Dataset) []string {
		out := []string{}
		for _, n := range ns {
			out = append(out, "Patient/"+patientID(n))
		}
		return out
	}
}

// where returns a want function computed from the dataset without the server.
func where(typ string, keep func(doc map[string]any) bool) func(*Dataset) []string {
	return func(d *Dataset) []string { return matching(d, typ, keep) }
}

// subjectAnd keeps resources of one patient that also satisfy keep.
func subjectAnd(patient string, keep func(doc map[string]any) bool) func(doc map[string]any) bool {
	return func(doc map[string]any) bool {
		return refIs(doc, "subject", "Patient/"+patient) && (keep == nil || keep(doc))
	}
}

// hasValue reports whether a path of doc holds v.
func hasValue(path string, v any) func(doc map[string]any) bool {
	return func(doc map[string]any) bool { return slices.Contains(valuesAt(doc, path), v) }
}

func TestSearch(t *testing.T) {
	t.Parallel()
	e := startEHR(t, nil)
	patel := patients(1, 2, 3, 4)
	tests := []struct {
		name, path string
		want       func(*Dataset) []string
	}{
		// Reference forms.
		{"gp bare id", "Patient?general-practitioner=dr-patel", patel},
		{"gp Type/id", "Patient?general-practitioner=Practitioner/dr-patel", patel},
		{"gp :Type modifier", "Patient?general-practitioner:Practitioner=dr-patel", patel},
		{"gp absolute URL", "Patient?general-practitioner=" + e.base + "/Practitioner/dr-patel", patel},
		{"gp foreign URL", "Patient?general-practitioner=http://elsewhere.example/fhir/Practitioner/dr-patel", patients()},
		{"gp modifier type mismatch", "Patient?general-practitioner:Organization=dr-patel", patients()},
		{"gp via role", "Patient?general-practitioner=PractitionerRole/role-patel-maple", patients(5)},
		{"gp practice", "Patient?general-practitioner=Organization/practice-maple", patients(6)},
		{"gp comma is OR", "Patient?general-practitioner=dr-patel,dr-okafor", patients(1, 2, 3, 4, 7, 8, 9)},
		{"gp missing", "Patient?general-practitioner:missing=true", patients(23, 24)},
		{"subject:Patient", "Encounter?subject:Patient=child-03", where("Encounter", subjectAnd("child-03", nil))},
		{"patient absolute", "Encounter?patient=" + e.base + "/Patient/child-03", where("Encounter", subjectAnd("child-03", nil))},
		{"patient comma OR", "Encounter?patient=child-01,Patient/child-02", where("Encounter", func(doc map[string]any) bool {
			return refIs(doc, "subject", "Patient/child-01") || refIs(doc, "subject", "Patient/child-02")
		})},
		{"patient wrong type", "Observation?patient=Practitioner/child-01", func(*Dataset) []string { return []string{} }},
		{"roles of practice", "PractitionerRole?organization=practice-maple", func(*Dataset) []string {
			return []string{"PractitionerRole/role-okafor-maple", "PractitionerRole/role-patel-maple"}
		}},
		{"role of practitioner", "PractitionerRole?practitioner=Practitioner/dr-patel", func(*Dataset) []string {
			return []string{"PractitionerRole/role-patel-maple"}
		}},
		{"departments", searchPath("Organization", "partof", "childrens-hospital", "name", "children's hospital division"), where("Organization", func(doc map[string]any) bool {
			return refIs(doc, "partOf", "Organization/childrens-hospital") && strings.Contains(doc["name"].(string), "Division")
		})},
		// Tokens, strings, repeated parameters (AND).
		{"identifier system|value", "Patient?identifier=http://childrens.example.org/mrn|MRN100007", patients(7)},
		{"identifier value", "Patient?identifier=MRN100007", patients(7)},
		{"identifier wrong system", "Patient?identifier=http://other.example/mrn|MRN100007", patients()},
		{"name accent-insensitive", "Patient?name=sofia", patients(3)},
		{"name exact", "Patient?name:exact=Sofía", patients(3)},
		{"name exact is exact", "Patient?name:exact=sofia", patients()},
		{"family siblings", "Patient?family=HARTLEY", patients(1, 2)},
		{"given prefix", "Patient?given=Ol", patients(2)},
		{"gender and birthdate AND", "Patient?gender=female&birthdate=ge2015-01-01", patients(1, 5, 9, 15, 17, 22)},
		{"_id OR", "Patient?_id=child-02,child-01", patients(1, 2)},
		{"class IMP", "Encounter?patient=child-03&class=IMP", where("Encounter", subjectAnd("child-03", hasValue("class.code", "IMP")))},
		{"class system|code", "Encounter?patient=child-03&class=http://terminology.hl7.org/CodeSystem/v3-ActCode|AMB",
			where("Encounter", subjectAnd("child-03", hasValue("class.code", "AMB")))},
		{"type", "Encounter?type=cardiology-consult&participant=Practitioner/dr-moreau", where("Encounter", hasValue("participant.individual.reference", "Practitioner/dr-moreau"))},
		{"practitioner", "Encounter?practitioner=dr-kim", where("Encounter", hasValue("participant.individual.reference", "Practitioner/dr-kim"))},
		{"category code only", "Observation?patient=child-03&category=vital-signs", where("Observation", subjectAnd("child-03", hasValue("category.coding.code", "vital-signs")))},
		{"code system|code", "Observation?subject=Patient/child-03&code=http://loinc.org|4548-4", where("Observation", subjectAnd("child-03", hasValue("code.coding.code", "4548-4")))},
		{"code repeated AND", "Observation?code=4548-4&code=http://loinc.org|", where("Observation", hasValue("code.coding.code", "4548-4"))},
		{"encounter", "Observation?encounter=enc-03-1", where("Observation", func(doc map[string]any) bool { return refIs(doc, "encounter", "Encounter/enc-03-1") })},
		{"status active", "MedicationRequest?patient=child-07&status=active&intent=order", where("MedicationRequest", subjectAnd("child-07", hasValue("status", "active")))},
		{"status :not", "MedicationRequest?patient=child-07&status:not=active", where("MedicationRequest", subjectAnd("child-07", hasValue("status", "stopped")))},
		{"report code", "DiagnosticReport?patient=child-03&code=4548-4&category=LAB", where("DiagnosticReport", subjectAnd("child-03", hasValue("code.coding.code", "4548-4")))},
		{"note type", "DocumentReference?patient=child-02&type=http://loinc.org|18842-5", where("DocumentReference", subjectAnd("child-02", hasValue("type.coding.code", "18842-5")))},
		{"note encounter", "DocumentReference?encounter=enc-02-2&category=clinical-note", where("DocumentReference", hasValue("context.encounter.reference", "Encounter/enc-02-2"))},
		{"npi", "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|" + npi("120000001"), func(*Dataset) []string { return []string{"Practitioner/dr-patel"} }},
		{"practitioner name accents", "Practitioner?name=elodie", func(*Dataset) []string { return []string{"Practitioner/dr-moreau"} }},
		// Date prefixes.
		{"birthdate day", "Patient?birthdate=2015-03-14", patients(1)},
		{"birthdate year", "Patient?birthdate=2015", patients(1)},
		{"birthdate lt", "Patient?birthdate=lt2009-01-01", patients(10, 21)},
		{"birthdate range AND", "Patient?birthdate=ge2010-01-01&birthdate=le2010-12-31", patients(13, 24)},
		{"birthdate gt", "Patient?birthdate=gt2023-12-31", patients(23)},
		{"birthdate sa", "Patient?birthdate=sa2023-05-22", patients(23)},
		{"birthdate eb", "Patient?birthdate=eb2008-03-01", patients(10)},
		{"birthdate ne", "Patient?birthdate=ne2015&gender=female&general-practitioner=dr-patel", patients(3)},
		{"birthdate OR", "Patient?birthdate=2008,2024", patients(10, 21, 23)},
		{"unknown param lenient", "Patient?shoe-size=12&family=chen", patients(5, 6)},
		{"encounter period", "Encounter?patient=child-03&date=ge2025-06-01", where("Encounter", subjectAnd("child-03", func(doc map[string]any) bool {
			return valuesAt(doc, "period.end")[0].(string) > "2025-06-01"
		}))},
		{"_lastUpdated", "Patient?_lastUpdated=gt2026-11-01", patients()},
	}
	// Only these cases may expect nothing; an empty expectation anywhere else would let a
	// broken server pass.
	empty := map[string]bool{
		"gp foreign URL": true, "gp modifier type mismatch": true, "identifier wrong system": true,
		"name exact is exact": true, "patient wrong type": true, "_lastUpdated": true,
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := e.with(t)
			b := e.search(tc.path + "&_count=100")
			want := tc.want(e.d)
			if (len(want) == 0) != empty[tc.name] {
				t.Fatalf("expectation has %d results; fix the test", len(want))
			}
			if got := b.ids("match"); !slices.Equal(got, want) {
				t.Errorf("GET %s\n got %v\nwant %v", tc.path, got, want)
			}
			if b.Total != len(want) {
				t.Errorf("total %d, want %d", b.Total, len(want))
			}
		})
	}
}

func TestSearchDatePrefixesOnObservations(t *testing.T) {
	t.Parallel()
	e := startEHR(t, nil)
	all := e.search("Observation?patient=child-03&code=4548-4")
	if len(all.Entry) != 3 {
		t.Fatalf("want 3 HbA1c results, got %d", len(all.Entry))
	}
	// Newest first: d[0] > d[1] > d[2].
	var d []string
	for _, en := range all.Entry {
		d = append(d, en.Resource["effectiveDateTime"].(string))
	}
	if !(d[0] > d[1] && d[1] > d[2]) {
		t.Fatalf("not sorted newest first: %v", d)
	}
	day := func(s string) string { return s[:10] }
	tests := []struct {
		date string
		want []string // effective dates expected
	}{
		{d[1], []string{d[1]}},
		{"eq" + day(d[1]), []string{d[1]}},
		{"gt" + d[1], []string{d[0]}},
		{"ge" + d[1], []string{d[0], d[1]}},
		{"lt" + d[1], []string{d[2]}},
		{"le" + day(d[1]), []string{d[1], d[2]}},
		{"gt" + day(d[0]), nil},
		{"ne" + d[1], []string{d[0], d[2]}},
		{d[0] + "," + d[2], []string{d[0], d[2]}},
		{"ge" + day(d[2]) + "&date=lt" + day(d[0]), []string{d[1], d[2]}},
	}
	for _, tc := range tests {
		b := e.search("Observation?patient=child-03&code=4548-4&date=" + tc.date)
		var got []string
		for _, en := range b.Entry {
			got = append(got, en.Resource["effectiveDateTime"].(string))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("date=%s: got %v, want %v", tc.date, got, tc.want)
		}
	}
}

func TestSearchErrorsAndStrictness(t *testing.T) {
	t.Parallel()
	e := startEHR(t, nil)
	strict := map[string]string{"Prefer": "handling=strict"}
	tests := []struct {
		name, path string
		headers    map[string]string
		status     int
		mention    string
	}{
		{"unknown lenient", "Observation?patient=child-01&flavour=mint", nil, 200, ""},
		{"unknown strict", "Observation?patient=child-01&flavour=mint", strict, 400, "flavour"},
		{"chain strict", "Observation?patient.name=Hartley", strict, 400, "patient.name"},
		{"known strict", "Observation?patient=child-01&_count=5", strict, 200, ""},
		{"bad date", "Observation?date=yesterday", nil, 400, "date"},
		{"bad prefix", "Observation?date=xx2020", nil, 400, "date"},
		{"bad modifier", "Observation?code:above=1234", nil, 400, "code:above"},
		{"bad count", "Observation?_count=-1", nil, 400, "_count"},
		{"bad offset", "Observation?_offset=abc", nil, 400, "_offset"},
		{"bad missing", "Patient?gender:missing=maybe", nil, 400, "gender:missing"},
		{"post not form", "Observation/_search", nil, 405, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := e.with(t)
			method := http.MethodGet
			if tc.status == 405 {
				method = http.MethodPut
			}
			resp := e.do(method, tc.path, nil, tc.headers)
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			if tc.mention != "" && !strings.Contains(string(resp.body), tc.mention) {
				t.Errorf("OperationOutcome does not name %q: %s", tc.mention, resp.body)
			}
		})
	}
	// The lenient answer is the answer without the unknown parameter.
	a := e.search("Observation?patient=child-01&flavour=mint&_count=100")
	b := e.search("Observation?patient=child-01&_count=100")
	if !slices.Equal(a.ids("match"), b.ids("match")) || len(a.Entry) == 0 {
		t.Errorf("lenient search differs: %d vs %d entries", len(a.Entry), len(b.Entry))
	}
	// POST _search needs a form body.
	resp := e.do(http.MethodPost, "Observation/_search", strings.NewReader(`{}`), map[string]string{"Content-Type": "application/json"})
	if resp.status != http.StatusUnsupportedMediaType {
		t.Errorf("POST _search with JSON: status %d, want 415", resp.status)
	}
}
