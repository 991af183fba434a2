package provider

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"
)

func TestLoginPage(t *testing.T) {
	t.Parallel()
	p := startIdP(t, "accounts")
	r := newRP(t, p, oauth2.AuthStyleInHeader)
	b := newBrowser(t)
	resp, err := b.Get(r.newFlow().authURL)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	for _, want := range []string{"Test IdP accounts", `name="username"`, `name="password"`, `type="password"`,
		`<form method="post" action="/login">`, `name="authRequestID"`, `name="csrf"`} {
		if !strings.Contains(body, want) {
			t.Errorf("login page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("login page has a script")
	}
	checkPageHeaders(t, resp)
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self' http://gateway.test"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
}

func checkPageHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	for h, want := range map[string]string{
		"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("no Content-Security-Policy")
	}
}

func TestWrongCredentialsGetOneUniformAnswer(t *testing.T) {
	t.Parallel()
	p := startIdP(t, "accounts")
	r := newRP(t, p, oauth2.AuthStyleInHeader)
	b := newBrowser(t)
	form := openLogin(t, b, r.newFlow().authURL)
	attempts := []struct{ name, username, password string }{
		{"wrong password", "pcp", "not-the-password"},
		{"unknown user", "nobody", testPassword},
		{"unknown user and wrong password", "nobody", "not-the-password"},
		{"password of other length", "pcp", testPassword + testPassword},
		{"empty", "", ""},
	}
	var first string
	for _, a := range attempts {
		resp, body := form.submit(t, b, a.username, a.password)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", a.name, resp.StatusCode)
		}
		if !strings.Contains(body, invalidCredentials) {
			t.Errorf("%s: body lacks %q", a.name, invalidCredentials)
		}
		checkPageHeaders(t, resp)
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("%s: body differs from the first failure's:\n%s\n---\n%s", a.name, body, first)
		}
	}
	// The same sign-in still works after failures below the limit.
	if resp, body := form.submit(t, b, "pcp", testPassword); resp.StatusCode != http.StatusFound {
		t.Errorf("right password after failures: status %d, body %q", resp.StatusCode, body)
	}
}

func TestFailedLoginsAreRateLimited(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		failures int
		// failAs names the username of failed attempt i.
		failAs func(i int) string
		// blocked and allowed try the right password after the failures.
		blocked, allowed string
	}{
		{"per username", freeFailures, func(int) string { return "pcp" }, "PCP", "colleague"},
		{"per client address", ipFailures, func(i int) string { return fmt.Sprintf("guess-%d", i) }, "pcp", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startIdP(t, "accounts")
			r := newRP(t, p, oauth2.AuthStyleInHeader)
			b := newBrowser(t)
			form := openLogin(t, b, r.newFlow().authURL)
			for i := range tt.failures {
				if resp, _ := form.submit(t, b, tt.failAs(i), "wrong"); resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("failure %d: status %d, want 401 (limit too low?)", i+1, resp.StatusCode)
				}
			}
			resp, body := form.submit(t, b, tt.blocked, testPassword)
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Location") != "" {
				t.Errorf("after %d failures, right password: status %d, want 429", tt.failures, resp.StatusCode)
			}
			if !strings.Contains(body, "Too many") {
				t.Errorf("429 body %q, want the message", body)
			}
			checkPageHeaders(t, resp)
			if tt.allowed != "" {
				if resp, _ := form.submit(t, b, tt.allowed, testPassword); resp.StatusCode != http.StatusFound {
					t.Errorf("%s (not limited): status %d, want a redirect", tt.allowed, resp.StatusCode)
				}
			}
		})
	}
}

func TestLoginPageRefusesUnknownRequests(t *testing.T) {
	t.Parallel()
	p := startIdP(t, "accounts")
	tests := []struct {
		name, method, path string
		form               url.Values
		want               int
	}{
		{"get without id", http.MethodGet, "/login", nil, http.StatusBadRequest},
		{"get unknown id", http.MethodGet, "/login?authRequestID=forged", nil, http.StatusBadRequest},
		{"post unknown id", http.MethodPost, "/login",
			url.Values{"authRequestID": {"forged"}, "username": {"pcp"}, "password": {testPassword}}, http.StatusForbidden},
		{"put", http.MethodPut, "/login", nil, http.StatusMethodNotAllowed},
		{"callback before login", http.MethodGet, "/authorize/callback?id=forged", nil, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(t.Context(), tt.method, p.issuer+tt.path, strings.NewReader(tt.form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := noFollow.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != tt.want || resp.Header.Get("Location") != "" {
				t.Errorf("status %d, Location %q, body %q; want %d", resp.StatusCode, resp.Header.Get("Location"), body, tt.want)
			}
		})
	}
}

func TestEndSessionLandsOnSignedOutPage(t *testing.T) {
	t.Parallel()
	p := startIdP(t, "accounts")
	resp, err := newBrowser(t).Get(p.issuer + "/end_session")
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "signed out") {
		t.Errorf("status %d, body %q", resp.StatusCode, body)
	}
	checkPageHeaders(t, resp)
}

// TestSecondFactor: an account that needs a second factor gets the second-factor page after
// its password, and is signed in only with a current TOTP code, a code working once; with no
// factor enrolled it is told to reset it.
func TestSecondFactor(t *testing.T) {
	t.Parallel()
	p := startIdP(t, "accounts")
	r := newRP(t, p, oauth2.AuthStyleInHeader)
	b := newBrowser(t)
	ctx := context.Background()
	const jo = "accounts:u-jo"
	if resp, body := openLogin(t, b, r.newFlow().authURL).submit(t, b, "jo@example.org", testPassword); resp.StatusCode != http.StatusForbidden ||
		!strings.Contains(body, "no second factor") {
		t.Errorf("without a second factor: %d %.300s", resp.StatusCode, body)
	}
	en, err := p.cfg.Factors.BeginTOTP(ctx, jo, "jo@example.org")
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(en.Secret, time.Now().Add(-30*time.Second))
	if err := p.cfg.Factors.ConfirmTOTP(ctx, jo, "phone", code); err != nil {
		t.Fatal(err)
	}
	resp, body := openLogin(t, b, r.newFlow().authURL).submit(t, b, "jo@example.org", testPassword)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "authenticator app") {
		t.Fatalf("second-factor page: %d %.400s", resp.StatusCode, body)
	}
	second := parseForm(t, resp, body)
	second.fields.Set("method", "totp")
	for _, tc := range []struct {
		code   string
		status int
	}{{"000000", http.StatusUnauthorized}, {code, http.StatusUnauthorized}} { // wrong; already used
		second.fields.Set("code", tc.code)
		if resp, body := postForm(t, b, second); resp.StatusCode != tc.status {
			t.Errorf("code %q: %d %.300s", tc.code, resp.StatusCode, body)
		}
	}
	now, _ := totp.GenerateCode(en.Secret, time.Now())
	second.fields.Set("code", now)
	resp, body = postForm(t, b, second)
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), testRedirectURI) {
		t.Errorf("right code: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

func parseForm(t *testing.T, resp *http.Response, body string) loginForm {
	t.Helper()
	m := formRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form in %q", body)
	}
	action, _ := resp.Request.URL.Parse(html.UnescapeString(m[1]))
	f := loginForm{action: action.String(), fields: url.Values{}}
	for _, h := range hiddenRe.FindAllStringSubmatch(body, -1) {
		f.fields.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return f
}

func postForm(t *testing.T, b *http.Client, f loginForm) (*http.Response, string) {
	t.Helper()
	resp, err := b.PostForm(f.action, f.fields)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readBody(t, resp)
}
