package test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mypatients/gateway/demo/login"
)

// TestDemoPortalPage walks the demo patient portal (a backend-services client of the gateway)
// as a newcomer would: a request appears, is approved, the clinician reads; an invitation is
// printed; the captured mail page lists the approval email.
func TestDemoPortalPage(t *testing.T) {
	t.Parallel()
	g := startGateway(t, "")
	w := &accessWorld{gateway: g, tokens: map[string]string{}}
	tok, err := loginUser(g, "specialist")
	if err != nil {
		t.Fatal(err)
	}
	w.tokens["specialist"] = tok
	page := func(method, path string, form url.Values) string {
		t.Helper()
		var resp *http.Response
		var err error
		if method == http.MethodPost {
			resp, err = http.PostForm(g.base+path, form)
		} else {
			resp, err = http.Get(g.base + path)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %.300s", method, path, resp.StatusCode, b)
		}
		return string(b)
	}
	if body := page("GET", "/demo/portal/?patient=child-20", nil); !strings.Contains(body, "No pending requests") {
		t.Fatalf("portal page: %.500s", body)
	}
	if status, out := w.api(t, "POST", "/api/access-requests", tok, map[string]any{"patient": "child-20", "kind": "family",
		"name": "Dr. Claire Moreau", "email": specialistEmail}); status != http.StatusCreated {
		t.Fatalf("request: %d %v", status, out)
	}
	body := page("GET", "/demo/portal/?patient=child-20", nil)
	m := regexp.MustCompile(`name="request" value="([A-Z0-9]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the request is not on the portal page: %.800s", body)
	}
	body = page("POST", "/demo/portal/decide", url.Values{"patient": {"child-20"}, "request": {m[1]}, "action": {"approve"}})
	if !strings.Contains(body, "accounts:u-specialist") || !strings.Contains(body, "Request approved") {
		t.Errorf("after approving: %.800s", body)
	}
	if status, body := w.read(t, "specialist", "/Patient/child-20"); status != http.StatusOK {
		t.Errorf("read after approval in the demo portal: %d %.200s", status, body)
	}
	body = page("POST", "/demo/portal/invite", url.Values{"patient": {"child-21"}, "mrn": {"MRN100021"}})
	if !regexp.MustCompile(`class="token">[A-Z2-7-]{30,}<`).MatchString(body) {
		t.Errorf("printable invitation: %.800s", body)
	}
	waitFor(t, "approval email on the demo mail page", func() bool {
		return strings.Contains(page("GET", "/demo/mail", nil), "approved your access request")
	}, g.log)
}

// loginUser signs a demo user of the accounts IdP in and returns the access token.
func loginUser(g *gateway, user string) (string, error) {
	tok, err := login.Login(context.Background(), g.shellOptions(), "accounts", user, g.password)
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}
