package smart

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mypatients/gateway/scope"
)

// authRequest is a validated authorization request waiting for the user to log in.
type authRequest struct {
	ClientID      string   `json:"client_id"`
	RedirectURI   string   `json:"redirect_uri"`
	State         string   `json:"state,omitempty"`
	Scopes        []string `json:"scopes"`
	CodeChallenge string   `json:"code_challenge"`
	// Binding is the hash of the browser-binding cookie set when the request was made; the
	// login must finish in the same browser (RFC 9700 §4.7: no authorization request fixation).
	Binding string    `json:"binding"`
	Created time.Time `json:"created"`
}

const bindingCookie = "mp_login"

// handleAuthorize is the authorization endpoint (RFC 6749 §4.1.1, SMART App Launch
// app-launch.md "Obtain authorization code"). GET and POST carry the same parameters.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		showError(w, http.StatusBadRequest, "The authorization request could not be read.")
		return
	}
	q := r.Form
	// Until client and redirect URI are known good, errors are shown here and never
	// redirected: redirecting to an unchecked URI makes the gateway an open redirector.
	client, ok := s.clients[single(q, "client_id")]
	if !ok {
		showError(w, http.StatusBadRequest, "The app that sent you here is not registered with MyPatients.")
		return
	}
	redirectURI := single(q, "redirect_uri")
	if redirectURI == "" || !client.redirectAllowed(redirectURI) {
		showError(w, http.StatusBadRequest, "The app's redirect address is not registered with MyPatients.")
		return
	}
	state := single(q, "state")
	req, oerr := s.validateAuthorize(q, client)
	if oerr != nil {
		redirectError(w, r, redirectURI, state, oerr)
		return
	}
	req.RedirectURI, req.State, req.Created = redirectURI, state, s.opts.Now()

	binding := s.browserBinding(w, r)
	req.Binding = hashSecret(binding)
	id := newSecret()
	if err := s.opts.Store.PutJSON(r.Context(), authRequestKey(id), req, s.opts.LoginTTL); err != nil {
		s.log.ErrorContext(r.Context(), "store authorization request", "err", err)
		redirectError(w, r, redirectURI, state, &oauthError{code: errTemporarilyUnavailable, description: "try again later"})
		return
	}
	var choices []chooserIdP
	for _, pid := range s.idpOrder {
		u := url.URL{Path: "/login/" + pid, RawQuery: url.Values{"request": {id}}.Encode()}
		choices = append(choices, chooserIdP{Name: s.idps[pid].conf.Name, URL: u.String()})
	}
	name := client.Name
	if name == "" {
		name = client.ID
	}
	pageHeaders(w)
	_ = chooserPage.Execute(w, struct {
		Client string
		IdPs   []chooserIdP
	}{name, choices})
}

// validateAuthorize checks everything after client and redirect URI; its errors are
// redirected to the client.
func (s *Server) validateAuthorize(q url.Values, client Client) (authRequest, *oauthError) {
	invalid := func(desc string) (authRequest, *oauthError) {
		return authRequest{}, &oauthError{code: errInvalidRequest, description: desc}
	}
	for _, p := range []string{"response_type", "client_id", "redirect_uri", "state", "scope", "aud", "code_challenge", "code_challenge_method"} {
		if len(q[p]) > 1 {
			return invalid(p + " must not be repeated")
		}
	}
	if rt := q.Get("response_type"); rt != "code" {
		return authRequest{}, &oauthError{code: errUnsupportedResponseType, description: "only response_type=code is supported"}
	}
	if strings.TrimRight(q.Get("aud"), "/") != s.fhirBase {
		return invalid("aud must be this server's FHIR base URL, " + s.fhirBase)
	}
	// PKCE S256 is mandatory; "plain" and a missing method are refused (RFC 9700 §2.1.1).
	challenge := q.Get("code_challenge")
	if challenge == "" || q.Get("code_challenge_method") != "S256" {
		return invalid("PKCE is required: send code_challenge with code_challenge_method=S256")
	}
	if len(challenge) != 43 || strings.Trim(challenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return invalid("code_challenge must be a base64url SHA-256 digest")
	}
	granted := grantScopes(client, scope.Split(q.Get("scope")))
	if len(granted) == 0 {
		return authRequest{}, &oauthError{code: errInvalidScope, description: "no requested scope can be granted; request user/<Type>.rs or user/<Type>.read scopes"}
	}
	return authRequest{ClientID: client.ID, Scopes: granted, CodeChallenge: challenge}, nil
}

// grantScopes returns the scopes the gateway grants for a request: user-context resource
// scopes, reduced to their read permissions. Anything else is left out, and the token
// response's scope shows the narrowing. Patient-context and launch scopes need launch context
// and are not offered yet.
func grantScopes(client Client, requested []string) []string {
	var granted []string
	for _, s := range requested {
		if len(client.Scopes) > 0 && !slices.Contains(client.Scopes, s) {
			continue
		}
		r, ok, err := scope.ParseResource(s)
		if !ok || err != nil || r.Context != "user" {
			continue
		}
		if ro, ok := r.ReadOnly(); ok && !slices.Contains(granted, ro.String()) {
			granted = append(granted, ro.String())
		}
	}
	return granted
}

// browserBinding returns the browser's binding secret, setting the cookie if it has none.
func (s *Server) browserBinding(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(bindingCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	v := newSecret()
	http.SetCookie(w, &http.Cookie{
		Name: bindingCookie, Value: v, Path: "/login/",
		MaxAge: int(s.opts.LoginTTL.Seconds()), HttpOnly: true,
		Secure: strings.HasPrefix(s.opts.BaseURL, "https://"),
		// Lax: the cookie must come back on the IdP's top-level redirect to our callback.
		SameSite: http.SameSiteLaxMode,
	})
	return v
}

// single returns the only value of a parameter, or "" when it is absent or repeated.
func single(q url.Values, name string) string {
	if v := q[name]; len(v) == 1 {
		return v[0]
	}
	return ""
}

func authRequestKey(id string) string { return "smart:authreq:" + hashSecret(id) }
