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
// (token-introspection.md: a protected endpoint SHALL accept a suitably scoped bearer token),
// and learns only about tokens issued to itself, unless its registration marks it a resource
// server: anyone else's token is {"active":false}, as RFC 7662 §2.2 allows.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	noStore(w.Header())
	if s.throttle(w, r) {
		return
	}
	if oerr := parseTokenForm(w, r); oerr != nil {
		writeTokenError(w, oerr)
		return
	}
	caller, oerr := s.introspectionCaller(r)
	if oerr != nil {
		writeTokenError(w, oerr)
		return
	}
	raw := single(r.PostForm, "token")
	if raw == "" {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "token is required"})
		return
	}
	body, ok := s.describe(r, raw, caller)
	if !ok {
		writeJSON(w, http.StatusOK, map[string]bool{"active": false})
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// introspectionCaller checks that the request may introspect: a bearer access token of ours,
// or a confidential client. A token that cannot be checked (the store is down) is a 503, as
// on every surface.
func (s *Server) introspectionCaller(r *http.Request) (Client, *oauthError) {
	if _, err := gateway.BearerToken(r.Header); err == nil {
		c, err := gateway.Authenticate(r.Context(), s.Tokens, r.Header)
		switch {
		case errors.Is(err, gateway.ErrInvalidToken):
			return Client{}, errClientAuth
		case err != nil:
			s.log.ErrorContext(r.Context(), "check the bearer token of an introspection", "err", err)
			return Client{}, &oauthError{status: http.StatusServiceUnavailable, code: errTemporarilyUnavailable, description: "try again later"}
		}
		return s.clients[c.ClientID], nil
	}
	c, oerr := s.authenticateClient(r)
	if oerr != nil {
		return Client{}, oerr
	}
	if c.Public {
		return Client{}, errClientAuth // a client_id alone proves nothing
	}
	return c, nil
}

// describe returns the introspection answer for an active access token that asker may learn
// about: its own, or any when it is a resource server.
func (s *Server) describe(r *http.Request, raw string, asker Client) (map[string]any, bool) {
	caller, err := s.Authenticate(r.Context(), raw)
	if err != nil || asker.ID == "" || (caller.ClientID != asker.ID && !asker.ResourceServer) {
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
