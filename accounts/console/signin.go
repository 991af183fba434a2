package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/provider"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/redisstore"
)

// loginFlow is a console sign-in in progress at the support IdP.
type loginFlow struct {
	Nonce, Verifier, Binding string
}

const (
	flowTTL       = 10 * time.Minute
	bindingCookie = "mp_console_login"
)

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func (c *Console) flowKey(state string) string { return c.cfg.Prefix + "console:login:" + hash(state) }

// login sends the browser to the support IdP with a state, nonce and PKCE verifier of the
// console's own, bound to this browser by a cookie.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	conf, _, err := c.oauth(r.Context())
	if err != nil {
		c.log.ErrorContext(r.Context(), "support identity provider unavailable", "err", err)
		message(w, http.StatusServiceUnavailable, "Try again later", c.cfg.IdP.Name+" is not available right now.")
		return
	}
	state, binding := rand.Text(), rand.Text()
	f := loginFlow{Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), Binding: hash(binding)}
	if err := redisstore.PutJSON(r.Context(), c.cfg.Redis, c.flowKey(state), f, flowTTL); err != nil {
		c.unavailable(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: bindingCookie, Value: binding, Path: Path, HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: int(flowTTL / time.Second)})
	http.Redirect(w, r, conf.AuthCodeURL(state, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
}

// supportClaims are the ID token's claims the console reads.
type supportClaims struct {
	Subject  string `json:"sub"`
	Username string `json:"preferred_username"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	ACR      string `json:"acr"`
	AMR      []string
}

// callback takes the IdP's answer, and admits the user when the support claim says so.
func (c *Console) callback(w http.ResponseWriter, r *http.Request) {
	ctx, q := r.Context(), r.URL.Query()
	var f loginFlow
	err := redisstore.TakeJSON(ctx, c.cfg.Redis, c.flowKey(q.Get("state")), &f)
	binding, cerr := r.Cookie(bindingCookie)
	if errors.Is(err, redisstore.ErrNotFound) || cerr != nil || subtle.ConstantTimeCompare([]byte(hash(binding.Value)), []byte(f.Binding)) != 1 {
		message(w, http.StatusBadRequest, "Sign-in expired", "This sign-in expired or was started in another browser.", Path+"login", "Sign in again")
		return
	}
	if err != nil {
		c.unavailable(w, r, err)
		return
	}
	claims, raw, err := c.exchange(r, f, q.Get("code"))
	if err != nil {
		c.log.WarnContext(ctx, "console sign-in failed", "err", err)
		message(w, http.StatusUnauthorized, "Sign-in failed", "The sign-in at "+c.cfg.IdP.Name+" did not succeed.", Path+"login", "Try again")
		return
	}
	user, source := c.cfg.IdP.ID+":"+claims.Subject, c.cfg.Proxies.Addr(r)
	if !hasValue(raw[c.cfg.Claim], c.cfg.Value) {
		_ = audit.WriteAction(ctx, c.cfg.Audit, audit.Action{Event: "support.signin.failure", Actor: user, Subject: user,
			Outcome: audit.Failure, Reason: "no_support_role", Client: "accounts-console", Source: source, ACR: claims.ACR, AMR: claims.AMR})
		message(w, http.StatusForbidden, "Not on the support team",
			fmt.Sprintf("You signed in through %s as %s, but your account is not a member of the MyPatients support team. Ask your manager to add you.", c.cfg.IdP.Name, claims.Name))
		return
	}
	err = c.cfg.Accounts.LinkHospitalUser(ctx, c.cfg.Audit, accounts.SignIn{IdP: c.cfg.IdP.ID, User: user, Username: claims.Username,
		Name: claims.Name, Email: claims.Email, Client: "accounts-console", Source: source})
	if err == nil {
		if err = c.cfg.Accounts.CheckStanding(ctx, user); errors.Is(err, accounts.ErrInactive) {
			message(w, http.StatusForbidden, "Account suspended", "Your account is suspended.")
			return
		}
	}
	if err == nil {
		err = audit.WriteAction(ctx, c.cfg.Audit, audit.Action{Event: "support.signin", Outcome: audit.Success, Actor: user, Subject: user,
			Client: "accounts-console", Source: source, ACR: claims.ACR, AMR: claims.AMR})
	}
	if err == nil {
		err = c.sessions.Open(ctx, w, r, user, source, claims.AMR)
	}
	if err != nil {
		c.unavailable(w, r, err)
		return
	}
	http.Redirect(w, r, Path, http.StatusSeeOther)
}

func (c *Console) exchange(r *http.Request, f loginFlow, code string) (supportClaims, map[string]any, error) {
	ctx := oidc.ClientContext(r.Context(), c.cfg.HTTPClient)
	conf, verifier, err := c.oauth(ctx)
	if err != nil {
		return supportClaims{}, nil, err
	}
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return supportClaims{}, nil, err
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(ctx, rawID)
	if err != nil {
		return supportClaims{}, nil, err
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return supportClaims{}, nil, errors.New("nonce mismatch")
	}
	var claims supportClaims
	var raw map[string]any
	if err := errors.Join(idt.Claims(&claims), idt.Claims(&raw)); err != nil {
		return supportClaims{}, nil, err
	}
	if amr, ok := raw["amr"].([]any); ok {
		for _, m := range amr {
			if s, ok := m.(string); ok {
				claims.AMR = append(claims.AMR, s)
			}
		}
	}
	return claims, raw, nil
}

// hasValue reports whether a claim is value or a list holding it.
func hasValue(claim any, value string) bool {
	switch v := claim.(type) {
	case string:
		return v == value
	case []any:
		return slices.ContainsFunc(v, func(e any) bool { s, _ := e.(string); return s == value })
	}
	return false
}

// supporter is the support team member of a request.
type supporter struct {
	ID, Name string
	csrf     string
}

// support admits only a signed-in support team member, and checks the form token of posts.
func (c *Console) support(h func(http.ResponseWriter, *http.Request, supporter)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := c.sessions.Current(r.Context(), r)
		if errors.Is(err, provider.ErrNoSession) {
			render(w, http.StatusOK, "signin", page{"Title": "MyPatients support console", "IdP": c.cfg.IdP.Name})
			return
		}
		var prof accounts.Profile
		if err == nil {
			prof, err = c.cfg.Accounts.Active(r.Context(), sess.Account)
		}
		if err != nil {
			c.unavailable(w, r, err)
			return
		}
		s := supporter{ID: sess.Account, Name: prof.Name}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
			if err := r.ParseForm(); err != nil || !csrf.Check(r) {
				message(w, http.StatusForbidden, "Form expired", "The form expired. Go back and reload the page.")
				return
			}
			s.csrf = r.PostForm.Get("csrf")
		} else {
			s.csrf = csrf.Issue(w, r)
		}
		h(w, r, s)
	}
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, _ supporter) {
	if err := c.sessions.Close(r.Context(), w, r); err != nil {
		c.unavailable(w, r, err)
		return
	}
	http.Redirect(w, r, Path, http.StatusSeeOther)
}
