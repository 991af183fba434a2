package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/redisstore/redistest"
)

type testData struct{ Token string }

// TestSessions: a session comes back with its cookie, sealed at rest, and not after its idle
// or absolute time, with another cookie, or after End.
func TestSessions(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		now := time.Now()
		s := &Sessions[testData]{Redis: srv.Client, Prefix: "t:", Name: "mp_test", Idle: time.Hour, Absolute: 2 * time.Hour,
			Now: func() time.Time { return now }}
		w := httptest.NewRecorder()
		sess, err := s.New(context.Background(), w, testData{Token: "secret-access-token"})
		if err != nil {
			t.Fatal(err)
		}
		cookie := w.Result().Cookies()[0]
		if cookie.Name != "mp_test" || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" {
			t.Errorf("cookie %+v", cookie)
		}
		load := func(c *http.Cookie) (*Session[testData], error) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if c != nil {
				r.AddCookie(c)
			}
			return s.Load(r)
		}
		got, err := load(cookie)
		if err != nil || got.Data.Token != "secret-access-token" || got.CSRF != sess.CSRF {
			t.Fatalf("load: %+v %v", got, err)
		}
		keys, _ := srv.Client.Keys(context.Background(), "t:*").Result()
		for _, k := range keys {
			v, _ := srv.Client.Get(context.Background(), k).Result()
			if strings.Contains(v+k, "secret-access-token") || strings.Contains(v+k, cookie.Value) {
				t.Errorf("Redis holds the token or the cookie in clear: %s", k)
			}
		}
		forged := *cookie
		forged.Value = strings.Repeat("A", len(cookie.Value))
		if _, err := load(&forged); err != ErrNoSession {
			t.Errorf("another cookie: %v", err)
		}
		if _, err := load(nil); err != ErrNoSession {
			t.Errorf("no cookie: %v", err)
		}
		now = now.Add(3 * time.Hour)
		if _, err := load(cookie); err != ErrNoSession {
			t.Errorf("past the absolute timeout: %v", err)
		}
	})
}

func TestSessionIdle(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s := &Sessions[testData]{Redis: srv.Client, Prefix: "t:", Name: "mp_test", Secure: true, Idle: time.Second, Absolute: time.Hour}
		w := httptest.NewRecorder()
		sess, err := s.New(context.Background(), w, testData{})
		if err != nil {
			t.Fatal(err)
		}
		cookie := w.Result().Cookies()[0]
		if cookie.Name != "__Host-mp_test" || !cookie.Secure {
			t.Errorf("under https: %+v", cookie)
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(cookie)
		time.Sleep(1500 * time.Millisecond)
		if _, err := s.Load(r); err != ErrNoSession {
			t.Errorf("after the idle time: %v", err)
		}
		post := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(url.Values{"csrf": {sess.CSRF}}.Encode()))
		post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		_ = post.ParseForm()
		if !sess.CheckCSRF(post) {
			t.Error("the session's own token refused")
		}
		post.PostForm.Set("csrf", sess.CSRF+"x")
		if sess.CheckCSRF(post) {
			t.Error("another token accepted")
		}
	})
}
