package test

import (
	"net/http"
	"slices"
	"testing"
)

// sameCases are requests whose answer must not depend on the upstream. nonEmpty marks those
// that must release at least one resource (so that "both released nothing" cannot pass).
// fewerIncludes marks _include searches: Medplum's in-memory repository does not perform
// _include, so through it the gateway may release fewer included resources, never others.
var sameCases = []struct {
	name, user, method, path, form string
	nonEmpty, fewerIncludes        bool
}{
	{"narrowed Patient search", "pcp", "GET", "/Patient?_count=50", "", true, false},
	{"narrowed Patient search over pages", "pcp", "GET", "/Patient?_count=4", "", true, false},
	{"other practice", "pcp2", "GET", "/Patient?_count=3", "", true, false},
	{"hospital SSO user", "hospdoc", "GET", "/Patient?_count=50", "", true, false},
	{"Patient search by gender", "pcp", "GET", "/Patient?gender=female", "", true, false},
	{"Patient search by birthdate", "pcp", "GET", "/Patient?birthdate=ge2014-01-01", "", true, false},
	{"Patient by _id", "pcp", "GET", "/Patient?_id=child-02,child-03", "", true, false},
	{"Observations over pages", "pcp", "GET", "/Observation?patient=child-01&_count=7", "", true, false},
	{"Observations by reference", "colleague", "GET", "/Observation?subject=Patient/child-02&_count=100", "", true, false},
	{"Observations by absolute reference", "pcp", "GET", "/Observation?patient=http://127.0.0.1/fhir/Patient/child-02", "", false, false},
	{"lab Observations", "pcp", "GET", "/Observation?patient=child-02&category=laboratory&_count=100", "", true, false},
	{"Observations by code", "pcp", "GET", "/Observation?patient=child-01&code=http://loinc.org|29463-7", "", true, false},
	{"Observations by date", "pcp", "GET", "/Observation?patient=child-01&date=ge2026-01-01&_count=100", "", false, false},
	{"Encounters", "pcp", "GET", "/Encounter?patient=child-03&_count=100", "", true, false},
	{"MedicationRequests", "pcp", "GET", "/MedicationRequest?patient=child-04&_count=100", "", false, false},
	{"POST _search", "pcp", "POST", "/Observation/_search", "patient=child-01&_count=5", true, false},
	{"DocumentReferences", "pcp", "GET", "/DocumentReference?patient=child-01", "", true, false},
	{"DiagnosticReports", "colleague", "GET", "/DiagnosticReport?subject=Patient/child-01", "", true, false},
	{"a note's Binary", "pcp", "GET", "/Binary/bin-01-1", "", true, false},
	{"another practice's Binary", "pcp", "GET", "/Binary/bin-10-1", "", false, false},
	{"Practitioners", "pcp", "GET", "/Practitioner?_count=5", "", true, false},
	{"PractitionerRoles at a practice", "pcp2", "GET", "/PractitionerRole?organization=Organization/practice-maple", "", true, false},
	{"Organizations by name", "pcp", "GET", "/Organization?name=Maple", "", true, false},
	{"include of the patient", "pcp", "GET", "/Observation?patient=child-01&_include=Observation:patient&_count=5", "", true, true},
	{"include of the service provider", "pcp", "GET", "/Encounter?patient=child-02&_include=Encounter:service-provider", "", true, true},
	{"include of the general practitioner", "pcp", "GET", "/Patient?_count=5&_include=Patient:general-practitioner", "", true, true},
	{"read", "pcp", "GET", "/Patient/child-01", "", true, false},
	{"vread", "pcp", "GET", "/Patient/child-01/_history/1", "", false, false},
	{"read of an Observation", "pcp", "GET", "/Observation/obs-01-001", "", true, false},
	{"read of a missing resource", "pcp", "GET", "/Patient/child-99", "", false, false},
	{"read of a missing version", "pcp", "GET", "/Patient/child-01/_history/7", "", false, false},
	{"read of another practice's patient", "pcp", "GET", "/Patient/child-10", "", false, false},
	{"search of another practice's patient", "pcp", "GET", "/Observation?patient=child-10", "", false, false},
	{"mixed patients", "pcp", "GET", "/Observation?patient=child-01,child-10", "", false, false},
	{"specialist", "specialist", "GET", "/Observation?patient=child-01", "", false, false},
	{"specialist's broad search", "specialist", "GET", "/Patient", "", false, false},
	{"unknown parameter", "pcp", "GET", "/Observation?patient=child-01&bogus=1", "", false, false},
	{"unvetted modifier", "pcp", "GET", "/Patient?name:bogus=x", "", false, false},
	{"chain", "pcp", "GET", "/Observation?subject.name=Ava", "", false, false},
	{"write", "pcp", "DELETE", "/Patient/child-01", "", false, false},
}

// TestMedplumReleasesTheSameAsDemoEHR sends the same requests through a gateway in front of the
// demo EHR and one in front of Medplum and requires the same answers; then it requires the same
// failure when each upstream refuses the gateway's credential and when both are down, with
// nothing of either upstream in any body.
func TestMedplumReleasesTheSameAsDemoEHR(t *testing.T) {
	t.Parallel()
	both := frontBoth(t, []upstreamServer{startDemoEHR(t), startMedplumUpstream(t)},
		"pcp", "colleague", "pcp2", "specialist", "hospdoc")
	for _, tc := range sameCases {
		t.Run(tc.name, func(t *testing.T) {
			demo := both[0].fetch(t, tc.user, tc.method, tc.path, tc.form)
			medplum := both[1].fetch(t, tc.user, tc.method, tc.path, tc.form)
			checkIncludes(t, tc.fewerIncludes, demo.included, medplum.included)
			if demo.status != medplum.status || demo.total != medplum.total ||
				!slices.Equal(demo.ids, medplum.ids) || !slices.Equal(demo.issues, medplum.issues) {
				t.Errorf("%s %s as %s differs:\n demo EHR: %d total=%d %v %v\n medplum:  %d total=%d %v %v", tc.method, tc.path, tc.user,
					demo.status, demo.total, demo.ids, demo.issues, medplum.status, medplum.total, medplum.ids, medplum.issues)
			}
			if tc.nonEmpty && (demo.status != http.StatusOK || len(demo.ids) == 0) {
				t.Errorf("%s %s as %s: status %d, %d resources; want some", tc.method, tc.path, tc.user, demo.status, len(demo.ids))
			}
		})
	}
	t.Run("upstream refuses the gateway's credential", func(t *testing.T) {
		var refused []upstreamServer
		for _, f := range both {
			up := f.up
			up.token = "not-" + up.token
			refused = append(refused, up)
		}
		wrong := frontBoth(t, refused, "pcp")
		for _, path := range []string{"/Patient/child-01", "/Observation?patient=child-01", "/Patient?_count=5"} {
			demo := wrong[0].fetch(t, "pcp", http.MethodGet, path, "")
			medplum := wrong[1].fetch(t, "pcp", http.MethodGet, path, "")
			t.Logf("GET %s, credential refused: %d %v", path, medplum.status, medplum.issues)
			if demo.status < 500 || len(demo.ids) > 0 || len(demo.issues) == 0 {
				t.Errorf("GET %s, credential refused: status %d, ids %v; want a 5xx OperationOutcome", path, demo.status, demo.ids)
			}
			if demo.status != medplum.status || !slices.Equal(demo.issues, medplum.issues) {
				t.Errorf("GET %s, credential refused, differs:\n demo EHR: %d %v\n medplum:  %d %v", path,
					demo.status, demo.issues, medplum.status, medplum.issues)
			}
		}
	})
	t.Run("upstream down", func(t *testing.T) {
		var answers []released
		for _, f := range both {
			f.up.stop()
			r := f.fetch(t, "pcp", http.MethodGet, "/Observation?patient=child-01", "")
			if r.status < 500 || len(r.ids) > 0 || len(r.issues) == 0 {
				t.Errorf("%s down: status %d, ids %v, issues %v; want a 5xx OperationOutcome", f.up.name, r.status, r.ids, r.issues)
			}
			t.Logf("%s down: %d %v", f.up.name, r.status, r.issues)
			answers = append(answers, r)
		}
		if answers[0].status != answers[1].status || !slices.Equal(answers[0].issues, answers[1].issues) {
			t.Errorf("the two upstreams' failures differ: %v / %v", answers[0], answers[1])
		}
	})
}

// checkIncludes compares the included resources released through each upstream: the same, or,
// where Medplum may not perform the _include (fewer), a subset of a non-empty demo set.
func checkIncludes(t *testing.T, fewer bool, demo, medplum []string) {
	t.Helper()
	if !fewer {
		if !slices.Equal(demo, medplum) {
			t.Errorf("included %v through the demo EHR, %v through Medplum", demo, medplum)
		}
		return
	}
	t.Logf("included: %d through the demo EHR, %d through Medplum", len(demo), len(medplum))
	if len(demo) == 0 {
		t.Error("the demo EHR's answer released no included resource")
	}
	for _, id := range medplum {
		if !slices.Contains(demo, id) {
			t.Errorf("through Medplum the gateway included %s, which the demo EHR did not", id)
		}
	}
}
