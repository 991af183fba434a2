package smart

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/redisstore/redistest"
)

// TestThrottleSharedByTokenEndpoints floods the introspection endpoint from one address:
// it is slowed down with RFC 6749 JSON, and so then are revocation and the token endpoint,
// which share the address's budget.
func TestThrottleSharedByTokenEndpoints(t *testing.T) {
	t.Parallel()
	rdb := redistest.Embedded(t).Client
	s, hs := newTestServer(t, rdb)
	s.endpoints = limits.New(rdb, "test:", limits.Rule{Name: "oauth-endpoints", Limit: 20, Window: time.Minute})
	post := func(path string) (int, string) {
		resp, err := http.Post(hs.URL+path, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"token": {"x"}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body["error"]
	}
	throttled := 0
	for range 40 {
		if status, code := post("/oauth/introspect"); status == http.StatusTooManyRequests {
			if code != errSlowDown {
				t.Fatalf("429 with error %q, want %s", code, errSlowDown)
			}
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatal("40 introspection requests in a burst were never slowed down")
	}
	for _, path := range []string{"/oauth/revoke", "/oauth/token"} {
		if status, _ := post(path); status != http.StatusTooManyRequests {
			t.Errorf("%s right after the flood: status %d, want 429", path, status)
		}
	}
}
