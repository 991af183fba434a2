package fhirproxy

import (
	"maps"
	"net/http"
	"slices"
	"testing"
)

// withCaller makes "tok" the token of a pcp caller with the given fhirUser, launch patient and
// scopes.
func withCaller(fhirUser, patient string, scopes ...string) func(*Options) {
	return func(o *Options) {
		o.Authn = stubAuthn{"tok": {Subject: "accounts:u-pcp", Username: "pcp", ClientID: "demo-app", TokenID: "jti-launch",
			FHIRUser: fhirUser, Patient: patient, Scopes: scopes}}
	}
}

func TestFHIRUserReadsItsOwnResource(t *testing.T) {
	t.Parallel()
	const own = "Practitioner/dr-patel"
	patientOnly := []string{"openid", "fhirUser", "launch/patient", "patient/Observation.rs"}
	tests := []struct {
		name     string
		fhirUser string
		scopes   []string
		path     string
		status   int
		reason   string // of the audit record
	}{
		{"own resource, fhirUser scope", own, patientOnly, "/fhir/" + own, 200, "clinician_directory"},
		{"own resource, no fhirUser scope", own, []string{"openid", "launch/patient", "patient/Observation.rs"},
			"/fhir/" + own, 403, "scope_not_permitted"},
		{"another practitioner", own, patientOnly, "/fhir/Practitioner/dr-moreau", 403, "scope_not_permitted"},
		{"vread of its own resource", own, patientOnly, "/fhir/" + own + "/_history/1", 403, "scope_not_permitted"},
		{"search for its own resource", own, patientOnly, "/fhir/Practitioner?_id=dr-patel", 403, "scope_not_permitted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withCaller(tc.fhirUser, "child-01", tc.scopes...))
			r := e.do(t, http.MethodGet, tc.path, "tok", nil)
			rec := e.auditOf(t, r)
			if r.status != tc.status || rec.Reason != tc.reason {
				t.Errorf("%s: %d, audit reason %q; want %d, %q: %s", tc.path, r.status, rec.Reason, tc.status, tc.reason, r.body)
			}
		})
	}
}

func TestLaunchPatientConfinesSearches(t *testing.T) {
	t.Parallel()
	const narrowed = "child-01,child-02" // the authorizer's narrowing in the harness
	tests := []struct {
		name    string
		patient string
		scopes  []string
		wantIDs []string // the _id values of the upstream query
	}{
		{"patient/ scopes only", "child-01", []string{"launch/patient", "patient/*.rs"}, []string{narrowed, "child-01"}},
		{"user/ scope of another type", "child-01", []string{"patient/Patient.rs", "user/Observation.rs"}, []string{narrowed, "child-01"}},
		{"user/ read scope, no search", "child-01", []string{"patient/Patient.rs", "user/Patient.r"}, []string{narrowed, "child-01"}},
		{"user/Patient.rs", "child-01", []string{"patient/Patient.rs", "user/Patient.rs"}, []string{narrowed}},
		{"user/*.rs with a launch patient", "child-01", []string{"launch", "user/*.rs"}, []string{narrowed}},
		{"no launch patient", "", []string{"patient/*.rs"}, []string{narrowed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withCaller("Practitioner/dr-patel", tc.patient, tc.scopes...))
			r := e.do(t, http.MethodGet, "/fhir/Patient?gender=female", "tok", nil)
			b := r.bundle(t)
			got := e.up.requests()
			if len(got) != 1 || !slices.Equal(got[0].URL.Query()["_id"], tc.wantIDs) {
				t.Fatalf("upstream requests %v, want one with _id %q", got, tc.wantIDs)
			}
			// The narrowing is the gateway's: the links the caller gets do not carry it.
			want := map[string]string{"self": e.base + "/Patient?_count=50&gender=female",
				"next": e.base + "/Patient?_count=2&_offset=2&gender=female"}
			if l := links(b); !maps.Equal(l, want) {
				t.Errorf("links %v, want %v", l, want)
			}
		})
	}
}

// A search that names its patients is decided on them, never rewritten to the launch patient.
func TestLaunchPatientLeavesNamedSearches(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withCaller("", "child-01", "patient/*.rs"))
	r := e.do(t, http.MethodGet, "/fhir/Patient?_id=child-02", "tok", nil)
	if got := e.up.requests(); r.status != 200 || len(got) != 1 || got[0].URL.Query().Get("_id") != "child-02" {
		t.Errorf("%d, upstream requests %v", r.status, got)
	}
}
