package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// accessToken is what an opaque access token (zitadel encrypts "<id>:<subject>") stands for;
// it is good for the userinfo endpoint only.
type accessToken struct {
	subject  string
	clientID string
	scopes   []string
	expires  time.Time
}

// errUnsupported answers every grant and feature the demo IdP does not offer.
var errUnsupported = oidc.ErrUnsupportedGrantType().WithDescription("only the authorization code grant is supported")

// CreateAccessToken implements op.Storage. zitadel calls it after the code, the client and the
// PKCE verifier were checked, which makes it the place where the code is redeemed.
func (s *store) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	ar, ok := req.(*authRequest)
	if !ok {
		return "", time.Time{}, errUnsupported
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.redeemLocked(ar.id)
	if err != nil {
		return "", time.Time{}, err
	}
	id, exp := newID(), s.now().Add(accessTokenTTL)
	s.tokens[id] = &accessToken{subject: a.subject, clientID: a.clientID, scopes: a.scopes, expires: exp}
	a.tokenID = id
	return id, exp, nil
}

// CreateAccessAndRefreshTokens implements op.Storage; refresh tokens are not offered (clients
// are not granted refresh_token, so zitadel does not call this for the code flow).
func (s *store) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errUnsupported
}

// TokenRequestByRefreshToken implements op.Storage; refresh tokens are not offered.
func (s *store) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errUnsupported
}

// GetRefreshTokenInfo implements op.Storage; there are no refresh tokens.
func (s *store) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// TerminateSession implements op.Storage (end_session): the user's access tokens for the client
// die. The demo keeps no login session, so there is nothing else to end.
func (s *store) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.subject == userID && t.clientID == clientID {
			delete(s.tokens, id)
		}
	}
	return nil
}

// RevokeToken implements op.Storage (RFC 7009): an unknown token is already revoked.
func (s *store) RevokeToken(_ context.Context, tokenID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok {
		return nil
	}
	if t.clientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
	}
	delete(s.tokens, tokenID)
	return nil
}

// SetUserinfoFromScopes implements op.Storage; zitadel asks for it to stay empty in favour of
// SetUserinfoFromRequest.
func (s *store) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest implements op.CanSetUserinfoFromRequest: the claims of the id_token.
// Because our clients answer IDTokenUserinfoClaimsAssertion with true, scopes still holds
// profile and email here, and fhirUser is never stripped (zitadel strips standard scopes only).
func (s *store) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	u, err := s.userBySubject(ctx, req.GetSubject())
	if err != nil {
		return err
	}
	setUserinfo(info, u, scopes)
	return nil
}

// SetUserinfoFromToken implements op.Storage: the userinfo endpoint.
func (s *store) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	if ok && (!s.now().Before(t.expires) || t.subject != subject) {
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		return errors.New("access token invalid or expired")
	}
	u, err := s.userBySubject(ctx, subject)
	if err != nil {
		return err
	}
	setUserinfo(info, u, t.scopes)
	return nil
}

// SetIntrospectionFromToken implements op.Storage; introspection is not offered, so every token
// reads as inactive.
func (s *store) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection is not supported")
}

// GetPrivateClaimsFromScopes implements op.Storage; access tokens are opaque, so there are no
// JWT access token claims.
func (s *store) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID implements op.Storage; the JWT profile grant and private_key_jwt are
// not offered, so no client key exists.
func (s *store) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errUnsupported
}

// ValidateJWTProfileScopes implements op.Storage; the JWT profile grant is not offered.
func (s *store) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errUnsupported
}

// GetClientByClientID implements op.Storage.
func (s *store) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := s.clients[id]
	if !ok {
		return nil, fmt.Errorf("client %q: %w", id, errNotFound)
	}
	return c, nil
}

// AuthorizeClientIDSecret implements op.Storage (client_secret_basic and client_secret_post).
func (s *store) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.clients[id]
	// Compare even for an unknown client so the answer takes the same time.
	match := secretsEqual(secret, c.secretOrEmpty())
	if !ok || !match {
		return errors.New("invalid client credentials")
	}
	return nil
}

// SigningKey implements op.Storage.
func (s *store) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

// SignatureAlgorithms implements op.Storage.
func (s *store) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet implements op.Storage: the public half of the signing key, served as JWKS.
func (s *store) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

// Health implements op.Storage; memory is always there.
func (s *store) Health(context.Context) error { return nil }
