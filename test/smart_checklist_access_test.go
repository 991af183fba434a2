package test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mypatients/gateway/demo/login"
)

// Checklist items 27-33: scopes enforced on FHIR calls.

// userToken is pcp's token with user/*.rs, for looking things up.
func (e *smartEnv) userToken(t *testing.T) string {
	t.Helper()
	return e.token(t, e.authorize(t, "pcp", func(o *login.Options) { o.Scope = "user/*.rs" })).str("access_token")
}

// firstID returns the id of the first resource a search finds.
func (e *smartEnv) firstID(t *testing.T, token, search string) string {
	t.Helper()
	status, b := e.fhir(t, token, search)
	entries := asSlice(b["entry"])
	if status != http.StatusOK || len(entries) == 0 {
		t.Fatalf("%s: %d %v", search, status, b)
	}
	return entries[0].(map[string]any)["resource"].(map[string]any)["id"].(string)
}

func TestChecklist27ScopeParsing(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	tok := e.token(t, e.authorize(t, "pcp", func(o *login.Options) {
		o.Scope = "launch/patient patient/Observation.read patient/Patient.rs user/Encounter.* patient/Condition.sr patient/Procedure.dus"
	}))
	want := "launch/patient patient/Observation.read patient/Patient.rs user/Encounter.read"
	if tok.str("scope") != want {
		t.Errorf("scope %q, want %q (v1 kept as v1, .* reduced to read, out-of-order dropped)", tok.str("scope"), want)
	}
}

func TestChecklist28ReadOnly(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	tok := e.token(t, e.authorize(t, "pcp", func(o *login.Options) { o.Scope = "user/*.cruds user/Patient.write user/Observation.*" }))
	if tok.str("scope") != "user/*.rs user/Observation.read" {
		t.Errorf("scope %q: c, u and d must never be granted", tok.str("scope"))
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		req, _ := http.NewRequest(m, e.fhirBase()+"/Patient/child-01", strings.NewReader(`{"resourceType":"Patient","id":"child-01"}`))
		req.Header.Set("Authorization", "Bearer "+tok.str("access_token"))
		req.Header.Set("Content-Type", "application/fhir+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d, want 403 or 405", m, resp.StatusCode)
		}
	}
}

func TestChecklist29ReadVersusSearch(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	obs := e.firstID(t, e.userToken(t), "/Observation?patient=child-01")
	tok := e.token(t, e.authorize(t, "pcp", func(o *login.Options) { o.Scope = "launch/patient patient/Observation.r"; o.Patient = "child-01" }))
	at := tok.str("access_token")
	if status, _ := e.fhir(t, at, "/Observation/"+obs); status != http.StatusOK {
		t.Errorf("read with .r: %d", status)
	}
	if status, _ := e.fhir(t, at, "/Observation?patient=child-01"); status != http.StatusForbidden {
		t.Errorf("search with .r only: %d", status)
	}
}

func TestChecklist30PatientConfinement(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	at := e.token(t, e.authorize(t, "pcp", func(o *login.Options) { o.Scope = "launch/patient patient/*.rs"; o.Patient = "child-01" })).str("access_token")
	if status, _ := e.fhir(t, at, "/Patient/child-01"); status != http.StatusOK {
		t.Errorf("launch patient: %d", status)
	}
	for _, path := range []string{"/Patient/child-02", "/Observation?patient=child-02", "/Observation?patient=child-01,child-02"} {
		if status, _ := e.fhir(t, at, path); status != http.StatusForbidden && status != http.StatusNotFound {
			t.Errorf("%s (pcp may see child-02, the token may not): %d", path, status)
		}
	}
	// A search naming no patient is filtered to the launch patient.
	if status, b := e.fhir(t, at, "/Patient?_count=50"); status != http.StatusOK || !slices.Equal(entryIDs(b), []string{"child-01"}) {
		t.Errorf("unfiltered search: %d %v, want only child-01", status, entryIDs(b))
	}
	// user/ scopes are limited by the policy: the specialist sees nobody.
	spec := e.token(t, e.authorize(t, "specialist", func(o *login.Options) { o.Scope = "user/*.rs" })).str("access_token")
	if status, _ := e.fhir(t, spec, "/Patient/child-01"); status != http.StatusForbidden {
		t.Errorf("specialist with user/*.rs: %d", status)
	}
}

func TestChecklist31GranularScopes(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	const lab = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
	full := e.userToken(t)
	_, all := e.fhir(t, full, "/Observation?patient=child-01&_count=100")
	_, labs := e.fhir(t, full, "/Observation?patient=child-01&_count=100&category="+url.QueryEscape(lab))
	at := e.token(t, e.authorize(t, "pcp", func(o *login.Options) {
		o.Scope = "launch/patient patient/Observation.rs?category=" + lab
		o.Patient = "child-01"
	})).str("access_token")
	status, got := e.fhir(t, at, "/Observation?patient=child-01&_count=100")
	if status != http.StatusOK || !slices.Equal(entryIDs(got), entryIDs(labs)) || len(entryIDs(labs)) == 0 {
		t.Errorf("granular search: %d %v, want exactly %v", status, entryIDs(got), entryIDs(labs))
	}
	for _, id := range entryIDs(all) {
		if slices.Contains(entryIDs(labs), id) {
			continue
		}
		if status, _ := e.fhir(t, at, "/Observation/"+id); status == http.StatusOK {
			t.Errorf("non-laboratory Observation/%s read with a laboratory-only scope", id)
		}
		break
	}
}

func TestChecklist32BearerTokenRules(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	req, _ := http.NewRequest(http.MethodGet, e.fhirBase()+"/Patient/child-01", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	tok := e.token(t, e.authorize(t, "pcp", func(o *login.Options) { o.Scope = "openid fhirUser user/Patient.rs" }))
	at := tok.str("access_token")
	for name, bearer := range map[string]string{"garbage": "not-a-token", "an id_token (other aud and typ)": tok.str("id_token"), "tampered": at[:len(at)-4] + "AAAA"} {
		if status, _ := e.fhir(t, bearer, "/Patient/child-01"); status != http.StatusUnauthorized {
			t.Errorf("%s: %d", name, status)
		}
	}
	if status, _ := e.fhir(t, at, "/Observation?patient=child-01"); status != http.StatusForbidden && status != http.StatusUnauthorized {
		t.Errorf("type not granted: %d", status)
	}
	if status, _ := e.fhir(t, "", "/Patient/child-01?access_token="+at); status == http.StatusOK {
		t.Error("a token in the query string was honoured")
	}
	_, b := e.fhir(t, at, "/Patient?_count=2")
	for _, l := range asSlice(b["link"]) {
		if u := l.(map[string]any)["url"].(string); !strings.HasPrefix(u, e.fhirBase()) {
			t.Errorf("bundle link %q not on the gateway", u)
		}
	}
}

func TestChecklist33GrantedIsRequestedAndChosen(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	tok := e.token(t, e.authorize(t, "pcp", func(o *login.Options) {
		o.Scope = "launch/patient openid patient/Patient.rs patient/Observation.rs user/Encounter.write"
		o.Grant = []string{"launch/patient", "patient/Patient.rs"}
	}))
	if tok.str("scope") != "launch/patient patient/Patient.rs" {
		t.Errorf("scope %q: the clinician unticked openid and Observation; the write scope is never offered", tok.str("scope"))
	}
	if status, _ := e.fhir(t, tok.str("access_token"), "/Observation?patient="+tok.str("patient")); status != http.StatusForbidden {
		t.Errorf("unticked Observation: %d", status)
	}
}

func entryIDs(b map[string]any) []string {
	var ids []string
	for _, en := range asSlice(b["entry"]) {
		ids = append(ids, en.(map[string]any)["resource"].(map[string]any)["id"].(string))
	}
	slices.Sort(ids)
	return ids
}
