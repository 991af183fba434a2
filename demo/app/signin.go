package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// handleLogin starts a standalone launch (SMART App Launch 2.2, app-launch.md): a fresh state
// and PKCE verifier are kept in the browser's session and the browser goes to the gateway's
// authorization endpoint. The aud parameter names the FHIR server the token is for, so a
// token obtained here cannot be replayed against another server.
func (a *app) handleLogin(w http.ResponseWriter, r *http.Request) {
	ep, err := a.disc.get(r.Context())
	if err != nil {
		a.log.WarnContext(r.Context(), "gateway discovery failed", "err", err)
		a.showMessage(w, http.StatusServiceUnavailable, "The gateway is not answering yet",
			"The app could not read the gateway's SMART configuration at "+a.opts.GatewayBase+
				"/.well-known/smart-configuration. If `go run ./cmd/mypatients` has just started, wait a moment and try again.")
		return
	}
	id, _, _ := a.sessions.get(r)
	p := &pending{State: randomString(), Verifier: oauth2.GenerateVerifier(), Started: a.sessions.now()}
	// Starting a sign-in drops any earlier token: the session is for one user at a time.
	a.sessions.put(w, id, session{Pending: p}, a.secure)
	target := a.oauthConfig(ep).AuthCodeURL(p.State,
		oauth2.S256ChallengeOption(p.Verifier),
		oauth2.SetAuthURLParam("aud", a.fhirBase),
	)
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// handleCallback is the redirect URI (RFC 6749 §4.1.2). The state must match the one this
// browser's session sent, whether the answer is a code or an error (RFC 6749 §10.12: a
// response the browser did not ask for is refused, code and text alike).
func (a *app) handleCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, _, ok := a.sessions.get(r)
	var p *pending
	if ok {
		p = a.sessions.takePending(id)
	}
	if p == nil {
		a.showMessage(w, http.StatusBadRequest, "Sign-in not recognised",
			"This browser has no sign-in in progress (it may have expired, or been finished already). Start again from the home page.")
		return
	}
	if state := q.Get("state"); len(q["state"]) != 1 || subtle.ConstantTimeCompare([]byte(state), []byte(p.State)) != 1 {
		a.log.WarnContext(r.Context(), "callback with a state this session did not send")
		a.showMessage(w, http.StatusBadRequest, "Sign-in refused",
			"The answer did not carry the state value this browser sent, so it may not be the answer to your sign-in. Start again from the home page.")
		return
	}
	if e := q.Get("error"); e != "" {
		msg := "The gateway answered: " + e
		if d := q.Get("error_description"); d != "" {
			msg += ": " + d
		}
		a.showMessage(w, http.StatusOK, "Sign-in did not complete", msg)
		return
	}
	code := q.Get("code")
	if code == "" {
		a.showMessage(w, http.StatusBadRequest, "Sign-in refused", "The answer carried neither a code nor an error.")
		return
	}
	tok, err := a.exchange(r.Context(), code, p.Verifier)
	if err != nil {
		a.log.WarnContext(r.Context(), "token exchange failed", "err", err)
		a.showMessage(w, http.StatusBadGateway, "Sign-in failed", "The gateway did not exchange the code for a token: "+describeTokenError(err))
		return
	}
	scope, _ := tok.Extra("scope").(string)
	a.sessions.put(w, id, session{Token: tok.AccessToken, Expiry: tok.Expiry, Scope: scope}, a.secure)
	a.log.InfoContext(r.Context(), "signed in", "scope", scope, "expiry", tok.Expiry)
	http.Redirect(w, r, "/patients", http.StatusSeeOther)
}

// exchange redeems the code with the PKCE verifier (RFC 7636 §4.5).
func (a *app) exchange(ctx context.Context, code, verifier string) (*oauth2.Token, error) {
	ep, err := a.disc.get(ctx)
	if err != nil {
		return nil, err
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, a.http)
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tok, err := a.oauthConfig(ep).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, err
	}
	if tok.AccessToken == "" || (tok.TokenType != "" && !tokenTypeBearer(tok.TokenType)) {
		return nil, errors.New("the token response carried no bearer access token")
	}
	return tok, nil
}

func tokenTypeBearer(t string) bool { return strings.EqualFold(t, "Bearer") }

// describeTokenError turns an oauth2 error into one line for the page: the OAuth error code
// and description when the server sent them, otherwise the error itself.
func describeTokenError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		if re.ErrorDescription != "" {
			return re.ErrorCode + ": " + re.ErrorDescription
		}
		return re.ErrorCode
	}
	return err.Error()
}

// handleLogout forgets the session. The gateway's token is not revoked (it has no revocation
// endpoint yet); it simply expires.
func (a *app) handleLogout(w http.ResponseWriter, r *http.Request) {
	id, _, _ := a.sessions.get(r)
	a.sessions.forget(w, id, a.secure)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
