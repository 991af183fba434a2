package auditpage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mypatients/gateway/audit"
)

// Sign-in: the OpenID Connect code flow with PKCE and a nonce at the auditors' identity
// provider. The state travels in a cookie as well as through the provider, and the nonce and
// the PKCE verifier wait in Redis under the state's hash, used once. A signed-in auditor has a
// session of package web's (encrypted in Redis, 30 idle minutes, 8 hours at most).

const (
	loginCookie = "mp_audit_login"
	loginTTL    = 10 * time.Minute
)

type loginFlow struct {
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
}

// session is a signed-in auditor.
type session struct {
	User string `json:"user"`
	Name string `json:"name"`
}

func (p *Page) key(kind, secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return p.o.Prefix + "{auditpage}:" + kind + ":" + hex.EncodeToString(sum[:])
}

func (p *Page) secure() bool { return p.sessions.Secure }

// login sends the browser to the identity provider.
func (p *Page) login(w http.ResponseWriter, r *http.Request) {
	cfg, _, err := p.client(r.Context())
	if err != nil {
		p.log.WarnContext(r.Context(), "auditpage: identity provider unavailable", "err", err)
		message(w, http.StatusServiceUnavailable, "Sign-in unavailable", "The identity provider cannot be reached. Try again shortly.")
		return
	}
	state, flow := rand.Text(), loginFlow{Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier()}
	b, _ := json.Marshal(flow)
	if err := p.o.Redis.Set(r.Context(), p.key("login", state), b, loginTTL).Err(); err != nil {
		message(w, http.StatusServiceUnavailable, "Sign-in unavailable", "The gateway cannot start a sign-in right now. Try again shortly.")
		return
	}
	// Lax: the cookie must come back on the provider's top-level redirect to the callback.
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: state, Path: Path, MaxAge: int(loginTTL.Seconds()),
		HttpOnly: true, Secure: p.secure(), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, cfg.AuthCodeURL(state, oidc.Nonce(flow.Nonce), oauth2.S256ChallengeOption(flow.Verifier)), http.StatusSeeOther)
}

// callback completes the sign-in and admits only auditors. Every outcome is recorded.
func (p *Page) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user, name, claims, err := p.identify(ctx, r)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: Path, MaxAge: -1, HttpOnly: true, Secure: p.secure()})
	if err != nil {
		p.log.InfoContext(ctx, "auditpage: sign-in failed", "err", err)
		_ = p.record(ctx, audit.Action{Event: "signin.failure", Actor: user, Outcome: audit.Failure, Reason: "invalid_login"})
		message(w, http.StatusBadRequest, "Sign-in failed", "The sign-in could not be completed. Start again from the auditors' page.")
		return
	}
	if !p.isAuditor(user, claims) {
		_ = p.record(ctx, audit.Action{Event: "signin.failure", Actor: user, Outcome: audit.Failure, Reason: "not_auditor"})
		message(w, http.StatusForbidden, "Not an auditor", "Your account does not hold the auditor role. Ask the privacy office to grant it.")
		return
	}
	if err := p.record(ctx, audit.Action{Event: "signin", Actor: user, Outcome: audit.Success}); err != nil {
		message(w, http.StatusServiceUnavailable, "Sign-in unavailable", "The sign-in could not be recorded in the audit trail, so it was refused.")
		return
	}
	if _, err := p.sessions.New(ctx, w, session{User: user, Name: name}); err != nil {
		message(w, http.StatusServiceUnavailable, "Sign-in unavailable", "The gateway cannot keep a session right now. Try again shortly.")
		return
	}
	http.Redirect(w, r, Path, http.StatusSeeOther)
}

// identify checks the callback and returns the user id ("<idp>:<subject>"), their name and the
// ID token's claims. The user is "" when the provider's answer could not be trusted.
func (p *Page) identify(ctx context.Context, r *http.Request) (string, string, map[string]any, error) {
	state := r.URL.Query().Get("state")
	c, err := r.Cookie(loginCookie)
	if err != nil || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		return "", "", nil, errors.New("state does not match this browser's sign-in")
	}
	b, err := p.o.Redis.GetDel(ctx, p.key("login", state)).Bytes()
	var flow loginFlow
	if err != nil || json.Unmarshal(b, &flow) != nil {
		return "", "", nil, fmt.Errorf("unknown or expired sign-in: %w", err)
	}
	if e := r.URL.Query().Get("error"); e != "" {
		return "", "", nil, fmt.Errorf("identity provider answered %q", e)
	}
	cfg, verifier, err := p.client(ctx)
	if err != nil {
		return "", "", nil, err
	}
	tok, err := cfg.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		return "", "", nil, fmt.Errorf("code exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return "", "", nil, fmt.Errorf("id token: %w", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(flow.Nonce)) != 1 {
		return "", "", nil, errors.New("id token: claims unreadable or nonce mismatch")
	}
	name, _ := claims["name"].(string)
	return p.o.IdP.ID + ":" + idt.Subject, name, claims, nil
}

// isAuditor reports whether the user holds the auditor role: listed, or with the claim's value.
func (p *Page) isAuditor(user string, claims map[string]any) bool {
	if slices.Contains(p.o.Users, user) {
		return true
	}
	if p.o.Claim == "" {
		return false
	}
	switch v := claims[p.o.Claim].(type) {
	case string:
		return v == p.o.Value
	case []any:
		return slices.Contains(v, any(p.o.Value))
	}
	return false
}

// logout ends the session.
func (p *Page) logout(w http.ResponseWriter, r *http.Request) {
	sess, err := p.sessions.Load(r)
	if err != nil {
		http.Redirect(w, r, Path, http.StatusSeeOther)
		return
	}
	if err := r.ParseForm(); err != nil || !sess.CheckCSRF(r) {
		message(w, http.StatusForbidden, "Not signed out", "The form was not sent from the auditors' page.")
		return
	}
	if err := p.sessions.End(r.Context(), w, sess); err != nil {
		p.log.WarnContext(r.Context(), "auditpage: end session", "err", err)
	}
	http.Redirect(w, r, Path, http.StatusSeeOther)
}
