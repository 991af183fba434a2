package idp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Messages of the login page. invalidCredentials is the one answer to every wrong username or
// password, so the page never tells whether an account exists.
const (
	invalidCredentials = "Invalid username or password."
	tooManyAttempts    = "Too many failed sign-in attempts. Wait a minute, then try again.\n"
	unknownSignIn      = "This sign-in has expired or was already completed. Go back to the application and start again."
)

// maxFormBytes caps the login form body; two short fields and an id need far less.
const maxFormBytes = 16 << 10

// pageStyle is the only styling; the CSP allows exactly this block by its hash.
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
	logger   *slog.Logger
	csp      string
}

func newLoginPage(cfg Config, st *store, callback func(context.Context, string) string, logger *slog.Logger) *loginPage {
	return &loginPage{name: cfg.Name, store: st, callback: callback, logger: logger, csp: contentSecurityPolicy(cfg.Clients)}
}

// contentSecurityPolicy allows no script, no framing and only our style block. form-action must
// also list the clients' origins: browsers apply it to the redirects that follow the form post,
// and the sign-in ends with a redirect to the client.
func contentSecurityPolicy(clients []Client) string {
	sum := sha256.Sum256([]byte(pageStyle))
	targets := []string{"'self'"}
	for _, c := range clients {
		for _, ru := range c.RedirectURIs {
			if u, err := url.Parse(ru); err == nil && !slices.Contains(targets, u.Scheme+"://"+u.Host) {
				targets = append(targets, u.Scheme+"://"+u.Host)
			}
		}
	}
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"form-action " + strings.Join(targets, " ") + "; frame-ancestors 'none'; base-uri 'none'"
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
		p.plain(w, http.StatusMethodNotAllowed, "Method not allowed.\n")
	}
}

// submit checks a posted username and password and, when right, completes the authorization
// request and sends the browser on to zitadel's callback, which redirects to the client.
func (p *loginPage) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.plain(w, http.StatusBadRequest, "Bad request.\n")
		return
	}
	id, username := r.PostForm.Get("authRequestID"), r.PostForm.Get("username")
	if !p.store.loginTarget(id) {
		p.render(w, http.StatusBadRequest, "message", pageData{Title: "Sign-in expired", Message: unknownSignIn})
		return
	}
	key, ip, now := normalizeUsername(username), clientIP(r), p.store.now()
	if p.store.failures.blocked(key, ip, now) {
		p.logger.WarnContext(r.Context(), "sign-in refused: too many failures", "idp", p.name,
			"username", p.store.users.loggable(key), "client_ip", ip)
		w.Header().Set("Retry-After", "30")
		p.plain(w, http.StatusTooManyRequests, tooManyAttempts)
		return
	}
	user, ok, err := p.store.authenticate(r.Context(), username, r.PostForm.Get("password"))
	if err != nil {
		// Not a failed guess: nothing is counted against the user, and nothing says whether
		// the account exists.
		p.logger.ErrorContext(r.Context(), "sign-in could not be checked", "idp", p.name, "err", err)
		p.plain(w, http.StatusServiceUnavailable, "Sign-in is unavailable. Try again in a minute.\n")
		return
	}
	if !ok {
		p.store.failures.fail(key, ip, now)
		p.logger.WarnContext(r.Context(), "sign-in failed", "idp", p.name, "username", p.store.users.loggable(key), "client_ip", ip)
		// The typed username is not echoed either: the page stays byte-identical for every failure.
		p.render(w, http.StatusUnauthorized, "login", pageData{Title: "Sign in", AuthRequestID: id, Error: invalidCredentials})
		return
	}
	if err := p.store.completeLogin(id, user.Subject); err != nil {
		p.render(w, http.StatusBadRequest, "message", pageData{Title: "Sign-in expired", Message: unknownSignIn})
		return
	}
	p.logger.InfoContext(r.Context(), "signed in", "idp", p.name, "username", user.Username, "sub", user.Subject)
	http.Redirect(w, r, p.callback(r.Context(), id), http.StatusSeeOther)
}

// loggedOut is where end_session sends the browser when the client named no
// post_logout_redirect_uri.
func (p *loginPage) loggedOut(w http.ResponseWriter, _ *http.Request) {
	p.render(w, http.StatusOK, "message", pageData{Title: "Signed out", Message: "You are signed out."})
}

// render writes one of the page templates with the page security headers. It renders into a
// buffer first so a template error cannot leave half a page behind.
func (p *loginPage) render(w http.ResponseWriter, status int, name string, data pageData) {
	data.Name, data.Action = p.name, loginPath
	var buf bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		p.logger.Error("render page", "idp", p.name, "template", name, "error", err)
		p.plain(w, http.StatusInternalServerError, "Internal error.\n")
		return
	}
	p.secure(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// plain writes a short text answer with the page security headers.
func (p *loginPage) plain(w http.ResponseWriter, status int, msg string) {
	p.secure(w)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

// secure sets the headers every page of ours carries: nothing cached, no referrer leaking the
// auth request id, no framing (clickjacking), no script.
func (p *loginPage) secure(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", p.csp)
}

// clientIP is the address the connection comes from. Forwarding headers are ignored on purpose:
// the demo IdP is reached directly, and trusting them would let anyone pick their own key.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
