package smart

import (
	"net/http"
	"strings"

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
	if !s.introspectionCaller(r) {
		writeTokenError(w, &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "authenticate as a confidential client or with a bearer token"})
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

// introspectionCaller reports whether the request may introspect.
func (s *Server) introspectionCaller(r *http.Request) bool {
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		_, err := s.Authenticate(r.Context(), strings.TrimSpace(bearer))
		return err == nil
	}
	c, oerr := s.authenticateClient(r)
	return oerr == nil && !c.Public
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
