package test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mypatients/gateway/demo/login"
)

// TestHostileAppCannotManageAccess (finding 1): a third-party app's token, whatever it asked
// for, cannot list, create, suspend, reinstate or remove staff, file or list access requests
// or redeem invitations: 403 insufficient_scope naming the scope. The first-party scopes are
// dropped from its grant without a word, however spelled. A first-party token without the
// staff scope cannot manage staff either; one with it can, and skipped the consent screen.
func TestHostileAppCannotManageAccess(t *testing.T) {
	t.Parallel()
	w := startAccessWorld(t, "pcp")
	for _, ask := range []string{
		"patient/Observation.rs launch/patient",
		"user/*.rs mypatients/staff.manage mypatients/access.manage",
		"user/*.rs mypatients/* MYPATIENTS/staff.manage mypatients/staff.manage?x=1 mypatients/admin",
	} {
		tok := w.thirdPartyToken(t, "pcp", ask)
		if strings.Contains(tok.Scope, "mypatients") {
			t.Errorf("asked %q: a third-party app was granted %q", ask, tok.Scope)
		}
		for _, call := range []struct {
			method, path, scope string
			body                any
		}{
			{"GET", "/api/staff", "mypatients/staff.manage", nil},
			{"POST", "/api/staff", "mypatients/staff.manage", map[string]string{"name": "Eve", "role": "RN", "email": "eve@example.org"}},
			{"POST", "/api/staff/accounts:u-staff/suspend", "mypatients/staff.manage", nil},
			{"POST", "/api/staff/accounts:u-staff/reinstate", "mypatients/staff.manage", nil},
			{"POST", "/api/staff/accounts:u-staff/remove", "mypatients/staff.manage", nil},
			{"POST", "/api/access-requests", "mypatients/access.manage", map[string]string{"patient": "child-20", "kind": "pcp", "name": "Eve", "email": "eve@example.org"}},
			{"GET", "/api/access-requests", "mypatients/access.manage", nil},
			{"POST", "/api/invitations/redeem", "mypatients/access.manage", map[string]string{"token": "ABCD", "mrn": "MRN100019"}},
		} {
			status, hdr, out := w.apiWithHeaders(t, call.method, call.path, tok.AccessToken, call.body)
			if status != http.StatusForbidden || out["error"] != "insufficient_scope" ||
				hdr.Get("WWW-Authenticate") != `Bearer error="insufficient_scope", scope="`+call.scope+`"` {
				t.Errorf("%q token: %s %s: %d %v %q", ask, call.method, call.path, status, out, hdr.Get("WWW-Authenticate"))
			}
		}
	}
	if got := w.smtp.Messages(); len(got) != 0 {
		t.Errorf("a third-party token caused mail: %v", got)
	}
	// Each refused attempt is in the audit trail: who, through which app, at which route, why.
	refused := map[string]int{}
	for _, r := range readTrail(t, w.gateway) {
		if r["event"] == "api.refused" {
			if r["outcome"] != "failure" || r["reason"] != "insufficient_scope" || r["client"] != "demo-app" ||
				!strings.HasSuffix(fmt.Sprint(r["actor"]), ":u-pcp") {
				t.Errorf("api.refused record: %v", r)
			}
			refused[fmt.Sprint(r["note"])]++
		}
	}
	if len(refused) != 6 || refused["POST /api/staff/{id}/{action}"] != 9 || refused["GET /api/staff"] != 3 {
		t.Errorf("api.refused records by route: %v, want 3 per call to each of the 6 routes", refused)
	}
	// Asking for first-party scopes only is refused exactly like asking for nonsense.
	var answers []string
	for _, ask := range []string{"mypatients/staff.manage", "mypatients/nothing", "bogus/scope"} {
		q := url.Values{"response_type": {"code"}, "client_id": {"demo-app"}, "redirect_uri": {"http://127.0.0.1:8765/callback"},
			"scope": {ask}, "aud": {w.base + "/fhir"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
			"code_challenge_method": {"S256"}}
		resp, err := noRedirects.Get(w.base + "/oauth/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("error") != "invalid_scope" {
			t.Errorf("a third-party app asking only for %q: %d %v", ask, resp.StatusCode, loc)
			continue
		}
		answers = append(answers, loc.Query().Get("error_description"))
	}
	if len(answers) != 3 || answers[0] != answers[1] || answers[1] != answers[2] {
		t.Errorf("first-party scopes are refused differently from nonsense: %q", answers)
	}
	// The first-party shell with access.manage only cannot manage staff; the full shell can.
	narrow := w.shellOptions()
	narrow.Scope = "user/*.rs mypatients/access.manage"
	tok, err := login.Login(t.Context(), narrow, "accounts", "pcp", w.password)
	if err != nil || !strings.Contains(tok.Scope, "mypatients/access.manage") {
		t.Fatalf("first-party sign-in: %v %q", err, tok.Scope)
	}
	if status, out := w.api(t, "GET", "/api/staff", tok.AccessToken, nil); status != http.StatusForbidden || out["error"] != "insufficient_scope" {
		t.Errorf("access.manage only, listing staff: %d %v", status, out)
	}
	if status, out := w.api(t, "GET", "/api/access-requests", tok.AccessToken, nil); status != http.StatusOK {
		t.Errorf("access.manage, listing own requests: %d %v", status, out)
	}
	if status, _ := w.api(t, "GET", "/api/staff", w.tokens["pcp"], nil); status != http.StatusOK {
		t.Errorf("the first-party token with staff.manage: %d", status)
	}
	// The shell's sign-in showed no consent screen: its code came straight after the IdP.
	s := login.NewSession(w.shellOptions())
	if _, err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	cb, err := s.LoginAtIdP(t.Context(), "accounts", "pcp", w.password)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.HTTPClient().Get(cb.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, login.ShellRedirectURI) || !strings.Contains(loc, "code=") {
		t.Errorf("first-party callback: %d %q, want the code at once", resp.StatusCode, loc)
	}
	// A backend service's token (no user) is no clinician on /api.
	if status, out := w.api(t, "GET", "/api/staff", w.portalToken(t), nil); status != http.StatusUnauthorized {
		t.Errorf("portal backend token on /api: %d %v", status, out)
	}
	if n := len(slices.DeleteFunc(readEvents(t, w.gateway), func(r map[string]any) bool {
		return !strings.HasPrefix(r["event"].(string), "staff.") && !strings.HasPrefix(r["event"].(string), "access_request.")
	})); n != 0 {
		t.Errorf("%d staff or access-request events recorded, none was allowed", n)
	}
}
