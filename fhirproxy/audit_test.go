package fhirproxy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/upstream"
)

// When the audit record cannot be written, nothing is released, whatever the answer would
// have been.
func TestAuditFailureReleasesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.audit.mu.Lock()
	e.audit.fail = true
	e.audit.mu.Unlock()
	for _, tc := range []struct{ token, path string }{
		{"tok-pcp", "/fhir/Patient/child-01"},
		{"tok-pcp", "/fhir/Observation?patient=child-01"},
		{"tok-pcp", "/fhir/Patient"},
		{"tok-pcp", "/fhir/Observation/obs-10"},
		{"", "/fhir/Patient/child-01"},
	} {
		r := e.do(t, http.MethodGet, tc.path, tc.token, nil)
		if r.status != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d, want 503", tc.path, r.status)
		}
		iss := r.outcome(t)
		if iss.Code != codeTransient || !strings.Contains(iss.Diagnostics, "audit") {
			t.Errorf("%s: issue %+v", tc.path, iss)
		}
		for _, data := range []string{"Alder", "Glucose", "child-01", "obs-"} {
			if bytes.Contains(r.body, []byte(data)) {
				t.Errorf("%s: body holds %q: %s", tc.path, data, r.body)
			}
		}
	}
}

// Every request, refused or not, gets exactly one record (the CapabilityStatement excepted).
func TestOneAuditRecordPerRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	requests := []struct{ method, path, token string }{
		{"GET", "/fhir/Patient/child-01", "tok-pcp"},
		{"GET", "/fhir/Patient/child-10", "tok-pcp"},
		{"GET", "/fhir/Observation?patient=child-01", "tok-pcp"},
		{"GET", "/fhir/Observation?foo=1", "tok-pcp"},
		{"GET", "/fhir/Binary/x", "tok-pcp"},
		{"DELETE", "/fhir/Patient/child-01", "tok-pcp"},
		{"GET", "/fhir/Patient/child-01", ""},
		{"GET", "/fhir/Observation/nothing-here", "tok-pcp"},
		{"GET", "/fhir/metadata", ""},
	}
	ids := map[string]bool{}
	for _, q := range requests {
		r := e.do(t, q.method, q.path, q.token, nil)
		if strings.HasSuffix(q.path, "/metadata") {
			continue
		}
		rec := e.auditOf(t, r)
		ids[rec.RequestID] = true
		if wantDeny := r.status != 200; (rec.Decision == "deny") != wantDeny {
			t.Errorf("%s %s: status %d, decision %q", q.method, q.path, r.status, rec.Decision)
		}
		if q.token != "" && rec.User != "accounts:u-pcp" {
			t.Errorf("%s %s: user %q", q.method, q.path, rec.User)
		}
	}
	if got := len(e.audit.records()); got != len(requests)-1 || len(ids) != got {
		t.Errorf("%d records with %d distinct ids for %d audited requests", got, len(ids), len(requests)-1)
	}
}

// The audit record names the policy revision that decided, a staff caller's sponsor, and,
// when no patient decided the answer (a directory read), the rule that did.
func TestAuditRecordNamesRevisionSponsorAndBasis(t *testing.T) {
	t.Parallel()
	staff := gateway.Caller{Subject: "accounts:u-staff", Username: "staff", ClientID: "demo-app", Sponsor: "accounts:u-pcp",
		Scopes: []string{"user/*.rs"}}
	e := newEnv(t, func(o *Options) {
		o.Authn = stubAuthn{"tok-pcp": testCallers["tok-pcp"], "tok-clinician": testCallers["tok-clinician"], "tok-staff": staff}
	})
	tests := []struct {
		token, path                         string
		status                              int
		revision, sponsor, decision, reason string
	}{
		{"tok-pcp", "/fhir/Patient/child-01", 200, testRevision, "", "allow", ""},
		{"tok-staff", "/fhir/Patient/child-01", 403, testRevision, "accounts:u-pcp", "deny", "not_pcp"},
		{"tok-clinician", "/fhir/Practitioner/dr-patel", 200, testRevision, "", "allow", "clinician_directory"},
		{"tok-pcp", "/fhir/Observation?patient=child-01", 200, testRevision, "", "allow", ""},
		{"", "/fhir/Patient/child-01", 401, "", "", "deny", reasonUnauthenticated},
	}
	for _, tc := range tests {
		r := e.do(t, http.MethodGet, tc.path, tc.token, nil)
		rec := e.auditOf(t, r)
		if r.status != tc.status || rec.PolicyRevision != tc.revision || rec.Sponsor != tc.sponsor ||
			rec.Decision != tc.decision || rec.Reason != tc.reason {
			t.Errorf("%s as %q: %d, audit %+v; want %d, revision %q, sponsor %q, %s %q",
				tc.path, tc.token, r.status, rec, tc.status, tc.revision, tc.sponsor, tc.decision, tc.reason)
		}
	}
}

// The log line carries ids and codes, never query values (names, birth dates).
func TestLogLineHasNoQueryValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do(t, http.MethodGet, "/fhir/Patient?family=Alder&birthdate=2015-04-02", "tok-pcp", nil)
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(e.logs.String()), &line); err != nil {
		t.Fatalf("not one JSON line: %q", e.logs.String())
	}
	if line["request_id"] != r.header.Get("X-Request-Id") || line["status"] != float64(200) || line["decision"] != "allow" {
		t.Errorf("log line %v", line)
	}
	for _, phi := range []string{"Alder", "2015-04-02"} {
		if strings.Contains(e.logs.String(), phi) {
			t.Errorf("log holds %q: %s", phi, e.logs.String())
		}
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	ext := json.RawMessage(`{"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris","extension":[{"url":"token","valueUri":"http://gw/oauth/token"}]}`)
	e := newEnv(t, func(o *Options) { o.SecurityExtensions = []json.RawMessage{ext} })
	r := e.do(t, http.MethodGet, "/fhir/metadata", "", nil)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var cs capStatement
	if err := json.Unmarshal(r.body, &cs); err != nil || cs.ResourceType != "CapabilityStatement" || len(cs.Rest) != 1 {
		t.Fatalf("not a CapabilityStatement: %s", r.body)
	}
	rest := cs.Rest[0]
	if rest.Security.Service[0].Coding[0].Code != "SMART-on-FHIR" || len(rest.Security.Extension) != 1 ||
		!bytes.Contains(rest.Security.Extension[0], []byte("oauth-uris")) {
		t.Errorf("security %+v", rest.Security)
	}
	var types []string
	table := resourceTable()
	for _, res := range rest.Resource {
		types = append(types, res.Type)
		wantInteractions := 3
		if res.Type == "Binary" {
			wantInteractions = 2 // read and vread only: no search
		}
		if len(res.Interaction) != wantInteractions || res.Interaction[0].Code != "read" || res.Interaction[1].Code != "vread" {
			t.Errorf("%s interactions %+v", res.Type, res.Interaction)
		}
		if len(res.SearchInclude) != len(table[res.Type].Includes) {
			t.Errorf("%s lists %d includes, table has %d", res.Type, len(res.SearchInclude), len(table[res.Type].Includes))
		}
		if len(res.SearchParam) != len(table[res.Type].Params) {
			t.Errorf("%s lists %d params, table has %d", res.Type, len(res.SearchParam), len(table[res.Type].Params))
		}
	}
	if strings.Join(types, ",") != "AllergyIntolerance,Binary,Condition,DiagnosticReport,DocumentReference,Encounter,Location,Medication,MedicationRequest,Observation,Organization,Patient,Practitioner,PractitionerRole" {
		t.Errorf("types %v", types)
	}
	if len(e.audit.records()) != 0 || len(e.up.requests()) != 0 {
		t.Errorf("metadata touched audit or upstream")
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	if _, err := New(Options{PublicBase: "not a url"}); err == nil ||
		!strings.Contains(err.Error(), "Upstream") || !strings.Contains(err.Error(), "PublicBase") || !strings.Contains(err.Error(), "Authn") {
		t.Errorf("want every problem at once, got %v", err)
	}
	up, err := upstream.New(upstream.Options{BaseURL: "http://127.0.0.1:1/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Options{Upstream: up, PublicBase: "http://127.0.0.1:2/fhir", Authn: testCallers, Authz: &fakeAuthz{},
		Audit: &memAudit{}, SecurityExtensions: []json.RawMessage{json.RawMessage(`["not an object"]`)}})
	if err == nil || !strings.Contains(err.Error(), "SecurityExtensions[0]") {
		t.Errorf("bad extension accepted: %v", err)
	}
}

// The audit record says what an AuditEvent needs: the event, the resource read or the search's
// canonical query, the user's fhirUser, and the patients whose data the
// answer released.
func TestAuditRecordSaysWhatWasAskedAndReleased(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tests := []struct {
		path, event, resource, query string
		disclosed                    []string
	}{
		{"/fhir/Patient/child-01", "fhir.read", "Patient/child-01", "", []string{"child-01"}},
		{"/fhir/Observation/obs-01/_history/1", "fhir.vread", "Observation/obs-01/_history/1", "", []string{"child-01"}},
		{"/fhir/Observation?patient=child-01&_count=5", "fhir.search", "", "_count=5&patient=Patient%2Fchild-01", []string{"child-01"}},
		{"/fhir/Patient/child-10", "fhir.read", "Patient/child-10", "", nil},
		{"/fhir/Observation?foo=1", "fhir.request", "", "", nil},
	}
	for _, tc := range tests {
		r := e.do(t, http.MethodGet, tc.path, "tok-clinician", nil)
		rec := e.auditOf(t, r)
		if rec.Event != tc.event || rec.Resource != tc.resource || rec.Query != tc.query || !slices.Equal(rec.Disclosed, tc.disclosed) ||
			rec.FHIRUser != "Practitioner/dr-patel" {
			t.Errorf("%s: %d, audit %+v; want event %s, resource %q, query %q, disclosed %v", tc.path, r.status, rec, tc.event, tc.resource, tc.query, tc.disclosed)
		}
	}
}
