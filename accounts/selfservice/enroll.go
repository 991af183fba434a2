package selfservice

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/provider"
	"github.com/mypatients/gateway/accounts/secondfactor"
	"github.com/mypatients/gateway/web"
)

// enrolling is who is adding a second factor: a browser in the set-up or reset flow (with
// its ticket), or a signed-in account holder on Edit Account.
type enrolling struct {
	prof   accounts.Profile
	ticket bool
}

func (p *Pages) enroller(r *http.Request) (enrolling, error) {
	ctx := r.Context()
	account, viaTicket := "", false
	if t, err := p.loadTicket(r, "enroll"); err == nil {
		account, viaTicket = t.Account, true
	} else if !errors.Is(err, errNoTicket) {
		return enrolling{}, err
	} else {
		sess, err := p.d.Sessions.Current(ctx, r)
		if err != nil {
			return enrolling{}, err
		}
		account = sess.Account
	}
	prof, err := p.d.Accounts.Active(ctx, account)
	return enrolling{prof: prof, ticket: viaTicket}, err
}

// enrollRefused answers an enrollment without a ticket or session.
func (p *Pages) enrollRefused(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errNoTicket) || errors.Is(err, accounts.ErrNotActive) || errors.Is(err, accounts.ErrNotFound) ||
		errors.Is(err, provider.ErrNoSession) {
		message(w, http.StatusForbidden, "Sign in first", "This page needs a sign-in or a set-up link that is still open.", signInPath, "Sign in")
		return
	}
	p.unavailable(w, r, err)
}

func (p *Pages) showEnroll(w http.ResponseWriter, r *http.Request) {
	e, err := p.enroller(r)
	if err != nil {
		p.enrollRefused(w, r, err)
		return
	}
	en, err := p.d.Factors.BeginTOTP(r.Context(), e.prof.ID, e.prof.Username)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	p.enrollPage(w, http.StatusOK, en, p.csrf.Reuse(w, r), "")
}

func (p *Pages) enrollPage(w http.ResponseWriter, status int, en secondfactor.Enrollment, csrf, problem string) {
	render(w, status, "enroll", page{"Title": "Add a second factor", "QR": en.QR, "Secret": en.Secret, "CSRF": csrf,
		"Error": problem, "Passkeys": p.d.Factors.Passkeys()})
}

// confirmTOTP adds the authenticator app whose code was typed.
func (p *Pages) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	if !p.form(w, r) {
		return
	}
	e, err := p.enroller(r)
	if err != nil {
		p.enrollRefused(w, r, err)
		return
	}
	ctx := r.Context()
	label := strings.TrimSpace(r.PostForm.Get("label"))
	if label == "" {
		label = "Authenticator app"
	}
	if err := p.d.Factors.ConfirmTOTP(ctx, e.prof.ID, label, r.PostForm.Get("code")); err != nil {
		if !errors.Is(err, secondfactor.ErrWrongCode) {
			p.unavailable(w, r, err)
			return
		}
		en, perr := p.d.Factors.PendingTOTP(ctx, e.prof.ID)
		if perr != nil {
			http.Redirect(w, r, EnrollPath, http.StatusSeeOther) // the pending secret expired: a new one
			return
		}
		p.enrollPage(w, http.StatusBadRequest, en, r.PostForm.Get("csrf"), "That code was not accepted. Check the time on your phone and type the code it shows now.")
		return
	}
	p.enrolled(w, r, e, "totp", false)
}

// enrolled records the new factor and goes on: to the recovery codes in a set-up or reset
// flow, back to Edit Account otherwise.
func (p *Pages) enrolled(w http.ResponseWriter, r *http.Request, e enrolling, kind string, asJSON bool) {
	if err := p.event(r.Context(), r, "account.second_factor.add", e.prof.ID, kind); err != nil {
		p.unavailable(w, r, err)
		return
	}
	next := AccountPath + "?done=factor"
	if e.ticket {
		next = EnrollPath + "/codes"
	}
	if asJSON {
		web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": next})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// showCodes shows a set-up or reset flow's new recovery codes, once, and ends the flow.
func (p *Pages) showCodes(w http.ResponseWriter, r *http.Request) {
	t, err := p.loadTicket(r, "enroll")
	if err != nil {
		p.enrollRefused(w, r, err)
		return
	}
	f, err := p.d.Factors.Get(r.Context(), t.Account)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	if !f.Any() {
		http.Redirect(w, r, EnrollPath, http.StatusSeeOther)
		return
	}
	codes, err := p.d.Factors.NewRecoveryCodes(r.Context(), t.Account)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	p.dropTicket(w, r)
	render(w, http.StatusOK, "codes", page{"Title": "Your recovery codes", "Codes": codes, "Next": signInPath,
		"NextText": "Done: sign in to MyPatients"})
}

// passkeyBegin answers the options of a passkey registration, as JSON.
func (p *Pages) passkeyBegin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || !p.csrf.Check(r) {
		web.WriteJSON(w, http.StatusForbidden, map[string]string{"message": "The form expired. Reload the page."})
		return
	}
	e, err := p.enroller(r)
	if err != nil {
		web.WriteJSON(w, http.StatusForbidden, map[string]string{"message": "Sign in first."})
		return
	}
	options, err := p.d.Factors.BeginPasskey(r.Context(), e.prof.ID, e.prof.Username, e.prof.Name)
	if err != nil {
		web.WriteJSON(w, http.StatusBadRequest, map[string]string{"message": "Passkeys are not available here."})
		return
	}
	web.WriteJSON(w, http.StatusOK, json.RawMessage(options))
}

// passkeyFinish checks the browser's new passkey and adds it.
func (p *Pages) passkeyFinish(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !p.csrf.CheckValue(r, q.Get("csrf")) {
		web.WriteJSON(w, http.StatusForbidden, map[string]string{"message": "The form expired. Reload the page."})
		return
	}
	e, err := p.enroller(r)
	if err != nil {
		web.WriteJSON(w, http.StatusForbidden, map[string]string{"message": "Sign in first."})
		return
	}
	label := strings.TrimSpace(q.Get("label"))
	if label == "" || len(label) > 60 {
		label = "Passkey"
	}
	if err := p.d.Factors.FinishPasskey(r.Context(), e.prof.ID, e.prof.Username, e.prof.Name, label, r); err != nil {
		web.WriteJSON(w, http.StatusBadRequest, map[string]string{"message": "The passkey was not accepted. Try again."})
		return
	}
	p.enrolled(w, r, e, "passkey", true)
}
