package smart

import (
	"errors"
	"net/http"
	"strings"
)

// signedIn tells Options.SignIns of the sign-in and reports whether it may go on; when not,
// the app has been told (access_denied with the reason, or temporarily_unavailable).
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, req authRequest, user loggedInUser) bool {
	if s.opts.SignIns == nil {
		return true
	}
	err := s.opts.SignIns.SignedIn(r.Context(), SignIn{IdP: user.IdP, User: user.Subject, Username: user.Username,
		Name: user.Name, Email: user.Email, FHIRUser: user.FHIRUser, ACR: user.ACR, AMR: user.AMR,
		Client: req.ClientID, Source: s.opts.Proxies.Addr(r)})
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrSignInRefused):
		msg := strings.TrimSuffix(strings.TrimSuffix(err.Error(), ErrSignInRefused.Error()), ": ")
		showError(w, http.StatusForbidden, msg)
	default:
		s.log.ErrorContext(r.Context(), "record the sign-in", "idp", user.IdP, "err", err)
		redirectError(w, r, req.RedirectURI, req.State, &oauthError{code: errTemporarilyUnavailable, description: "try again later"})
	}
	return false
}
