package smart

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// verifiedTokens remembers the access tokens whose signature and header this process checked,
// with their claims, so that each token's RSA signature is verified once rather than on every
// request. A token is remembered by the SHA-256 of its bytes (never the token itself), and only
// after a successful verification; its claims are checked again at every use (issuer,
// audience, expiry with the same leeway), so a remembered token is refused exactly when it
// would be refused unremembered. Revocation is not verify's business: Authenticate reads the
// token's record on every request.
type verifiedTokens struct {
	mu     sync.Mutex
	claims map[[sha256.Size]byte]accessClaims
}

// maxVerified bounds the memory; when full, everything is forgotten (and verified again).
const maxVerified = 10000

// verifyRemembered is verify, remembering its successes.
func (t *tokenSigner) verifyRemembered(raw string, now time.Time) (accessClaims, error) {
	key := sha256.Sum256([]byte(raw))
	t.verified.mu.Lock()
	c, ok := t.verified.claims[key]
	t.verified.mu.Unlock()
	if ok {
		return c, t.checkClaims(c, now)
	}
	c, err := t.verify(raw, now)
	if err != nil {
		return c, err
	}
	t.verified.mu.Lock()
	defer t.verified.mu.Unlock()
	if len(t.verified.claims) >= maxVerified || t.verified.claims == nil {
		t.verified.claims = make(map[[sha256.Size]byte]accessClaims)
	}
	t.verified.claims[key] = c
	return c, nil
}

// checkClaims checks issuer, audience and lifetime, and that the claims every token needs
// are there.
func (t *tokenSigner) checkClaims(c accessClaims, now time.Time) error {
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: t.issuer, AnyAudience: jwt.Audience{t.audience}, Time: now}, 30*time.Second); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	if c.ID == "" || c.Subject == "" || c.Expiry == nil {
		return fmt.Errorf("missing jti, sub or exp")
	}
	return nil
}
