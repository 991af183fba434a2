package smart

import (
	"errors"
	"net/http"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/redisstore"
)

// handleIntrospect is RFC 7662 token introspection with SMART's additions
// (token-introspection.md): an active access token is described with its client, scope,
// expiry, user and every launch-context field; anything else is exactly {"active":false}.
// The caller authenticates as a confidential client, or with a bearer access token of ours
// (token-introspection.md: a protected endpoint SHALL accept a suitably scoped bearer token).
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	noStore(w.Header())
	if s.throttle(w, r) {
		return
	}
	if oerr := parseTokenForm(w, r); oerr != nil {
		writeTokenError(w, oerr)
		return
	}
	if oerr := s.introspectionCaller(r); oerr != nil {
		writeTokenError(w, oerr)
		return
	}
	raw := single(r.PostForm, "token")
	if raw == "" {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "token is required"})
		return
	}
	body, ok := s.describe(r, raw)
	if !ok {
		writeJSON(w, http.StatusOK, map[string]bool{"active": false})
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// introspectionCaller checks that the request may introspect: a bearer access token of ours,
// or a confidential client. A token that cannot be checked (the store is down) is a 503, as
// on every surface.
func (s *Server) introspectionCaller(r *http.Request) *oauthError {
	unauthorized := &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "authenticate as a confidential client or with a bearer token"}
	if bearer, err := gateway.BearerToken(r.Header); err == nil {
		_, err := s.Authenticate(r.Context(), bearer)
		switch {
		case errors.Is(err, gateway.ErrInvalidToken):
			return unauthorized
		case err != nil:
			s.log.ErrorContext(r.Context(), "check the bearer token of an introspection", "err", err)
			return &oauthError{status: http.StatusServiceUnavailable, code: errTemporarilyUnavailable, description: "try again later"}
		}
		return nil
	}
	if c, oerr := s.authenticateClient(r); oerr != nil || c.Public {
		return unauthorized
	}
	return nil
}

// describe returns the introspection answer for an active access token.
func (s *Server) describe(r *http.Request, raw string) (map[string]any, bool) {
	caller, err := s.Authenticate(r.Context(), raw)
	if err != nil {
		return nil, false
	}
	claims, err := s.signer.verify(raw, s.now())
	if err != nil {
		return nil, false
	}
	var rec tokenRecord
	if err := redisstore.GetJSON(r.Context(), s.rdb, s.tokenKey(claims.ID), &rec); err != nil {
		return nil, false
	}
	body := map[string]any{
		"active":     true,
		"client_id":  caller.ClientID,
		"scope":      claims.Scope,
		"exp":        claims.Expiry.Time().Unix(),
		"iat":        rec.IssuedAt.Unix(),
		"token_type": "Bearer",
		"iss":        s.baseURL,
		"sub":        claims.Subject,
		"aud":        s.fhirBase,
	}
	if caller.Username != "" {
		body["username"] = caller.Username
	}
	if caller.FHIRUser != "" {
		body["fhirUser"] = caller.FHIRUser
	}
	if rec.Context != nil {
		s.addContext(body, rec.Context)
	}
	return body, true
}
