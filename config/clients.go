package config

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Client authentication methods at the token endpoint (RFC 7591 §2 names).
const (
	AuthNone              = "none"
	AuthClientSecretBasic = "client_secret_basic"
	AuthPrivateKeyJWT     = "private_key_jwt"
)

// Grant types a client may be allowed.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// complete derives the authentication method and grant types a client left empty.
func (c *Client) complete() {
	if c.TokenEndpointAuthMethod == "" {
		switch {
		case c.Type == "public":
			c.TokenEndpointAuthMethod = AuthNone
		case c.JWKS != nil || c.JWKSURL != "":
			c.TokenEndpointAuthMethod = AuthPrivateKeyJWT
		default:
			c.TokenEndpointAuthMethod = AuthClientSecretBasic
		}
	}
	switch {
	case len(c.GrantTypes) > 0:
	case c.LaunchCreator:
		c.GrantTypes = []string{} // an EHR, not an app: it gets no tokens
	default:
		c.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
	}
}

// usesAuthorize reports whether the client goes through the authorize endpoint and so needs
// redirect URIs.
func (c Client) usesAuthorize() bool { return slices.Contains(c.GrantTypes, GrantAuthorizationCode) }

// JWKSJSON returns the inline key set as JSON, or nil when there is none.
func (c Client) JWKSJSON() []byte {
	if c.JWKS == nil {
		return nil
	}
	b, err := json.Marshal(c.JWKS)
	if err != nil {
		return nil // validateAuth reports it
	}
	return b
}

// validateAuth checks that a client's type, credentials, grant types and launch permission
// fit together: the SMART client profiles allow no other combination.
func (c Client) validateAuth(where string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(where+": "+format, args...)) }
	switch c.TokenEndpointAuthMethod {
	case AuthNone:
		if c.Type != "public" {
			bad("token_endpoint_auth_method none is for public clients")
		}
	case AuthClientSecretBasic:
		if c.Type != "confidential" || !hexSHA256.MatchString(c.SecretSHA256) {
			bad("a confidential client needs secret_sha256 (64 lowercase hex digits)")
		}
	case AuthPrivateKeyJWT:
		if c.Type != "confidential" {
			bad("private_key_jwt is for confidential clients")
		}
		if (c.JWKS == nil) == (c.JWKSURL == "") {
			bad("a private_key_jwt client needs exactly one of jwks and jwks_url")
		}
		if c.JWKSURL != "" {
			if err := checkHTTPURL(c.JWKSURL); err != nil {
				bad("jwks_url: %v", err)
			}
		}
		if c.JWKS != nil {
			if _, err := json.Marshal(c.JWKS); err != nil {
				bad("jwks: %v", err)
			}
		}
	default:
		bad("token_endpoint_auth_method must be none, client_secret_basic or private_key_jwt")
	}
	if c.Type == "public" && c.SecretSHA256 != "" {
		bad("a public client has no secret")
	}
	if c.Type != "public" && c.Type != "confidential" {
		return errs // reported by the caller
	}
	for _, g := range c.GrantTypes {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken:
		case GrantClientCredentials:
			// SMART Backend Services: asymmetric authentication only (backend-services.md).
			if c.TokenEndpointAuthMethod != AuthPrivateKeyJWT {
				bad("grant type client_credentials needs token_endpoint_auth_method private_key_jwt")
			}
		default:
			bad("grant type %q: want authorization_code, refresh_token or client_credentials", g)
		}
	}
	if c.LaunchCreator && c.TokenEndpointAuthMethod != AuthClientSecretBasic {
		bad("launch_creator needs a confidential client with secret_sha256 (it authenticates with HTTP Basic)")
	}
	return errs
}
