package ehr

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestPCPAssignments(t *testing.T) {
	t.Parallel()
	d := Seed()
	want := map[string]string{
		"child-01": "Practitioner/dr-patel", "child-02": "Practitioner/dr-patel",
		"child-03": "Practitioner/dr-patel", "child-04": "Practitioner/dr-patel",
		"child-05": "PractitionerRole/role-patel-maple", "child-06": "Organization/practice-maple",
		"child-07": "Practitioner/dr-okafor", "child-08": "Practitioner/dr-okafor", "child-09": "Practitioner/dr-okafor",
		"child-10": "Practitioner/dr-lindqvist", "child-11": "Practitioner/dr-lindqvist",
		"child-12": "Practitioner/dr-lindqvist", "child-13": "Practitioner/dr-lindqvist",
		"child-14": "Practitioner/dr-lindqvist", "child-15": "Organization/practice-harbor",
		"child-16": "Practitioner/dr-haddad", "child-17": "Practitioner/dr-haddad", "child-18": "Practitioner/dr-haddad",
		"child-19": "Practitioner/dr-outside", "child-20": "Practitioner/dr-outside",
		"child-21": "Practitioner/dr-outside", "child-22": "Practitioner/dr-outside",
		"child-23": "", "child-24": "",
	}
	if got := len(d.byType["Patient"]); got != len(want) {
		t.Fatalf("%d patients, want %d", got, len(want))
	}
	for i, id := range slices.Sorted(maps.Keys(want)) {
		p := d.lookup("Patient", id)
		if p == nil {
			t.Fatalf("Patient/%s missing", id)
		}
		var got []string
		for _, v := range valuesAt(p.doc, "generalPractitioner.reference") {
			got = append(got, v.(string))
		}
		if w := want[id]; (w == "" && got != nil) || (w != "" && !slices.Equal(got, []string{w})) {
			t.Errorf("%s generalPractitioner = %v, want %q", id, got, w)
		}
		mrnValues := valuesAt(p.doc, "identifier.value")
		if wantMRN := mrn(i + 1); len(mrnValues) != 1 || mrnValues[0] != wantMRN {
			t.Errorf("%s MRN = %v, want %s", id, mrnValues, wantMRN)
		}
		if c := valuesAt(p.doc, "identifier.type.coding.code"); len(c) != 1 || c[0] != "MR" {
			t.Errorf("%s identifier type = %v, want MR", id, c)
		}
	}
}

func TestDirectoryRoles(t *testing.T) {
	t.Parallel()
	d := Seed()
	tests := []struct{ role, practitioner, org string }{
		{"role-patel-maple", "Practitioner/dr-patel", "Organization/practice-maple"},
		{"role-okafor-maple", "Practitioner/dr-okafor", "Organization/practice-maple"},
		{"role-lindqvist-harbor", "Practitioner/dr-lindqvist", "Organization/practice-harbor"},
		{"role-moreau-lakeside", "Practitioner/dr-moreau", "Organization/practice-lakeside"},
		{"role-haddad-cpc", "Practitioner/dr-haddad", "Organization/childrens-primary-care"},
		{"role-nguyen-cardiology", "Practitioner/dr-nguyen", "Organization/dept-cardiology"},
		{"role-rossi-endocrinology", "Practitioner/dr-rossi", "Organization/dept-endocrinology"},
		{"role-kim-hospital-medicine", "Practitioner/dr-kim", "Organization/dept-hospital-medicine"},
		{"role-abara-pulmonology", "Practitioner/dr-abara", "Organization/dept-pulmonology"},
		{"role-outside-riverside", "Practitioner/dr-outside", "Organization/practice-riverside"},
	}
	for _, tc := range tests {
		r := d.lookup("PractitionerRole", tc.role)
		if r == nil {
			t.Errorf("PractitionerRole/%s missing", tc.role)
			continue
		}
		if !refIs(r.doc, "practitioner", tc.practitioner) || !refIs(r.doc, "organization", tc.org) {
			t.Errorf("%s = %v / %v, want %s / %s", tc.role, r.doc["practitioner"], r.doc["organization"], tc.practitioner, tc.org)
		}
	}
	// Practice membership is derived from roles: practice-maple must have exactly two.
	maple := matching(d, "PractitionerRole", func(doc map[string]any) bool {
		return refIs(doc, "organization", "Organization/practice-maple")
	})
	if !slices.Equal(maple, []string{"PractitionerRole/role-okafor-maple", "PractitionerRole/role-patel-maple"}) {
		t.Errorf("practice-maple roles = %v", maple)
	}
	for _, p := range []string{"childrens-primary-care", "dept-cardiology", "dept-endocrinology", "dept-hospital-medicine", "dept-pulmonology"} {
		if !refIs(d.lookup("Organization", p).doc, "partOf", "Organization/childrens-hospital") {
			t.Errorf("Organization/%s is not partOf childrens-hospital", p)
		}
	}
	for _, r := range d.byType["PractitionerRole"] {
		if strings.HasPrefix(r.doc["organization"].(map[string]any)["reference"].(string), "Organization/dept-") &&
			len(valuesAt(r.doc, "telecom")) < 2 {
			t.Errorf("hospital role %s lacks phone and pager", r.id)
		}
	}
}

func TestSeedTrendsAndCodes(t *testing.T) {
	t.Parallel()
	d := Seed()
	tests := []struct {
		patient, loinc string
		atLeast        int
	}{
		{"child-03", "4548-4", 3}, // HbA1c trend in type 1 diabetes
		{"child-07", "3016-3", 3}, // TSH trend on levothyroxine
		{"child-02", "6690-2", 3}, // WBC through pneumonia
		{"child-01", "29463-7", 3},
		{"child-01", "8302-2", 2},
	}
	for _, tc := range tests {
		got := matching(d, "Observation", func(doc map[string]any) bool {
			return refIs(doc, "subject", "Patient/"+tc.patient) && valuesAt(doc, "code.coding.code")[0] == tc.loinc
		})
		if len(got) < tc.atLeast {
			t.Errorf("%s has %d %s values, want >= %d", tc.patient, len(got), tc.loinc, tc.atLeast)
		}
	}
	if got := npi("123456789"); got != "1234567893" {
		t.Errorf("npi check digit: got %s, want 1234567893", got)
	}
}
