package idp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/smart"
)

// staffDirectory is a fixed Accounts: the real one (Redis staff logins) lives in the gateway
// and is exercised end to end in test/staff_login_test.go; here only the IdP's side counts.
type staffDirectory map[string]string // username → password

var errDown = errors.New("store down")

func (d staffDirectory) Authenticate(_ context.Context, username, password string) (User, bool, error) {
	switch {
	case username == "down@example.org":
		return User{}, false, errDown
	case username == "impostor@example.org" && password == d[username]:
		return User{Subject: "u-pcp", Username: username}, true, nil // a demo user's subject
	case d[username] != "" && d[username] == password:
		return User{Subject: "staff-" + username, Username: username, Name: "Jo"}, true, nil
	}
	return User{}, false, nil
}

// Standing says u-staff (a demo user) is suspended without a reason, u-colleague by the
// support team, and "down" cannot be read.
func (d staffDirectory) Standing(_ context.Context, sub string) error {
	switch sub {
	case "u-staff":
		return fmt.Errorf("suspended: %w", gateway.ErrForbidden)
	case "u-colleague":
		return accounts.StandingError{Reason: accounts.ReasonSuspended}
	case "u-pcp2":
		return errDown
	}
	return nil
}

func TestOutsideAccounts(t *testing.T) {
	t.Parallel()
	st := newStore(Config{Issuer: "http://idp.test", Name: "t", Password: testPassword, Users: DemoUsers("accounts"),
		Accounts: staffDirectory{"jo@example.org": "jo's own long password", "impostor@example.org": "impostor password"}}, nil)
	for _, tc := range []struct {
		name, username, password string
		wantSub                  string
		wantErr                  bool
	}{
		{"demo user", "pcp", testPassword, "u-pcp", false},
		{"account, own password", "jo@example.org", "jo's own long password", "staff-jo@example.org", false},
		{"account, demo password", "jo@example.org", testPassword, "", false},
		{"demo user, account's password", "pcp", "jo's own long password", "", false},
		{"account posing as a demo user", "impostor@example.org", "impostor password", "", true},
		{"accounts unavailable", "down@example.org", "x", "", true},
		{"suspended demo user", "staff", testPassword, "", true},
		{"demo user whose standing cannot be read", "pcp2", testPassword, "", true},
	} {
		u, ok, err := st.authenticate(context.Background(), tc.username, tc.password)
		if ok != (tc.wantSub != "") || u.Subject != tc.wantSub || tc.wantErr != (err != nil) || (tc.username == "down@example.org" && !errors.Is(err, errDown)) ||
			(tc.username == "staff" && !errors.Is(err, gateway.ErrForbidden)) {
			t.Errorf("%s: authenticate = %q, %v, %v", tc.name, u.Subject, ok, err)
		}
		if ok {
			if got, found := st.userBySubject(tc.wantSub); !found || got.Username != u.Username {
				t.Errorf("%s: claims of %q not found after sign-in", tc.name, tc.wantSub)
			}
		}
	}
}

// TestRefusedAccountGoesBackToTheClient: the right password of an account that may not sign in
// ends the sign-in with access_denied at the client, with the standing's reason in
// smart.ReasonParam, so that the app can say why; no code is issued.
func TestRefusedAccountGoesBackToTheClient(t *testing.T) {
	t.Parallel()
	p := startIdPWith(t, "accounts", staffDirectory{})
	r := newRP(t, p, oauth2.AuthStyleInHeader)
	for _, tc := range []struct{ username, reason string }{
		{"colleague", smart.ReasonAccountSuspended},
		{"staff", smart.ReasonAccountInactive},
	} {
		b, f := newBrowser(t), r.newFlow()
		form := openLogin(t, b, f.authURL)
		resp, body := form.submit(t, b, tc.username, testPassword)
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || err != nil || loc.Scheme+"://"+loc.Host+loc.Path != testRedirectURI {
			t.Fatalf("%s: %d to %q, want a redirect to the client; %.300s", tc.username, resp.StatusCode, resp.Header.Get("Location"), body)
		}
		q := loc.Query()
		if q.Get("error") != "access_denied" || q.Get(smart.ReasonParam) != tc.reason || q.Get("state") != f.state || q.Has("code") {
			t.Errorf("%s: the client got %v, want access_denied with %s %s", tc.username, q, smart.ReasonParam, tc.reason)
		}
		if resp, _ := form.submit(t, b, "pcp", testPassword); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: the refused sign-in could be completed afterwards: %d", tc.username, resp.StatusCode)
		}
	}
}
