package smart

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mypatients/gateway"
)

// ErrInvalidToken is returned by Authenticate for any token that must not be honoured. The
// reason is deliberately not told to the caller. It is gateway.ErrInvalidToken, so that
// consumers can tell it from a store fault without importing this package.
var ErrInvalidToken = gateway.ErrInvalidToken

// accessTokenType is the JWT "typ" of access tokens (RFC 9068), so that an ID token or any
// other JWT signed by the same key is never accepted as an access token.
const accessTokenType = "at+jwt"

// accessClaims are the claims of the gateway's JWT access tokens.
type accessClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	FHIRUser string `json:"fhirUser,omitempty"`
	IdP      string `json:"idp,omitempty"`
	Username string `json:"preferred_username,omitempty"`
	// Patient and Encounter are the launch context; patient/ scopes are confined to Patient.
	Patient   string `json:"patient,omitempty"`
	Encounter string `json:"encounter,omitempty"`
	// Backend marks a client_credentials token, which stands for no user.
	Backend bool `json:"backend,omitempty"`
	// Family names the token's refresh-token family by its key (the hash of the family's
	// secret, never the secret), so that Authenticate reads the token's record and its
	// family's in one round trip. The record must name the same family.
	Family string `json:"fam,omitempty"`
}

// tokenRecord is what the store keeps for an issued access token, under its jti. A token
// without its record is not honoured: deleting the record revokes the token at once.
type tokenRecord struct {
	Subject  string    `json:"sub"`
	ClientID string    `json:"client_id"`
	Expires  time.Time `json:"exp"`
	IssuedAt time.Time `json:"iat"`
	// Family is the grant's refresh-token family; deleting it revokes every token of the grant.
	Family   string         `json:"family,omitempty"`
	Scopes   []string       `json:"scopes,omitempty"`
	Context  *launchContext `json:"context,omitempty"`
	FHIRUser string         `json:"fhir_user,omitempty"`
	Backend  bool           `json:"backend,omitempty"`
	// Sponsor is a staff user's sponsor, captured at sign-in; never in the JWT itself.
	Sponsor string `json:"sponsor,omitempty"`
}

// tokenSigner signs and verifies access tokens with one RSA key.
type tokenSigner struct {
	verified verifiedTokens
	key      *rsa.PrivateKey
	kid      string
	issuer   string
	audience string
	signer   jose.Signer
	// idSigner signs id_tokens: same key, typ JWT.
	idSigner jose.Signer
}

func newTokenSigner(key *rsa.PrivateKey, issuer, audience string) (*tokenSigner, error) {
	if key.N.BitLen() < 2048 {
		return nil, fmt.Errorf("smart: signing key has %d bits, want at least 2048", key.N.BitLen())
	}
	pub := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.RS256), Use: "sig"}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("smart: key thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType(accessTokenType),
	)
	if err != nil {
		return nil, fmt.Errorf("smart: signer: %w", err)
	}
	idSigner, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("smart: id_token signer: %w", err)
	}
	return &tokenSigner{key: key, kid: kid, issuer: issuer, audience: audience, signer: signer, idSigner: idSigner}, nil
}

func (t *tokenSigner) jwks() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &t.key.PublicKey, KeyID: t.kid, Algorithm: string(jose.RS256), Use: "sig",
	}}}
}

func (t *tokenSigner) sign(c accessClaims) (string, error) {
	c.Issuer = t.issuer
	c.Audience = jwt.Audience{t.audience}
	s, err := jwt.Signed(t.signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("smart: sign access token: %w", err)
	}
	return s, nil
}

// verify checks signature, algorithm, key id, type, issuer, audience and lifetime.
func (t *tokenSigner) verify(raw string, now time.Time) (accessClaims, error) {
	var c accessClaims
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return c, fmt.Errorf("parse: %w", err)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID != t.kid ||
		!strings.EqualFold(fmt.Sprint(tok.Headers[0].ExtraHeaders[jose.HeaderType]), accessTokenType) {
		return c, errors.New("unexpected header")
	}
	if err := tok.Claims(&t.key.PublicKey, &c); err != nil {
		return c, fmt.Errorf("signature: %w", err)
	}
	return c, t.checkClaims(c, now)
}
