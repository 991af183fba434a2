package test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/mypatients/gateway/demo/login"
)

// Checklist items 34-42: launch context, id_token, introspection, revocation, backend
// services and error formats.

func TestChecklist34LaunchPatientAndEncounter(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	enc := e.firstID(t, e.userToken(t), "/Encounter?patient=child-03")
	launch := e.createLaunch(t, `{"patient":"child-03","encounter":"`+enc+`"}`)
	tok := e.token(t, e.authorize(t, "pcp", func(o *login.Options) {
		o.Scope = "launch openid fhirUser patient/*.rs"
		o.Extra = url.Values{"launch": {launch}}
	}))
	if tok.str("patient") != "child-03" || tok.str("encounter") != enc {
		t.Fatalf("context %v", tok.body)
	}
	for _, p := range []string{"/Patient/child-03", "/Encounter/" + enc} {
		if status, _ := e.fhir(t, tok.str("access_token"), p); status != http.StatusOK {
			t.Errorf("%s: %d", p, status)
		}
	}
	// Standalone: patient/ scopes establish a patient context through the picker, even
	// without launch/patient.
	st := e.token(t, e.authorize(t, "pcp", func(o *login.Options) { o.Scope = "patient/Patient.rs"; o.Patient = "child-04" }))
	if st.str("patient") != "child-04" {
		t.Errorf("standalone patient %q", st.str("patient"))
	}
}

func TestChecklist35FHIRContext(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	for _, bad := range []string{
		`{"patient":"child-01","fhir_context":[{"reference":"Encounter/enc-x","role":"launch"}]}`,
		`{"patient":"child-01","fhir_context":[{"reference":"Patient/child-01"}]}`,
		`{"patient":"child-01","fhir_context":[{"reference":"http://other.example/fhir/Observation/1"}]}`,
	} {
		if status, _ := e.launchRequest(t, bad, "demo-ehr", launcherSecret); status != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, status)
		}
	}
	launch := e.createLaunch(t, `{"patient":"child-01","fhir_context":[{"reference":"Patient/child-02","role":"sibling"}]}`)
	tok := e.token(t, e.authorize(t, "pcp", func(o *login.Options) { o.Scope = "launch patient/*.rs"; o.Extra = url.Values{"launch": {launch}} }))
	fc := asSlice(tok.body["fhirContext"])
	if len(fc) != 1 || fc[0].(map[string]any)["reference"] != "Patient/child-02" || fc[0].(map[string]any)["role"] != "sibling" {
		t.Errorf("fhirContext %v", tok.body["fhirContext"])
	}
	st := e.token(t, e.authorize(t, "pcp", nil))
	if _, ok := st.body["fhirContext"].([]any); !ok {
		t.Errorf("standalone fhirContext %v is not an array", st.body["fhirContext"])
	}
}

func TestChecklist36BannerAndStyle(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	launch := e.createLaunch(t, `{"patient":"child-01","need_patient_banner":false}`)
	tok := e.token(t, e.authorize(t, "pcp", func(o *login.Options) { o.Scope = "launch patient/*.rs"; o.Extra = url.Values{"launch": {launch}} }))
	if b, ok := tok.body["need_patient_banner"].(bool); !ok || b {
		t.Errorf("need_patient_banner %v, want false as the EHR said", tok.body["need_patient_banner"])
	}
	styleURL := tok.str("smart_style_url")
	resp, err := http.Get(styleURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !json.Valid(body) {
		t.Fatalf("style: %d %s", resp.StatusCode, body)
	}
	// The URL names the content's hash, so it changes when the content does.
	sum := sha256.Sum256(body)
	if !strings.Contains(styleURL, hex.EncodeToString(sum[:8])) {
		t.Errorf("style URL %s does not follow its content", styleURL)
	}
}

func TestChecklist37IDToken(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	tok := e.token(t, e.authorize(t, "pcp", func(o *login.Options) { o.Extra = url.Values{"nonce": {"n-0S6_WzA2Mj"}} }))
	_, jwksDoc, _ := getJSON(t, e.base+"/.well-known/jwks.json")
	var set jose.JSONWebKeySet
	_ = json.Unmarshal([]byte(jsonString(jwksDoc)), &set)
	parsed, err := jwt.ParseSigned(tok.str("id_token"), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	kid := parsed.Headers[0].KeyID
	keys := set.Key(kid)
	if kid == "" || len(keys) != 1 {
		t.Fatalf("kid %q matches %d keys", kid, len(keys))
	}
	var c struct {
		jwt.Claims
		FHIRUser string `json:"fhirUser"`
		Nonce    string `json:"nonce"`
	}
	if err := parsed.Claims(keys[0].Key, &c); err != nil {
		t.Fatal(err)
	}
	_, wk, _ := getJSON(t, e.base+"/.well-known/smart-configuration")
	if c.Issuer != wk["issuer"] || !slices.Equal(c.Audience, jwt.Audience{publicApp}) || c.Subject == "" || len(c.Subject) >= 256 ||
		c.Expiry == nil || c.IssuedAt == nil || c.FHIRUser != "Practitioner/dr-patel" || c.Nonce != "n-0S6_WzA2Mj" {
		t.Errorf("id_token claims %+v", c)
	}
}

func TestChecklist38FHIRUserReadable(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	tok := e.token(t, e.authorize(t, "pcp", func(o *login.Options) { o.Scope = "openid fhirUser launch/patient patient/Observation.rs" }))
	if status, b := e.fhir(t, tok.str("access_token"), "/Practitioner/dr-patel"); status != http.StatusOK {
		t.Errorf("fhirUser read with patient/ scopes only: %d %v", status, b)
	}
}

func TestChecklist39Introspection(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	launch := e.createLaunch(t, `{"patient":"child-01","encounter":"enc-1"}`)
	tok := e.token(t, e.authorize(t, "pcp", func(o *login.Options) {
		o.Scope = "launch openid fhirUser patient/*.rs"
		o.Extra = url.Values{"launch": {launch}}
	}))
	at := tok.str("access_token")
	r := e.post(t, "/oauth/introspect", url.Values{"token": {at}}, symApp+":"+symSecret)
	b := r.body
	if r.status != http.StatusOK || b["active"] != true || b["client_id"] != publicApp || b["scope"] != tok.str("scope") || b["exp"] == nil ||
		b["patient"] != "child-01" || b["encounter"] != "enc-1" || b["fhirContext"] == nil || b["need_patient_banner"] == nil ||
		b["iss"] != e.base || b["sub"] == "" || b["fhirUser"] != "Practitioner/dr-patel" {
		t.Errorf("introspection %d %v", r.status, b)
	}
	// Only the token's own client or a resource server learns about it.
	other := e.token(t, e.authorize(t, "pcp", func(o *login.Options) { o.Scope = "user/*.rs" }))
	if r := e.post(t, "/oauth/introspect", url.Values{"token": {at}}, "", "Authorization", "Bearer "+other.str("access_token")); r.body["active"] != true {
		t.Errorf("the same client's bearer token: %d %v", r.status, r.body)
	}
	// Protected: a bearer token of ours is accepted, nothing at all is not.
	if r := e.post(t, "/oauth/introspect", url.Values{"token": {at}}, "", "Authorization", "Bearer "+at); r.body["active"] != true {
		t.Errorf("bearer-authenticated introspection: %d %v", r.status, r.body)
	}
	if r := e.post(t, "/oauth/introspect", url.Values{"token": {at}}, ""); r.status != http.StatusUnauthorized {
		t.Errorf("unauthenticated introspection: %d", r.status)
	}
	inactive := e.post(t, "/oauth/introspect", url.Values{"token": {"garbage"}}, symApp+":"+symSecret)
	if inactive.status != http.StatusOK || len(inactive.body) != 1 || inactive.body["active"] != false {
		t.Errorf("invalid token: %d %v, want exactly {\"active\":false}", inactive.status, inactive.body)
	}
}

func TestChecklist40Revocation(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	tok := e.token(t, e.authorize(t, "pcp", nil))
	at, rt := tok.str("access_token"), tok.str("refresh_token")
	if r := e.post(t, "/oauth/revoke", url.Values{"token": {at}, "client_id": {publicApp}}, ""); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %v", r.status, r.body)
	}
	if status, _ := e.fhir(t, at, "/Patient/child-01"); status != http.StatusUnauthorized {
		t.Errorf("FHIR read after revocation: %d", status)
	}
	if r := e.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, ""); r.status != http.StatusBadRequest {
		t.Errorf("refresh after revocation: %d", r.status)
	}
	// Revoking a refresh token: refresh and the grant's access tokens stop at once.
	t2 := e.token(t, e.authorize(t, "pcp", nil))
	if r := e.post(t, "/oauth/revoke", url.Values{"token": {t2.str("refresh_token")}, "client_id": {publicApp}}, ""); r.status != http.StatusOK {
		t.Fatalf("revoke refresh: %d", r.status)
	}
	if r := e.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t2.str("refresh_token")}}, ""); r.status != http.StatusBadRequest {
		t.Errorf("refresh after revoking it: %d", r.status)
	}
	if status, _ := e.fhir(t, t2.str("access_token"), "/Patient/child-01"); status != http.StatusUnauthorized {
		t.Errorf("access token after revoking its refresh token: %d", status)
	}
	// Another client's token is ignored (RFC 7009 §2.2): still 200, token still good.
	t3 := e.token(t, e.authorize(t, "pcp", nil))
	if r := e.post(t, "/oauth/revoke", url.Values{"token": {t3.str("access_token")}}, symApp+":"+symSecret); r.status != http.StatusOK {
		t.Errorf("revoke another client's token: %d", r.status)
	}
	if status, _ := e.fhir(t, t3.str("access_token"), "/Patient/child-01"); status != http.StatusOK {
		t.Errorf("another client revoked the token: %d", status)
	}
}

func TestChecklist41BackendServices(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	r := e.post(t, "/oauth/token", backendForm(e, t, "system/Patient.rs system/Observation.read system/Encounter.rs"), "")
	if r.status != http.StatusOK || r.str("access_token") == "" || r.str("token_type") != "Bearer" || r.str("scope") != "system/Patient.rs" ||
		r.body["expires_in"] == nil || r.body["expires_in"].(float64) > 300 || r.body["refresh_token"] != nil {
		t.Errorf("backend token %d %v", r.status, r.body)
	}
	bad := backendForm(e, t, "system/Patient.rs")
	bad.Set("grant_type", "password")
	if r := e.post(t, "/oauth/token", bad, ""); r.status != http.StatusBadRequest {
		t.Errorf("bad grant_type: %d", r.status)
	}
	badType := backendForm(e, t, "system/Patient.rs")
	badType.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
	wantOAuthError(t, "bad assertion type", e.post(t, "/oauth/token", badType, ""), http.StatusUnauthorized, "invalid_client")
	badJWT := backendForm(e, t, "system/Patient.rs")
	badJWT.Set("client_assertion", "eyJhbGciOiJub25lIn0.e30.")
	wantOAuthError(t, "bad JWT", e.post(t, "/oauth/token", badJWT, ""), http.StatusUnauthorized, "invalid_client")
	wantOAuthError(t, "unregistered scope", e.post(t, "/oauth/token", backendForm(e, t, "system/Condition.rs user/*.rs"), ""), http.StatusBadRequest, "invalid_scope")
	// A backend token stands for no clinician: nothing patient-specific through /fhir.
	if status, _ := e.fhir(t, r.str("access_token"), "/Patient/child-01"); status != http.StatusForbidden {
		t.Errorf("backend token on a patient: %d", status)
	}
}

func TestChecklist42ErrorFormat(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	f := e.authorize(t, "pcp", nil)
	noCode := f.codeForm()
	noCode.Del("code")
	wantOAuthError(t, "invalid_request", e.post(t, "/oauth/token", noCode, ""), http.StatusBadRequest, "invalid_request")
	bad := f.codeForm()
	bad.Set("code", "nope")
	wantOAuthError(t, "invalid_grant", e.post(t, "/oauth/token", bad, ""), http.StatusBadRequest, "invalid_grant")
	wantOAuthError(t, "unsupported_grant_type", e.post(t, "/oauth/token", url.Values{"grant_type": {"password"}}, ""), http.StatusBadRequest, "unsupported_grant_type")
	wantOAuthError(t, "invalid_scope", e.post(t, "/oauth/token", backendForm(e, t, "system/Condition.rs"), ""), http.StatusBadRequest, "invalid_scope")
	wantOAuthError(t, "invalid_client", e.post(t, "/oauth/token", f.codeForm(), symApp+":wrong"), http.StatusUnauthorized, "invalid_client")
	// FHIR denials are OperationOutcomes.
	at := e.token(t, f).str("access_token")
	status, b := e.fhir(t, at, "/Patient/child-10")
	if status != http.StatusForbidden || b["resourceType"] != "OperationOutcome" {
		t.Errorf("FHIR denial: %d %v", status, b)
	}
	// TLS is the deployment's (a terminating proxy, README); the gateway refuses a
	// non-loopback http base URL so it cannot be run without it.
	if code, out := runCLI(t, nil, "serve", "--check-config", "--base-url", "http://mypatients.example.org"); code == 0 {
		t.Errorf("http base URL accepted: %s", out)
	}
}
