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
	if reason := signInRefusal(t, opts, "accounts", "staff", w.password); reason != "staff_suspended" {
		t.Errorf("the suspended demo user staff signing in again: refused for %q, want staff_suspended", reason)
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
	if reason := signInRefusal(t, opts, "accounts", "staff", w.password); reason != "account_removed" {
		t.Errorf("the removed demo user staff signing in again: refused for %q, want account_removed", reason)
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
	// Each sign-in refused for the account's standing says why, to the app: the accounts
	// provider refuses pcp itself and sends her back through the gateway; Children's ID
	// vouches for hospdoc and the gateway refuses her.
	if code, out := runCLI(t, []string{"MYPATIENTS_REDIS_URL=" + w.redisURL}, "account", "suspend", "childrens:c-hospdoc", "--reason", "review", "--by", "kim"); code != 0 {
		t.Fatalf("account suspend: %d %s", code, out)
	}
	for _, who := range []struct{ idp, user string }{{"accounts", "pcp"}, {"childrens", "hospdoc"}} {
		if reason := signInRefusal(t, opts, who.idp, who.user, w.password); reason != "account_suspended" {
			t.Errorf("the suspended %s signing in through %s: refused for %q, want account_suspended", who.user, who.idp, reason)
		}
	}
}

// signInRefusal signs user in at idp through the gateway, as an app would, and returns the
// reason (mypatients_reason) of the access_denied the app gets; the test fails if the app gets
// a code or another answer.
func signInRefusal(t *testing.T, opts login.Options, idp, user, password string) string {
	t.Helper()
	ctx := context.Background()
	s := login.NewSession(opts)
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	callback, err := s.LoginAtIdP(ctx, idp, user, password)
	if err != nil {
		t.Fatalf("%s at %s: %v", user, idp, err)
	}
	resp, err := s.HTTPClient().Get(callback.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), opts.RedirectURI) {
		t.Fatalf("%s at %s: the gateway answered %d, not a redirect to the app", user, idp, resp.StatusCode)
	}
	q := loc.Query()
	if q.Get("error") != "access_denied" || q.Has("code") || q.Get("state") != s.State() {
		t.Fatalf("%s at %s: the app got %v, want access_denied", user, idp, q)
	}
	return q.Get("mypatients_reason")
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
