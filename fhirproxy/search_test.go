package fhirproxy

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// bundle decodes a searchset answer.
func (r result) bundle(t *testing.T) outBundle {
	t.Helper()
	var b outBundle
	if err := json.Unmarshal(r.body, &b); err != nil || b.ResourceType != "Bundle" || b.Type != "searchset" {
		t.Fatalf("want a searchset, got %d %s", r.status, r.body)
	}
	return b
}

func entryIDs(t *testing.T, b outBundle) []string {
	t.Helper()
	var ids []string
	for _, e := range b.Entry {
		var res struct{ ResourceType, ID string }
		if err := json.Unmarshal(e.Resource, &res); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ResourceType+"/"+res.ID)
	}
	return ids
}

// links maps relation to URL, without the caller-binding _page value (TestPagingLinks checks
// it); a paging link without one is reported as such.
func links(b outBundle) map[string]string {
	m := map[string]string{}
	for _, l := range b.Link {
		u, token, found := strings.Cut(l.URL, "&_page=")
		if l.Relation != "self" && (!found || token == "") {
			u = "UNSIGNED " + u
		}
		m[l.Relation] = u
	}
	return m
}

func TestSearchFiltersEntriesAndLinks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do(t, http.MethodGet, "/fhir/Observation?patient=child-01", "tok-pcp", nil)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	b := r.bundle(t)
	if got, want := entryIDs(t, b), []string{"Observation/obs-01", "Observation/obs-abs"}; !slices.Equal(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	if b.Total != nil {
		t.Errorf("total %d kept although entries were dropped", *b.Total)
	}
	for _, leak := range []string{"LEAKED", "child-10", "OperationOutcome", "upstream-bundle-1"} {
		if bytes.Contains(r.body, []byte(leak)) {
			t.Errorf("body contains %q: %s", leak, r.body)
		}
	}
	if !bytes.Contains(r.body, []byte(`"Glucose <fasting> & fed"`)) {
		t.Errorf("resource text altered: %s", r.body)
	}
	wantLinks := map[string]string{
		"self": e.base + "/Observation?_count=50&patient=Patient%2Fchild-01",
		"next": e.base + "/Observation?_count=2&_offset=2&patient=Patient%2Fchild-01",
	}
	if got := links(b); !maps.Equal(got, wantLinks) {
		t.Errorf("links %v, want %v", got, wantLinks)
	}
	for _, en := range b.Entry {
		if want := e.base + "/Observation/"; len(en.FullURL) <= len(want) || en.FullURL[:len(want)] != want {
			t.Errorf("fullUrl %q not under the gateway", en.FullURL)
		}
	}
	rec := e.auditOf(t, r)
	if rec.Decision != "allow" || rec.Basis["child-01"] != "pcp" || rec.Basis["child-10"] != "not_pcp" ||
		!slices.Equal(rec.Patients, []string{"child-01", "child-10"}) || rec.Interaction != "search" {
		t.Errorf("audit %+v", rec)
	}
	// The next link is a request like any other: following it is parsed and checked again.
	next := e.do(t, http.MethodGet, links(b)["next"][len(e.gw.URL):], "tok-pcp", nil)
	if next.status != 200 {
		t.Errorf("following next: %d %s", next.status, next.body)
	}
}

func TestSearchDropsTotalOfAPagedAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do(t, http.MethodGet, "/fhir/Observation?subject=Patient/child-02", "tok-pcp", nil)
	b := r.bundle(t)
	// The fixture's page has a next link: its total is not what the page shows, so it goes.
	if b.Total != nil || len(b.Entry) != 1 {
		t.Errorf("total %v, entries %d: %s", b.Total, len(b.Entry), r.body)
	}
	if e.authz.callCount() != 1 {
		t.Errorf("authorizer called %d times, want 1 (entries inside the decided set)", e.authz.callCount())
	}
}

func TestSearchRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, token, path string
		status            int
		diag              string
		upstream          bool
	}{
		{"other's patient", "tok-pcp", "/fhir/Observation?patient=child-10", 403, notPCP, false},
		{"mixed allowed and not", "tok-pcp", "/fhir/Observation?patient=child-01,child-10", 403, notPCP, false},
		{"foreign reference beside an allowed one", "tok-pcp", "/fhir/Encounter?patient=child-01&subject=http://127.0.0.1:1/fhir/Patient/child-01", 400, "", false},
		{"no patient named", "tok-pcp", "/fhir/Observation?code=2345-7", 403, "A search of Observation must name a patient (patient or subject parameter).", false},
		{"unparsed parameter", "tok-pcp", "/fhir/Patient?gender=female&general-practitioner=Practitioner/dr-patel", 400, "", false},
		{"upstream not a bundle", "tok-pcp", "/fhir/Encounter?patient=child-01", 502, "", true},
		{"upstream error", "tok-pcp", "/fhir/MedicationRequest?patient=child-01", 502, "", true},
		{"narrowing fails", "tok-broken", "/fhir/Patient", 503, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			r := e.do(t, http.MethodGet, tc.path, tc.token, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if iss := r.outcome(t); tc.diag != "" && iss.Diagnostics != tc.diag {
				t.Errorf("diagnostics %q, want %q", iss.Diagnostics, tc.diag)
			}
			if got := len(e.up.requests()) > 0; got != tc.upstream {
				t.Errorf("upstream asked = %v, want %v", got, tc.upstream)
			}
			if bytes.Contains(r.body, []byte("UPSTREAM-SECRET")) || e.auditOf(t, r).Decision != "deny" {
				t.Errorf("leak or wrong audit: %s", r.body)
			}
		})
	}
}

func TestPatientSearchIsNarrowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do(t, http.MethodGet, "/fhir/Patient?gender=female", "tok-pcp", nil)
	b := r.bundle(t)
	if got, want := entryIDs(t, b), []string{"Patient/child-01", "Patient/child-02"}; !slices.Equal(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	if b.Total != nil || bytes.Contains(r.body, []byte("LEAKED")) {
		t.Errorf("narrowed search leaks total or entries: %s", r.body)
	}
	got := e.up.requests()
	if len(got) != 1 || got[0].URL.RawQuery != "_count=50&_id=child-01%2Cchild-02&gender=female" {
		t.Fatalf("upstream query %v", got)
	}
	wantLinks := map[string]string{
		"self": e.base + "/Patient?_count=50&gender=female",
		"next": e.base + "/Patient?_count=2&_offset=2&gender=female",
	}
	if l := links(b); !maps.Equal(l, wantLinks) {
		t.Errorf("links %v, want %v", l, wantLinks)
	}
}

// Even when every returned entry is allowed, a narrowed search's total is dropped: it counts
// what the narrowing let through, not what the caller asked for.
func TestNarrowedSearchNeverHasTotal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do(t, http.MethodGet, "/fhir/Patient", "tok-lazy", nil)
	b := r.bundle(t)
	if len(b.Entry) != 3 || b.Total != nil {
		t.Errorf("entries %d, total %v: %s", len(b.Entry), b.Total, r.body)
	}
	if got := e.up.requests(); len(got) != 1 || got[0].URL.RawQuery != "_count=50" {
		t.Errorf("upstream query %v", got)
	}
}

func TestPatientSearchNothingVisible(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do(t, http.MethodGet, "/fhir/Patient?name=Alder", "tok-specialist", nil)
	b := r.bundle(t)
	if len(b.Entry) != 0 || b.Total != nil || len(e.up.requests()) != 0 {
		t.Errorf("want an empty searchset without asking the upstream: %s", r.body)
	}
	if rec := e.auditOf(t, r); rec.Decision != "allow" || len(rec.Patients) != 0 {
		t.Errorf("audit %+v", rec)
	}
}

// A denial that is not about particular patients (here: scopes) never lets the per-patient
// answers of the same decision release entries.
func TestOverallDenialWinsOverPerPatientAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do(t, http.MethodGet, "/fhir/Patient", "tok-noscope", nil)
	b := r.bundle(t)
	if len(b.Entry) != 0 || bytes.Contains(r.body, []byte("Alder")) {
		t.Errorf("entries released despite an overall denial: %s", r.body)
	}
	if e.authz.callCount() != 2 {
		t.Errorf("authorizer calls %d, want 2 (decision and confirmation)", e.authz.callCount())
	}
}
