package provider

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/secondfactor"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/smart"
	"github.com/mypatients/gateway/web"
)

// The authentication context classes the provider asserts (REFEDS assurance profiles) and
// the methods (RFC 8176) behind them.
const (
	acrMFA = "https://refeds.org/profile/mfa"
	acrSFA = "https://refeds.org/profile/sfa"
)

const maxFormBytes = 16 << 10

// step is a sign-in whose password was right, waiting for the second factor. It is keyed by
// the hash of a random handle held in a cookie, so only the browser that typed the password
// can finish it.
type step struct {
	Account, Username string
	AuthRequest, Next string
	Client            string
	Failures          int
}

const (
	stepTTL      = 5 * time.Minute
	stepFailures = 5
)

//go:embed static/passkey.js
var static embed.FS

// Static serves the provider's script (its path below the mount point is its file name),
// for the pages of sibling packages too.
func Static() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded directory is there by construction
	}
	return http.FileServerFS(sub)
}

func (p *Provider) csrf() web.CSRF {
	return web.CSRF{Cookie: "mp_csrf_" + p.cfg.IDPrefix, Path: p.base + "/"}
}

func (p *Provider) stepCookie() string { return "mp_signin_" + p.cfg.IDPrefix }

func (p *Provider) stepKey(handle string) string {
	return p.cfg.Accounts.Prefix() + "provider:" + p.cfg.IDPrefix + ":step:" + hashID(handle)
}

func (p *Provider) throttle() Throttle {
	return Throttle{rdb: p.cfg.Accounts.Redis(), prefix: p.cfg.Accounts.Prefix() + "provider:" + p.cfg.IDPrefix + ":"}
}

// Throttle returns the provider's sign-in limits, for the support team's unlock.
func (p *Provider) Throttle() Throttle { return p.throttle() }

// login serves the sign-in form of an authorization request (GET) and checks the password (POST).
func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		id := r.URL.Query().Get("authRequestID")
		if !p.store.loginTarget(id) {
			p.message(w, http.StatusBadRequest, "Sign-in expired", unknownSignIn)
			return
		}
		d := p.data("Sign in")
		d.AuthRequestID, d.CSRF = id, p.csrf().Issue(w, r)
		p.render(w, http.StatusOK, pages, d)
	case http.MethodPost:
		p.submitPassword(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		p.message(w, http.StatusMethodNotAllowed, "Method not allowed", "Use the sign-in form.")
	}
}

// signInForAccountPages shows the sign-in form that leads to the account pages.
func (p *Provider) signInForAccountPages(w http.ResponseWriter, r *http.Request) {
	d := p.data("Sign in")
	d.Next, d.CSRF = p.cfg.Links.Account, p.csrf().Issue(w, r)
	p.render(w, http.StatusOK, pages, d)
}

// target returns where a sign-in form leads: an authorization request still waiting, or the
// account pages. ok is false for anything else.
func (p *Provider) target(form map[string][]string) (id, next string, ok bool) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	id, next = get("authRequestID"), get("next")
	switch {
	case id != "":
		return id, "", p.store.loginTarget(id)
	case next != "" && next == p.cfg.Links.Account:
		return "", next, true
	}
	return "", "", false
}

// submitPassword checks a posted username and password within the limits.
func (p *Provider) submitPassword(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil || !p.csrf().Check(r) {
		p.message(w, http.StatusForbidden, "Form expired", "The form expired. Go back and start again.")
		return
	}
	id, next, ok := p.target(r.PostForm)
	if !ok {
		p.message(w, http.StatusBadRequest, "Sign-in expired", unknownSignIn)
		return
	}
	ctx, username, addr := r.Context(), r.PostForm.Get("username"), p.cfg.Proxies.Addr(r)
	again := p.data("Sign in")
	again.AuthRequestID, again.Next, again.CSRF = id, next, r.PostForm.Get("csrf")
	if ref, err := p.throttle().check(ctx, username); err != nil || ref != nil {
		p.refuse(w, r, again, ref, err, username)
		return
	}
	attempt, err := p.cfg.SignIn.Begin(ctx, normalize(username), addr)
	var limited limits.LimitedError
	if errors.As(err, &limited) {
		p.refuse(w, r, again, &refusal{wait: limited.RetryAfter}, nil, username)
		return
	}
	var prof accounts.Profile
	if err == nil {
		prof, ok, err = p.cfg.Accounts.Authenticate(ctx, username, r.PostForm.Get("password"))
	}
	if errors.Is(err, accounts.ErrNotActive) {
		p.inactive(w, r, attempt, username, id, err)
		return
	}
	if err != nil {
		// Nothing was checked (a fault, or the hash bound is full): the attempt does not count.
		p.unavailable(w, r, errors.Join(err, attempt.Succeeded(ctx)))
		return
	}
	if !ok {
		p.failed(w, r, again, username, "invalid_credentials", invalidCredentials)
		return
	}
	if err := attempt.Succeeded(ctx); err != nil {
		p.unavailable(w, r, err)
		return
	}
	st := step{Account: prof.ID, Username: prof.Username, AuthRequest: id, Next: next, Client: p.store.clientOf(id)}
	if !prof.NeedsSecondFactor() {
		p.complete(w, r, st, []string{"pwd"}, acrSFA, false)
		return
	}
	p.askSecondFactor(w, r, st, again)
}

// askSecondFactor keeps the sign-in as a step and shows the account's second factors.
func (p *Provider) askSecondFactor(w http.ResponseWriter, r *http.Request, st step, d pageData) {
	ctx := r.Context()
	f, err := p.cfg.Factors.Get(ctx, st.Account)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	if !f.Any() {
		p.event(ctx, "signin.failure", st, p.cfg.Proxies.Addr(r), "no_second_factor", nil, "")
		p.message(w, http.StatusForbidden, "Second factor needed",
			"Your password is right, but your account has no second factor (authenticator app or passkey) yet. Reset your second factor to set one up: it takes a code we email you and your password.")
		return
	}
	handle := newID() + newID()
	if err := redisstore.PutJSON(ctx, p.cfg.Accounts.Redis(), p.stepKey(handle), st, stepTTL); err != nil {
		p.unavailable(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: p.stepCookie(), Value: handle, Path: p.base + "/login", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(stepTTL / time.Second)})
	d.TOTP, d.Passkey = len(f.TOTP) > 0, len(f.Passkeys) > 0 && p.cfg.Factors.Passkeys()
	p.render(w, http.StatusOK, secondFactorPage, d)
}

// loadStep returns the sign-in waiting for this browser's second factor.
func (p *Provider) loadStep(r *http.Request) (string, step, error) {
	c, err := r.Cookie(p.stepCookie())
	if err != nil || c.Value == "" {
		return "", step{}, redisstore.ErrNotFound
	}
	var st step
	err = redisstore.GetJSON(r.Context(), p.cfg.Accounts.Redis(), p.stepKey(c.Value), &st)
	return c.Value, st, err
}

// secondFactor checks a TOTP or recovery code.
func (p *Provider) secondFactor(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil || !p.csrf().Check(r) {
		p.message(w, http.StatusForbidden, "Form expired", "The form expired. Go back and start again.")
		return
	}
	handle, st, err := p.loadStep(r)
	if err != nil {
		p.stepGone(w, r, err)
		return
	}
	ctx, code := r.Context(), r.PostForm.Get("code")
	check := p.cfg.Factors.CheckTOTP
	amr := []string{"pwd", "otp", "mfa"}
	if r.PostForm.Get("method") == "recovery" {
		check = p.cfg.Factors.UseRecoveryCode
	}
	if err := check(ctx, st.Account, code); err != nil {
		p.wrongSecondFactor(w, r, handle, st, err)
		return
	}
	p.complete(w, r, st, amr, acrMFA, false)
}

// wrongSecondFactor counts a wrong code against the username, like a wrong password.
func (p *Provider) wrongSecondFactor(w http.ResponseWriter, r *http.Request, handle string, st step, err error) {
	ctx, addr := r.Context(), p.cfg.Proxies.Addr(r)
	if !errors.Is(err, secondfactor.ErrWrongCode) {
		p.unavailable(w, r, err)
		return
	}
	if _, ferr := p.throttle().fail(ctx, st.Username); ferr != nil {
		p.unavailable(w, r, ferr)
		return
	}
	p.event(ctx, "signin.failure", st, addr, "second_factor", nil, "")
	st.Failures++
	rdb := p.cfg.Accounts.Redis()
	if st.Failures >= stepFailures {
		rdb.Del(ctx, p.stepKey(handle))
		p.message(w, http.StatusUnauthorized, "Sign-in stopped", "Too many wrong codes. Start signing in again.")
		return
	}
	if err := redisstore.PutJSON(ctx, rdb, p.stepKey(handle), st, stepTTL); err != nil {
		p.unavailable(w, r, err)
		return
	}
	d := p.data("Sign in")
	d.CSRF, d.Error = r.PostForm.Get("csrf"), wrongCode
	f, _ := p.cfg.Factors.Get(ctx, st.Account)
	d.TOTP, d.Passkey = len(f.TOTP) > 0, len(f.Passkeys) > 0 && p.cfg.Factors.Passkeys()
	p.render(w, http.StatusUnauthorized, secondFactorPage, d)
}

// passkeyBegin answers the options of a passkey sign-in for the waiting step, as JSON.
func (p *Provider) passkeyBegin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil || !p.csrf().Check(r) {
		web.WriteJSON(w, http.StatusForbidden, map[string]string{"message": "The form expired. Start signing in again."})
		return
	}
	_, st, err := p.loadStep(r)
	if err != nil {
		web.WriteJSON(w, http.StatusBadRequest, map[string]string{"message": unknownSignIn})
		return
	}
	options, err := p.cfg.Factors.BeginPasskeyLogin(r.Context(), st.Account)
	if err != nil {
		web.WriteJSON(w, http.StatusBadRequest, map[string]string{"message": "No passkey is registered for this account."})
		return
	}
	web.WriteJSON(w, http.StatusOK, json.RawMessage(options))
}

// passkeyFinish checks the browser's passkey assertion and completes the sign-in.
func (p *Provider) passkeyFinish(w http.ResponseWriter, r *http.Request) {
	if !p.csrf().CheckValue(r, r.URL.Query().Get("csrf")) {
		web.WriteJSON(w, http.StatusForbidden, map[string]string{"message": "The form expired. Start signing in again."})
		return
	}
	handle, st, err := p.loadStep(r)
	if err != nil {
		web.WriteJSON(w, http.StatusBadRequest, map[string]string{"message": unknownSignIn})
		return
	}
	if err := p.cfg.Factors.FinishPasskeyLogin(r.Context(), st.Account, r); err != nil {
		if _, ferr := p.throttle().fail(r.Context(), st.Username); ferr == nil {
			p.event(r.Context(), "signin.failure", st, p.cfg.Proxies.Addr(r), "second_factor", nil, "")
		}
		web.WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": "The passkey was not accepted."})
		return
	}
	p.cfg.Accounts.Redis().Del(r.Context(), p.stepKey(handle))
	p.complete(w, r, st, []string{"pwd", "hwk", "user", "mfa"}, acrMFA, true)
}

// complete ends a successful sign-in: the failures are forgotten, the audit record written
// (no record, no sign-in), the account pages' session opened, and the browser sent on.
func (p *Provider) complete(w http.ResponseWriter, r *http.Request, st step, amr []string, acr string, asJSON bool) {
	ctx, addr := r.Context(), p.cfg.Proxies.Addr(r)
	if c, err := r.Cookie(p.stepCookie()); err == nil {
		p.cfg.Accounts.Redis().Del(ctx, p.stepKey(c.Value))
	}
	err := p.throttle().succeed(ctx, st.Username)
	if err == nil {
		err = p.event(ctx, "signin", st, addr, "", amr, acr)
	}
	if err == nil {
		err = p.Sessions.Open(ctx, w, r, st.Account, addr, amr)
	}
	next := st.Next
	if err == nil && st.AuthRequest != "" {
		sub := strings.TrimPrefix(st.Account, p.cfg.IDPrefix+":")
		if err = p.store.completeLogin(st.AuthRequest, sub, amr, acr); err == nil {
			next = op.AuthCallbackURL(p.provider)(ctx, st.AuthRequest)
		}
	}
	switch {
	case errors.Is(err, errNotFound):
		p.message(w, http.StatusBadRequest, "Sign-in expired", unknownSignIn)
	case err != nil:
		p.unavailable(w, r, err)
	case asJSON:
		web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": next})
	default:
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// event writes the audit record of the provider's own check of a sign-in, with the methods
// checked: "<prefix>.signin" ("accounts.signin"; the gateway's "signin" record of the app's
// sign-in follows), or "signin.failure" with its reason. The client is "idp:<name>".
func (p *Provider) event(ctx context.Context, name string, st step, addr, reason string, amr []string, acr string) error {
	outcome := audit.Success
	if name == "signin" {
		name = p.cfg.IDPrefix + ".signin"
	} else {
		outcome = audit.Failure
	}
	sponsor := ""
	if st.Account != "" {
		var err error
		if sponsor, err = p.cfg.Accounts.SponsorOf(ctx, st.Account); err != nil {
			return err
		}
	}
	return audit.WriteAction(ctx, p.cfg.Audit, audit.Action{Event: name, Actor: st.Account, Subject: st.Account, Sponsor: sponsor,
		Outcome: outcome, Reason: reason, Client: "idp:" + p.cfg.Name, Source: addr, AMR: amr, ACR: acr})
}

// failed counts a wrong password and shows the one answer for every wrong username or password.
func (p *Provider) failed(w http.ResponseWriter, r *http.Request, d pageData, username, reason, msg string) {
	ctx, addr := r.Context(), p.cfg.Proxies.Addr(r)
	locked, err := p.throttle().fail(ctx, username)
	owner, oerr := p.cfg.Accounts.UsernameOwner(ctx, username)
	if err = errors.Join(err, oerr); err != nil {
		p.unavailable(w, r, err)
		return
	}
	if locked {
		reason = "locked"
	}
	if err := p.event(ctx, "signin.failure", step{Account: owner, Client: p.store.clientOf(d.AuthRequestID)}, addr, reason, nil, ""); err != nil {
		p.unavailable(w, r, err)
		return
	}
	d.Error = msg
	p.render(w, http.StatusUnauthorized, pages, d)
}

// refuse answers an attempt the limits stop before it is checked.
func (p *Provider) refuse(w http.ResponseWriter, r *http.Request, d pageData, ref *refusal, err error, username string) {
	addr := p.cfg.Proxies.Addr(r)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	owner, _ := p.cfg.Accounts.UsernameOwner(r.Context(), username)
	reason, status, msg := "rate_limited", http.StatusTooManyRequests, tooManyAttempts
	if ref.locked {
		reason, status, msg = "locked", http.StatusForbidden, lockedOut
	} else {
		w.Header().Set("Retry-After", retryAfter(ref.wait))
	}
	if err := p.event(r.Context(), "signin.failure", step{Account: owner, Client: p.store.clientOf(d.AuthRequestID)}, addr, reason, nil, ""); err != nil {
		p.unavailable(w, r, err)
		return
	}
	d.Error = msg
	p.render(w, status, pages, d)
}

func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(int(d.Round(time.Second)/time.Second), 1))
}

// inactive answers the right password of an account that may not sign in (suspended, or
// removed staff). The browser goes back to the client (the gateway) with access_denied and the
// standing's reason (smart.RefusalResponse), so that the app the user came from tells them why
// on its own page; when the sign-in is no longer known, it is told here, with whom to contact.
func (p *Provider) inactive(w http.ResponseWriter, r *http.Request, attempt limits.Attempt, username, authRequestID string, why error) {
	ctx := r.Context()
	owner, err := p.cfg.Accounts.UsernameOwner(ctx, username)
	if err == nil {
		err = attempt.Succeeded(ctx)
	}
	if err == nil {
		err = p.event(ctx, "signin.failure", step{Account: owner}, p.cfg.Proxies.Addr(r), "account_inactive", nil, "")
	}
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	if req, err := p.store.AuthRequestByID(ctx, authRequestID); err == nil {
		reason := smart.ReasonAccountInactive
		var se accounts.StandingError
		if errors.As(why, &se) {
			reason = se.Reason
		}
		u, err := op.AuthResponseURL(req.GetRedirectURI(), req.GetResponseType(), req.GetResponseMode(),
			smart.NewRefusal(req.GetState(), reason), p.provider.Encoder())
		if err == nil {
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
	}
	p.message(w, http.StatusForbidden, "Account not active", inactiveAccount)
}

// unavailable answers a fault of ours (Redis, the audit trail, the hash bound): nothing is
// counted against the user and nothing says whether the account exists.
func (p *Provider) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, limits.ErrBusy) {
		w.Header().Set("Retry-After", "5")
		p.message(w, http.StatusServiceUnavailable, "Busy", busy)
		return
	}
	p.log.ErrorContext(r.Context(), "sign-in could not be checked", "idp", p.cfg.IDPrefix, "err", err)
	p.message(w, http.StatusServiceUnavailable, "Try again later", "Sign-in is unavailable. Try again in a minute.")
}

func (p *Provider) stepGone(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, redisstore.ErrNotFound) {
		p.unavailable(w, r, err)
		return
	}
	p.message(w, http.StatusBadRequest, "Sign-in expired", "This sign-in took too long. Start again.")
}

// signOut ends the account pages' session.
func (p *Provider) signOut(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil || !p.csrf().Check(r) {
		p.message(w, http.StatusForbidden, "Form expired", "The form expired.")
		return
	}
	if err := p.Sessions.Close(r.Context(), w, r); err != nil {
		p.unavailable(w, r, err)
		return
	}
	http.Redirect(w, r, p.base+loggedOutPath, http.StatusSeeOther)
}
