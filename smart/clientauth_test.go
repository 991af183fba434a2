package smart

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mypatients/gateway/redisstore/redistest"
)

func TestCacheTTL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", jwksDefaultTTL},
		{"max-age=60", time.Minute},
		{"public, max-age=0", 0},
		{"no-store", 0},
		{"no-cache, max-age=600", 0},
		{"max-age=999999", jwksMaxTTL},
		{"max-age=bogus", jwksDefaultTTL},
	}
	for _, tt := range tests {
		if got := cacheTTL(tt.header); got != tt.want {
			t.Errorf("cacheTTL(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
}

func TestKeyFits(t *testing.T) {
	t.Parallel()
	rk := signingKey(t)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tests := []struct {
		name string
		key  jose.JSONWebKey
		alg  string
		want bool
	}{
		{"RSA for RS384", jose.JSONWebKey{Key: &rk.PublicKey}, "RS384", true},
		{"RSA for ES384", jose.JSONWebKey{Key: &rk.PublicKey}, "ES384", false},
		{"short RSA", jose.JSONWebKey{Key: &small.PublicKey}, "RS384", false},
		{"P-384 for ES384", jose.JSONWebKey{Key: &p384.PublicKey}, "ES384", true},
		{"P-256 for ES384", jose.JSONWebKey{Key: &p256.PublicKey}, "ES384", false},
		{"key alg disagrees", jose.JSONWebKey{Key: &rk.PublicKey, Algorithm: "RS256"}, "RS384", false},
		{"encryption key", jose.JSONWebKey{Key: &rk.PublicKey, Use: "enc"}, "RS384", false},
	}
	for _, tt := range tests {
		if got := keyFits(tt.key, tt.alg); got != tt.want {
			t.Errorf("%s: keyFits = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestAssertionFailuresAreRateLimited: after 20 failed assertions from one address, even a
// good one is answered slow_down until the bucket refills.
func TestAssertionFailuresAreRateLimited(t *testing.T) {
	t.Parallel()
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1"}}})
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s, hs := newTestServer(t, srv.Client, Client{ID: "svc", JWKS: set, GrantTypes: []string{grantClientCredentials}, Scopes: []string{"system/Patient.rs"}})
		s.endpoints = nil // only the assertion-failure limit counts here
		assertion := func(aud string) string {
			signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES384, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, (&jose.SignerOptions{}).WithType("JWT"))
			now := time.Now()
			raw, _ := jwt.Signed(signer).Claims(jwt.Claims{Issuer: "svc", Subject: "svc", Audience: jwt.Audience{aud},
				Expiry: jwt.NewNumericDate(now.Add(time.Minute)), ID: newSecret()}).Serialize()
			return raw
		}
		form := func(a string) url.Values {
			return url.Values{"grant_type": {"client_credentials"}, "scope": {"system/Patient.rs"},
				"client_assertion_type": {jwtBearerAssertion}, "client_assertion": {a}}
		}
		if status, body, _ := postToken(t, hs.URL, form(assertion(s.tokenEndpoint())), "", ""); status != http.StatusOK {
			t.Fatalf("good assertion: %d %v", status, body)
		}
		var first map[string]any
		for range 20 {
			status, body, _ := postToken(t, hs.URL, form(assertion("https://elsewhere")), "", "")
			if first == nil {
				first = body
			}
			if status != http.StatusUnauthorized || fmt.Sprint(body) != fmt.Sprint(first) || body["error_description"] != "client authentication failed" {
				t.Fatalf("bad assertion: %d %v (every failure must read alike)", status, body)
			}
		}
		status, body, _ := postToken(t, hs.URL, form(assertion(s.tokenEndpoint())), "", "")
		if status != http.StatusTooManyRequests || body["error"] != errSlowDown {
			t.Errorf("after 20 failures: %d %v, want 429 slow_down", status, body)
		}
	})
}
