package smart

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/mypatients/gateway/redisstore/redistest"
)

// TestRememberedTokensAreCheckedAsFresh: a token whose signature was verified once is still
// refused once it has expired, and a token that failed verification is never remembered.
func TestRememberedTokensAreCheckedAsFresh(t *testing.T) {
	ts, raw := benchToken(t)
	now := time.Now()
	if _, err := ts.verifyRemembered(raw, now); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.verifyRemembered(raw, now.Add(2*time.Hour)); err == nil {
		t.Error("an expired token was accepted from memory")
	}
	forged := raw[:len(raw)-4] + "AAAA"
	for range 2 {
		if _, err := ts.verifyRemembered(forged, now); err == nil {
			t.Fatal("a token with a wrong signature was accepted")
		}
	}
	if n := len(ts.verified.claims); n != 1 {
		t.Errorf("%d tokens remembered, want 1", n)
	}
}

// TestAuthenticateReadsRedisOnce: a token's record and its grant family are read together, in
// one round trip, on every use; revoking the family still refuses the token at once.
func TestAuthenticateReadsRedisOnce(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		rt := &redistest.RoundTrips{}
		srv.Client.AddHook(rt)
		s, hs := newTestServer(t, srv.Client)
		code := putCode(t, s, "app", "https://app.example.org/cb")
		status, body, _ := postToken(t, hs.URL, codeForm(code, "https://app.example.org/cb"), "", "")
		if status != http.StatusOK {
			t.Fatalf("token response %d %v", status, body)
		}
		tok := body["access_token"].(string)
		for i := range 3 {
			rt.Take()
			if _, err := s.Authenticate(context.Background(), tok); err != nil {
				t.Fatal(err)
			}
			if n := rt.Take(); i > 0 && n != 1 { // the first may open a connection
				t.Errorf("use %d: %d round trips to Redis, want 1", i, n)
			}
		}
		postToken(t, hs.URL, codeForm(code, "https://app.example.org/cb"), "", "") // a replayed code revokes its grant
		if _, err := s.Authenticate(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("the token of a revoked grant still works: %v", err)
		}
	})
}
