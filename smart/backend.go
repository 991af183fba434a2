package smart

import (
	"net/http"
	"slices"

	"github.com/mypatients/gateway/smart/scope"
)

// clientCredentials is the SMART Backend Services grant (backend-services.md, RFC 6749
// §4.4): an asymmetric client, already authenticated by its assertion, asks for system/
// scopes. It is granted only the read-only form of scopes its registration lists, and no
// refresh token (backend-services.md: the client simply asks again).
func (s *Server) clientCredentials(w http.ResponseWriter, r *http.Request, client Client) {
	if !client.asymmetric() {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errUnauthorizedClient, description: "backend services authenticate with private_key_jwt"})
		return
	}
	requested := scope.Split(single(r.PostForm, "scope"))
	if len(requested) == 0 {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidScope, description: "scope is required"})
		return
	}
	var granted []string
	for _, sc := range requested {
		res, ok, err := scope.ParseResource(sc)
		if !ok || err != nil || res.Context != "system" || !slices.Contains(client.Scopes, sc) {
			continue
		}
		if ro, ok := res.ReadOnly(); ok && !slices.Contains(granted, ro.String()) {
			granted = append(granted, ro.String())
		}
	}
	if len(granted) == 0 {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidScope, description: "none of the requested scopes is registered for this client; backend services get system/ read scopes only"})
		return
	}
	g := grant{ClientID: client.ID, Scopes: granted, Backend: true}
	at, err := s.issueAccessToken(r.Context(), g, granted, "", s.opts.BackendTokenTTL)
	if err != nil {
		s.storeFault(w, r, "issue backend access token", err)
		return
	}
	noStore(w.Header())
	writeJSON(w, http.StatusOK, s.tokenResponse(at, granted, nil))
}
