package accounts

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/redisstore/redistest"
)

// TestSetupPageRefusals: the set-up page refuses a post without the CSRF token, a cross-site
// post even with it, and more than int(SetupAttempts.Limit) posts from one address; it is never cached
// and sends no referrer.
func TestSetupPageRefusals(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		w := newWorld(t, srv.Client)
		token, err := w.logins.IssueSetup(context.Background(), w.jo)
		if err != nil {
			t.Fatal(err)
		}
		h := Handler(w.logins, PageOptions{Trail: w.trail, Attempts: limits.New(srv.Client, "t:", SetupAttempts)})

		get := httptest.NewRecorder()
		h.ServeHTTP(get, httptest.NewRequest("GET", SetupPath+"?token="+token, nil))
		if get.Code != http.StatusOK || get.Header().Get("Cache-Control") != "no-store" || get.Header().Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("GET: %d %v", get.Code, get.Header())
		}
		cookie := get.Result().Cookies()[0]

		post := func(csrf string, cookie *http.Cookie, header http.Header) int {
			form := url.Values{"token": {token}, "csrf": {csrf}, "password": {"x"}, "confirm": {"y"}}
			r := httptest.NewRequest("POST", SetupPath, strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range header {
				r.Header[k] = v
			}
			if cookie != nil {
				r.AddCookie(cookie)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			return rec.Code
		}
		for _, tc := range []struct {
			name   string
			csrf   string
			cookie *http.Cookie
			header http.Header
			want   int
		}{
			{"no cookie", cookie.Value, nil, nil, http.StatusForbidden},
			{"wrong token", "forged", cookie, nil, http.StatusForbidden},
			{"cross-site", cookie.Value, cookie, http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
			{"same-origin, passwords differ", cookie.Value, cookie, nil, http.StatusBadRequest},
		} {
			if got := post(tc.csrf, tc.cookie, tc.header); got != tc.want {
				t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
			}
		}
		// One attempt counted above; the limit refuses the one after int(SetupAttempts.Limit).
		codes := map[int]int{}
		for range int(SetupAttempts.Limit) {
			codes[post(cookie.Value, cookie, nil)]++
		}
		if codes[http.StatusTooManyRequests] != 1 || codes[http.StatusBadRequest] != int(SetupAttempts.Limit)-1 {
			t.Errorf("attempt limit: answers %v", codes)
		}
	})
}
