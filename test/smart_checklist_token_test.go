package test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/demo/login"
)

// Checklist items 17-26: the token endpoint and refresh.

func TestChecklist17TokenRequestForm(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	f := e.authorize(t, "pcp", nil)
	// A JSON body is not a token request.
	req, _ := http.NewRequest(http.MethodPost, e.base+"/oauth/token", strings.NewReader(`{"grant_type":"authorization_code"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("JSON body: %d", resp.StatusCode)
	}
	if r := e.post(t, "/oauth/token", f.codeForm(), ""); r.status != http.StatusOK || r.str("access_token") == "" {
		t.Errorf("form with grant_type, code, redirect_uri, code_verifier, client_id: %d %v", r.status, r.body)
	}
}

func TestChecklist18TokenResponseBody(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	tok := e.token(t, e.authorize(t, "pcp", nil))
	if tok.str("access_token") == "" || tok.str("token_type") != "Bearer" || tok.str("id_token") == "" || tok.str("refresh_token") == "" {
		t.Errorf("token response %v", tok.body)
	}
	if _, ok := tok.body["expires_in"].(float64); !ok {
		t.Errorf("expires_in %v is not a number", tok.body["expires_in"])
	}
	if tok.str("patient") != "child-01" || tok.body["need_patient_banner"] != true || tok.str("smart_style_url") == "" {
		t.Errorf("context fields %v", tok.body)
	}
	// Without openid and offline_access: no id_token, no refresh_token.
	bare := e.token(t, e.authorize(t, "pcp", func(o *login.Options) { o.Scope = "user/Patient.rs" }))
	if bare.body["id_token"] != nil || bare.body["refresh_token"] != nil || bare.str("scope") != "user/Patient.rs" {
		t.Errorf("bare response %v", bare.body)
	}
}

func TestChecklist19TokenResponseHeaders(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	tok := e.token(t, e.authorize(t, "pcp", nil))
	ref := e.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.str("refresh_token")}}, "")
	bad := e.post(t, "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, "")
	for name, r := range map[string]tokenResp{"code": tok, "refresh": ref, "error": bad} {
		if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
			t.Errorf("%s: Cache-Control %q Pragma %q", name, r.header.Get("Cache-Control"), r.header.Get("Pragma"))
		}
	}
	if tok.body["expires_in"].(float64) > 3600 {
		t.Errorf("expires_in %v > 3600", tok.body["expires_in"])
	}
}

func TestChecklist20InvalidPKCEVerifier(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	for name, mod := range map[string]func(f flow, v url.Values){
		"missing": func(f flow, v url.Values) { v.Del("code_verifier") },
		"blank":   func(f flow, v url.Values) { v.Set("code_verifier", "") },
		"wrong":   func(f flow, v url.Values) { v.Set("code_verifier", strings.Repeat("w", 50)) },
		"the challenge": func(f flow, v url.Values) {
			v.Set("code_verifier", pkceChallenge(f.sess.Verifier()))
		},
	} {
		f := e.authorize(t, "pcp", nil)
		form := f.codeForm()
		mod(f, form)
		wantOAuthError(t, name, e.post(t, "/oauth/token", form, ""), http.StatusBadRequest, "invalid_grant")
	}
	// A verifier with no challenge cannot happen: authorize refuses a request without one
	// (item 11), so every code has a challenge.
}

func TestChecklist21BadCodeAndReplay(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	f := e.authorize(t, "pcp", nil)
	bad := f.codeForm()
	bad.Set("code", "not-a-code")
	wantOAuthError(t, "bad code", e.post(t, "/oauth/token", bad, ""), http.StatusBadRequest, "invalid_grant")
	badClient := f.codeForm()
	badClient.Set("client_id", "nobody")
	if r := e.post(t, "/oauth/token", badClient, ""); r.status != http.StatusUnauthorized || r.str("error") != "invalid_client" {
		t.Errorf("bad client_id: %d %v", r.status, r.body)
	}
	tok := e.token(t, f)
	if status, _ := e.fhir(t, tok.str("access_token"), "/Patient/child-01"); status != http.StatusOK {
		t.Fatalf("first token: %d", status)
	}
	wantOAuthError(t, "replayed code", e.post(t, "/oauth/token", f.codeForm(), ""), http.StatusBadRequest, "invalid_grant")
	if status, _ := e.fhir(t, tok.str("access_token"), "/Patient/child-01"); status != http.StatusUnauthorized {
		t.Errorf("token of a replayed code still works: %d", status)
	}
	if r := e.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.str("refresh_token")}}, ""); r.status != http.StatusBadRequest {
		t.Errorf("refresh token of a replayed code still works: %d", r.status)
	}
}

func TestChecklist22ConfidentialClientAuth(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	sym := func(o *login.Options) { o.ClientID, o.RedirectURI = symApp, symRedirect }
	f := e.authorize(t, "pcp", sym)
	form := f.codeForm()
	form.Del("client_id")
	wantOAuthError(t, "symmetric, wrong secret", e.post(t, "/oauth/token", form, symApp+":wrong"), http.StatusUnauthorized, "invalid_client")
	if r := e.post(t, "/oauth/token", form, symApp+":"+symSecret); r.status != http.StatusOK {
		t.Errorf("symmetric: %d %v", r.status, r.body)
	}
	asym := func(o *login.Options) { o.ClientID, o.RedirectURI = asymApp, asymRedirect }
	redeem := func(mod func(*assertionOpts)) tokenResp {
		g := e.authorize(t, "pcp", asym)
		form := g.codeForm()
		form.Del("client_id")
		for k, v := range assertionForm("authorization_code", e.assertion(t, asymApp, mod)) {
			form[k] = v
		}
		return e.post(t, "/oauth/token", form, "")
	}
	if r := redeem(nil); r.status != http.StatusOK {
		t.Fatalf("asymmetric: %d %v", r.status, r.body)
	}
	_, ek := clientKeys()
	for name, mod := range map[string]func(*assertionOpts){
		"wrong aud":      func(o *assertionOpts) { o.claims.Audience = []string{e.base} },
		"sub is not iss": func(o *assertionOpts) { o.claims.Subject = "someone" },
		"exp too far":    func(o *assertionOpts) { o.claims.Expiry = jwtDate(time.Now().Add(time.Hour)) },
		"expired":        func(o *assertionOpts) { o.claims.Expiry = jwtDate(time.Now().Add(-time.Hour)) },
		"no jti":         func(o *assertionOpts) { o.claims.ID = "" },
		"no kid":         func(o *assertionOpts) { o.kid = "" },
		"unknown kid":    func(o *assertionOpts) { o.kid = "other" },
		"RS256":          func(o *assertionOpts) { o.alg = "RS256" },
		"wrong key":      func(o *assertionOpts) { o.alg, o.key = "ES384", ek },
		"foreign jku":    func(o *assertionOpts) { o.extra["jku"] = "https://evil.example/jwks" },
		"typ is not JWT": func(o *assertionOpts) { o.extra["typ"] = "at+jwt" },
	} {
		wantOAuthError(t, name, redeem(mod), http.StatusUnauthorized, "invalid_client")
	}
	// jti replay: the same assertion twice.
	a := e.assertion(t, asymApp, nil)
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
		g := e.authorize(t, "pcp", asym)
		form := g.codeForm()
		form.Del("client_id")
		for k, v := range assertionForm("authorization_code", a) {
			form[k] = v
		}
		if r := e.post(t, "/oauth/token", form, ""); r.status != want {
			t.Errorf("assertion use %d: %d %v", i+1, r.status, r.body)
		}
	}
	// The backend's JWKS by URL is cached by its Cache-Control (max-age=60).
	for range 3 {
		if r := e.post(t, "/oauth/token", backendForm(e, t, "system/Patient.rs"), ""); r.status != http.StatusOK {
			t.Fatalf("backend: %d %v", r.status, r.body)
		}
	}
	if n := e.jwksFetches.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times for 3 assertions, want 1 (cached)", n)
	}
}

func TestChecklist23RefreshScopes(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	tok := e.token(t, e.authorize(t, "pcp", nil))
	rt := tok.str("refresh_token")
	refresh := func(scope *string) tokenResp {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
		if scope != nil {
			form.Set("scope", *scope)
		}
		r := e.post(t, "/oauth/token", form, "")
		if r.str("refresh_token") != "" {
			rt = r.str("refresh_token")
		}
		return r
	}
	same, subset, wider := tok.str("scope"), "patient/*.rs offline_access", tok.str("scope")+" user/*.rs"
	for name, sc := range map[string]*string{"no scope": nil, "same scopes": &same, "subset": &subset} {
		r := refresh(sc)
		if r.status != http.StatusOK || r.str("access_token") == "" || r.str("token_type") != "Bearer" || r.body["expires_in"] == nil ||
			r.str("patient") != "child-01" || r.body["need_patient_banner"] == nil {
			t.Errorf("%s: %d %v", name, r.status, r.body)
		}
		if sc != nil && r.str("scope") != *sc {
			t.Errorf("%s: scope %q", name, r.str("scope"))
		}
	}
	wantOAuthError(t, "wider", refresh(&wider), http.StatusBadRequest, "invalid_scope")
}

func TestChecklist24RefreshBindingAndRotation(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	tok := e.token(t, e.authorize(t, "pcp", nil))
	old := tok.str("refresh_token")
	r1 := e.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}}, "")
	if r1.status != http.StatusOK || r1.str("refresh_token") == "" || r1.str("refresh_token") == old {
		t.Fatalf("public refresh must rotate: %d %v", r1.status, r1.body)
	}
	// Reusing the old token revokes the family: the new refresh token and access tokens die.
	wantOAuthError(t, "reused", e.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}}, ""), http.StatusBadRequest, "invalid_grant")
	wantOAuthError(t, "rotated after reuse", e.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r1.str("refresh_token")}}, ""), http.StatusBadRequest, "invalid_grant")
	if status, _ := e.fhir(t, r1.str("access_token"), "/Patient/child-01"); status != http.StatusUnauthorized {
		t.Errorf("access token of a revoked family: %d", status)
	}
	// Confidential: bound to the client, which must authenticate.
	f := e.authorize(t, "pcp", func(o *login.Options) { o.ClientID, o.RedirectURI = symApp, symRedirect })
	form := f.codeForm()
	form.Del("client_id")
	conf := e.post(t, "/oauth/token", form, symApp+":"+symSecret)
	rf := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {conf.str("refresh_token")}}
	if r := e.post(t, "/oauth/token", rf, ""); r.status != http.StatusUnauthorized {
		t.Errorf("confidential refresh without authentication: %d", r.status)
	}
	withID := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {conf.str("refresh_token")}, "client_id": {publicApp}}
	wantOAuthError(t, "another client's refresh token", e.post(t, "/oauth/token", withID, ""), http.StatusBadRequest, "invalid_grant")
	if r := e.post(t, "/oauth/token", rf, symApp+":"+symSecret); r.status != http.StatusOK {
		t.Errorf("confidential refresh: %d %v", r.status, r.body)
	}
}

func TestChecklist25RefreshScopeShowsOfflineAccess(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	tok := e.token(t, e.authorize(t, "pcp", nil))
	if !slices.Contains(strings.Fields(tok.str("scope")), "offline_access") {
		t.Errorf("scope %q lacks offline_access", tok.str("scope"))
	}
	rt := tok.str("refresh_token")
	for name, form := range map[string]url.Values{
		"without client_id (fhirclient)": {"grant_type": {"refresh_token"}},
		"with client_id (Inferno)":       {"grant_type": {"refresh_token"}, "client_id": {publicApp}},
	} {
		form.Set("refresh_token", rt)
		r := e.post(t, "/oauth/token", form, "")
		if r.status != http.StatusOK || !slices.Contains(strings.Fields(r.str("scope")), "offline_access") {
			t.Fatalf("%s: %d %v", name, r.status, r.body)
		}
		rt = r.str("refresh_token")
	}
}

func TestChecklist26RefreshValidityAndExpiry(t *testing.T) {
	t.Parallel()
	e := startSmart(t, "MYPATIENTS_TOKENS_REFRESH_TOKEN_TTL=3s")
	wantOAuthError(t, "random refresh token", e.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"random"}, "client_id": {publicApp}}, ""), http.StatusBadRequest, "invalid_grant")
	tok := e.token(t, e.authorize(t, "pcp", nil))
	r := e.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.str("refresh_token")}}, "")
	if status, _ := e.fhir(t, r.str("access_token"), "/Patient/"+r.str("patient")); status != http.StatusOK {
		t.Errorf("Patient/{patient} after refresh: %d", status)
	}
	// Idle refresh tokens expire (3s here; 30 days by default).
	time.Sleep(3500 * time.Millisecond)
	wantOAuthError(t, "idle refresh token", e.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.str("refresh_token")}}, ""), http.StatusBadRequest, "invalid_grant")
}

func backendForm(e *smartEnv, t *testing.T, scope string) url.Values {
	f := assertionForm("client_credentials", e.assertion(t, backendApp, nil))
	f.Set("scope", scope)
	return f
}
