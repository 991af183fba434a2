package test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mypatients/gateway/demo/login"
)

// TestFirstPartyScopesAndLookup: only a first-party client is granted the mypatients/
// scopes, without a consent screen; a third-party app asking for them has them silently
// dropped and is refused insufficient_scope on the routes that need them. The exact-match
// lookup answers an exact query with only what the notice needs, an inexact one with 400, and
// writes one audit record per lookup.
func TestFirstPartyScopesAndLookup(t *testing.T) {
	t.Parallel()
	cfg := `demo: {enabled: true}
clients:
  - {id: demo-app, name: Demo SMART app, type: public, redirect_uris: ["http://127.0.0.1:8765/callback"]}
`
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGatewayWith(t, gatewayOptions{RedisURL: startRedis(t), ConfigFile: file})
	w := &accessWorld{gateway: g}
	ask := "user/Patient.rs mypatients/access.manage mypatients/staff.manage"
	ctx := context.Background()
	third, err := login.Login(ctx, login.Options{Gateway: g.base, ClientID: "demo-app", RedirectURI: "http://127.0.0.1:8765/callback", Scope: ask},
		"accounts", "specialist", g.password)
	if err != nil {
		t.Fatal(err)
	}
	if third.Scope != "user/Patient.rs" {
		t.Errorf("a third-party app was granted %q", third.Scope)
	}
	// The demo shell is demo mode's first-party client.
	first, err := login.Login(ctx, login.Options{Gateway: g.base, ClientID: login.ShellClientID, RedirectURI: login.ShellRedirectURI, Scope: ask},
		"accounts", "specialist", g.password)
	if err != nil {
		t.Fatal(err)
	}
	if first.Scope != ask {
		t.Errorf("the first-party app was granted %q", first.Scope)
	}
	for _, path := range []string{"/api/me", "/api/access-requests"} {
		if status, out := w.api(t, "GET", path, third.AccessToken, nil); status != http.StatusForbidden || out["error"] != "insufficient_scope" {
			t.Errorf("third party %s: %d %v", path, status, out)
		}
	}
	if status, out := w.api(t, "GET", "/api/me", first.AccessToken, nil); status != http.StatusOK || out["role"] != "provider" || !strings.Contains(fmt.Sprint(out["name"]), "Moreau") {
		t.Errorf("/api/me: %d %v", status, out)
	}
	for _, tc := range []struct {
		name   string
		query  map[string]string
		status int
		want   string
	}{
		{"exact MRN, not visible", map[string]string{"mrn": "100020"}, http.StatusOK, `found:true next_steps:[request-pcp-access request-family-access] portal_account:true`},
		{"exact MRN, no portal account", map[string]string{"mrn": "MRN100021"}, http.StatusOK, "portal_account:false"},
		{"no such MRN", map[string]string{"mrn": "MRN900001"}, http.StatusOK, "found:false"},
		{"family name alone", map[string]string{"family": "Foster"}, http.StatusBadRequest, "invalid_request"},
	} {
		status, out := w.api(t, "POST", "/api/patients/lookup", first.AccessToken, tc.query)
		got := fmt.Sprint(out)
		if status != tc.status || !strings.Contains(got, strings.Split(tc.want, " ")[0]) || strings.Contains(got, "Foster") ||
			strings.Contains(got, "child-2") || strings.Contains(got, "birthDate") {
			t.Errorf("%s: %d %v", tc.name, status, out)
		}
		for _, w := range strings.Split(tc.want, " ") {
			if !strings.Contains(got, w) {
				t.Errorf("%s: lacks %s: %v", tc.name, w, out)
			}
		}
	}
	if status, out := w.api(t, "POST", "/api/patients/lookup", third.AccessToken, map[string]string{"mrn": "100020"}); status != http.StatusForbidden {
		t.Errorf("third-party lookup: %d %v", status, out)
	}
	code, out := runCLI(t, nil, "audit", "--redis-url", g.redisURL)
	if code != 0 || strings.Count(out, `"event":"patient.lookup"`) != 3 || !strings.Contains(out, `"reason":"no_exact_match"`) ||
		!strings.Contains(out, `"reason":"not_pcp"`) {
		t.Errorf("audit of lookups (%d):\n%s", strings.Count(out, `"event":"patient.lookup"`), out)
	}
}
