package gateway

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
)

// The first-party scopes: the clinician's actions on the gateway's own /api, beside the SMART
// resource scopes of /fhir. Only clients registered as first party may be granted them; a
// third-party app that asks for them has them dropped without a word.
const (
	// ScopeAccessManage is the clinician's access actions: redeem an invitation ("Validate a
	// Token"), file and list their own access requests, look a patient up for the "not
	// authorized" notice.
	ScopeAccessManage = "mypatients/access.manage"
	// ScopeStaffManage is a sponsor's staff management: list, create, re-send a set-up link,
	// suspend, reinstate, remove.
	ScopeStaffManage = "mypatients/staff.manage"
)

// FirstPartyScopes are every first-party scope, in the order discovery lists them.
var FirstPartyScopes = []string{ScopeAccessManage, ScopeStaffManage}

// IsFirstPartyScope reports whether s is in the gateway's own "mypatients/" namespace. A
// scope there that is not one of FirstPartyScopes is granted to nobody.
func IsFirstPartyScope(s string) bool { return strings.HasPrefix(s, "mypatients/") }

// HasScope reports whether the caller's token was granted scope s exactly.
func (c Caller) HasScope(s string) bool { return slices.Contains(c.Scopes, s) }

// ErrInsufficientScope is what an error wraps when a valid token lacks the scope a route
// needs (RFC 6750 §3.1: 403 insufficient_scope).
var ErrInsufficientScope = errors.New("insufficient scope")

// Authenticator verifies a gateway access token (smart.Tokens). An error wrapping
// ErrInvalidToken means the token must not be honoured; any other error means it could not be
// checked.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (Caller, error)
}

// Authenticate is the one authentication step of every API surface (/fhir, /api,
// /api/portal): the bearer token of h (BearerToken's rules) verified by a. Its error is
// ErrNoToken, one wrapping ErrInvalidToken (401), or any other error: the token could not be
// checked (503, try again).
func Authenticate(ctx context.Context, a Authenticator, h http.Header) (Caller, error) {
	bearer, err := BearerToken(h)
	if err != nil {
		return Caller{}, err
	}
	return a.Authenticate(ctx, bearer)
}

type clientAddrKey struct{}

// WithClientAddr returns ctx carrying addr, the request's client address as the gateway
// trusts it (limits.Proxies decides), for the audit records and limits of that request.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddr returns the client address WithClientAddr put in ctx, or "".
func ClientAddr(ctx context.Context) string {
	s, _ := ctx.Value(clientAddrKey{}).(string)
	return s
}
