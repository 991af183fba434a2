package test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestEveryPageCarriesTheSecurityHeaders reads each HTML page the gateway serves, through the
// real binary: the sign-in and error pages, the staff set-up page, the printable sign-up
// instructions, the captured mail and the demo patient portal. Each must be uncacheable,
// unframable, send no referrer, load nothing and run no script.
func TestEveryPageCarriesTheSecurityHeaders(t *testing.T) {
	t.Parallel()
	g := startGateway(t, "")
	authorize := url.Values{"response_type": {"code"}, "client_id": {"demo-app"}, "redirect_uri": {"http://127.0.0.1:8765/callback"},
		"scope": {"openid user/*.rs"}, "state": {"s"}, "aud": {g.base + "/fhir"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	for _, p := range []struct {
		name, path string
		status     int
		says       string
	}{
		{"sign-in chooser", "/oauth/authorize?" + authorize.Encode(), http.StatusOK, "Sign in to MyPatients"},
		{"sign-in error", "/oauth/authorize?client_id=nobody", http.StatusBadRequest, "not registered"},
		{"staff set-up, dead link", "/account/setup?token=NOTATOKEN", http.StatusBadRequest, "not valid"},
		{"sign-up instructions", "/api/access-requests/signup-instructions", http.StatusOK, "MyChildren's"},
		{"captured mail", "/demo/mail", http.StatusOK, "Captured mail"},
		{"demo patient portal", "/demo/portal/?patient=child-20", http.StatusOK, "Who asks to see child-20"},
	} {
		resp, err := http.Get(g.base + p.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if resp.StatusCode != p.status || !strings.Contains(string(body), p.says) {
			t.Errorf("%s: %d, want %d and %q in %.300s", p.name, resp.StatusCode, p.status, p.says, body)
		}
		if h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Type"), "text/html") ||
			!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("%s: headers %v", p.name, h)
		}
	}
}
