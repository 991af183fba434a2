package idp

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/smart"
	"github.com/mypatients/gateway/web"
)

// Messages of the login page. invalidCredentials is the one answer to every wrong username or
// password, so the page never tells whether an account exists.
const (
	invalidCredentials = "Invalid username or password."
	tooManyAttempts    = "Too many failed sign-in attempts. Wait a few minutes, then try again."
	busy               = "Sign-in is busy right now. Try again in a few seconds."
	inactive           = "This account is suspended or removed. Contact the MyPatients support team."
	unknownSignIn      = "This sign-in has expired or was already completed. Go back to the application and start again."
)

// maxFormBytes caps the login form body; two short fields and an id need far less.
const maxFormBytes = 16 << 10

const pageStyle = `body{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}` +
	`label,input,button{display:block;width:100%;box-sizing:border-box;margin:.25rem 0}` +
	`input{padding:.5rem}button{margin-top:1rem;padding:.6rem}.error{color:#a00}`

const pageHead = `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
	`<meta name="viewport" content="width=device-width, initial-scale=1">` +
	`<title>{{.Title}} – {{.Name}}</title><style>` + pageStyle + `</style></head><body>`

var pageTemplates = template.Must(template.Must(template.New("login").Parse(pageHead + `
<h1>{{.Name}}</h1>
<p>Sign in to continue.</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="authRequestID" value="{{.AuthRequestID}}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</body></html>
`)).New("message").Parse(pageHead + `
<h1>{{.Name}}</h1>
<p>{{.Message}}</p>
</body></html>
`))

// pageData is what the templates show.
type pageData struct {
	Title, Name, Message, Error string
	Action, AuthRequestID       string
}

// loginPage is the user-facing part of the IdP: the sign-in form that completes an
// authorization request, and the page end_session lands on.
type loginPage struct {
	name     string
	store    *store
	callback func(ctx context.Context, authRequestID string) string
	// encoder writes authorization responses (zitadel's), for handBack.
	encoder httphelper.Encoder
	logger  *slog.Logger
	cfg     Config
	// formTargets are the clients' redirect URIs: the form's post ends in a redirect there,
	// and browsers apply form-action to it.
	formTargets []string
}

func newLoginPage(cfg Config, st *store, provider *op.Provider, logger *slog.Logger) *loginPage {
	var targets []string
	for _, c := range cfg.Clients {
		for _, ru := range c.RedirectURIs {
			if u, err := url.Parse(ru); err == nil && !slices.Contains(targets, u.Scheme+"://"+u.Host) {
				targets = append(targets, u.Scheme+"://"+u.Host)
			}
		}
	}
	return &loginPage{name: cfg.Name, store: st, callback: op.AuthCallbackURL(provider), encoder: provider.Encoder(),
		logger: logger, cfg: cfg, formTargets: targets}
}

// ServeHTTP serves the sign-in form (GET) and checks the credentials (POST).
func (p *loginPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		id := r.URL.Query().Get("authRequestID")
		if !p.store.loginTarget(id) {
			p.render(w, http.StatusBadRequest, "message", pageData{Title: "Sign-in expired", Message: unknownSignIn})
			return
		}
		p.render(w, http.StatusOK, "login", pageData{Title: "Sign in", AuthRequestID: id})
	case http.MethodPost:
		p.submit(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		p.message(w, http.StatusMethodNotAllowed, "Method not allowed", "Use the sign-in form.")
	}
}

// submit checks a posted username and password and, when right, completes the authorization
// request and sends the browser on to zitadel's callback, which redirects to the client. The
// attempt is counted against the account and the client address before the password is
// checked (limits.SignIn), and given back when it was right.
func (p *loginPage) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.message(w, http.StatusBadRequest, "Bad request", "The sign-in form could not be read.")
		return
	}
	id, username := r.PostForm.Get("authRequestID"), r.PostForm.Get("username")
	if !p.store.loginTarget(id) {
		p.render(w, http.StatusBadRequest, "message", pageData{Title: "Sign-in expired", Message: unknownSignIn})
		return
	}
	ctx, key, ip := r.Context(), normalizeUsername(username), p.cfg.Proxies.Addr(r)
	attempt, err := p.cfg.SignIn.Begin(ctx, key, ip)
	if err == nil {
		var user User
		var ok bool
		if user, ok, err = p.store.authenticate(ctx, username, r.PostForm.Get("password")); err == nil && ok {
			p.signedIn(w, r, attempt, id, user)
			return
		} else if err == nil {
			err = errWrongPassword
		} else if errors.Is(err, limits.ErrBusy) {
			err = errors.Join(err, attempt.Succeeded(ctx)) // nothing was checked: it does not count
		}
	}
	p.refuse(w, r, id, key, ip, err)
}

// errWrongPassword is a checked attempt that failed: an unknown username or a wrong password.
var errWrongPassword = errors.New("idp: invalid username or password")

// refuse answers a sign-in that did not succeed, after recording it ("signin.failure").
func (p *loginPage) refuse(w http.ResponseWriter, r *http.Request, id, key, ip string, err error) {
	status, reason, title, msg := http.StatusServiceUnavailable, "unavailable", "Try again later", "Sign-in is unavailable. Try again in a minute."
	var limited limits.LimitedError
	switch {
	case errors.Is(err, errWrongPassword):
		status, reason = http.StatusUnauthorized, "invalid_credentials"
	case errors.As(err, &limited):
		status, reason, title, msg = http.StatusTooManyRequests, "rate_limited", "Too many attempts", tooManyAttempts
		w.Header().Set("Retry-After", strconv.Itoa(int(limited.RetryAfter.Seconds())+1))
	case errors.Is(err, limits.ErrBusy):
		status, reason, title, msg = http.StatusServiceUnavailable, "busy", "Busy", busy
		w.Header().Set("Retry-After", "5")
	case errors.Is(err, gateway.ErrForbidden):
		status, reason, title, msg = http.StatusForbidden, "account_inactive", "Account not active", inactive
	default:
		p.logger.ErrorContext(r.Context(), "sign-in could not be checked", "idp", p.name, "err", err)
	}
	p.logger.WarnContext(r.Context(), "sign-in refused", "idp", p.name, "reason", reason,
		"username", p.store.users.loggable(key), "client_ip", ip)
	if p.cfg.Audit != nil && audit.WriteAction(r.Context(), p.cfg.Audit, audit.Action{Event: "signin.failure", Outcome: audit.Failure,
		Reason: reason, Client: "idp:" + p.name, Source: ip}) != nil {
		status, title, msg = http.StatusServiceUnavailable, "Try again later", "Sign-in is unavailable. Try again in a minute."
	}
	if status == http.StatusForbidden && p.handBack(w, r, id, err) {
		return
	}
	if status == http.StatusUnauthorized {
		// The typed username is not echoed either: the page stays byte-identical for every failure.
		p.render(w, status, "login", pageData{Title: "Sign in", AuthRequestID: id, Error: invalidCredentials})
		return
	}
	p.message(w, status, title, msg)
}

// signedIn completes the authorization request of a right password.
func (p *loginPage) signedIn(w http.ResponseWriter, r *http.Request, attempt limits.Attempt, id string, user User) {
	if err := attempt.Succeeded(r.Context()); err != nil {
		p.logger.WarnContext(r.Context(), "give back a successful sign-in attempt", "idp", p.name, "err", err)
	}
	if err := p.store.completeLogin(id, user.Subject); err != nil {
		p.render(w, http.StatusBadRequest, "message", pageData{Title: "Sign-in expired", Message: unknownSignIn})
		return
	}
	p.logger.InfoContext(r.Context(), "signed in", "idp", p.name, "username", user.Username, "sub", user.Subject)
	http.Redirect(w, r, p.callback(r.Context(), id), http.StatusSeeOther)
}

// handBack ends the sign-in of an account that may not sign in by sending the browser back to
// the client (the gateway) with access_denied and the standing's reason (smart.RefusalResponse),
// so that the app the user came from tells them why in its own page. It reports false when the
// sign-in is no longer known, and the user is told here instead.
func (p *loginPage) handBack(w http.ResponseWriter, r *http.Request, id string, err error) bool {
	req, gone := p.store.AuthRequestByID(r.Context(), id)
	if gone != nil {
		return false
	}
	reason := smart.ReasonAccountInactive
	var se accounts.StandingError
	if errors.As(err, &se) {
		reason = se.Reason
	}
	u, uerr := op.AuthResponseURL(req.GetRedirectURI(), req.GetResponseType(), req.GetResponseMode(),
		smart.NewRefusal(req.GetState(), reason), p.encoder)
	if uerr != nil || p.store.DeleteAuthRequest(r.Context(), id) != nil {
		return false
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
	return true
}

// loggedOut is where end_session sends the browser when the client named no
// post_logout_redirect_uri.
func (p *loginPage) loggedOut(w http.ResponseWriter, _ *http.Request) {
	p.render(w, http.StatusOK, "message", pageData{Title: "Signed out", Message: "You are signed out."})
}

// render writes one of the page templates through package web, the one page writer with the
// security headers (no framing, no script, no cache, no referrer).
func (p *loginPage) render(w http.ResponseWriter, status int, name string, data pageData) {
	data.Name, data.Action = p.name, loginPath
	web.Write(w, status, pageTemplates.Lookup(name), data, p.formTargets...)
}

// message writes a short message page.
func (p *loginPage) message(w http.ResponseWriter, status int, title, msg string) {
	p.render(w, status, "message", pageData{Title: title, Message: msg})
}
