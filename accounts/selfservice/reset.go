package selfservice

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/secondfactor"
)

// flow is one of the two reset flows: both start with a pass code sent to the account's
// address; the password reset then needs the second factor, the second-factor reset the
// password, so that neither is ever reset with one factor alone.
type flow struct {
	name, path, title, intro, verifyIntro string
}

var (
	forgotFlow = flow{name: "password", path: ForgotPath, title: "Reset a forgotten or expired password",
		intro:       "Enter the email address of your MyPatients account. We will email you a code; you will also need your second factor.",
		verifyIntro: "Confirm it is you with your second factor: the 6-digit code of your authenticator app, or one of your recovery codes."}
	resetSFFlow = flow{name: "second-factor", path: ResetSFPath, title: "Reset your second factor",
		intro:       "Lost your authenticator app or passkey? Enter the email address of your MyPatients account. We will email you a code; you will also need your password. Then you add a new second factor.",
		verifyIntro: "Confirm it is you with your password."}
)

// verifyFailures is how many wrong tries of the other factor end a reset.
const verifyFailures = 5

func (p *Pages) showAsk(f flow) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		render(w, http.StatusOK, "ask", page{"Title": f.title, "Intro": f.intro, "Path": f.path, "CSRF": p.csrf.Reuse(w, r)})
	}
}

// limited counts one attempt by the client and for email, and answers when over a limit.
func (p *Pages) limited(w http.ResponseWriter, r *http.Request, kind, email string) bool {
	ctx := r.Context()
	byIP, err1 := p.resetIP.Take(ctx, p.d.Proxies.Addr(r))
	byUser, err2 := p.resetUser.Take(ctx, kind+":"+accounts.NormalizeUsername(email))
	if err := errors.Join(err1, err2); err != nil {
		p.unavailable(w, r, err)
		return true
	}
	if !byIP.Allowed || !byUser.Allowed {
		w.Header().Set("Retry-After", "900")
		message(w, http.StatusTooManyRequests, "Too many attempts", "Too many attempts. Wait 15 minutes, then start again.")
		return true
	}
	return false
}

// sendCode issues a pass code for the typed address and emails it when the address is an
// active account's; another address gets an email saying it has no account. Either way the
// page and the work are the same, so the answer never tells whether the address is known.
func (p *Pages) sendCode(f flow) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !p.form(w, r) {
			return
		}
		ctx, email := r.Context(), strings.TrimSpace(r.PostForm.Get("email"))
		if email == "" || len(email) > 254 || !strings.Contains(email, "@") {
			render(w, http.StatusBadRequest, "ask", page{"Title": f.title, "Intro": f.intro, "Path": f.path,
				"CSRF": r.PostForm.Get("csrf"), "Error": "Enter an email address."})
			return
		}
		if p.limited(w, r, "send", email) {
			return
		}
		code, err := p.d.Accounts.IssuePassCode(ctx, f.name, email, p.d.PassCodeTTL)
		if err != nil {
			p.unavailable(w, r, err)
			return
		}
		msg := msgNoAccount(email, p.d.BaseURL)
		if prof, ok, err := p.activeOwner(r, email); err != nil {
			p.unavailable(w, r, err)
			return
		} else if ok {
			msg = msgPassCode(prof.Email, f.title, code, p.d.PassCodeTTL)
		}
		if err := p.d.Mail.Enqueue(ctx, msg); err != nil {
			p.unavailable(w, r, err)
			return
		}
		p.codePage(w, http.StatusOK, f, email, r.PostForm.Get("csrf"), "")
	}
}

// activeOwner returns the active account whose username is email, if any.
func (p *Pages) activeOwner(r *http.Request, email string) (accounts.Profile, bool, error) {
	id, err := p.d.Accounts.UsernameOwner(r.Context(), email)
	if err != nil || id == "" {
		return accounts.Profile{}, false, err
	}
	prof, err := p.d.Accounts.Active(r.Context(), id)
	if errors.Is(err, accounts.ErrNotActive) || errors.Is(err, accounts.ErrNotFound) {
		return accounts.Profile{}, false, nil
	}
	return prof, err == nil, err
}

func (p *Pages) codePage(w http.ResponseWriter, status int, f flow, email, csrf, problem string) {
	render(w, status, "code", page{"Title": f.title, "Path": f.path, "Email": email, "CSRF": csrf, "Error": problem,
		"Digits": accounts.PassCodeDigits, "For": p.d.PassCodeTTL.Round(time.Second).String()})
}

// checkCode checks the emailed pass code and, when right, asks for the other factor.
func (p *Pages) checkCode(f flow) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !p.form(w, r) {
			return
		}
		ctx, email, csrf := r.Context(), strings.TrimSpace(r.PostForm.Get("email")), r.PostForm.Get("csrf")
		if p.limited(w, r, "check", email) {
			return
		}
		err := p.d.Accounts.UsePassCode(ctx, f.name, email, strings.TrimSpace(r.PostForm.Get("code")))
		switch {
		case errors.Is(err, accounts.ErrPassCodeExpired):
			p.codePage(w, http.StatusBadRequest, f, email, csrf, "This code has expired. Send a new code and use that one.")
			return
		case errors.Is(err, accounts.ErrPassCodeUsedUp):
			p.codePage(w, http.StatusBadRequest, f, email, csrf, "Too many wrong codes: this code no longer works. Send a new code.")
			return
		case errors.Is(err, accounts.ErrPassCodeWrong):
			p.codePage(w, http.StatusBadRequest, f, email, csrf, "That code is not right. Check the email and try again, or send a new code.")
			return
		case err != nil:
			p.unavailable(w, r, err)
			return
		}
		prof, ok, err := p.activeOwner(r, email)
		if err != nil || !ok {
			p.unavailable(w, r, errors.Join(err, errors.New("a pass code matched an address without an active account")))
			return
		}
		t := ticket{Account: prof.ID, Flow: f.name, Stage: "verify", Email: prof.Username}
		if f.name == forgotFlow.name && !prof.NeedsSecondFactor() {
			t.Stage = "new"
		}
		if err := p.issueTicket(ctx, w, r, t); err != nil {
			p.unavailable(w, r, err)
			return
		}
		p.stagePage(w, http.StatusOK, f, t, csrf, "")
	}
}

func (p *Pages) stagePage(w http.ResponseWriter, status int, f flow, t ticket, csrf, problem string) {
	if t.Stage == "new" {
		render(w, status, "newpassword", page{"Title": f.title, "Path": f.path, "Email": t.Email, "CSRF": csrf,
			"Min": accounts.MinPasswordLength, "Error": problem})
		return
	}
	render(w, status, "verify", page{"Title": f.title, "Intro": f.verifyIntro, "Path": f.path, "Email": t.Email,
		"CSRF": csrf, "Error": problem, "Password": f.name == resetSFFlow.name})
}

// verify checks the factor the reset does not replace: the second factor for a password
// reset, the password for a second-factor reset.
func (p *Pages) verify(f flow) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !p.form(w, r) {
			return
		}
		t, err := p.loadTicket(r, f.name)
		if err != nil || t.Stage != "verify" {
			message(w, http.StatusBadRequest, "Start again", "This reset took too long or was finished. Start again.", f.path, f.title)
			return
		}
		ok, err := p.checkOtherFactor(r, f, t)
		if err != nil {
			p.unavailable(w, r, err)
			return
		}
		if !ok {
			p.wrongFactor(w, r, f, t)
			return
		}
		if f.name == resetSFFlow.name {
			p.resetSecondFactor(w, r, t)
			return
		}
		t.Stage = "new"
		if err := p.saveTicket(r, t); err != nil {
			p.unavailable(w, r, err)
			return
		}
		p.stagePage(w, http.StatusOK, f, t, r.PostForm.Get("csrf"), "")
	}
}

func (p *Pages) checkOtherFactor(r *http.Request, f flow, t ticket) (bool, error) {
	ctx := r.Context()
	if f.name == resetSFFlow.name {
		prof, ok, err := p.d.Accounts.Authenticate(ctx, t.Email, r.PostForm.Get("password"))
		return ok && prof.ID == t.Account, err
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	check := p.d.Factors.CheckTOTP
	if len(strings.ReplaceAll(code, " ", "")) != 6 {
		check = p.d.Factors.UseRecoveryCode
	}
	err := check(ctx, t.Account, code)
	if errors.Is(err, secondfactor.ErrWrongCode) {
		return false, nil
	}
	return err == nil, err
}

func (p *Pages) wrongFactor(w http.ResponseWriter, r *http.Request, f flow, t ticket) {
	t.Failures++
	if t.Failures >= verifyFailures {
		p.dropTicket(w, r)
		message(w, http.StatusUnauthorized, "Reset stopped", "Too many wrong tries. Start again.", f.path, f.title)
		return
	}
	if err := p.saveTicket(r, t); err != nil {
		p.unavailable(w, r, err)
		return
	}
	p.stagePage(w, http.StatusUnauthorized, f, t, r.PostForm.Get("csrf"), "That was not right. Try again.")
}

// resetSecondFactor removes every second factor, ends every session and token of the
// account, tells the owner by email, and lets the browser enroll a new factor.
func (p *Pages) resetSecondFactor(w http.ResponseWriter, r *http.Request, t ticket) {
	ctx := r.Context()
	prof, err := p.d.Accounts.Profile(ctx, t.Account)
	if err == nil {
		err = p.event(ctx, r, "account.second_factor_reset", t.Account, "pass_code")
	}
	if err == nil {
		err = errors.Join(p.d.Factors.Reset(ctx, t.Account), p.signOutEverywhere(ctx, t.Account))
	}
	if err == nil {
		err = p.d.Mail.Enqueue(ctx, msgResetNotice(prof.Email, "second factor", p.d.BaseURL))
	}
	if err == nil {
		t.Flow, t.Stage = "enroll", ""
		err = p.saveTicket(r, t)
	}
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	http.Redirect(w, r, EnrollPath, http.StatusSeeOther)
}

// finish sets the new password of a password reset, then ends every session and token.
func (p *Pages) finish(f flow) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !p.form(w, r) {
			return
		}
		t, err := p.loadTicket(r, f.name)
		if err != nil || t.Stage != "new" || f.name != forgotFlow.name {
			message(w, http.StatusBadRequest, "Start again", "This reset took too long or was finished. Start again.", f.path, f.title)
			return
		}
		ctx, password := r.Context(), r.PostForm.Get("password")
		if password != r.PostForm.Get("confirm") {
			p.stagePage(w, http.StatusBadRequest, f, t, r.PostForm.Get("csrf"), msgMismatch)
			return
		}
		prof, err := p.d.Accounts.Profile(ctx, t.Account)
		if err != nil {
			p.unavailable(w, r, err)
			return
		}
		serr := p.d.Accounts.SetPassword(ctx, prof, password)
		if errors.Is(serr, accounts.ErrWeakPassword) {
			p.stagePage(w, http.StatusBadRequest, f, t, r.PostForm.Get("csrf"), serr.Error())
			return
		}
		err = errors.Join(serr, p.event(ctx, r, "account.password_reset", t.Account, "pass_code"))
		if err == nil {
			err = errors.Join(p.signOutEverywhere(ctx, t.Account), p.d.Mail.Enqueue(ctx, msgResetNotice(prof.Email, "password", p.d.BaseURL)))
		}
		if err != nil {
			p.unavailable(w, r, err)
			return
		}
		p.dropTicket(w, r)
		message(w, http.StatusOK, "Your password is changed", "Your new password is set. Every device and app signed in to your account was signed out; sign in again.", signInPath, "Sign in")
	}
}
