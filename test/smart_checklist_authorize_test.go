package test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/demo/login"
)

// Checklist items 8-16: the authorize endpoint and the login behind it.

func TestChecklist08AuthorizeGetAndPost(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	if resp := e.getAuthorize(t, e.authorizeQuery(nil)); resp.StatusCode != http.StatusOK {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	resp, err := noRedirect.PostForm(e.base+"/oauth/authorize", e.authorizeQuery(nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "/login/accounts?request=") {
		t.Errorf("POST: %d %s", resp.StatusCode, b)
	}
	for _, rt := range []string{"token", "code id_token", ""} {
		got, _ := redirectedError(t, e.getAuthorize(t, e.authorizeQuery(func(q url.Values) { q.Set("response_type", rt) })))
		if got != "unsupported_response_type" {
			t.Errorf("response_type %q: error %q", rt, got)
		}
	}
}

func TestChecklist09RedirectURIExactMatch(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	tests := []struct {
		name, client, redirect string
		want                   int
	}{
		{"registered", publicApp, publicRedirect, http.StatusOK},
		{"trailing slash", publicApp, publicRedirect + "/", http.StatusBadRequest},
		{"extra query", publicApp, publicRedirect + "?x=1", http.StatusBadRequest},
		{"case change", publicApp, "https://APP.example.org/cb", http.StatusBadRequest},
		{"non-loopback http", publicApp, "http://app.example.org/cb", http.StatusBadRequest},
		{"loopback port varies", publicApp, "http://127.0.0.1:49152/callback", http.StatusOK},
		{"loopback path differs", publicApp, "http://127.0.0.1:49152/other", http.StatusBadRequest},
		{"unknown client", "nobody", publicRedirect, http.StatusBadRequest},
		{"another client's redirect", symApp, publicRedirect, http.StatusBadRequest},
	}
	for _, tt := range tests {
		resp := e.getAuthorize(t, e.authorizeQuery(func(q url.Values) { q.Set("client_id", tt.client); q.Set("redirect_uri", tt.redirect) }))
		if resp.StatusCode != tt.want || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d Location %q, want %d and no redirect", tt.name, resp.StatusCode, resp.Header.Get("Location"), tt.want)
		}
	}
}

func TestChecklist10AudienceRequired(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	for name, mod := range map[string]func(url.Values){
		"wrong aud":   func(q url.Values) { q.Set("aud", "https://evil.example/fhir") },
		"missing aud": func(q url.Values) { q.Del("aud") },
		"issuer only": func(q url.Values) { q.Set("aud", e.base) },
	} {
		if got, _ := redirectedError(t, e.getAuthorize(t, e.authorizeQuery(mod))); got != "invalid_request" {
			t.Errorf("%s: error %q", name, got)
		}
	}
	for name, mod := range map[string]func(url.Values){
		"trailing slash":         func(q url.Values) { q.Set("aud", e.fhirBase()+"/") },
		"resource as a synonym":  func(q url.Values) { q.Del("aud"); q.Set("resource", e.fhirBase()) },
		"exact base (the usual)": nil,
	} {
		if resp := e.getAuthorize(t, e.authorizeQuery(mod)); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
}

func TestChecklist11PKCERequired(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	for name, mod := range map[string]func(url.Values){
		"plain":             func(q url.Values) { q.Set("code_challenge_method", "plain") },
		"missing method":    func(q url.Values) { q.Del("code_challenge_method") },
		"missing challenge": func(q url.Values) { q.Del("code_challenge") },
		"malformed":         func(q url.Values) { q.Set("code_challenge", "short") },
	} {
		if got, _ := redirectedError(t, e.getAuthorize(t, e.authorizeQuery(mod))); got != "invalid_request" {
			t.Errorf("%s: error %q", name, got)
		}
	}
}

func TestChecklist12StateEchoed(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	const state = "a&b+c%d e=f"
	_, got := redirectedError(t, e.getAuthorize(t, e.authorizeQuery(func(q url.Values) { q.Set("state", state); q.Set("aud", "x") })))
	if got != state {
		t.Errorf("error redirect state %q, want %q", got, state)
	}
	// On success, login.Session.Finish compares the state it sent with the one it got back;
	// send the awkward one.
	f := e.authorize(t, "pcp", func(o *login.Options) { o.Extra = url.Values{"state": {state}} })
	if f.sess.State() != state || f.code == "" {
		t.Errorf("state %q code %q", f.sess.State(), f.code)
	}
}

func TestChecklist13EHRLaunchContext(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	body := `{"patient":"child-01","encounter":"enc-01-1"}`
	for name, creds := range map[string][2]string{"none": {"", ""}, "wrong secret": {"demo-ehr", "nope"}, "an app": {symApp, symSecret}} {
		if status, _ := e.launchRequest(t, body, creds[0], creds[1]); status != http.StatusUnauthorized {
			t.Errorf("create launch with %s credentials: %d", name, status)
		}
	}
	status, out := e.launchRequest(t, body, "demo-ehr", launcherSecret)
	if status != http.StatusCreated || len(out["launch"].(string)) < 43 || out["expires_in"].(float64) != 300 {
		t.Fatalf("create launch: %d %v", status, out)
	}
	launch := out["launch"].(string)
	ehr := func(o *login.Options) {
		o.Scope = "launch openid fhirUser patient/*.rs"
		o.Extra = url.Values{"launch": {launch}}
	}
	// Without the launch scope the launch is not redeemed.
	if got, _ := redirectedError(t, e.getAuthorize(t, e.authorizeQuery(func(q url.Values) { q.Set("launch", launch) }))); got != "invalid_request" {
		t.Errorf("launch without the launch scope: %q", got)
	}
	tok := e.token(t, e.authorize(t, "pcp", ehr))
	if tok.str("patient") != "child-01" || tok.str("encounter") != "enc-01-1" {
		t.Errorf("launch context: %v", tok.body)
	}
	// Single use: the same launch again, and a made-up one, are refused.
	for name, l := range map[string]string{"used": launch, "unknown": "bm90LWEtbGF1bmNoLW5vdC1hLWxhdW5jaC1ub3QtYS1sYXVuY2g"} {
		q := e.authorizeQuery(func(q url.Values) { q.Set("launch", l); q.Set("scope", "launch patient/*.rs") })
		if got, _ := redirectedError(t, e.getAuthorize(t, q)); got != "invalid_request" {
			t.Errorf("%s launch: %q", name, got)
		}
	}
	// A launch for a named user refuses another user's login.
	other := e.createLaunch(t, `{"patient":"child-01","user":"accounts:u-colleague"}`)
	if _, err := e.tryAuthorize("pcp", func(o *login.Options) { ehr(o); o.Extra.Set("launch", other) }); err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Errorf("launch for another user: %v", err)
	}
}

func TestChecklist14ErrorsRedirected(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	for want, mod := range map[string]func(url.Values){
		"invalid_request":           func(q url.Values) { q.Del("code_challenge") },
		"invalid_scope":             func(q url.Values) { q.Set("scope", "user/*.cud system/*.rs") },
		"unsupported_response_type": func(q url.Values) { q.Set("response_type", "token") },
	} {
		got, state := redirectedError(t, e.getAuthorize(t, e.authorizeQuery(mod)))
		if got != want || state != "s&t+a%te" {
			t.Errorf("error %q state %q, want %q", got, state, want)
		}
	}
	_, err := e.tryAuthorize("pcp", func(o *login.Options) { o.Deny = true })
	if err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Errorf("deny on the consent screen: %v", err)
	}
}

func TestChecklist15UpstreamLoginLeg(t *testing.T) {
	t.Parallel()
	e := startSmart(t)
	s := login.NewSession(login.Options{Gateway: e.base, ClientID: publicApp, RedirectURI: publicRedirect, Scope: allScopes})
	page, err := s.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(page, "/login/accounts?request=")
	link := e.base + strings.ReplaceAll(page[i:i+strings.IndexByte(page[i:], '"')], "&amp;", "&")
	resp, err := noRedirect.Do(mustReq(t, link, s))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	idp, _ := resp.Location()
	q := idp.Query()
	if q.Get("state") == "" || q.Get("state") == s.State() || q.Get("nonce") == "" || q.Get("code_challenge_method") != "S256" {
		t.Errorf("the IdP request must carry the gateway's own state, nonce and PKCE: %s", idp)
	}
	if q.Get("redirect_uri") != e.base+"/login/accounts/callback" {
		t.Errorf("redirect_uri %q: want the accounts IdP's own callback (mix-up defence)", q.Get("redirect_uri"))
	}
	// The accounts state delivered to the other IdP's callback is refused.
	mix, err := s.HTTPClient().Get(e.base + "/login/childrens/callback?code=x&state=" + url.QueryEscape(q.Get("state")))
	if err != nil {
		t.Fatal(err)
	}
	mix.Body.Close()
	if mix.StatusCode != http.StatusBadRequest {
		t.Errorf("mixed-up callback: %d", mix.StatusCode)
	}
	// Pages send no Referer; the consent POST answers 303.
	chooser := e.getAuthorize(t, e.authorizeQuery(nil))
	if chooser.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("Referrer-Policy %q", chooser.Header.Get("Referrer-Policy"))
	}
	// The consent page, too; its form ends in a redirect to the app, which its CSP allows.
	s2 := login.NewSession(login.Options{Gateway: e.base, ClientID: publicApp, RedirectURI: publicRedirect, Scope: "user/*.rs"})
	if _, err := s2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	cb, err := s2.LoginAtIdP(context.Background(), "accounts", "pcp", e.password)
	if err != nil {
		t.Fatal(err)
	}
	consent, err := s2.HTTPClient().Get(cb.String())
	if err != nil {
		t.Fatal(err)
	}
	consent.Body.Close()
	csp := consent.Header.Get("Content-Security-Policy")
	if consent.StatusCode != http.StatusOK || consent.Header.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(csp, "form-action 'self' "+appOrigin+";") {
		t.Errorf("consent page: %d Referrer-Policy %q CSP %q", consent.StatusCode, consent.Header.Get("Referrer-Policy"), csp)
	}
}

func TestChecklist16AuthorizationCodes(t *testing.T) {
	t.Parallel()
	e := startSmart(t, "MYPATIENTS_TOKENS_CODE_TTL=2s")
	f := e.authorize(t, "pcp", nil)
	if strings.Trim(f.code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		t.Errorf("code %q is not URL-safe", f.code)
	}
	// Bound to the redirect URI and the client: a mismatch spends the code.
	bad := f.codeForm()
	bad.Set("redirect_uri", "http://127.0.0.1:8765/callback")
	wantOAuthError(t, "other redirect_uri", e.post(t, "/oauth/token", bad, ""), http.StatusBadRequest, "invalid_grant")
	g := e.authorize(t, "pcp", nil)
	other := g.codeForm()
	other.Del("client_id")
	wantOAuthError(t, "other client", e.post(t, "/oauth/token", other, symApp+":"+symSecret), http.StatusBadRequest, "invalid_grant")
	// Expires: the code lives 2s here (1m by default).
	h := e.authorize(t, "pcp", nil)
	time.Sleep(2500 * time.Millisecond)
	wantOAuthError(t, "expired code", e.post(t, "/oauth/token", h.codeForm(), ""), http.StatusBadRequest, "invalid_grant")
	// Bound to the user and the launch: the token says who and which patient.
	k := e.authorize(t, "colleague", func(o *login.Options) { o.Patient = "child-07" })
	tok := e.token(t, k)
	if tok.str("patient") != "child-07" {
		t.Errorf("patient %q", tok.str("patient"))
	}
}

func mustReq(t *testing.T, u string, s *login.Session) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := url.Parse(u)
	for _, c := range s.HTTPClient().Jar.Cookies(parsed) {
		req.AddCookie(c)
	}
	return req
}
