package smart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/smart/identity"
	"github.com/mypatients/gateway/web"
)

// idp is one upstream OpenID Provider, discovered on first use.
type idp struct {
	conf        IdP
	redirectURL string
	httpClient  *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
}

// client returns the OAuth 2.0 configuration and ID-token verifier for the provider,
// discovering it if needed. A failed discovery is retried on the next login.
func (p *idp) client(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider == nil {
		prov, err := oidc.NewProvider(oidc.ClientContext(ctx, p.httpClient), p.conf.Issuer)
		if err != nil {
			return nil, nil, fmt.Errorf("smart: discover %s: %w", p.conf.ID, err)
		}
		p.provider = prov
	}
	cfg := &oauth2.Config{
		ClientID:     p.conf.ClientID,
		ClientSecret: p.conf.ClientSecret,
		Endpoint:     p.provider.Endpoint(),
		RedirectURL:  p.redirectURL,
		Scopes:       p.conf.Scopes,
	}
	// go-oidc checks the issuer, audience, expiry and signature; we check the nonce.
	return cfg, p.provider.Verifier(&oidc.Config{ClientID: p.conf.ClientID}), nil
}

// loginFlow is a login in progress at one IdP, keyed by the hash of its state.
type loginFlow struct {
	IdP       string `json:"idp"`
	RequestID string `json:"request_id"`
	Nonce     string `json:"nonce"`
	Verifier  string `json:"verifier"`
	Binding   string `json:"binding"`
}

// handleLoginStart sends the browser to the chosen identity provider, with a state, nonce
// and PKCE verifier of the gateway's own (RFC 9700 §2.1).
func (s *Server) handleLoginStart(w http.ResponseWriter, r *http.Request) {
	p, ok := s.idps[r.PathValue("idp")]
	if !ok {
		showError(w, http.StatusNotFound, "There is no such sign-in option.")
		return
	}
	reqID := r.URL.Query().Get("request")
	var req authRequest
	if err := redisstore.GetJSON(r.Context(), s.rdb, s.authRequestKey(reqID), &req); err != nil {
		s.loginStoreError(w, r, err)
		return
	}
	binding, err := r.Cookie(bindingCookie)
	if err != nil || !equalHashes(hashSecret(binding.Value), req.Binding) {
		showError(w, http.StatusBadRequest, "This sign-in was started in another browser or has expired.")
		return
	}
	cfg, _, err := p.client(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "identity provider unavailable", "idp", p.conf.ID, "err", err)
		showError(w, http.StatusServiceUnavailable, p.conf.Name+" is not available right now. Try again in a few minutes.")
		return
	}
	state, flow := newSecret(), loginFlow{
		IdP: p.conf.ID, RequestID: reqID, Nonce: newSecret(), Verifier: oauth2.GenerateVerifier(), Binding: req.Binding,
	}
	if err := redisstore.PutJSON(r.Context(), s.rdb, s.loginFlowKey(state), flow, s.opts.LoginTTL); err != nil {
		s.loginStoreError(w, r, err)
		return
	}
	noStore(w.Header())
	http.Redirect(w, r, cfg.AuthCodeURL(state, oidc.Nonce(flow.Nonce), oauth2.S256ChallengeOption(flow.Verifier)), http.StatusFound)
}

// handleLoginCallback receives the identity provider's answer. Each provider has its own
// callback, and the flow records which provider it was started with: a response delivered to
// another provider's callback is refused (the mix-up defence of RFC 9700 §4.4.2).
func (s *Server) handleLoginCallback(w http.ResponseWriter, r *http.Request) {
	p, ok := s.idps[r.PathValue("idp")]
	q := r.URL.Query()
	var flow loginFlow
	if !ok || q.Get("state") == "" {
		showError(w, http.StatusBadRequest, "This sign-in response is not valid.")
		return
	}
	if err := redisstore.TakeJSON(r.Context(), s.rdb, s.loginFlowKey(q.Get("state")), &flow); err != nil {
		s.loginStoreError(w, r, err)
		return
	}
	if flow.IdP != p.conf.ID {
		s.log.WarnContext(r.Context(), "login response at the wrong identity provider's callback", "started", flow.IdP, "callback", p.conf.ID)
		showError(w, http.StatusBadRequest, "This sign-in response came from a different identity provider than the one you chose.")
		return
	}
	if iss := q.Get("iss"); iss != "" && iss != p.conf.Issuer {
		showError(w, http.StatusBadRequest, "This sign-in response came from a different identity provider than the one you chose.")
		return
	}
	binding, err := r.Cookie(bindingCookie)
	if err != nil || !equalHashes(hashSecret(binding.Value), flow.Binding) {
		showError(w, http.StatusBadRequest, "This sign-in was started in another browser or has expired.")
		return
	}
	var req authRequest
	if err := redisstore.TakeJSON(r.Context(), s.rdb, s.authRequestKey(flow.RequestID), &req); err != nil {
		s.loginStoreError(w, r, err)
		return
	}
	if e := q.Get("error"); e != "" {
		refusal := &oauthError{code: errAccessDenied, description: "the user did not sign in"}
		if reason := q.Get(ReasonParam); e == errAccessDenied && KnownReason(reason) {
			// The provider refused an account that is not in good standing, and said why.
			refusal = standingRefusal(nil, reason)
		}
		redirectError(w, r, req.RedirectURI, req.State, refusal)
		return
	}
	user, claims, err := s.exchange(r.Context(), p, flow, q.Get("code"))
	if err != nil {
		s.log.WarnContext(r.Context(), "login failed", "idp", p.conf.ID, "err", err)
		failed := &oauthError{code: errAccessDenied, description: "sign-in at the identity provider failed"}
		if aerr := s.signinEvent(r, req, loggedInUser{}, "idp_error"); aerr != nil {
			failed = &oauthError{code: errTemporarilyUnavailable, description: "try again later"}
		}
		redirectError(w, r, req.RedirectURI, req.State, failed)
		return
	}
	if !s.resolvePractitioner(w, r, req, p, &user, claims) {
		return
	}
	s.afterLogin(w, r, req, user, binding.Value)
}

// loggedInUser is who the identity provider vouched for.
type loggedInUser struct {
	Subject  string `json:"sub"`
	Username string `json:"username"`
	IdP      string `json:"idp"`
	FHIRUser string `json:"fhir_user,omitempty"`
	// Sponsor is, for sponsored staff, their sponsor's user id (see Options.Accounts).
	Sponsor string `json:"sponsor,omitempty"`
	// Name and Email are the ID token's, for the account it creates or links (SignIns); ACR
	// and AMR say how the IdP authenticated the user.
	Name  string   `json:"name,omitempty"`
	Email string   `json:"email,omitempty"`
	ACR   string   `json:"acr,omitempty"`
	AMR   []string `json:"amr,omitempty"`
}

// exchange redeems the IdP's code with the flow's PKCE verifier, verifies the ID token and
// returns who it names with all its claims.
func (s *Server) exchange(ctx context.Context, p *idp, flow loginFlow, code string) (loggedInUser, map[string]any, error) {
	if code == "" {
		return loggedInUser{}, nil, errors.New("no code")
	}
	cfg, verifier, err := p.client(ctx)
	if err != nil {
		return loggedInUser{}, nil, err
	}
	tok, err := cfg.Exchange(oidc.ClientContext(ctx, p.httpClient), code, oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		return loggedInUser{}, nil, fmt.Errorf("exchange code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return loggedInUser{}, nil, errors.New("no id_token in the token response")
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return loggedInUser{}, nil, fmt.Errorf("verify id_token: %w", err)
	}
	if !equalHashes(hashSecret(idt.Nonce), hashSecret(flow.Nonce)) {
		return loggedInUser{}, nil, errors.New("id_token nonce does not match")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return loggedInUser{}, nil, fmt.Errorf("id_token claims: %w", err)
	}
	u := loggedInUser{Subject: p.conf.ID + ":" + idt.Subject, IdP: p.conf.ID}
	u.Username, _ = claims["preferred_username"].(string)
	u.Name, _ = claims["name"].(string)
	u.Email, _ = claims["email"].(string)
	u.ACR, _ = claims["acr"].(string)
	if amr, ok := claims["amr"].([]any); ok {
		for _, m := range amr {
			if s, ok := m.(string); ok {
				u.AMR = append(u.AMR, s)
			}
		}
	}
	return u, claims, nil
}

// resolvePractitioner sets the user's Practitioner from the ID token's claims, as the IdP's
// identity rule says. An identity the rule cannot resolve stops the sign-in with a page that
// says why (the resolver logs a warning); a user the rule lets go without one (staff) goes on
// without fhirUser. A refused sign-in is audited (signin.failure, practitioner_<reason>). It
// reports whether the sign-in goes on.
func (s *Server) resolvePractitioner(w http.ResponseWriter, r *http.Request, req authRequest, p *idp, user *loggedInUser,
	claims map[string]any) bool {
	if s.opts.Practitioners == nil {
		return true
	}
	ref, err := s.opts.Practitioners.Practitioner(r.Context(), p.conf.ID, claims)
	var un *identity.Unresolved
	switch {
	case err == nil:
		user.FHIRUser = ref
		return true
	case errors.As(err, &un) && !un.Refuse:
		return true
	case errors.As(err, &un):
		if s.signinEvent(r, req, *user, "practitioner_"+un.Reason) != nil {
			showError(w, http.StatusServiceUnavailable, "MyPatients cannot sign you in right now. Try again in a few minutes.")
			return false
		}
		web.WriteMessage(w, http.StatusForbidden, web.Message{Title: "We could not match your sign-in to a clinician",
			Text: unresolvedText(p.conf.Name, un.Reason),
			Note: "Nothing was shared with the app. Contact the MyPatients support team and tell them which sign-in you used."})
		return false
	}
	s.log.ErrorContext(r.Context(), "resolve the practitioner of a signed-in user", "idp", p.conf.ID, "err", err)
	showError(w, http.StatusServiceUnavailable, "MyPatients cannot look up your clinician record at the hospital right now. Try again in a few minutes.")
	return false
}

// unresolvedText says in a clinician's words why their sign-in found no Practitioner.
func unresolvedText(idpName, reason string) string {
	switch reason {
	case identity.ReasonNoClaim:
		return "You signed in with " + idpName + ", but it did not say which clinician you are, so MyPatients cannot show you any patient."
	case identity.ReasonAmbiguous:
		return "You signed in with " + idpName + ", but its identifier for you matches more than one clinician record at the hospital, so MyPatients cannot tell which is yours."
	}
	return "You signed in with " + idpName + ", but the hospital's records have no clinician matching your sign-in, so MyPatients cannot show you any patient."
}

// sponsorOf returns the sponsor of a staff user, or "" for everyone else. A staff account's
// sponsor never changes, so it is captured once, at sign-in, and carried by the grant into
// every token issued from it, refreshed ones included.
func (s *Server) sponsorOf(ctx context.Context, user string) (string, error) {
	if s.opts.Accounts == nil {
		return "", nil
	}
	sponsor, err := s.opts.Accounts.SponsorOf(ctx, user)
	if err != nil {
		return "", fmt.Errorf("smart: sponsor of %s: %w", user, err)
	}
	return sponsor, nil
}

// standing checks that user's account may sign in (Options.Accounts): nil, an error wrapping
// gateway.ErrForbidden, or a fault.
func (s *Server) standing(ctx context.Context, user string) error {
	if s.opts.Accounts == nil {
		return nil
	}
	return s.opts.Accounts.CheckStanding(ctx, user)
}

// signinEvent records a sign-in at the gateway through app req.ClientID: "signin" when reason
// is empty, else "signin.failure" with reason.
func (s *Server) signinEvent(r *http.Request, req authRequest, user loggedInUser, reason string) error {
	ev := audit.Action{Event: "signin", Outcome: audit.Success, Actor: user.Subject, Subject: user.Subject,
		Sponsor: user.Sponsor, Client: req.ClientID, Source: s.opts.Proxies.Addr(r), ACR: user.ACR, AMR: user.AMR}
	if reason != "" {
		ev.Event, ev.Outcome, ev.Reason = "signin.failure", audit.Failure, reason
	}
	err := audit.WriteAction(r.Context(), s.opts.Audit, ev)
	if err != nil {
		s.log.ErrorContext(r.Context(), "sign-in not recorded; refused", "err", err)
	}
	return err
}

// loginStoreError answers a failed store lookup during login: an expired or reused flow is
// the user's to restart; a store fault is ours.
func (s *Server) loginStoreError(w http.ResponseWriter, r *http.Request, err error) {
	if notFound(err) {
		showError(w, http.StatusBadRequest, "This sign-in link has expired or was already used.")
		return
	}
	s.log.ErrorContext(r.Context(), "login state store", "err", err)
	showError(w, http.StatusServiceUnavailable, "MyPatients cannot sign you in right now. Try again in a few minutes.")
}
