package smart

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/redisstore/redistest"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func signingKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

// newTestServer returns a Server keeping its state in rdb, behind a real HTTP server.
func newTestServer(t *testing.T, rdb redis.UniversalClient, extra ...Client) (*Server, *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	tokens, err := NewTokens(TokenOptions{BaseURL: hs.URL, SigningKey: signingKey(t), Redis: rdb, KeyPrefix: "test:"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{
		Tokens: tokens,
		Clients: append([]Client{
			{ID: "app", Name: "Test app", Public: true, RedirectURIs: []string{"https://app.example.org/cb", "http://127.0.0.1:8765/callback"}},
			{ID: "conf", Public: false, SecretSHA256: hashSecret("s3cret"), RedirectURIs: []string{"https://conf.example.org/cb"}},
			{ID: "ehr", SecretSHA256: hashSecret("ehr-secret"), LaunchCreator: true, GrantTypes: []string{}},
		}, extra...),
		IdPs:           []IdP{{ID: "accounts", Name: "MyPatients accounts", Issuer: "http://127.0.0.1:1", ClientID: "gw", ClientSecret: "x"}},
		AccessTokenTTL: time.Hour, CodeTTL: time.Minute, LoginTTL: 10 * time.Minute,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Register(mux)
	return s, hs
}

// noFollow is an HTTP client that shows redirects instead of following them.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, redistest.Embedded(t).Client)
	for _, path := range []string{"/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration"} {
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: status %d err %v", path, resp.StatusCode, err)
		}
		for _, k := range []string{"authorization_endpoint", "token_endpoint", "jwks_uri", "issuer"} {
			if v, _ := doc[k].(string); !strings.HasPrefix(v, hs.URL) {
				t.Errorf("%s: %s = %v, want an absolute URL under %s", path, k, doc[k], hs.URL)
			}
		}
		if m := doc["code_challenge_methods_supported"].([]any); len(m) != 1 || m[0] != "S256" {
			t.Errorf("code_challenge_methods_supported = %v", m)
		}
	}
}

func authorizeURL(base string, mod func(url.Values)) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {"https://app.example.org/cb"},
		"scope": {"user/Patient.rs user/Observation.read"}, "state": {"a&b+c%d"}, "aud": {base + "/fhir"},
		"code_challenge": {pkceS256(strings.Repeat("v", 43))}, "code_challenge_method": {"S256"},
	}
	if mod != nil {
		mod(q)
	}
	return base + "/oauth/authorize?" + q.Encode()
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		_, hs := newTestServer(t, srv.Client)
		tests := []struct {
			name      string
			mod       func(url.Values)
			wantPage  int    // status of an error page that must not redirect
			wantError string // error code redirected to the client
		}{
			{"valid request shows the sign-in page", nil, http.StatusOK, ""},
			{"unknown client", func(q url.Values) { q.Set("client_id", "evil") }, http.StatusBadRequest, ""},
			{"redirect with trailing slash", func(q url.Values) { q.Set("redirect_uri", "https://app.example.org/cb/") }, http.StatusBadRequest, ""},
			{"redirect with extra query", func(q url.Values) { q.Set("redirect_uri", "https://app.example.org/cb?x=1") }, http.StatusBadRequest, ""},
			{"redirect with case change", func(q url.Values) { q.Set("redirect_uri", "https://APP.example.org/cb") }, http.StatusBadRequest, ""},
			{"missing redirect", func(q url.Values) { q.Del("redirect_uri") }, http.StatusBadRequest, ""},
			{"loopback port may vary", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:49152/callback") }, http.StatusOK, ""},
			{"loopback path may not vary", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:49152/other") }, http.StatusBadRequest, ""},
			{"wrong aud", func(q url.Values) { q.Set("aud", "https://evil.example.org/fhir") }, 0, errInvalidRequest},
			{"aud with trailing slash is the same base", func(q url.Values) { q.Set("aud", hs.URL+"/fhir/") }, http.StatusOK, ""},
			{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, 0, errInvalidRequest},
			{"no PKCE", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, 0, errInvalidRequest},
			{"token response type", func(q url.Values) { q.Set("response_type", "token") }, 0, errUnsupportedResponseType},
			{"only write scopes", func(q url.Values) { q.Set("scope", "user/Patient.write user/*.cud") }, 0, errInvalidScope},
			{"repeated state", func(q url.Values) { q.Add("state", "other") }, 0, errInvalidRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, err := noFollow.Get(authorizeURL(hs.URL, tt.mod))
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if tt.wantError == "" {
					if resp.StatusCode != tt.wantPage || resp.Header.Get("Location") != "" {
						t.Fatalf("status %d location %q, want page %d without redirect", resp.StatusCode, resp.Header.Get("Location"), tt.wantPage)
					}
					if resp.Header.Get("Referrer-Policy") != "no-referrer" {
						t.Error("page without Referrer-Policy: no-referrer")
					}
					if tt.wantPage == http.StatusOK && !strings.Contains(string(body), "/login/accounts?request=") {
						t.Errorf("sign-in page does not offer the IdP: %s", body)
					}
					return
				}
				loc, err := resp.Location()
				if resp.StatusCode != http.StatusSeeOther || err != nil {
					t.Fatalf("status %d, want a 303 redirect with error %s", resp.StatusCode, tt.wantError)
				}
				if got := loc.Query().Get("error"); got != tt.wantError {
					t.Errorf("error = %q, want %q", got, tt.wantError)
				}
				if tt.name != "repeated state" && loc.Query().Get("state") != "a&b+c%d" {
					t.Errorf("state = %q, want it echoed exactly", loc.Query().Get("state"))
				}
				if !strings.HasPrefix(loc.String(), "https://app.example.org/cb?") || loc.Query().Get("code") != "" {
					t.Errorf("redirect %s", loc)
				}
			})
		}
	})
}

func TestOfferScopes(t *testing.T) {
	t.Parallel()
	s := &Server{}
	tests := []struct {
		name      string
		client    Client
		requested string
		ehr       bool
		want      string
	}{
		{"read only, v1 kept", Client{}, "openid user/*.* user/Observation.cruds patient/*.read user/*.read launch user/Patient.write system/*.rs",
			false, "openid user/*.read user/Observation.rs patient/*.read"},
		{"launch only in an EHR launch", Client{}, "launch launch/patient user/*.rs", true, "launch user/*.rs"},
		{"launch/patient only standalone", Client{}, "launch launch/patient user/*.rs", false, "launch/patient user/*.rs"},
		{"offline_access with the refresh grant", Client{GrantTypes: []string{"authorization_code"}}, "offline_access online_access user/*.rs", false, "user/*.rs"},
		{"client limit", Client{Scopes: []string{"user/Patient.rs"}}, "user/Patient.rs user/Observation.rs", false, "user/Patient.rs"},
		{"out of order perms dropped", Client{}, "user/Patient.sr patient/Observation.rs?category=laboratory", false, "patient/Observation.rs?category=laboratory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(s.offerScopes(tt.client, strings.Fields(tt.requested), tt.ehr), " ")
			if got != tt.want {
				t.Errorf("offerScopes = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestAuthorizeIdPHint: an app that already asked which sign-in (the portal's two ways in)
// names it with idp_hint and skips the chooser; an unknown hint shows the chooser.
func TestAuthorizeIdPHint(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, redistest.Embedded(t).Client)
	for hint, want := range map[string]int{"accounts": http.StatusSeeOther, "nope": http.StatusOK} {
		resp, err := noFollow.Get(authorizeURL(hs.URL, func(q url.Values) { q.Set("idp_hint", hint) }))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != want || (want == http.StatusSeeOther && !strings.HasPrefix(loc, "/login/accounts?request=")) {
			t.Errorf("idp_hint %q: %d %q", hint, resp.StatusCode, loc)
		}
	}
}
