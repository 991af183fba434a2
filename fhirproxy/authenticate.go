package fhirproxy

import (
	"context"
	"errors"
	"net/http"

	"github.com/mypatients/gateway"
)

// Authenticator verifies a bearer access token: gateway.Authenticator. An error wrapping
// gateway.ErrInvalidToken means the token must not be honoured (401, sign in again); any other
// error means it could not be checked (503, try again). The error's text is logged, never
// shown.
type Authenticator = gateway.Authenticator

// authenticate is the first step: gateway.Authenticate, the one authentication step of every
// API surface, takes the bearer token from the Authorization header (never the query or the
// body) and returns the caller it stands for.
func (h *Handler) authenticate(ctx context.Context, header http.Header) (gateway.Caller, *refusal) {
	caller, err := gateway.Authenticate(ctx, h.authn, header)
	switch {
	case errors.Is(err, gateway.ErrNoToken):
		return gateway.Caller{}, &refusal{Status: http.StatusUnauthorized, Code: codeLogin,
			Reason: reasonUnauthenticated, Diagnostics: "A bearer access token is required."}
	case errors.Is(err, gateway.ErrInvalidToken):
		return gateway.Caller{}, &refusal{Status: http.StatusUnauthorized, Code: codeLogin,
			Reason: reasonInvalidToken, Diagnostics: "The access token is invalid or expired.", Err: err}
	case err != nil:
		// The token could not be checked (its store is down): fail closed, but tell the app to
		// retry rather than to send the clinician through sign-in again.
		return gateway.Caller{}, &refusal{Status: http.StatusServiceUnavailable, Code: codeTransient,
			Reason: reasonAuthnError, Err: err,
			Diagnostics: "Your sign-in could not be checked right now; no data was released. Try again shortly."}
	}
	return caller, nil
}
