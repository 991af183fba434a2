package smart

// RS256 verification of an access token the gateway issued, as Authenticate does on every
// FHIR request before its store lookups. Beside it, the bare RSA PKCS#1 v1.5 check of the
// same signature over the same bytes: the cryptography alone.
//
// Run with: go test ./smart -run '^$' -bench 'VerifyAccessToken' -benchmem -count 5

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// benchToken signs a token like the one pcp gets from the demo app's sign-in.
func benchToken(b testing.TB) (*tokenSigner, string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	ts, err := newTokenSigner(key, "http://127.0.0.1:8080", "http://127.0.0.1:8080/fhir")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	raw, err := ts.sign(accessClaims{
		Claims: jwt.Claims{Subject: "accounts:u-pcp", ID: newSecret(), IssuedAt: jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))},
		ClientID: "demo-app", Scope: "user/*.rs", FHIRUser: "Practitioner/dr-patel", IdP: "accounts", Username: "pcp",
	})
	if err != nil {
		b.Fatal(err)
	}
	return ts, raw
}

func BenchmarkVerifyAccessToken(b *testing.B) {
	ts, raw := benchToken(b)
	b.ReportAllocs()
	for b.Loop() {
		if c, err := ts.verify(raw, time.Now()); err != nil || c.Subject != "accounts:u-pcp" {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAccessTokenBaselineRSA(b *testing.B) {
	ts, raw := benchToken(b)
	i := strings.LastIndexByte(raw, '.')
	sig, err := base64.RawURLEncoding.DecodeString(raw[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256([]byte(raw[:i]))
		if err := rsa.VerifyPKCS1v15(&ts.key.PublicKey, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAccessTokenRemembered is the check as Authenticate makes it from the second
// use of a token on: the signature remembered, the claims checked again.
func BenchmarkVerifyAccessTokenRemembered(b *testing.B) {
	ts, raw := benchToken(b)
	b.ReportAllocs()
	for b.Loop() {
		if c, err := ts.verifyRemembered(raw, time.Now()); err != nil || c.Subject != "accounts:u-pcp" {
			b.Fatal(err)
		}
	}
}
