package ehr

import (
	"net/http"
	"strings"
	"testing"
)

func TestReadAndErrors(t *testing.T) {
	t.Parallel()
	e := startEHR(t, nil)
	tests := []struct {
		name, path string
		headers    map[string]string
		status     int
		// want is the resourceType (and id) of a JSON body, or a substring of a raw one.
		wantType, wantID, wantText string
	}{
		{"read patient", "Patient/child-01", nil, 200, "Patient", "child-01", ""},
		{"read practitioner role", "PractitionerRole/role-patel-maple", nil, 200, "PractitionerRole", "role-patel-maple", ""},
		{"vread", "Encounter/enc-03-1/_history/1", nil, 200, "Encounter", "enc-03-1", ""},
		{"vread unknown version", "Patient/child-01/_history/2", nil, 404, "OperationOutcome", "", ""},
		{"unknown id", "Patient/child-99", nil, 404, "OperationOutcome", "", ""},
		{"unknown type", "Spaceship/child-01", nil, 404, "OperationOutcome", "", ""},
		{"type outside the contract", "Immunization?patient=child-01", nil, 404, "OperationOutcome", "", ""},
		{"binary as FHIR", "Binary/bin-03-1", nil, 200, "Binary", "bin-03-1", ""},
		{"binary as content", "Binary/bin-03-1", map[string]string{"Accept": "text/plain"}, 200, "", "", "DISCHARGE SUMMARY"},
		{"binary not searchable", "Binary?_id=bin-03-1", nil, 400, "OperationOutcome", "", ""},
		{"format json", "Patient/child-02?_format=json", nil, 200, "Patient", "child-02", ""},
		{"format xml", "Patient/child-02?_format=xml", nil, 406, "OperationOutcome", "", ""},
		{"accept xml", "Patient/child-02", map[string]string{"Accept": "application/fhir+xml"}, 406, "OperationOutcome", "", ""},
		{"accept browser", "Patient/child-02", map[string]string{"Accept": "text/html,application/xml;q=0.9,*/*;q=0.8"}, 200, "Patient", "child-02", ""},
		{"instance history", "Patient/child-01/_history", nil, 400, "OperationOutcome", "", ""},
		{"system search", "", nil, 400, "OperationOutcome", "", ""},
		{"metadata", "metadata", nil, 200, "CapabilityStatement", "demo-ehr", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := e.with(t)
			resp := e.get(tc.path, tc.headers)
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			if tc.wantText != "" {
				if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
					t.Errorf("Content-Type %q", ct)
				}
				if !strings.Contains(string(resp.body), tc.wantText) {
					t.Errorf("body lacks %q: %s", tc.wantText, resp.body)
				}
				return
			}
			if ct := resp.header.Get("Content-Type"); ct != fhirJSON {
				t.Errorf("Content-Type %q, want %s", ct, fhirJSON)
			}
			m := decodeObject(t, resp.body)
			if m["resourceType"] != tc.wantType || (tc.wantID != "" && m["id"] != tc.wantID) {
				t.Errorf("got %v/%v, want %s/%s", m["resourceType"], m["id"], tc.wantType, tc.wantID)
			}
			if tc.status == 200 && tc.wantType != "CapabilityStatement" && resp.header.Get("ETag") != `W/"1"` {
				t.Errorf("ETag %q", resp.header.Get("ETag"))
			}
			if tc.status >= 400 && len(valuesAt(m, "issue.diagnostics")) != 1 {
				t.Errorf("OperationOutcome without diagnostics: %s", resp.body)
			}
		})
	}
}

func TestOutsideBase(t *testing.T) {
	t.Parallel()
	e := startEHR(t, nil)
	root := strings.TrimSuffix(e.base, "/fhir")
	for _, path := range []string{"/Patient/child-01", "/fhirx/Patient/child-01", "/other/fhir/Patient/child-01"} {
		if resp := e.get(root+path, nil); resp.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, resp.status)
		}
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	e := startEHR(t, nil)
	tests := []struct {
		name, path, auth string
		status           int
	}{
		{"no credential", "Patient/child-01", "", 401},
		{"wrong token", "Patient/child-01", "Bearer wrong", 401},
		{"token prefix", "Patient/child-01", "Bearer " + testToken[:5], 401},
		{"other scheme", "Patient/child-01", "Basic " + testToken, 401},
		{"lower-case scheme is not exact", "Patient/child-01", "bearer " + testToken, 401},
		{"no credential on search", "Observation?patient=child-01", "", 401},
		{"right token", "Patient/child-01", "Bearer " + testToken, 200},
		{"metadata is public", "metadata", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := e.with(t)
			resp := e.get(tc.path, map[string]string{"Authorization": tc.auth})
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			if tc.status == 401 {
				if resp.header.Get("WWW-Authenticate") == "" || !strings.Contains(string(resp.body), "OperationOutcome") {
					t.Errorf("401 without challenge or OperationOutcome: %v %s", resp.header, resp.body)
				}
				if strings.Contains(string(resp.body), "child-01") {
					t.Errorf("401 leaks data: %s", resp.body)
				}
			}
		})
	}
	open := startEHR(t, func(o *Options) { o.BearerToken = "" })
	if resp := open.get("Patient/child-01", map[string]string{"Authorization": ""}); resp.status != 200 {
		t.Errorf("server without token: status %d", resp.status)
	}
}

func TestReadOnlyMethods(t *testing.T) {
	t.Parallel()
	e := startEHR(t, nil)
	tests := []struct{ method, path string }{
		{http.MethodPut, "Patient/child-01"},
		{http.MethodDelete, "Patient/child-01"},
		{http.MethodPatch, "Patient/child-01"},
		{http.MethodPost, "Patient"},
		{http.MethodPost, "Patient/child-01"},
		{http.MethodDelete, "Observation?patient=child-01"},
		{http.MethodPut, "Observation/_search"},
		{http.MethodPost, ""},
		{http.MethodPost, "metadata"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			t.Parallel()
			e := e.with(t)
			resp := e.do(tc.method, tc.path, strings.NewReader(`{"resourceType":"Patient"}`),
				map[string]string{"Content-Type": fhirJSON})
			if resp.status != http.StatusMethodNotAllowed {
				t.Fatalf("status %d, want 405: %s", resp.status, resp.body)
			}
			if resp.header.Get("Allow") == "" || !strings.Contains(string(resp.body), `"OperationOutcome"`) {
				t.Errorf("405 without Allow or OperationOutcome: %v %s", resp.header, resp.body)
			}
		})
	}
	// HEAD is a read: headers, no body.
	if resp := e.do(http.MethodHead, "Patient/child-01", nil, nil); resp.status != 200 || len(resp.body) != 0 || resp.header.Get("Content-Type") != fhirJSON {
		t.Errorf("HEAD: %d %q %s", resp.status, resp.header.Get("Content-Type"), resp.body)
	}
	// Nothing changed: the patient still reads as seeded.
	if resp := e.get("Patient/child-01", nil); resp.status != 200 || !strings.Contains(string(resp.body), "Hartley") {
		t.Errorf("after writes: %d %s", resp.status, resp.body)
	}
}

func TestNewServerOptions(t *testing.T) {
	t.Parallel()
	d := Seed()
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"defaults", Options{BaseURL: "http://127.0.0.1:8081/fhir"}, true},
		{"trailing slash", Options{BaseURL: "https://ehr.example.org/fhir/"}, true},
		{"relative base", Options{BaseURL: "/fhir"}, false},
		{"ftp base", Options{BaseURL: "ftp://ehr.example.org/fhir"}, false},
		{"default above max", Options{BaseURL: "http://x/fhir", DefaultCount: 50, MaxCount: 10}, false},
		{"negative", Options{BaseURL: "http://x/fhir", DefaultCount: -1}, false},
	}
	for _, tc := range tests {
		if _, err := NewServer(d, tc.opts); (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
	if _, err := NewServer(nil, Options{BaseURL: "http://x/fhir"}); err == nil {
		t.Error("nil dataset accepted")
	}
}
