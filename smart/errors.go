package smart

import (
	"net/http"
	"net/url"
)

// OAuth 2.0 error codes (RFC 6749 §4.1.2.1 and §5.2).
const (
	errInvalidRequest          = "invalid_request"
	errInvalidClient           = "invalid_client"
	errInvalidGrant            = "invalid_grant"
	errUnauthorizedClient      = "unauthorized_client"
	errUnsupportedGrantType    = "unsupported_grant_type"
	errUnsupportedResponseType = "unsupported_response_type"
	errInvalidScope            = "invalid_scope"
	errAccessDenied            = "access_denied"
	errServerError             = "server_error"
	errTemporarilyUnavailable  = "temporarily_unavailable"
	errSlowDown                = "slow_down"
)

// oauthError is an RFC 6749 error, written as JSON by the token endpoint or as redirect
// parameters by the authorize endpoint.
type oauthError struct {
	status      int
	code        string
	description string
	// reason is the Reason code an authorization error carries in ReasonParam, if any.
	reason string
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

// writeTokenError writes e as RFC 6749 §5.2 JSON.
func writeTokenError(w http.ResponseWriter, e *oauthError) {
	noStore(w.Header())
	if e.code == errInvalidClient {
		w.Header().Set("WWW-Authenticate", `Basic realm="mypatients"`)
	}
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.description})
}

// redirectError sends e back to the client's (already validated) redirect URI, with state, as
// RFC 6749 §4.1.2.1 says.
func redirectError(w http.ResponseWriter, r *http.Request, redirectURI, state string, e *oauthError) {
	q := url.Values{"error": {e.code}, "error_description": {e.description}}
	if e.reason != "" {
		q.Set(ReasonParam, e.reason)
	}
	if state != "" {
		q.Set("state", state)
	}
	redirectWithQuery(w, r, redirectURI, q)
}

// redirectWithQuery adds q to uri's query and answers 303 See Other: never 307, which would
// repeat a POSTed credential at the client (RFC 9700 §4.12).
func redirectWithQuery(w http.ResponseWriter, r *http.Request, uri string, q url.Values) {
	u, err := url.Parse(uri)
	if err != nil {
		showError(w, http.StatusBadRequest, "The app's redirect address is not valid.")
		return
	}
	merged := u.Query()
	for k, vs := range q {
		merged[k] = vs
	}
	u.RawQuery = merged.Encode()
	noStore(w.Header())
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

func noStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}
