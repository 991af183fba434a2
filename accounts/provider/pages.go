package provider

import (
	"html/template"
	"net/http"

	"github.com/mypatients/gateway/web"
)

// Messages of the sign-in. invalidCredentials is the one answer to every wrong username or
// password, known account or not.
const (
	invalidCredentials = "Invalid username or password."
	wrongCode          = "That code was not accepted. Try again, or use another way."
	tooManyAttempts    = "Too many failed sign-in attempts. Wait a little, then try again."
	lockedOut          = "This sign-in is locked after too many failed attempts. Contact the MyPatients support team to unlock it."
	unknownSignIn      = "This sign-in has expired or was already completed. Go back to the application and start again."
	busy               = "Sign-in is very busy right now. Try again in a few seconds."
	inactiveAccount    = "This account is suspended or removed. Contact the MyPatients support team."
)

const head = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Title}} – {{.Name}}</title>
<style>` + web.Style + `</style></head><body><main>`

var pages = template.Must(template.New("signin").Parse(head + `
<h1>{{.Name}}</h1>
<p>Sign in to continue.</p>
{{with .Error}}<p role="alert">{{.}}</p>{{end}}
<form method="post" action="{{.Base}}/login">
<input type="hidden" name="authRequestID" value="{{.AuthRequestID}}">
<input type="hidden" name="next" value="{{.Next}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="username">Email address</label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
{{with .Links}}<p>{{with .ForgotPassword}}<a href="{{.}}">Reset a forgotten or expired password</a><br>{{end}}
{{with .ResetSecondFactor}}<a href="{{.}}">Lost your authenticator app or passkey?</a><br>{{end}}
{{with .Register}}<a href="{{.}}">New to MyPatients? Register</a>{{end}}</p>{{end}}
</main></body></html>`))

var secondFactorPage = template.Must(template.New("second").Parse(head + `
<h1>{{.Name}}</h1>
<p>Confirm it is you with your second factor.</p>
{{with .Error}}<p role="alert">{{.}}</p>{{end}}
{{if .Passkey}}<form method="post" action="{{.Base}}/login/second-factor">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="button" data-passkey="get" data-begin="{{.Base}}/login/passkey/begin" data-finish="{{.Base}}/login/passkey/finish">Use your passkey</button>
<p id="passkey-status" role="status"></p></form>{{end}}
{{if .TOTP}}<form method="post" action="{{.Base}}/login/second-factor">
<input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="method" value="totp">
<label for="code">6-digit code from your authenticator app</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required autofocus>
<button type="submit">Continue</button></form>{{end}}
<details><summary>Use a recovery code</summary>
<form method="post" action="{{.Base}}/login/second-factor">
<input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="method" value="recovery">
<label for="recovery">Recovery code</label><input id="recovery" name="code" autocomplete="off" required>
<button type="submit">Continue</button></form></details>
{{with .Links.ResetSecondFactor}}<p><a href="{{.}}">Lost all of them? Reset your second factor</a></p>{{end}}
{{if .Passkey}}<script src="{{.Base}}/static/passkey.js"></script>{{end}}
</main></body></html>`))

var messagePage = template.Must(template.New("message").Parse(head + `
<h1>{{.Title}}</h1><p>{{.Error}}</p>
{{with .Links.ResetSecondFactor}}<p><a href="{{.}}">Reset your second factor</a></p>{{end}}
</main></body></html>`))

// pageData is what the templates show.
type pageData struct {
	Title, Name, Base, Error string
	AuthRequestID, Next      string
	CSRF                     string
	Links                    Links
	TOTP, Passkey            bool
}

func (p *Provider) data(title string) pageData {
	return pageData{Title: title, Name: p.cfg.Name, Base: p.base, Links: p.cfg.Links}
}

// render writes a page; its forms may end in a redirect to a client, so the clients'
// origins are allowed as form targets.
func (p *Provider) render(w http.ResponseWriter, status int, t *template.Template, d pageData) {
	var targets []string
	for _, c := range p.cfg.Clients {
		targets = append(targets, c.RedirectURIs...)
	}
	if t == secondFactorPage && d.Passkey {
		web.WriteWithScript(w, status, t, d, targets...)
		return
	}
	web.Write(w, status, t, d, targets...)
}

func (p *Provider) message(w http.ResponseWriter, status int, title, msg string) {
	d := p.data(title)
	d.Error = msg
	d.Links = Links{}
	p.render(w, status, messagePage, d)
}

// loggedOut is where end_session sends the browser when the client named no
// post_logout_redirect_uri.
func (p *Provider) loggedOut(w http.ResponseWriter, _ *http.Request) {
	p.message(w, http.StatusOK, "Signed out", "You are signed out.")
}
