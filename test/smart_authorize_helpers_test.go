package test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Helpers for sending authorization requests directly, without the login.Session.

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorizeQuery is a valid authorization request for the public app.
func (e *smartEnv) authorizeQuery(mod func(url.Values)) url.Values {
	q := url.Values{
		"response_type": {"code"}, "client_id": {publicApp}, "redirect_uri": {publicRedirect},
		"scope": {"openid patient/*.rs launch/patient"}, "state": {"s&t+a%te"}, "aud": {e.fhirBase()},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
	}
	if mod != nil {
		mod(q)
	}
	return q
}

// getAuthorize sends an authorization request without following redirects.
func (e *smartEnv) getAuthorize(t *testing.T, q url.Values) *http.Response {
	t.Helper()
	resp, err := noRedirect.Get(e.base + "/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// redirectedError returns the error and state of an authorization error redirect.
func redirectedError(t *testing.T, resp *http.Response) (string, string) {
	t.Helper()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), publicRedirect+"?") {
		t.Fatalf("want a 303 to the app, got %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if loc.Query().Get("code") != "" {
		t.Fatalf("an error redirect carries a code: %s", loc)
	}
	return loc.Query().Get("error"), loc.Query().Get("state")
}
