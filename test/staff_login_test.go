package test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mypatients/gateway/demo/login"
)

// TestSponsoredStaffSetsUpLogin: pcp creates a staff account through the API; the emailed
// link opens the set-up page, where the new staff member chooses a password (a real form post
// with the CSRF token) and then enrolls an authenticator app; the link then cannot be used
// again; the staff member signs in at the accounts provider with their email, password and a
// TOTP code and sees exactly pcp's patients; when pcp removes them, their next request is
// refused and they cannot sign in again.
func TestSponsoredStaffSetsUpLogin(t *testing.T) {
	t.Parallel()
	w := startAccessWorld(t, "pcp")
	const email = "Jo.Rivera@maple-pediatrics.example.org"
	const password = "a long phrase only jo knows"

	status, created := w.api(t, "POST", "/api/staff", w.tokens["pcp"],
		map[string]string{"name": "Jo Rivera", "role": "office manager", "email": email})
	id, _ := created["id"].(string)
	if status != http.StatusCreated || !strings.HasPrefix(id, "accounts:staff-") {
		t.Fatalf("pcp creates a staff account: %d %v", status, created)
	}
	if status, out := w.api(t, "POST", "/api/staff", w.tokens["pcp"],
		map[string]string{"name": "Jo Again", "role": "RN", "email": strings.ToLower(email)}); status != http.StatusBadRequest {
		t.Errorf("a second staff account with the same email (username): %d %v", status, out)
	}
	m := w.waitMail(t, email, "staff account")
	link := regexp.MustCompile(`http://\S+/accounts/setup\?token=[A-Z0-9]+`).FindString(m.Body)
	if link == "" || strings.Contains(m.Body, id) {
		t.Fatalf("welcome mail has no set-up link, or names the account id: %q", m.Body)
	}

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar}
	form := openSetupPage(t, browser, link)
	for _, tc := range []struct {
		name, password, confirm string
		status                  int
		want                    string
	}{
		{"too short", "short one", "short one", http.StatusBadRequest, "at least 12 characters"},
		{"common", "password1234", "password1234", http.StatusBadRequest, "most common passwords"},
		{"mismatch", password, password + "!", http.StatusBadRequest, "two passwords differ"},
		{"accepted", password, password, http.StatusOK, "Add a second factor"},
		{"link used twice", "another long phrase", "another long phrase", http.StatusBadRequest, "not valid"},
	} {
		status, body := postSetup(t, browser, link, form, tc.password, tc.confirm)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want %d with %q; %.400s", tc.name, status, tc.status, tc.want, body)
		}
	}
	if resp, err := browser.Get(link); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("used link opened again: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	secret := enrollTOTP(t, browser, w.base)
	ctx := context.Background()
	opts := w.loginOptions()
	opts.SecondFactor = func() string {
		code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second)) // the next step: the enrollment used this one
		return code
	}
	if _, err := login.Login(ctx, opts, "accounts", email, "a wrong but long password"); err == nil {
		t.Error("sign-in with a wrong password succeeded")
	}
	if _, err := login.Login(ctx, w.loginOptions(), "accounts", email, password); err == nil {
		t.Error("sign-in without the second factor succeeded")
	}
	tok, err := login.Login(ctx, opts, "accounts", strings.ToUpper(email), password)
	if err != nil {
		t.Fatalf("new staff member signs in: %v", err)
	}
	pcpIDs, staffIDs := w.patientIDs(t, w.tokens["pcp"]), w.patientIDs(t, tok.AccessToken)
	if len(pcpIDs) == 0 || !slices.Equal(pcpIDs, staffIDs) {
		t.Errorf("staff see %v, pcp sees %v", staffIDs, pcpIDs)
	}
	if status, _ := w.fhir(t, http.MethodGet, "/Patient/child-10", tok.AccessToken); status != http.StatusForbidden {
		t.Errorf("staff read a patient pcp may not see: %d", status)
	}

	if status, out := w.api(t, "POST", "/api/staff/"+id+"/remove", w.tokens["pcp"], nil); status != http.StatusOK {
		t.Fatalf("pcp removes the staff member: %d %v", status, out)
	}
	if status, body := w.fhir(t, http.MethodGet, "/Patient/child-01", tok.AccessToken); status != http.StatusForbidden {
		t.Errorf("removed staff read: %d %.200s", status, body)
	}
	opts.SecondFactor = func() string { code, _ := totp.GenerateCode(secret, time.Now().Add(60*time.Second)); return code }
	if _, err := login.Login(ctx, opts, "accounts", email, password); err == nil {
		t.Error("removed staff signed in again")
	}
}

var secretRe = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)

// enrollTOTP adds an authenticator app on the enrollment page the set-up ended on, with a
// code computed from the page's secret, and returns the secret.
func enrollTOTP(t *testing.T, browser *http.Client, base string) string {
	t.Helper()
	resp, err := browser.Get(base + "/accounts/enroll")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m, csrf := secretRe.FindStringSubmatch(string(b)), regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(b))
	if m == nil || csrf == nil {
		t.Fatalf("enrollment page: %d %.500s", resp.StatusCode, b)
	}
	code, _ := totp.GenerateCode(m[1], time.Now())
	resp, err = browser.PostForm(base+"/accounts/enroll", url.Values{"csrf": {html.UnescapeString(csrf[1])}, "code": {code}, "label": {"phone"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "recovery codes") {
		t.Fatalf("enroll TOTP: %d %.500s", resp.StatusCode, b)
	}
	return m[1]
}

// setupForm is what the set-up page's form carries besides the passwords.
type setupForm struct{ token, csrf string }

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="(token|csrf)" value="([^"]*)">`)

// openSetupPage opens the emailed link as a browser would and checks the page's headers.
func openSetupPage(t *testing.T, browser *http.Client, link string) setupForm {
	t.Helper()
	resp, err := browser.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("set-up page: %d %.300s", resp.StatusCode, b)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("set-up page %s = %q, want %q", h, got, want)
		}
	}
	var f setupForm
	for _, m := range hiddenInput.FindAllStringSubmatch(string(b), -1) {
		if m[1] == "token" {
			f.token = html.UnescapeString(m[2])
		} else {
			f.csrf = html.UnescapeString(m[2])
		}
	}
	if f.token == "" || f.csrf == "" {
		t.Fatalf("set-up form lacks token or CSRF field: %.600s", b)
	}
	return f
}

// postSetup submits the set-up form. Before the real post it checks that the same post
// without the CSRF cookie is refused.
func postSetup(t *testing.T, browser *http.Client, link string, f setupForm, password, confirm string) (int, string) {
	t.Helper()
	values := url.Values{"token": {f.token}, "csrf": {f.csrf}, "password": {password}, "confirm": {confirm}}
	target := strings.SplitN(link, "?", 2)[0]
	if resp, err := http.PostForm(target, values); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusForbidden {
		t.Errorf("set-up post without the CSRF cookie: %d, want 403", resp.StatusCode)
	}
	resp, err := browser.PostForm(target, values)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, html.UnescapeString(string(b))
}

// patientIDs returns the ids of the patients a Patient search with token finds, sorted.
func (w *accessWorld) patientIDs(t *testing.T, token string) []string {
	t.Helper()
	status, body := w.fhir(t, http.MethodGet, "/Patient?_count=100", token)
	var bundle struct {
		Entry []struct {
			Resource struct {
				ResourceType, ID string
			} `json:"resource"`
		} `json:"entry"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &bundle) != nil {
		t.Fatalf("Patient search: %d %.300s", status, body)
	}
	var ids []string
	for _, e := range bundle.Entry {
		if e.Resource.ResourceType == "Patient" {
			ids = append(ids, e.Resource.ID)
		}
	}
	slices.Sort(ids)
	return ids
}
