package smart

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// newSecret returns 256 random bits, base64url without padding: URL-safe, so that codes survive
// clients that do not encode them (fhirclient sends code=${code} as is).
func newSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("smart: crypto/rand failed: " + err.Error()) // the OS random source never fails
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how secrets are stored and used as keys: never the secret itself.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// equalHashes compares two hex digests in constant time.
func equalHashes(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// pkceS256 is the RFC 7636 S256 code challenge of verifier.
func pkceS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
