package accounts

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/web"
)

// SetupPath is where the set-up page is served; the emailed link is
// <gateway base URL>/account/setup?token=<token>.
const SetupPath = "/account/setup"

// csrf is the form's double-submit token, its cookie limited to the set-up page.
var csrf = web.CSRF{Cookie: "mp_setup_csrf", Path: SetupPath}

const maxFormBytes = 16 << 10

var formPage = template.Must(template.New("form").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Set up your MyPatients login</title>
<style>` + web.Style + `</style></head><body>
<h1>Set up your MyPatients login</h1>
<p>Hello {{.Name}}. Your username is <strong>{{.Username}}</strong>.</p>
<p>Choose a password of at least {{.Min}} characters. A long phrase you can remember is best;
no mix of symbols is required. Very common passwords are refused.</p>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="` + SetupPath + `">
<input type="hidden" name="token" value="{{.Token}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="text" name="username" value="{{.Username}}" autocomplete="username" hidden>
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="{{.Min}}" required autofocus>
<label for="confirm">New password again</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="{{.Min}}" required>
<button type="submit">Set password</button>
</form>
</body></html>
`))

type pageData struct {
	Name, Username, Token, CSRF, Error string
	Min                                int
}

// Messages of the page.
const (
	msgInvalidLink = "This set-up link is not valid: it may have expired or been used already. Ask your sponsoring provider to create your account again."
	msgDone        = "Your password is set. Sign in with the MyPatients accounts sign-in, using your email address as the username."
	msgBadForm     = "The form expired. Open the link from your email again."
	msgTooMany     = "Too many attempts. Wait a few minutes, then open the link from your email again."
	msgMismatch    = "The two passwords differ. Type the same password twice."
)

// PageOptions are what the set-up page needs besides the store.
type PageOptions struct {
	// Trail receives the "staff.setup_link.use" events; required.
	Trail audit.Writer
	// Attempts limits posts per client address (Proxies says which); nil: no limit.
	Attempts *limits.Limiter
	Proxies  limits.Proxies
	Logger   *slog.Logger
}

// SetupAttempts is the set-up page's limit: a person mistyping a password a few times
// passes; a script trying tokens does not.
var SetupAttempts = limits.Rule{Name: "setup", Limit: 10, Window: 15 * time.Minute}

// Handler serves the set-up page: GET shows the form for a valid link, POST redeems it.
func Handler(s *Store, o PageOptions) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	p := &page{store: s, log: o.Logger, opts: o}
	// Cross-origin posts are refused by Sec-Fetch-Site/Origin before the double-submit token
	// is even looked at: two independent defences against a forged form.
	return http.NewCrossOriginProtection().Handler(p)
}

type page struct {
	store *Store
	log   *slog.Logger
	opts  PageOptions
}

func (p *page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		p.show(w, r)
	case http.MethodPost:
		p.submit(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		p.message(w, http.StatusMethodNotAllowed, "Method not allowed", "Use the link from your email.")
	}
}

func (p *page) show(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	st, err := p.store.SetupAccount(r.Context(), token)
	if p.failed(w, r, err) {
		return
	}
	p.form(w, http.StatusOK, pageData{Name: st.Name, Username: NormalizeUsername(st.Email), Token: token, CSRF: csrf.Issue(w, r)})
}

func (p *page) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.message(w, http.StatusBadRequest, "Bad request", msgBadForm)
		return
	}
	if !csrf.Check(r) {
		p.message(w, http.StatusForbidden, "Form expired", msgBadForm)
		return
	}
	n, err := p.opts.Attempts.Take(r.Context(), p.opts.Proxies.Addr(r))
	if err != nil {
		p.failed(w, r, err)
		return
	}
	if !n.Allowed {
		if p.failed(w, r, p.refused(r.Context(), "rate_limited")) {
			return
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(n.RetryAfter.Seconds())+1))
		p.message(w, http.StatusTooManyRequests, "Too many attempts", msgTooMany)
		return
	}
	token, password := r.PostForm.Get("token"), r.PostForm.Get("password")
	st, err := p.store.SetupAccount(r.Context(), token)
	if errors.Is(err, ErrInvalidSetup) {
		err = errors.Join(err, p.refused(r.Context(), "invalid_link"))
	}
	if p.failed(w, r, err) {
		return
	}
	again := pageData{Name: st.Name, Username: NormalizeUsername(st.Email), Token: token, CSRF: r.PostForm.Get("csrf")}
	if password != r.PostForm.Get("confirm") {
		again.Error = msgMismatch
		p.form(w, http.StatusBadRequest, again)
		return
	}
	st, err = p.store.RedeemSetup(r.Context(), p.opts.Trail, token, password)
	if errors.Is(err, ErrWeakPassword) {
		again.Error = err.Error()
		p.form(w, http.StatusBadRequest, again)
		return
	}
	if p.failed(w, r, err) {
		return
	}
	p.log.InfoContext(r.Context(), "staff login set up", "part", "accounts", "staff", st.ID)
	p.message(w, http.StatusOK, "Your login is set up", msgDone)
}

// failed answers err, if any, and reports whether it did: one message for every dead link,
// a generic one for trouble on our side.
func (p *page) failed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrInvalidSetup) && !errors.Is(err, errNotRecorded):
		p.message(w, http.StatusBadRequest, "Link not valid", msgInvalidLink)
	case errors.Is(err, limits.ErrBusy):
		w.Header().Set("Retry-After", "5")
		p.message(w, http.StatusServiceUnavailable, "Busy", "Too many people are setting passwords right now. Try again in a few seconds.")
	default:
		p.log.ErrorContext(r.Context(), "staff login set-up failed", "part", "accounts", "err", err)
		p.message(w, http.StatusServiceUnavailable, "Try again later", "Something went wrong on our side. Try again in a few minutes.")
	}
	return true
}

func (p *page) message(w http.ResponseWriter, status int, title, msg string) {
	web.WriteMessage(w, status, web.Message{Title: title, Text: msg})
}

// form writes the set-up form. Like every page it is never cached (it holds a live token),
// sends no referrer (the URL holds the token), cannot be framed, runs no script and posts only
// to us (package web).
func (p *page) form(w http.ResponseWriter, status int, data pageData) {
	data.Min = MinPasswordLength
	web.Write(w, status, formPage, data)
}

// errNotRecorded marks a refusal whose audit record could not be written: it is answered as
// a fault of ours, never as the refusal itself.
var errNotRecorded = errors.New("accounts: refusal not recorded")

// refused records a refused set-up post (an unknown link, too many attempts) and returns nil,
// or errNotRecorded when the record could not be written.
func (p *page) refused(ctx context.Context, reason string) error {
	err := audit.WriteAction(ctx, p.opts.Trail, audit.Action{Event: "staff.setup_link.use",
		Outcome: audit.Failure, Reason: reason, Client: "setup-page"})
	if err != nil {
		return fmt.Errorf("%w: %w", errNotRecorded, err)
	}
	return nil
}
