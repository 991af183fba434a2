package provider

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// client is a registered relying party as zitadel sees it (op.Client): a confidential web
// application allowed the code flow only, with exact redirect_uri matching.
type client struct {
	id           string
	secret       string
	redirectURIs []string
	loginURL     string // the login page's absolute URL, without query
}

var _ op.Client = (*client)(nil)

func newClients(issuer string, cfg []Client) map[string]*client {
	login := issuerBase(issuer) + loginPath
	m := make(map[string]*client, len(cfg))
	for _, c := range cfg {
		m[c.ID] = &client{
			id:           c.ID,
			secret:       c.Secret,
			redirectURIs: slices.Clone(c.RedirectURIs),
			loginURL:     login,
		}
	}
	return m
}

// issuerBase is the issuer without a trailing slash.
func issuerBase(issuer string) string { return strings.TrimRight(issuer, "/") }

// secretOrEmpty is nil-safe so a lookup miss can still be compared in constant time.
func (c *client) secretOrEmpty() string {
	if c == nil {
		return ""
	}
	return c.secret
}

// secretsEqual compares two secrets in constant time. Hashing both first makes the comparison
// independent of their lengths too.
func secretsEqual(given, want string) bool {
	g, w := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// GetID implements op.Client.
func (c *client) GetID() string { return c.id }

// RedirectURIs implements op.Client; zitadel requires an exact string match against these (we
// do not implement op.HasRedirectGlobs, and a web client gets no loopback port leniency).
func (c *client) RedirectURIs() []string { return c.redirectURIs }

// PostLogoutRedirectURIs implements op.Client: the redirect URIs double as logout targets.
func (c *client) PostLogoutRedirectURIs() []string { return c.redirectURIs }

// ApplicationType implements op.Client: a confidential web client, which is what lets zitadel
// accept an http:// redirect URI for the code flow on the loopback demo.
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }

// AuthMethod implements op.Client. zitadel accepts the secret from the Basic header or the form
// body for a client_secret_basic client, so both methods work.
func (c *client) AuthMethod() oidc.AuthMethod { return oidc.AuthMethodBasic }

// ResponseTypes implements op.Client: the code flow only.
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

// GrantTypes implements op.Client: no refresh_token, no client_credentials.
func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode}
}

// LoginURL implements op.Client: where zitadel sends the browser to sign in.
func (c *client) LoginURL(authRequestID string) string {
	return c.loginURL + "?" + url.Values{"authRequestID": {authRequestID}}.Encode()
}

// AccessTokenType implements op.Client: opaque tokens, good for userinfo only.
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }

// IDTokenLifetime implements op.Client.
func (c *client) IDTokenLifetime() time.Duration { return idTokenTTL }

// DevMode implements op.Client; dev mode would relax redirect URI checks, so it stays off.
func (c *client) DevMode() bool { return false }

// RestrictAdditionalIdTokenScopes implements op.Client: no restriction.
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

// RestrictAdditionalAccessTokenScopes implements op.Client: no restriction.
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

// IsScopeAllowed implements op.Client: besides the standard OIDC scopes, which zitadel always
// keeps, only fhirUser survives validation.
func (c *client) IsScopeAllowed(scope string) bool { return scope == fhirUserScope }

// IDTokenUserinfoClaimsAssertion implements op.Client. true puts the profile and email claims
// into the id_token even though an access token is issued too (OIDC Core §5.4 would otherwise
// leave them to userinfo); the gateway reads identity from the id_token alone.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }

// ClockSkew implements op.Client.
func (c *client) ClockSkew() time.Duration { return 0 }

// signingKey is the IdP's RS256 key; it implements op.SigningKey.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

// newSigningKey wraps the configured RSA key; its key id is its RFC 7638 thumbprint, the
// same on every replica.
func newSigningKey(k *rsa.PrivateKey) *signingKey {
	jwk := jose.JSONWebKey{Key: &k.PublicKey}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		panic(err) // an RSA public key always has a thumbprint
	}
	return &signingKey{id: base64.RawURLEncoding.EncodeToString(sum), key: k}
}

// SignatureAlgorithm implements op.SigningKey.
func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }

// Key implements op.SigningKey.
func (k *signingKey) Key() any { return k.key }

// ID implements op.SigningKey.
func (k *signingKey) ID() string { return k.id }

// publicKey is the public half of a signingKey as published in the JWKS (op.Key).
type publicKey struct{ k *signingKey }

// ID implements op.Key.
func (p publicKey) ID() string { return p.k.id }

// Algorithm implements op.Key.
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }

// Use implements op.Key.
func (p publicKey) Use() string { return "sig" }

// Key implements op.Key.
func (p publicKey) Key() any { return &p.k.key.PublicKey }
