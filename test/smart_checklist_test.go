package test

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// One test per item of docs/smart-checklist.md, named after it, each through
// HTTP against the real binary (helpers in smart_helpers_test.go). Items 1-7 (discovery) are
// here; 8-16 (authorize) in smart_checklist_authorize_test.go; 17-26 (token, refresh) in
// smart_checklist_token_test.go; 27-33 (scopes on FHIR calls) in smart_checklist_access_test.go;
// 34-42 in smart_checklist_context_test.go.

func TestChecklist01DiscoveryDocument(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	for _, accept := range []string{"", "application/json", "application/fhir+json", "text/html"} {
		status, doc, h := getJSON(t, e.base+"/.well-known/smart-configuration", "Accept", accept)
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Fatalf("Accept %q: %d %s", accept, status, h.Get("Content-Type"))
		}
		for k, v := range doc {
			if s, ok := v.(string); ok && strings.HasSuffix(k, "_endpoint") || k == "issuer" || k == "jwks_uri" {
				if u, err := url.Parse(s); err != nil || !u.IsAbs() {
					t.Errorf("%s = %q is not absolute", k, s)
				}
			}
		}
	}
}

func TestChecklist02DiscoveryRequiredFields(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	_, doc, _ := getJSON(t, e.base+"/.well-known/smart-configuration")
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "issuer", "jwks_uri"} {
		if s, _ := doc[k].(string); s == "" {
			t.Errorf("%s missing", k)
		}
	}
	if doc["issuer"] != e.base || doc["jwks_uri"] != e.base+"/.well-known/jwks.json" {
		t.Errorf("issuer %v jwks_uri %v", doc["issuer"], doc["jwks_uri"])
	}
	grants := strs(doc["grant_types_supported"])
	if !slices.Contains(grants, "authorization_code") || !slices.Contains(grants, "client_credentials") {
		t.Errorf("grant_types_supported = %v", grants)
	}
	if _, ok := doc["capabilities"].([]any); !ok {
		t.Errorf("capabilities is not an array: %v", doc["capabilities"])
	}
	if m := strs(doc["code_challenge_methods_supported"]); !slices.Contains(m, "S256") || slices.Contains(m, "plain") {
		t.Errorf("code_challenge_methods_supported = %v", m)
	}
}

func TestChecklist03DiscoveryRecommendedFields(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	_, doc, _ := getJSON(t, e.base+"/.well-known/smart-configuration")
	if r := strs(doc["response_types_supported"]); !slices.Equal(r, []string{"code"}) {
		t.Errorf("response_types_supported = %v", r)
	}
	if doc["introspection_endpoint"] != e.base+"/oauth/introspect" || doc["revocation_endpoint"] != e.base+"/oauth/revoke" {
		t.Errorf("introspection %v revocation %v", doc["introspection_endpoint"], doc["revocation_endpoint"])
	}
	if m := strs(doc["token_endpoint_auth_methods_supported"]); !slices.Contains(m, "private_key_jwt") || !slices.Contains(m, "client_secret_basic") {
		t.Errorf("token_endpoint_auth_methods_supported = %v", m)
	}
	if a := strs(doc["token_endpoint_auth_signing_alg_values_supported"]); !slices.Contains(a, "RS384") || !slices.Contains(a, "ES384") {
		t.Errorf("token_endpoint_auth_signing_alg_values_supported = %v", a)
	}
	// Every listed scope is really granted: the resource ones are exercised by items 27-34
	// and 41; here each non-resource scope must survive a grant.
	sc := strs(doc["scopes_supported"])
	for _, want := range []string{"openid", "fhirUser", "launch", "launch/patient", "offline_access", "patient/*.rs", "user/*.rs", "system/*.rs"} {
		if !slices.Contains(sc, want) {
			t.Errorf("scopes_supported lacks %s: %v", want, sc)
		}
	}
	tok := e.token(t, e.authorize(t, "pcp", nil))
	for _, want := range strings.Fields(allScopes) {
		if !slices.Contains(strings.Fields(tok.str("scope")), want) {
			t.Errorf("advertised scope %s was not granted: %q", want, tok.str("scope"))
		}
	}
}

func TestChecklist04Capabilities(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	_, doc, _ := getJSON(t, e.base+"/.well-known/smart-configuration")
	caps := strs(doc["capabilities"])
	for _, want := range []string{"launch-ehr", "launch-standalone", "client-public", "client-confidential-symmetric",
		"client-confidential-asymmetric", "sso-openid-connect", "context-ehr-patient", "context-ehr-encounter",
		"context-standalone-patient", "context-banner", "context-style", "permission-offline", "permission-patient",
		"permission-user", "permission-v1", "permission-v2", "authorize-post"} {
		if !slices.Contains(caps, want) {
			t.Errorf("capabilities lack %s", want)
		}
	}
	if slices.Contains(caps, "permission-online") {
		t.Error("permission-online is advertised but online_access is never granted")
	}
}

func TestChecklist05CORS(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	send := func(method, path, origin string, form url.Values) http.Header {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, e.base+path, body)
		req.Header.Set("Origin", origin)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization")
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	tests := []struct {
		name, method, path, origin, want string
	}{
		{"well-known any origin", "GET", "/.well-known/smart-configuration", "https://evil.example", "*"},
		{"openid configuration any origin", "GET", "/.well-known/openid-configuration", "https://evil.example", "*"},
		{"metadata any origin", "GET", "/fhir/metadata", "https://evil.example", "*"},
		{"token registered origin", "POST", "/oauth/token", appOrigin, appOrigin},
		{"token preflight registered origin", "OPTIONS", "/oauth/token", appOrigin, appOrigin},
		{"token unregistered origin", "POST", "/oauth/token", "https://evil.example", ""},
		{"fhir registered origin", "GET", "/fhir/Patient/child-01", appOrigin, appOrigin},
		{"fhir preflight registered origin", "OPTIONS", "/fhir/Patient/child-01", appOrigin, appOrigin},
		{"fhir unregistered origin", "GET", "/fhir/Patient/child-01", "https://evil.example", ""},
		{"authorize has no CORS", "GET", "/oauth/authorize?" + e.authorizeQuery(nil).Encode(), appOrigin, ""},
	}
	for _, tt := range tests {
		var form url.Values
		if tt.method == "POST" {
			form = url.Values{"grant_type": {"authorization_code"}}
		}
		if got := send(tt.method, tt.path, tt.origin, form).Get("Access-Control-Allow-Origin"); got != tt.want {
			t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestChecklist06MetadataOAuthURIs(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	status, cs, _ := getJSON(t, e.fhirBase()+"/metadata")
	if status != http.StatusOK {
		t.Fatalf("metadata %d", status)
	}
	_, wk, _ := getJSON(t, e.base+"/.well-known/smart-configuration")
	rest, _ := cs["rest"].([]any)
	if len(rest) == 0 {
		t.Fatalf("no rest in %v", cs)
	}
	sec, _ := rest[0].(map[string]any)["security"].(map[string]any)
	if !strings.Contains(jsonString(sec["service"]), "SMART-on-FHIR") {
		t.Errorf("security.service = %v", sec["service"])
	}
	got := map[string]string{}
	for _, ext := range sec["extension"].([]any) {
		m := ext.(map[string]any)
		if m["url"] != "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris" {
			continue
		}
		for _, sub := range m["extension"].([]any) {
			s := sub.(map[string]any)
			got[s["url"].(string)] = s["valueUri"].(string)
		}
	}
	want := map[string]string{"authorize": wk["authorization_endpoint"].(string), "token": wk["token_endpoint"].(string),
		"introspect": wk["introspection_endpoint"].(string), "revoke": wk["revocation_endpoint"].(string)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("oauth-uris %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestChecklist07OpenIDConfiguration(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	status, doc, _ := getJSON(t, e.base+"/.well-known/openid-configuration")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	for _, k := range []string{"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported", "subject_types_supported"} {
		if doc[k] == nil {
			t.Errorf("%s missing", k)
		}
	}
	if doc["issuer"] != e.base || !slices.Contains(strs(doc["id_token_signing_alg_values_supported"]), "RS256") {
		t.Errorf("issuer %v algs %v", doc["issuer"], doc["id_token_signing_alg_values_supported"])
	}
	_, jwks, _ := getJSON(t, doc["jwks_uri"].(string))
	keys, _ := jwks["keys"].([]any)
	if len(keys) == 0 {
		t.Fatal("no keys")
	}
	for _, k := range keys {
		m := k.(map[string]any)
		if m["kty"] != "RSA" || m["n"] == nil || m["e"] == nil || m["kid"] == nil || m["d"] != nil || m["x5c"] != nil {
			t.Errorf("key is not a bare RSA public key: %v", m)
		}
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }
