package provider

import (
	"log/slog"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Lifetimes of the in-memory state. Short on purpose: the authorization code is exchanged by the
// gateway within seconds (RFC 6749 §4.1.2 recommends at most ten minutes; we use one).
const (
	authRequestTTL = 10 * time.Minute
	codeTTL        = time.Minute
	accessTokenTTL = 10 * time.Minute
	idTokenTTL     = 10 * time.Minute
	pruneInterval  = time.Minute
	// redeemedTTL keeps a redeemed code's request as a tombstone so that a replay within the
	// code's lifetime is recognised and the tokens issued for it are revoked (RFC 6749 §4.1.2).
	redeemedTTL = codeTTL
	// maxAuthRequests bounds the memory an unauthenticated flood of /authorize can take.
	maxAuthRequests = 10000
)

// authRequest is one pending sign-in: an authorization request accepted by zitadel, later
// completed by the login page, given a code and finally redeemed at the token endpoint. The store
// owns the stored copies; everything handed to zitadel is a snapshot (see store.snapshot), so no
// one reads a request while the store changes it.
type authRequest struct {
	id           string
	created      time.Time
	clientID     string
	redirectURI  string
	state        string
	nonce        string
	scopes       []string
	responseType oidc.ResponseType
	responseMode oidc.ResponseMode
	challenge    *oidc.CodeChallenge

	// Set by the login page once the user proved who they are.
	subject  string
	authTime time.Time
	done     bool
	amr      []string
	acr      string

	// Set when zitadel issues the code; one code per request.
	code        string
	codeExpires time.Time

	// Set when the code was exchanged for tokens.
	redeemed      bool
	redeemedUntil time.Time
	tokenID       string
}

var _ op.AuthRequest = (*authRequest)(nil)

// newAuthRequest copies what the rest of the flow needs out of a validated request.
func newAuthRequest(id string, req *oidc.AuthRequest, now time.Time) *authRequest {
	return &authRequest{
		id:           id,
		created:      now,
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		state:        req.State,
		nonce:        req.Nonce,
		scopes:       append([]string(nil), req.Scopes...),
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
		challenge: &oidc.CodeChallenge{
			Challenge: req.CodeChallenge,
			Method:    req.CodeChallengeMethod,
		},
	}
}

// expired reports whether the request can no longer be used for a sign-in or a code.
func (a *authRequest) expired(now time.Time) bool {
	if a.redeemed {
		return !now.Before(a.redeemedUntil)
	}
	if a.code != "" {
		return !now.Before(a.codeExpires)
	}
	return !now.Before(a.created.Add(authRequestTTL))
}

// GetID implements op.AuthRequest.
func (a *authRequest) GetID() string { return a.id }

// GetACR implements op.AuthRequest: the REFEDS profile the sign-in met (mfa or sfa).
func (a *authRequest) GetACR() string { return a.acr }

// GetAMR implements op.AuthRequest: the methods checked at sign-in (RFC 8176).
func (a *authRequest) GetAMR() []string { return a.amr }

// GetAudience implements op.AuthRequest: the tokens are for the client alone.
func (a *authRequest) GetAudience() []string { return []string{a.clientID} }

// GetAuthTime implements op.AuthRequest.
func (a *authRequest) GetAuthTime() time.Time { return a.authTime }

// GetClientID implements op.AuthRequest.
func (a *authRequest) GetClientID() string { return a.clientID }

// GetCodeChallenge implements op.AuthRequest; zitadel verifies the code_verifier against it.
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }

// GetNonce implements op.AuthRequest; zitadel copies it into the id_token.
func (a *authRequest) GetNonce() string { return a.nonce }

// GetRedirectURI implements op.AuthRequest.
func (a *authRequest) GetRedirectURI() string { return a.redirectURI }

// GetResponseType implements op.AuthRequest.
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.responseType }

// GetResponseMode implements op.AuthRequest.
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.responseMode }

// GetScopes implements op.AuthRequest.
func (a *authRequest) GetScopes() []string { return a.scopes }

// GetState implements op.AuthRequest.
func (a *authRequest) GetState() string { return a.state }

// GetSubject implements op.AuthRequest.
func (a *authRequest) GetSubject() string { return a.subject }

// Done implements op.AuthRequest: the user has signed in on the login page.
func (a *authRequest) Done() bool { return a.done }

// LogValue implements slog.LogValuer for zitadel's error logs; state, nonce and code stay out.
func (a *authRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", a.id),
		slog.String("client_id", a.clientID),
		slog.String("redirect_uri", a.redirectURI),
		slog.Any("scopes", a.scopes),
	)
}
