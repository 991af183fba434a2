package smart

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/smart/scope"
	"github.com/mypatients/gateway/web"
)

// authRequest is a validated authorization request waiting for the user to log in.
type authRequest struct {
	ClientID      string   `json:"client_id"`
	RedirectURI   string   `json:"redirect_uri"`
	State         string   `json:"state,omitempty"`
	Scopes        []string `json:"scopes"`
	CodeChallenge string   `json:"code_challenge"`
	// Nonce is the app's OpenID Connect nonce, for its id_token.
	Nonce string `json:"nonce,omitempty"`
	// Launch is the EHR launch context the request redeemed, if any.
	Launch *launchRecord `json:"launch,omitempty"`
	// NeedPicker asks for the standalone patient picker after login.
	NeedPicker bool `json:"need_picker,omitempty"`
	// Binding is the hash of the browser-binding cookie set when the request was made; the
	// login must finish in the same browser (RFC 9700 §4.7: no authorization request fixation).
	Binding string    `json:"binding"`
	Created time.Time `json:"created"`
}

const bindingCookie = "mp_login"

// handleAuthorize is the authorization endpoint (RFC 6749 §4.1.1, SMART App Launch
// app-launch.md "Obtain authorization code"). GET and POST carry the same parameters.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAuthorizeBytes)
	if err := r.ParseForm(); err != nil || len(r.URL.RawQuery) > maxAuthorizeBytes || !withinSizes(r.Form) {
		showError(w, http.StatusBadRequest, "The authorization request could not be read, or it is too large.")
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
	req, oerr := s.validateAuthorize(r.Context(), q, client)
	if oerr != nil {
		redirectError(w, r, redirectURI, state, oerr)
		return
	}
	req.RedirectURI, req.State, req.Created = redirectURI, state, s.now()
	// Every request is kept until it expires, so their creation is limited per address.
	if n, err := s.authorizeLimit.Take(r.Context(), s.opts.Proxies.Addr(r)); err != nil || !n.Allowed {
		if err != nil {
			s.log.ErrorContext(r.Context(), "count authorization requests", "err", err)
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(n.RetryAfter.Seconds())+1))
		showError(w, http.StatusTooManyRequests, "Too many sign-ins were started from your network just now. Wait a minute, then try again.")
		return
	}

	binding := s.browserBinding(w, r)
	req.Binding = hashSecret(binding)
	id := newSecret()
	if err := redisstore.PutJSON(r.Context(), s.rdb, s.authRequestKey(id), req, s.opts.LoginTTL); err != nil {
		s.log.ErrorContext(r.Context(), "store authorization request", "err", err)
		redirectError(w, r, redirectURI, state, &oauthError{code: errTemporarilyUnavailable, description: "try again later"})
		return
	}
	// idp_hint names the sign-in the user already chose on the app's own page (the portal's
	// two ways in): the chooser is skipped. Anything else shows the chooser.
	if hint := single(q, "idp_hint"); s.idps[hint] != nil {
		noStore(w.Header())
		http.Redirect(w, r, (&url.URL{Path: "/login/" + hint, RawQuery: url.Values{"request": {id}}.Encode()}).String(), http.StatusSeeOther)
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
	web.Write(w, http.StatusOK, chooserPage, struct {
		Client string
		IdPs   []chooserIdP
	}{name, choices})
}

// validateAuthorize checks everything after client and redirect URI; its errors are
// redirected to the client.
func (s *Server) validateAuthorize(ctx context.Context, q url.Values, client Client) (authRequest, *oauthError) {
	invalid := func(desc string) (authRequest, *oauthError) {
		return authRequest{}, &oauthError{code: errInvalidRequest, description: desc}
	}
	for _, p := range []string{"response_type", "client_id", "redirect_uri", "state", "scope", "aud", "code_challenge", "code_challenge_method", "launch", "nonce", "idp_hint"} {
		if len(q[p]) > 1 {
			return invalid(p + " must not be repeated")
		}
	}
	if rt := q.Get("response_type"); rt != "code" {
		return authRequest{}, &oauthError{code: errUnsupportedResponseType, description: "only response_type=code is supported"}
	}
	aud := q.Get("aud")
	if aud == "" {
		aud = q.Get("resource") // RFC 8707: accepted as a synonym (SMART app-launch.md)
	}
	if strings.TrimRight(aud, "/") != s.fhirBase {
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
	requested := scope.Split(q.Get("scope"))
	req := authRequest{ClientID: client.ID, CodeChallenge: challenge, Nonce: q.Get("nonce")}
	// EHR launch (app-launch.md §"EHR launch"): the launch value must be one we issued, live
	// and unused; it is consumed here, and the launch scope is what asks for its context.
	if launch := q.Get("launch"); launch != "" {
		if !slices.Contains(requested, "launch") {
			return invalid("an EHR launch needs the launch scope")
		}
		var rec launchRecord
		if err := redisstore.TakeJSON(ctx, s.rdb, s.launchKey(launch), &rec); err != nil {
			return invalid("the launch is unknown, expired or already used")
		}
		if rec.ClientID != "" && rec.ClientID != client.ID {
			return invalid("the launch was created for another app")
		}
		req.Launch = &rec
	}
	req.Scopes = s.offerScopes(client, requested, req.Launch != nil)
	if !grantable(req.Scopes) {
		return authRequest{}, &oauthError{code: errInvalidScope, description: "no requested scope can be granted; request patient/ or user/ read scopes"}
	}
	req.NeedPicker = req.Launch == nil && (slices.Contains(req.Scopes, "launch/patient") || hasPatientScope(req.Scopes))
	if req.NeedPicker && s.opts.Patients == nil {
		return authRequest{}, &oauthError{code: errInvalidScope, description: "standalone patient launch is not available"}
	}
	return req, nil
}

// Sizes of the authorization request: generous for every real app, far below what would let
// an anonymous caller park megabytes in Redis for the login's lifetime.
const (
	maxAuthorizeBytes = 8 << 10
	maxParamBytes     = 1 << 10 // state, nonce, launch, ...
	maxLongParamBytes = 2 << 10 // scope, redirect_uri
	maxParams         = 32
)

// withinSizes reports whether every parameter of an authorization request is of a bounded
// size and number.
func withinSizes(q url.Values) bool {
	if len(q) > maxParams {
		return false
	}
	for name, vs := range q {
		limit := maxParamBytes
		if name == "scope" || name == "redirect_uri" {
			limit = maxLongParamBytes
		}
		for _, v := range vs {
			if len(v) > limit || len(vs) > 4 {
				return false
			}
		}
	}
	return true
}

// browserBinding mints a fresh binding secret for this authorization request and sets its
// cookie. A cookie the browser already has is never adopted: its value may have been chosen
// by someone else (login fixation); only a value the gateway minted binds a login.
func (s *Server) browserBinding(w http.ResponseWriter, r *http.Request) string {
	v := newSecret()
	http.SetCookie(w, &http.Cookie{
		Name: bindingCookie, Value: v, Path: "/login/",
		MaxAge: int(s.opts.LoginTTL.Seconds()), HttpOnly: true,
		Secure: strings.HasPrefix(s.baseURL, "https://"),
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
