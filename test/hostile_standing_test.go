package test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mypatients/gateway/demo/login"
)

// refresh redeems a public client's refresh token as the demo shell.
func (w *accessWorld) refresh(t *testing.T, rt string) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(w.base+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {login.ShellClientID}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = jsonDecode(resp.Body, &out)
	return resp.StatusCode, out
}

// TestSuspensionAndRemovalHoldEverywhere (finding 4): a suspended staff member's token is
// refused on every /api route, their refresh token gets nothing, and they cannot sign in again
// (the demo's own "staff" user included); reinstated, all of it works again. Removal is final:
// no reinstatement, no sign-in, and the address is free for a new account.
func TestSuspensionAndRemovalHoldEverywhere(t *testing.T) {
	t.Parallel()
	w := startAccessWorld(t, "pcp")
	opts := w.shellOptions()
	opts.Scope += " offline_access"
	staff, err := login.Login(context.Background(), opts, "accounts", "staff", w.password)
	if err != nil || staff.RefreshToken == "" {
		t.Fatalf("staff sign-in: %v %+v", err, staff)
	}
	calls := []struct{ method, path string }{{"GET", "/api/access-requests"}, {"POST", "/api/access-requests"}, {"POST", "/api/invitations/redeem"}}
	bodies := map[string]any{
		"/api/access-requests":    map[string]string{"patient": "child-20", "kind": "pcp", "name": "Rosa Garcia", "email": "rosa@example.org"},
		"/api/invitations/redeem": map[string]string{"token": "ABCD", "mrn": "MRN100019"},
	}
	if status, out := w.api(t, "POST", "/api/staff/accounts:u-staff/suspend", w.tokens["pcp"], nil); status != http.StatusOK {
		t.Fatalf("suspend: %d %v", status, out)
	}
	for _, c := range calls {
		if status, out := w.api(t, c.method, c.path, staff.AccessToken, bodies[c.path]); status != http.StatusForbidden || out["error"] != "account_inactive" {
			t.Errorf("suspended staff %s %s: %d %v", c.method, c.path, status, out)
		}
	}
	if status, out := w.refresh(t, staff.RefreshToken); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("suspended staff refreshing: %d %v", status, out)
	}
	if _, err := login.Login(context.Background(), opts, "accounts", "staff", w.password); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("the suspended demo user staff signed in again: %v", err)
	}
	if status, out := w.api(t, "POST", "/api/staff/accounts:u-staff/reinstate", w.tokens["pcp"], nil); status != http.StatusOK {
		t.Fatalf("reinstate: %d %v", status, out)
	}
	if status, out := w.refresh(t, staff.RefreshToken); status != http.StatusOK {
		t.Errorf("reinstated staff refreshing the same token: %d %v", status, out)
	}
	if status, out := w.api(t, "GET", "/api/access-requests", staff.AccessToken, nil); status != http.StatusOK {
		t.Errorf("reinstated staff: %d %v", status, out)
	}

	if status, out := w.api(t, "POST", "/api/staff/accounts:u-staff/remove", w.tokens["pcp"], nil); status != http.StatusOK {
		t.Fatalf("remove: %d %v", status, out)
	}
	for _, action := range []string{"reinstate", "suspend", "remove"} {
		if status, out := w.api(t, "POST", "/api/staff/accounts:u-staff/"+action, w.tokens["pcp"], nil); status != http.StatusConflict || out["error"] != "removed" {
			t.Errorf("%s after removal: %d %v", action, status, out)
		}
	}
	if _, err := login.Login(context.Background(), opts, "accounts", "staff", w.password); err == nil {
		t.Error("the removed demo user staff signed in again")
	}
	if status, _ := w.api(t, "GET", "/api/access-requests", staff.AccessToken, nil); status != http.StatusForbidden {
		t.Errorf("removed staff's token on /api: %d", status)
	}
	// The removed account's address is free: a new account gets it, with a set-up link.
	const rosa = "rosa.garcia@maple-pediatrics.example.org"
	if status, out := w.api(t, "POST", "/api/staff", w.tokens["pcp"], map[string]string{"name": "Rosa Garcia", "role": "RN", "email": rosa}); status != http.StatusCreated {
		t.Fatalf("a new account with the removed one's address: %d %v", status, out)
	}
	if m := w.waitMail(t, rosa, "staff account"); !strings.Contains(m.Body, "/accounts/setup?token=") {
		t.Errorf("the new account got no set-up link: %q", m.Body)
	}

	// A provider the support team suspended manages no staff.
	if code, out := runCLI(t, []string{"MYPATIENTS_REDIS_URL=" + w.redisURL}, "account", "suspend", "accounts:u-pcp", "--reason", "review", "--by", "kim"); code != 0 {
		t.Fatalf("account suspend: %d %s", code, out)
	}
	if status, out := w.api(t, "GET", "/api/staff", w.tokens["pcp"], nil); status != http.StatusForbidden || out["error"] != "account_inactive" {
		t.Errorf("suspended provider listing staff: %d %v", status, out)
	}
}

// TestStaffAddressesTellNothing (finding 8): an address that is another sponsor's staff login
// is answered like a free one, and its owner, not the asking sponsor, is told by email.
func TestStaffAddressesTellNothing(t *testing.T) {
	t.Parallel()
	w := startAccessWorld(t, "pcp", "pcp2")
	const taken = "jo.taken@harbor-family.example.org"
	if status, out := w.api(t, "POST", "/api/staff", w.tokens["pcp2"], map[string]string{"name": "Jo", "role": "RN", "email": taken}); status != http.StatusCreated {
		t.Fatalf("pcp2's staff: %d %v", status, out)
	}
	w.waitMail(t, taken, "staff account")
	status, other := w.api(t, "POST", "/api/staff", w.tokens["pcp"], map[string]string{"name": "Jo", "role": "RN", "email": taken})
	status2, free := w.api(t, "POST", "/api/staff", w.tokens["pcp"], map[string]string{"name": "Jo", "role": "RN", "email": "jo.free@maple-pediatrics.example.org"})
	if status != http.StatusCreated || status2 != status || len(other) != len(free) || other["status"] != free["status"] {
		t.Errorf("taken address %d %v, free address %d %v: the answers differ", status, other, status2, free)
	}
	waitFor(t, "the owner's notice", func() bool {
		n := 0
		for _, m := range w.smtp.Messages() {
			if len(m.To) == 1 && m.To[0] == taken && strings.Contains(m.Body, "already the username") && !strings.Contains(m.Body, "/account/setup") {
				n++
			}
		}
		return n == 1
	}, w.log)
	if status, out := w.api(t, "POST", "/api/staff", w.tokens["pcp"], map[string]string{"name": "Jo", "role": "RN", "email": "jo.free@maple-pediatrics.example.org"}); status != http.StatusBadRequest ||
		!strings.Contains(out["message"].(string), "you already have") {
		t.Errorf("pcp's own staff address again: %d %v", status, out)
	}
}

var setupLink = regexp.MustCompile(`http://\S+/accounts/setup\?token=[A-Z0-9]+`)

// browser returns a client with a cookie jar.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}
