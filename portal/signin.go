package portal

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mypatients/gateway/sharing"
	"github.com/mypatients/gateway/smart"
)

// signinMessages are the notes the sign-in page shows, by ?m=.
var signinMessages = map[string]string{
	"expired":    "Your session has ended. Please sign in again.",
	"signed-out": "You are signed out.",
	"failed":     "Sign-in did not complete. Please try again.",
}

// home is / : the patients list when signed in, the sign-in page otherwise.
func (p *Portal) home(w http.ResponseWriter, r *http.Request) {
	if sess, err := p.sessions.Load(r); err == nil && sess.Data.Tokens.Access != "" {
		p.signedIn(p.patientsPage)(w, r)
		return
	}
	p.signinPage(w, r)
}

func (p *Portal) signinPage(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if !localPath(next) {
		next = ""
	}
	p.render(w, r, nil, http.StatusOK, "signin", map[string]any{
		"CSRF": p.signinCSRF.Issue(w, r), "IdPs": p.opts.IdPs, "Links": p.opts.Links, "Next": next,
		"Note": signinMessages[r.URL.Query().Get("m")],
	})
}

// localPath accepts only a path of this site ("/portal/..."), never another origin.
func localPath(s string) bool {
	return strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && !strings.ContainsAny(s, "\\\r\n")
}

// startSignin begins the authorization-code flow with PKCE at the gateway: the browser goes to
// /oauth/authorize with the chosen sign-in (idp_hint), and comes back to /portal/callback.
func (p *Portal) startSignin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil || !p.signinCSRF.Check(r) {
		p.message(w, r, nil, http.StatusForbidden, "This form has expired", "Go back, reload the page and try again.")
		return
	}
	idp := r.PostForm.Get("idp")
	if !p.knownIdP(idp) {
		p.message(w, r, nil, http.StatusBadRequest, "Unknown sign-in", "Choose one of the ways to sign in.")
		return
	}
	next := r.PostForm.Get("next")
	if !localPath(next) {
		next = "/"
	}
	pend := &pending{State: rand.Text(), Verifier: oauth2.GenerateVerifier(), Next: next, Started: time.Now()}
	// A session of its own holds the flow until the callback, which replaces it.
	if _, err := p.sessions.New(r.Context(), w, sessionData{Pending: pend}); err != nil {
		p.fault(r, "start sign-in", err)
		p.message(w, r, nil, http.StatusServiceUnavailable, "MyPatients is not available", "Try again in a minute.")
		return
	}
	q := url.Values{"response_type": {"code"}, "client_id": {ClientID}, "redirect_uri": {p.gw.redirectURI()},
		"scope": {strings.Join(Scopes, " ")}, "state": {pend.State}, "aud": {p.gw.fhirBase()}, "idp_hint": {idp},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(pend.Verifier)}, "code_challenge_method": {"S256"}}
	http.Redirect(w, r, p.gw.base+"/oauth/authorize?"+q.Encode(), http.StatusSeeOther)
}

func (p *Portal) knownIdP(id string) bool {
	for _, i := range p.opts.IdPs {
		if i.ID == id {
			return true
		}
	}
	return false
}

// callback receives the gateway's authorization response (RFC 6749 §4.1.2, RFC 9207 iss),
// redeems the code and starts the signed-in session.
func (p *Portal) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	old, err := p.sessions.Load(r)
	if err != nil || old.Data.Pending == nil || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(old.Data.Pending.State)) != 1 ||
		time.Since(old.Data.Pending.Started) > 15*time.Minute {
		http.Redirect(w, r, "/portal/signin?m=failed", http.StatusSeeOther)
		return
	}
	pend := *old.Data.Pending
	_ = p.sessions.End(ctx, w, old)
	if reason := q.Get(smart.ReasonParam); q.Get("error") == "access_denied" && smart.KnownReason(reason) {
		// The gateway refused the sign-in of an account that is not in good standing.
		p.notInGoodStanding(w, r, reason)
		return
	}
	if q.Get("error") != "" || q.Get("code") == "" || (q.Get("iss") != "" && q.Get("iss") != p.gw.base) {
		http.Redirect(w, r, "/portal/signin?m=failed", http.StatusSeeOther)
		return
	}
	tok, err := p.gw.token(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
		"redirect_uri": {p.gw.redirectURI()}, "code_verifier": {pend.Verifier}})
	if err != nil {
		p.fault(r, "redeem the code", err)
		http.Redirect(w, r, "/portal/signin?m=failed", http.StatusSeeOther)
		return
	}
	sess, err := p.sessions.New(ctx, w, sessionData{Tokens: tok})
	if err == nil {
		sess.Data.Profile, err = p.loadProfile(ctx, request{Request: r.WithContext(ctx), sess: sess})
	}
	if errors.Is(err, errSuspended) {
		p.gw.revoke(ctx, tok.Access)
		_ = p.sessions.End(ctx, w, sess)
		p.notInGoodStanding(w, r, smart.ReasonAccountSuspended)
		return
	}
	if err == nil {
		err = p.sessions.Save(ctx, sess)
	}
	if err != nil {
		p.fault(r, "start the session", err)
		p.message(w, r, nil, http.StatusServiceUnavailable, "MyPatients is not available", "Signing in could not be finished. Try again in a minute.")
		return
	}
	http.Redirect(w, r, pend.Next, http.StatusSeeOther)
}

var errSuspended = errors.New("portal: the account is suspended")

// notInGoodStanding tells a user whose sign-in was refused for their account's standing why,
// by the gateway's reason (smart.ReasonParam), and how to reach the support team.
func (p *Portal) notInGoodStanding(w http.ResponseWriter, r *http.Request, reason string) {
	p.render(w, r, nil, http.StatusForbidden, "suspended", map[string]any{"Support": p.opts.Support, "Reason": reason})
}

// loadProfile asks the gateway who signed in and, for a provider, their practice.
func (p *Portal) loadProfile(ctx context.Context, r request) (profile, error) {
	var me sharing.Me
	status, err := p.api(ctx, r, http.MethodGet, "/api/me", nil, &me)
	if err != nil {
		return profile{}, err
	}
	if status != http.StatusOK {
		return profile{}, errors.New("portal: /api/me answered " + http.StatusText(status))
	}
	if me.Standing != "" && me.Standing != "active" {
		return profile{}, errSuspended
	}
	prof := profile{User: me.User, Name: me.Name, Username: me.Username, Email: me.Email, Phone: me.Phone,
		Practitioner: me.Practitioner, Role: me.Role, StaffRole: me.StaffRole, CanSponsor: me.CanSponsor}
	if me.Sponsor != nil {
		prof.Sponsor = me.Sponsor.Name
	}
	if prof.Role == "provider" && prof.Practitioner != "" {
		if err := p.loadPractice(ctx, r, &prof); err != nil {
			return profile{}, err
		}
	}
	return prof, nil
}

func (p *Portal) signout(w http.ResponseWriter, r request) {
	p.gw.revoke(r.Context(), r.sess.Data.Tokens.Refresh)
	p.gw.revoke(r.Context(), r.sess.Data.Tokens.Access)
	if err := p.sessions.End(r.Context(), w, r.sess); err != nil {
		p.fault(r.Request, "end session", err)
	}
	http.Redirect(w, r.Request, "/portal/signin?m=signed-out", http.StatusSeeOther)
}
