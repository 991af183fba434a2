package test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signInAt posts the account pages' sign-in form of the gateway at base, as a fresh browser,
// and returns the status and body of the answer.
func signInAt(t *testing.T, base, username, password string) (int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := b.Get(base + "/accounts/signin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindStringSubmatch(string(page))
	if m == nil {
		t.Fatalf("sign-in page: %d %.300s", resp.StatusCode, page)
	}
	resp, err = b.PostForm(base+"/accounts/login", url.Values{"csrf": {html.UnescapeString(m[1])}, "next": {"/accounts/account"},
		"username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body)
}

// TestAccountsSignInLimitsAreShared: two replicas on one Redis count a username's failures
// together. Five wrong passwords at one replica make the right password wait at the other,
// for a demo account and for an address with no account alike.
func TestAccountsSignInLimitsAreShared(t *testing.T) {
	t.Parallel()
	redisURL, password := startRedis(t), "shared-demo-password-"+randomHex(t)
	env := []string{"MYPATIENTS_DEMO_PASSWORD=" + password}
	a := startGatewayWith(t, gatewayOptions{RedisURL: redisURL, Env: env})
	b := startGatewayWith(t, gatewayOptions{RedisURL: redisURL, Env: env})
	if status, _ := signInAt(t, b.base, "colleague", password); status != http.StatusSeeOther {
		t.Fatalf("colleague signs in at replica B: %d", status)
	}
	for _, username := range []string{"pcp", "nobody@example.org"} {
		for i := range 5 {
			if status, body := signInAt(t, a.base, username, "wrong password"); status != http.StatusUnauthorized || !strings.Contains(body, "Invalid username or password.") {
				t.Fatalf("%s: wrong password %d at replica A: %d", username, i+1, status)
			}
		}
		status, body := signInAt(t, b.base, username, password)
		if status != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-in attempts") {
			t.Errorf("%s: the right password at replica B after five failures at A: %d %.200s", username, status, body)
		}
	}
	if status, _ := signInAt(t, a.base, "colleague", password); status != http.StatusSeeOther {
		t.Errorf("another account is not held back: %d", status)
	}
}
