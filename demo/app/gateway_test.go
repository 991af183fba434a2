package app

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeGateway plays the gateway's SMART endpoints and FHIR API honestly: it checks what a
// real SMART server checks (PKCE S256, aud, state, redirect URI, code_verifier, bearer token)
// and refuses otherwise, so the app can pass only by doing the protocol right.
type fakeGateway struct {
	t           *testing.T
	srv         *httptest.Server
	redirectURI string // the app's, set once the app listens
	token       string
	down        atomic.Bool // discovery answers 503 while set

	mu         sync.Mutex
	codes      map[string]string // code -> code_challenge
	authorize  []url.Values
	tokenCalls int
	fhirCalls  []string
}

const (
	deniedID      = "child-10"
	notPCPMessage = "You are not this patient's primary care provider, and no one in your practice is."
	hostileName   = `<script>alert("pwned")</script>`
)

func newFakeGateway(t *testing.T) *fakeGateway {
	g := &fakeGateway{t: t, token: randomString(), codes: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/smart-configuration", g.discovery)
	mux.HandleFunc("GET /oauth/authorize", g.authorizeEndpoint)
	mux.HandleFunc("POST /oauth/token", g.tokenEndpoint)
	mux.HandleFunc("GET /fhir/{type}", g.fhir)
	mux.HandleFunc("GET /fhir/{type}/{id}", g.fhir)
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGateway) fhirBase() string { return g.srv.URL + "/fhir" }

func (g *fakeGateway) discovery(w http.ResponseWriter, r *http.Request) {
	if g.down.Load() {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	writeJSONTest(w, http.StatusOK, map[string]any{
		"authorization_endpoint":           g.srv.URL + "/oauth/authorize",
		"token_endpoint":                   g.srv.URL + "/oauth/token",
		"code_challenge_methods_supported": []string{"S256"},
	})
}

func (g *fakeGateway) authorizeEndpoint(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	g.mu.Lock()
	g.authorize = append(g.authorize, q)
	g.mu.Unlock()
	switch {
	case q.Get("client_id") != "demo-app" || q.Get("redirect_uri") != g.redirectURI:
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code", q.Get("aud") != g.fhirBase(), q.Get("state") == "",
		q.Get("code_challenge_method") != "S256", len(q.Get("code_challenge")) != 43:
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := randomString()
	g.mu.Lock()
	g.codes[code] = q.Get("code_challenge")
	g.mu.Unlock()
	back, _ := url.Parse(g.redirectURI)
	back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (g *fakeGateway) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.tokenCalls++
	challenge, ok := g.codes[r.PostFormValue("code")]
	delete(g.codes, r.PostFormValue("code"))
	g.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	switch {
	case r.Header.Get("Authorization") != "", r.PostFormValue("client_id") != "demo-app",
		r.PostFormValue("grant_type") != "authorization_code", r.PostFormValue("redirect_uri") != g.redirectURI:
		writeJSONTest(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
	case !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge:
		writeJSONTest(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "bad code or verifier"})
	default:
		writeJSONTest(w, http.StatusOK, map[string]any{
			"access_token": g.token, "token_type": "Bearer", "expires_in": 3600,
			"scope": "user/Patient.rs user/Encounter.rs",
		})
	}
}

func (g *fakeGateway) fhir(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.fhirCalls = append(g.fhirCalls, r.URL.RequestURI())
	g.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+g.token {
		writeJSONTest(w, http.StatusUnauthorized, outcome("invalid token"))
		return
	}
	typ, id := r.PathValue("type"), r.PathValue("id")
	if id == "" {
		id = r.URL.Query().Get("patient")
	}
	if id == deniedID {
		writeJSONTest(w, http.StatusForbidden, outcome(notPCPMessage))
		return
	}
	switch {
	case typ == "Patient" && r.PathValue("id") == "child-01":
		writeJSONTest(w, http.StatusOK, fakePatient("child-01", "Ada", "Lovelace", "MRN100001"))
	case typ == "Patient" && id == "" && r.URL.Query().Get("_count") == "50":
		writeJSONTest(w, http.StatusOK, searchset(
			fakePatient("child-01", "Ada", "Lovelace", "MRN100001"),
			fakePatient("child-02", hostileName, "Smith", "MRN100002"),
		))
	case id == "child-01" && typ == "Encounter":
		writeJSONTest(w, http.StatusOK, searchset(map[string]any{
			"resourceType": "Encounter", "status": "finished",
			"class":      map[string]string{"code": "AMB", "display": "ambulatory"},
			"type":       []any{map[string]string{"text": "Well-child visit"}},
			"period":     map[string]string{"start": "2024-03-01T09:00:00Z", "end": "2024-03-01T09:30:00Z"},
			"reasonCode": []any{map[string]any{"coding": []any{map[string]string{"display": "Routine check-up"}}}},
		}))
	case id == "child-01" && typ == "Observation":
		writeJSONTest(w, http.StatusOK, searchset(map[string]any{
			"resourceType": "Observation", "status": "final",
			"code":              map[string]any{"coding": []any{map[string]string{"code": "4548-4", "display": "Hemoglobin A1c"}}},
			"valueQuantity":     map[string]any{"value": 5.4, "unit": "%"},
			"effectiveDateTime": "2024-03-01",
		}))
	case id == "child-01" && typ == "MedicationRequest":
		writeJSONTest(w, http.StatusOK, searchset(map[string]any{
			"resourceType": "MedicationRequest", "status": "active",
			"medicationCodeableConcept": map[string]string{"text": "Amoxicillin 250 mg"},
			"dosageInstruction":         []any{map[string]string{"text": "250 mg twice daily"}},
		}))
	default:
		writeJSONTest(w, http.StatusNotFound, outcome("not found"))
	}
}

func fakePatient(id, given, family, mrn string) map[string]any {
	return map[string]any{
		"resourceType": "Patient", "id": id, "birthDate": "2015-06-0" + id[len(id)-1:],
		"name": []any{map[string]any{"use": "official", "family": family, "given": []string{given}}},
		"identifier": []any{map[string]any{
			"type":   map[string]any{"coding": []any{map[string]string{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}}},
			"system": "http://childrens.example.org/mrn", "value": mrn,
		}},
	}
}

func searchset(resources ...map[string]any) map[string]any {
	entries := make([]any, len(resources))
	for i, r := range resources {
		entries[i] = map[string]any{"resource": r}
	}
	return map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(resources), "entry": entries}
}

func outcome(msg string) map[string]any {
	return map[string]any{"resourceType": "OperationOutcome", "issue": []any{
		map[string]string{"severity": "error", "code": "forbidden", "diagnostics": msg},
	}}
}

func writeJSONTest(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(fmt.Sprintf("encode: %v", err))
	}
}

// snapshot returns copies of what the gateway has seen so far.
func (g *fakeGateway) snapshot() (authorize []url.Values, tokenCalls int, fhirCalls []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]url.Values(nil), g.authorize...), g.tokenCalls, append([]string(nil), g.fhirCalls...)
}
