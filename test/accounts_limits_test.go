package test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mypatients/gateway/demo/login"
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

// TestHospitalSignInIsLinkedAndAudited: a Children's ID user's first sign-in creates their
// account from the IdP's claims ("account.link"), and each sign-in's record carries the IdP's
// acr and amr; the accounts provider records its own check of a demo user with the methods it
// checked, before the gateway's record of the app's sign-in.
func TestHospitalSignInIsLinkedAndAudited(t *testing.T) {
	t.Parallel()
	g := startGateway(t, "")
	ctx := context.Background()
	for _, who := range []struct{ idp, user string }{{"childrens", "hospdoc"}, {"childrens", "hospdoc"}, {"accounts", "pcp"}} {
		if _, err := login.Login(ctx, g.shellOptions(), who.idp, who.user, g.password); err != nil {
			t.Fatalf("%s signs in: %v", who.user, err)
		}
	}
	var links, signins, checks int
	for _, r := range readEvents(t, g) {
		amr := strings.Join(toStrings(r["amr"]), ",")
		switch {
		case r["event"] == "account.link" && r["subject"] == "childrens:c-hospdoc":
			links++
		case r["event"] == "signin" && r["subject"] == "childrens:c-hospdoc":
			signins++
			if amr != "pwd" || r["acr"] != "https://refeds.org/profile/sfa" {
				t.Errorf("Children's ID sign-in record without the IdP's acr and amr: %v", r)
			}
		case r["event"] == "accounts.signin" && r["subject"] == "accounts:u-pcp":
			checks++
			if amr != "pwd" || r["client"] != "idp:MyPatients accounts" {
				t.Errorf("the accounts provider's record: %v", r)
			}
		}
	}
	if links != 1 || signins != 2 || checks != 1 {
		t.Errorf("%d account.link, %d signin of hospdoc, %d accounts.signin of pcp; want 1, 2, 1", links, signins, checks)
	}
}
