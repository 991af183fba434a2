package smart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/redisstore/redistest"
)

// standingIs is an Options.Accounts whose every account has the standing err.
type standingIs struct{ err error }

func (s standingIs) SponsorOf(context.Context, string) (string, error) { return "", nil }
func (s standingIs) CheckStanding(context.Context, string) error       { return s.err }

// TestStandingRefusalSaysWhy: the sign-in of an account Options.Accounts refuses comes back
// to the app as access_denied with the standing's reason in ReasonParam; a standing that
// cannot be read is temporarily_unavailable, with no reason.
func TestStandingRefusalSaysWhy(t *testing.T) {
	t.Parallel()
	srv := redistest.Embedded(t)
	s, _ := newTestServer(t, srv.Client)
	s.opts.Audit = audit.NewTrail(srv.Client, audit.TrailOptions{Prefix: "test:", Stream: "audit"})
	for _, tc := range []struct {
		name       string
		err        error
		code, want string
	}{
		{"suspended by support", accounts.StandingError{Reason: accounts.ReasonSuspended}, errAccessDenied, ReasonAccountSuspended},
		{"staff removed", accounts.StandingError{Reason: accounts.ReasonRemoved}, errAccessDenied, ReasonAccountRemoved},
		{"staff suspended", fmt.Errorf("wrapped: %w", accounts.StandingError{Reason: accounts.ReasonStaffSuspended}), errAccessDenied, ReasonStaffSuspended},
		{"sponsor suspended", accounts.StandingError{Reason: accounts.ReasonSponsorSuspended}, errAccessDenied, ReasonSponsorSuspended},
		{"forbidden, no reason", fmt.Errorf("some standing: %w", gateway.ErrForbidden), errAccessDenied, ReasonAccountInactive},
		{"an unknown reason", accounts.StandingError{Reason: "on_holiday"}, errAccessDenied, ReasonAccountInactive},
		{"standing unreadable", errors.New("redis: connection refused"), errTemporarilyUnavailable, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.opts.Accounts = standingIs{tc.err}
			w := httptest.NewRecorder()
			req := authRequest{ClientID: "app", RedirectURI: "https://app.example.org/cb", State: "st-1"}
			s.afterLogin(w, httptest.NewRequest(http.MethodGet, "/login/accounts/callback", nil), req,
				loggedInUser{Subject: "accounts:u-x", IdP: "accounts"}, "binding")
			q := redirectQuery(t, w.Result(), "https://app.example.org/cb")
			if q.Get("error") != tc.code || q.Get(ReasonParam) != tc.want || q.Get("state") != "st-1" {
				t.Errorf("redirect %v, want error %s, %s %q", q, tc.code, ReasonParam, tc.want)
			}
		})
	}
}

// TestLoginCallbackPassesTheProvidersRefusalOn: an identity provider that refuses an account
// with access_denied and a known reason has the app told that reason; anything else the
// provider says is not passed on.
func TestLoginCallbackPassesTheProvidersRefusalOn(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, redistest.Embedded(t).Client)
	for _, tc := range []struct {
		name, err, reason, want string
	}{
		{"suspended", errAccessDenied, ReasonAccountSuspended, ReasonAccountSuspended},
		{"sponsor suspended", errAccessDenied, ReasonSponsorSuspended, ReasonSponsorSuspended},
		{"unknown reason", errAccessDenied, "<b>hello</b>", ""},
		{"no reason", errAccessDenied, "", ""},
		{"another error", "login_required", ReasonAccountSuspended, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			reqID, state, binding := newSecret(), newSecret(), newSecret()
			put := func(key string, v any) {
				if err := redisstore.PutJSON(ctx, s.rdb, key, v, time.Minute); err != nil {
					t.Fatal(err)
				}
			}
			put(s.authRequestKey(reqID), authRequest{ClientID: "app", RedirectURI: "https://app.example.org/cb", State: "app-state",
				Binding: hashSecret(binding), Created: time.Now()})
			put(s.loginFlowKey(state), loginFlow{IdP: "accounts", RequestID: reqID, Binding: hashSecret(binding)})
			q := url.Values{"state": {state}, "error": {tc.err}, "error_description": {"this account is suspended"}}
			if tc.reason != "" {
				q.Set(ReasonParam, tc.reason)
			}
			req, _ := http.NewRequest(http.MethodGet, hs.URL+"/login/accounts/callback?"+q.Encode(), nil)
			req.AddCookie(&http.Cookie{Name: bindingCookie, Value: binding})
			resp, err := noFollow.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := redirectQuery(t, resp, "https://app.example.org/cb")
			if got.Get("error") != errAccessDenied || got.Get(ReasonParam) != tc.want || got.Get("state") != "app-state" {
				t.Errorf("redirect %v, want access_denied with %s %q", got, ReasonParam, tc.want)
			}
		})
	}
}

// redirectQuery checks that resp redirects to base and returns the redirect's query.
func redirectQuery(t *testing.T, resp *http.Response, base string) url.Values {
	t.Helper()
	loc, err := resp.Location()
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, location %v: want a redirect to the app", resp.StatusCode, err)
	}
	u := *loc
	u.RawQuery = ""
	if u.String() != base {
		t.Fatalf("redirect to %s, want %s", loc, base)
	}
	return loc.Query()
}
