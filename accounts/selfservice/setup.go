package selfservice

import (
	"errors"
	"net/http"

	"github.com/mypatients/gateway/accounts"
)

const (
	msgInvalidLink = "This set-up link is not valid: it was used already, or a newer link replaced it. Sign in if you set up your login, or ask your sponsoring provider or the MyPatients support team for a new link."
	msgExpiredLink = "This set-up link has expired: links work for 72 hours. Ask your sponsoring provider or the MyPatients support team to send you a new one."
	msgMismatch    = "The two passwords differ. Type the same password twice."
)

func (p *Pages) showSetup(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	prof, err := p.d.Accounts.SetupAccount(r.Context(), token)
	if p.setupFailed(w, r, err) {
		return
	}
	p.setupForm(w, http.StatusOK, prof, token, p.csrf.Reuse(w, r), "")
}

func (p *Pages) setupForm(w http.ResponseWriter, status int, prof accounts.Profile, token, csrf, problem string) {
	render(w, status, "setup", page{"Title": "Set up your MyPatients login", "Name": prof.Name, "Username": prof.Username,
		"Token": token, "CSRF": csrf, "Min": accounts.MinPasswordLength, "Error": problem, "SecondFactor": prof.NeedsSecondFactor()})
}

// setupFailed answers err, if any: one message for every dead link, another for an expired
// one, a generic one for trouble on our side.
func (p *Pages) setupFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, accounts.ErrSetupExpired):
		message(w, http.StatusGone, "Link expired", msgExpiredLink)
	case errors.Is(err, accounts.ErrInvalidSetup):
		message(w, http.StatusBadRequest, "Link not valid", msgInvalidLink)
	default:
		p.unavailable(w, r, err)
	}
	return true
}

func (p *Pages) submitSetup(w http.ResponseWriter, r *http.Request) {
	if !p.form(w, r) {
		return
	}
	ctx := r.Context()
	res, err := p.setup.Take(ctx, p.d.Proxies.Addr(r))
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	if !res.Allowed {
		w.Header().Set("Retry-After", "900")
		message(w, http.StatusTooManyRequests, "Too many attempts", "Too many attempts. Wait a few minutes, then open the link from your email again.")
		return
	}
	token, password := r.PostForm.Get("token"), r.PostForm.Get("password")
	prof, err := p.d.Accounts.SetupAccount(ctx, token)
	if p.setupFailed(w, r, err) {
		return
	}
	if password != r.PostForm.Get("confirm") {
		p.setupForm(w, http.StatusBadRequest, prof, token, r.PostForm.Get("csrf"), msgMismatch)
		return
	}
	prof, rerr := p.d.Accounts.RedeemSetup(ctx, p.d.Audit, token, password)
	if errors.Is(rerr, accounts.ErrWeakPassword) {
		p.setupForm(w, http.StatusBadRequest, prof, token, r.PostForm.Get("csrf"), rerr.Error())
		return
	}
	if p.setupFailed(w, r, rerr) {
		return
	}
	if !prof.NeedsSecondFactor() {
		message(w, http.StatusOK, "Your login is set up", "Your password is set. Sign in with your email address as the username.")
		return
	}
	if err := p.issueTicket(ctx, w, r, ticket{Account: prof.ID, Flow: "enroll", Email: prof.Username}); err != nil {
		p.unavailable(w, r, err)
		return
	}
	http.Redirect(w, r, EnrollPath, http.StatusSeeOther)
}
