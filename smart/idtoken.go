package smart

import (
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// idTokenClaims are the claims of the id_token the gateway mints for the app (SMART
// scopes-and-launch-context.md §"Scopes for requesting identity data", OpenID Connect Core
// §2). It is the gateway's own statement about the user, never the IdP's token passed on.
type idTokenClaims struct {
	jwt.Claims
	Nonce    string           `json:"nonce,omitempty"`
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
	FHIRUser string           `json:"fhirUser,omitempty"`
	Username string           `json:"preferred_username,omitempty"`
}

// idToken signs an id_token for g: iss is the issuer of the discovery documents, aud the
// client, sub the gateway user id; fhirUser only when the fhirUser scope was granted.
func (s *Server) idToken(g grant, ttl time.Duration) (string, error) {
	now := s.now()
	c := idTokenClaims{
		Claims: jwt.Claims{
			Issuer: s.baseURL, Subject: g.User.Subject, Audience: jwt.Audience{g.ClientID},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(ttl)),
		},
		Nonce: g.Nonce, Username: g.User.Username,
	}
	if !g.AuthTime.IsZero() {
		c.AuthTime = jwt.NewNumericDate(g.AuthTime)
	}
	if g.has("fhirUser") {
		c.FHIRUser = g.User.FHIRUser
	}
	raw, err := jwt.Signed(s.signer.idSigner).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("smart: sign id_token: %w", err)
	}
	return raw, nil
}
