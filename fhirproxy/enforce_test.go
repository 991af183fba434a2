package fhirproxy

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mypatients/gateway/audit"
)

// TestReadsCheckTheReturnedResource covers vread, Binary through its DocumentReference, the
// directory types, linked patients and resources the gateway cannot read safely.
func TestReadsCheckTheReturnedResource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tests := []struct {
		name, path, token string
		status            int
		reason            string
	}{
		{"vread own", "/fhir/Observation/obs-01/_history/1", "tok-pcp", 200, ""},
		{"vread missing version", "/fhir/Observation/obs-01/_history/7", "tok-pcp", 403, reasonNotFound},
		{"binary through its note", "/fhir/Binary/bin-01", "tok-pcp", 200, ""},
		{"binary the note does not name", "/fhir/Binary/bin-stolen", "tok-pcp", 403, reasonUnexpected},
		{"binary without securityContext", "/fhir/Binary/bin-bare", "tok-pcp", 403, reasonUnexpected},
		{"binary of a patient not seen", "/fhir/Binary/bin-01", "tok-specialist", 403, "not_pcp"},
		{"directory as clinician", "/fhir/Practitioner/dr-patel", "tok-clinician", 200, ""},
		{"directory without practitioner", "/fhir/Practitioner/dr-patel", "tok-pcp", 403, "not_clinician"},
		// Parsers disagree on which "subject" wins: the answer is unusable, not released.
		{"duplicate members", "/fhir/Observation/obs-dup", "tok-pcp", 502, reasonUpstream},
		{"patient linked to another", "/fhir/Patient/child-linked", "tok-pcp", 403, "not_pcp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, http.MethodGet, tc.path, tc.token, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if bytes.Contains(r.body, []byte("LEAKED")) || bytes.Contains(r.body, []byte("TEVBS0VE")) {
				t.Errorf("body leaks: %s", r.body)
			}
			if tc.status != 200 {
				hide := tc.reason == reasonUnexpected || tc.reason == reasonNotFound
				if got := r.outcome(t).Diagnostics; hide && got != hiddenDenial {
					t.Errorf("diagnostics %q, want the hidden denial", got)
				}
				if rec := e.lastRecord(t, r); rec.Reason != tc.reason {
					t.Errorf("audit reason %q, want %q", rec.Reason, tc.reason)
				}
			}
		})
	}
}

// TestScopeQueryConstraints checks v2 granular scopes: searches are narrowed upstream, every
// returned resource must match, and reads outside the query look like any other denial.
func TestScopeQueryConstraints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	lab := "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
	r := e.do(t, http.MethodGet, "/fhir/Observation?patient=child-01", "tok-lab", nil)
	if r.status != 200 {
		t.Fatalf("search: %d %s", r.status, r.body)
	}
	got := e.up.requests()
	if q := got[len(got)-1].URL.Query(); !slices.Equal(q["category"], []string{lab}) {
		t.Errorf("upstream query %v lacks the scope's category", q)
	}
	for _, id := range entryIDs(t, r.bundle(t)) {
		if id != "Observation/obs-01" {
			t.Errorf("released %s, which is not a laboratory result", id)
		}
	}
	if l := links(r.bundle(t))["next"]; strings.Contains(l, "category") {
		t.Errorf("next link carries the scope's constraint: %s", l)
	}
	for path, want := range map[string]int{"/fhir/Observation/obs-01": 200, "/fhir/Observation/obs-vital": 403} {
		if r := e.do(t, http.MethodGet, path, "tok-lab", nil); r.status != want {
			t.Errorf("%s: %d, want %d: %s", path, r.status, want, r.body)
		}
	}
	e.do(t, http.MethodGet, "/fhir/Observation?patient=child-01", "tok-lab-or-vital", nil)
	got = e.up.requests()
	if q := got[len(got)-1].URL.Query(); !slices.Equal(q["category"], []string{"laboratory,vital-signs"}) {
		t.Errorf("two scopes of one parameter: upstream category %q, want one OR list", q["category"])
	}
	if r := e.do(t, http.MethodGet, "/fhir/Observation?patient=child-01", "tok-odd-scopes", nil); r.status != 403 {
		t.Errorf("scopes on different parameters: %d, want 403", r.status)
	}
}

// TestPagingLinksAreBoundToTheCaller replays a next link as another caller and tampered.
func TestPagingLinksAreBoundToTheCaller(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do(t, http.MethodGet, "/fhir/Observation?patient=child-01", "tok-pcp", nil)
	var next string
	for _, l := range r.bundle(t).Link {
		if l.Relation == "next" {
			next = strings.TrimPrefix(l.URL, e.gw.URL)
		}
	}
	if !strings.Contains(next, "_page=") {
		t.Fatalf("next link %q is not signed", next)
	}
	for _, tc := range []struct{ path, token string }{
		{next, "tok-pcp"}, {next, "tok-lazy"}, {strings.Replace(next, "_offset=2", "_offset=0", 1), "tok-pcp"},
	} {
		want := 403
		if tc.token == "tok-pcp" && tc.path == next {
			want = 200
		}
		if r := e.do(t, http.MethodGet, tc.path, tc.token, nil); r.status != want {
			t.Errorf("%s as %s: %d, want %d: %s", tc.path, tc.token, r.status, want, r.body)
		}
	}
}

// TestIncludesAreChecked: an included Practitioner is a directory resource, released only to
// a clinician; includes nobody asked for are dropped.
func TestIncludesAreChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for token, want := range map[string]bool{"tok-clinician": true, "tok-pcp": false} {
		r := e.do(t, http.MethodGet, "/fhir/Observation?patient=child-01&_include=Observation:performer", token, nil)
		if got := slices.Contains(entryIDs(t, r.bundle(t)), "Practitioner/dr-patel"); got != want {
			t.Errorf("%s: include released = %v, want %v: %s", token, got, want, r.body)
		}
	}
	r := e.do(t, http.MethodGet, "/fhir/Observation?patient=child-01", "tok-clinician", nil)
	if slices.Contains(entryIDs(t, r.bundle(t)), "Practitioner/dr-patel") {
		t.Errorf("an include nobody asked for was released")
	}
}

// TestPostSearch: the form body joins the URL's parameters and the upstream sees only the
// canonical GET.
func TestPostSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	post := func(ctype, body string) result {
		return e.doBody(t, "/fhir/Observation/_search?code=2345-7", "tok-pcp", ctype, body)
	}
	if r := post("application/x-www-form-urlencoded", "patient=child-02"); r.status != 200 {
		t.Fatalf("POST _search: %d %s", r.status, r.body)
	}
	got := e.up.requests()
	if up := got[len(got)-1]; up.Method != http.MethodGet || up.URL.RawQuery != "_count=50&code=2345-7&patient=Patient%2Fchild-02" {
		t.Errorf("upstream got %s %s", up.Method, up.URL)
	}
	for _, tc := range []struct {
		ctype, body string
		want        int
	}{
		{"application/fhir+json", `{"patient":"child-01"}`, 415},
		{"application/x-www-form-urlencoded", "patient=child-10", 403},
		{"application/x-www-form-urlencoded", "name=" + strings.Repeat("a", maxQueryBytes), 413},
	} {
		if r := post(tc.ctype, tc.body); r.status != tc.want {
			t.Errorf("%s %.20s: %d, want %d", tc.ctype, tc.body, r.status, tc.want)
		}
	}
}

// TestScrubber: the upstream's address never survives, whatever its spelling.
func TestScrubber(t *testing.T) {
	t.Parallel()
	up, _ := url.Parse("http://ehr.internal:8081/fhir")
	pub, _ := url.Parse("https://gw.example/fhir")
	s := newScrubber(up, pub)
	for _, in := range []string{
		`{"a":"http://ehr.internal:8081/fhir/Patient/x"}`,
		`{"a":"see HTTP://EHR.INTERNAL:8081/FHIR/Patient/x now"}`,
		`{"a":"http:\/\/ehr.internal:8081\/fhir\/x"}`,
		`{"a":"ehr\u002einternal:8081"}`,
		`{"ehr.internal:8081":["x",{"b":"Ehr.Internal:8081/other"}]}`,
		// A replacement that completes a new mention with what follows it (found by fuzzing).
		`{"a":"EHR.INTERNALhr.internAl"}`,
		`{"a":"ehr.internal:8081hr.internal:8081"}`,
	} {
		out := s.resource([]byte(in))
		if bytes.Contains(bytes.ToLower(out), []byte("ehr.internal")) {
			t.Errorf("%s → %s", in, out)
		}
	}
}

// lastRecord returns the audit record of answer r.
func (e *env) lastRecord(t *testing.T, r result) audit.Record {
	t.Helper()
	for _, rec := range e.audit.records() {
		if rec.RequestID == r.header.Get("X-Request-Id") {
			return rec
		}
	}
	t.Fatalf("no audit record for request %q", r.header.Get("X-Request-Id"))
	return audit.Record{}
}

// doBody sends a POST with a body to the gateway.
func (e *env) doBody(t *testing.T, path, token, ctype, body string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.gw.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}
