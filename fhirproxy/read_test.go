package fhirproxy

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/audit"
)

// auditOf returns the one audit record of r's request, failing unless there is exactly one.
func (e *env) auditOf(t *testing.T, r result) audit.Record {
	t.Helper()
	id := r.header.Get("X-Request-Id")
	var found []audit.Record
	for _, rec := range e.audit.records() {
		if rec.RequestID == id {
			found = append(found, rec)
		}
	}
	if id == "" || len(found) != 1 {
		t.Fatalf("request id %q: %d audit records, want 1", id, len(found))
	}
	if found[0].Status != r.status {
		t.Errorf("audit status %d, response status %d", found[0].Status, r.status)
	}
	return found[0]
}

const notPCP = "You are not this patient's primary care provider, and no one in your practice is."

func TestRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		token    string
		path     string
		status   int
		diag     string // exact diagnostics for refusals
		contains string // for 200
		upstream bool   // whether the upstream must have been asked
		reason   string // audit reason code
	}{
		{"own patient", "tok-pcp", "/fhir/Patient/child-01", 200, "", `"family":"Alder"`, true, ""},
		{"other's patient", "tok-pcp", "/fhir/Patient/child-10", 403, notPCP, "", false, "not_pcp"},
		{"no relationship", "tok-specialist", "/fhir/Patient/child-01", 403, notPCP, "", false, "not_pcp"},
		{"own observation", "tok-pcp", "/fhir/Observation/obs-01", 200, "", `"id":"obs-01"`, true, ""},
		{"absolute subject", "tok-pcp", "/fhir/Observation/obs-abs", 200, "", "/fhir/Practitioner/dr-patel", true, ""},
		{"own encounter", "tok-pcp", "/fhir/Encounter/enc-01", 200, "", `"id":"enc-01"`, true, ""},
		{"other's observation", "tok-pcp", "/fhir/Observation/obs-10", 403, hiddenDenial, "", true, "not_pcp"},
		{"other's medication", "tok-pcp", "/fhir/MedicationRequest/med-10", 403, hiddenDenial, "", true, "not_pcp"},
		{"observation not found", "tok-pcp", "/fhir/Observation/nothing-here", 403, hiddenDenial, "", true, reasonNotFound},
		{"allowed patient not found", "tok-pcp", "/fhir/Patient/child-gone", 403, hiddenDenial, "", true, reasonNotFound},
		{"mixed patients", "tok-pcp", "/fhir/Observation/obs-mixed", 403, hiddenDenial, "", true, "not_pcp"},
		{"group subject", "tok-pcp", "/fhir/Observation/obs-group", 403, hiddenDenial, "", true, reasonUnexpected},
		{"contained subject", "tok-pcp", "/fhir/Observation/obs-contained", 403, hiddenDenial, "", true, reasonUnexpected},
		{"identifier subject", "tok-pcp", "/fhir/Observation/obs-identifier", 403, hiddenDenial, "", true, reasonUnexpected},
		{"foreign subject", "tok-pcp", "/fhir/Observation/obs-foreign", 403, hiddenDenial, "", true, reasonUnexpected},
		{"wrong type returned", "tok-pcp", "/fhir/Observation/obs-wrongtype", 403, hiddenDenial, "", true, reasonUnexpected},
		{"other id returned", "tok-pcp", "/fhir/Patient/child-05", 403, hiddenDenial, "", true, reasonUnexpected},
		{"not json", "tok-pcp", "/fhir/Observation/notjson", 502, "The hospital's FHIR server did not give a usable answer.", "", true, reasonUpstream},
		{"upstream 500", "tok-pcp", "/fhir/Patient/boom", 502, "The hospital's FHIR server did not give a usable answer.", "", true, reasonUpstream},
		{"upstream timeout", "tok-pcp", "/fhir/Patient/slow", 504, "The hospital's FHIR server did not answer in time.", "", true, reasonTimeout},
		{"authorizer down", "tok-broken", "/fhir/Patient/child-01", 503, "Access could not be checked right now; no data was released.", "", false, reasonAuthzError},
		{"no token", "", "/fhir/Patient/child-01", 401, "A bearer access token is required.", "", false, reasonUnauthenticated},
		{"unknown token", "tok-nobody", "/fhir/Patient/child-01", 401, "The access token is invalid or expired.", "", false, reasonInvalidToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *Options) {
				if tc.reason == reasonTimeout {
					o.Timeout = 300 * time.Millisecond
				}
			})
			r := e.do(t, http.MethodGet, tc.path, tc.token, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if got := len(e.up.requests()) > 0; got != tc.upstream {
				t.Errorf("upstream asked = %v, want %v", got, tc.upstream)
			}
			rec := e.auditOf(t, r)
			if rec.Reason != tc.reason {
				t.Errorf("audit reason %q, want %q", rec.Reason, tc.reason)
			}
			if tc.status == 200 {
				if !strings.Contains(string(r.body), tc.contains) || rec.Decision != "allow" || rec.User != "accounts:u-pcp" {
					t.Errorf("body %s, audit %+v", r.body, rec)
				}
				return
			}
			if iss := r.outcome(t); iss.Diagnostics != tc.diag || iss.Severity != "error" {
				t.Errorf("issue %+v, want diagnostics %q", iss, tc.diag)
			}
			if rec.Decision != "deny" || bytes.Contains(r.body, []byte("UPSTREAM-SECRET")) {
				t.Errorf("audit %+v, body %s", rec, r.body)
			}
		})
	}
}

// A denial of a read must be byte-for-byte the answer for a resource that does not exist.
func TestReadDenialLooksLikeNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	notFound := e.do(t, http.MethodGet, "/fhir/Observation/nothing-here", "tok-pcp", nil)
	for _, path := range []string{"/fhir/Observation/obs-10", "/fhir/Observation/obs-group", "/fhir/MedicationRequest/med-10"} {
		r := e.do(t, http.MethodGet, path, "tok-pcp", nil)
		if r.status != notFound.status || !bytes.Equal(r.body, notFound.body) {
			t.Errorf("%s: %d %s, not found: %d %s", path, r.status, r.body, notFound.status, notFound.body)
		}
		if bytes.Contains(r.body, []byte("child-10")) || r.header.Get("ETag") != "" {
			t.Errorf("%s: denial reveals data: %s %v", path, r.body, r.header)
		}
	}
}

func TestReadResponseHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do(t, http.MethodGet, "/fhir/Patient/child-01", "tok-pcp", http.Header{"X-Request-Id": {"client-chosen"}})
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if r.header.Get("ETag") != `W/"3"` {
		t.Errorf("ETag %q not passed on", r.header.Get("ETag"))
	}
	if id := r.header.Get("X-Request-Id"); id == "" || id == "client-chosen" {
		t.Errorf("X-Request-Id %q: must be the gateway's own", id)
	}
	if !bytes.Contains(r.body, []byte(`"source":"`+e.base+`/Patient/child-01"`)) {
		t.Errorf("upstream URL in the resource not rewritten: %s", r.body)
	}
	rec := e.auditOf(t, r)
	if rec.Basis["child-01"] != "pcp" || rec.DecisionID != "dec-child-01" || rec.TokenID != "jti-pcp" ||
		rec.Username != "pcp" || rec.Client != "demo-app" || rec.ResourceType != "Patient" || rec.Interaction != "read" {
		t.Errorf("audit record %+v", rec)
	}
}

// The upstream sees only what the gateway built: the canonical request and its own headers.
func TestUpstreamRequestIsOursAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	client := http.Header{
		"Cookie": {"session=abc"}, "X-Forwarded-For": {"10.0.0.1"}, "Forwarded": {"for=10.0.0.1"},
		"Prefer": {"handling=lenient"}, "Accept": {"application/json"}, "Connection": {"Prefer, Authorization"},
		"X-Request-Id": {"client-id"}, "X-Custom": {"1"}, "Content-Type": {"text/plain"},
	}
	r := e.do(t, http.MethodGet, "/fhir/Observation?subject:Patient=child-02&code=2345-7", "tok-pcp", client)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	got := e.up.requests()
	if len(got) != 1 {
		t.Fatalf("upstream got %d requests", len(got))
	}
	up := got[0]
	if up.URL.RawQuery != "_count=50&code=2345-7&subject=Patient%2Fchild-02" || up.URL.Path != "/fhir/Observation" {
		t.Errorf("upstream URL %s", up.URL)
	}
	want := map[string]string{"Accept": "application/fhir+json", "Prefer": "handling=strict",
		"Authorization": "Bearer " + upstreamToken, "User-Agent": "mypatients-gateway",
		"X-Request-Id": r.header.Get("X-Request-Id"), "Accept-Encoding": "gzip"}
	for k := range up.Header {
		if _, ok := want[k]; !ok {
			t.Errorf("upstream received client header %s: %q", k, up.Header[k])
		}
	}
	for k, v := range want {
		if up.Header.Get(k) != v {
			t.Errorf("upstream %s = %q, want %q", k, up.Header.Get(k), v)
		}
	}
}

func TestUpstreamUnreachable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.up.srv.Close()
	r := e.do(t, http.MethodGet, "/fhir/Patient/child-01", "tok-pcp", nil)
	if r.status != http.StatusBadGateway || r.outcome(t).Code != codeProcessing {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	if rec := e.auditOf(t, r); rec.Reason != reasonUpstream || rec.Basis["child-01"] != "pcp" {
		t.Errorf("audit %+v", rec)
	}
}

// TestCircuitOpens: after repeated upstream failures the gateway answers 502 at once, with the
// same clean OperationOutcome, and records why.
func TestCircuitOpens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.up.srv.Close()
	var last result
	for range 6 {
		last = e.do(t, http.MethodGet, "/fhir/Observation?patient=child-01", "tok-pcp", nil)
	}
	if last.status != http.StatusBadGateway || last.outcome(t).Diagnostics != "The hospital's FHIR server did not give a usable answer." {
		t.Fatalf("got %d %s", last.status, last.body)
	}
	if rec := e.auditOf(t, last); rec.Reason != reasonCircuit {
		t.Errorf("audit reason %q, want %q", rec.Reason, reasonCircuit)
	}
}
