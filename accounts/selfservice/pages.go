package selfservice

import (
	"html/template"
	"net/http"

	"github.com/mypatients/gateway/web"
)

// The pages, one template each around a shared head. Data is a map: each page names what it shows.
var pages = template.Must(template.New("head").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Title}} – MyPatients</title>
<style>` + web.Style + `</style></head><body><main><h1>{{.Title}}</h1>
{{with .Error}}<p role="alert">{{.}}</p>{{end}}{{with .Notice}}<p class="ok" role="status">{{.}}</p>{{end}}`))

var _ = template.Must(pages.New("foot").Parse(`</main></body></html>`))

var _ = template.Must(pages.New("message").Parse(`{{template "head" .}}<p>{{.Text}}</p>
{{with .Link}}<p><a href="{{.}}">{{$.LinkText}}</a></p>{{end}}{{template "foot" .}}`))

const noQuestions = `<p class="muted">MyPatients does not use security questions: the NIST guidelines for digital
identity (SP 800-63B) forbid them, because answers are easy to find or guess. Your second factor, an
authenticator app or a passkey, takes their place.</p>`

var _ = template.Must(pages.New("setup").Parse(`{{template "head" .}}
<p>Hello {{.Name}}. Your username is <strong>{{.Username}}</strong>.</p>
<p>Choose a password of at least {{.Min}} characters. A long phrase you can remember is best;
no mix of symbols is required. Very common passwords are refused.{{if .SecondFactor}} Next you will add a second
factor.{{end}}</p>
<form method="post" action="` + SetupPath + `">
<input type="hidden" name="token" value="{{.Token}}"><input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="text" name="username" value="{{.Username}}" autocomplete="username" hidden>
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="{{.Min}}" required autofocus>
<label for="confirm">New password again</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="{{.Min}}" required>
<button type="submit">Set password</button></form>` + noQuestions + `{{template "foot" .}}`))

var _ = template.Must(pages.New("enroll").Parse(`{{template "head" .}}
<p>Add a second factor. You will use it each time you sign in, after your password.</p>
<h2>Authenticator app</h2>
<p>Scan this code with an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password, …),
or type the key by hand, then enter the 6-digit code it shows.</p>
<div>{{.QR}}</div>
<p>Key: <code id="totp-secret">{{.Secret}}</code></p>
<form method="post" action="` + EnrollPath + `"><input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="label">Name of this device (optional)</label><input id="label" name="label" maxlength="60">
<label for="code">6-digit code</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required>
<button type="submit">Add authenticator app</button></form>
{{if .Passkeys}}<h2>Passkey (stronger)</h2>
<p>A passkey lives on your phone, computer or security key and is unlocked with your fingerprint, face or PIN.
It cannot be phished.</p>
<form method="post" action="` + EnrollPath + `/passkey/begin"><input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="pklabel">Name of this passkey (optional)</label><input id="pklabel" name="label" maxlength="60">
<button type="button" data-passkey="create" data-begin="` + EnrollPath + `/passkey/begin" data-finish="` + EnrollPath + `/passkey/finish">Add a passkey</button>
<p id="passkey-status" role="status"></p></form>
<script src="/accounts/static/passkey.js"></script>{{end}}` + noQuestions + `{{template "foot" .}}`))

var _ = template.Must(pages.New("codes").Parse(`{{template "head" .}}
<p>Keep these recovery codes somewhere safe, apart from your phone. Each one signs you in once if you lose
your authenticator app or passkey. They are shown only now.</p>
<ul id="recovery-codes">{{range .Codes}}<li><code>{{.}}</code></li>{{end}}</ul>
<p><a href="{{.Next}}">{{.NextText}}</a></p>{{template "foot" .}}`))

var _ = template.Must(pages.New("ask").Parse(`{{template "head" .}}<p>{{.Intro}}</p>
<form method="post" action="{{.Path}}"><input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="email">Email address of your MyPatients account</label>
<input id="email" name="email" type="email" autocomplete="username" required autofocus>
<button type="submit">Send me a code</button></form>{{template "foot" .}}`))

var _ = template.Must(pages.New("code").Parse(`{{template "head" .}}
<p>If <strong>{{.Email}}</strong> is the address of a MyPatients account, we sent it a {{.Digits}}-digit code with
instructions. It works for {{.For}}. Check your spam folder if it does not arrive.</p>
<form method="post" action="{{.Path}}/code"><input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="email" value="{{.Email}}">
<label for="code">Code from the email</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus>
<button type="submit">Continue</button></form>
<form method="post" action="{{.Path}}"><input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="email" value="{{.Email}}"><button type="submit">Send a new code</button></form>
{{template "foot" .}}`))

var _ = template.Must(pages.New("verify").Parse(`{{template "head" .}}<p>{{.Intro}}</p>
<form method="post" action="{{.Path}}/verify"><input type="hidden" name="csrf" value="{{.CSRF}}">
{{if .Password}}<input type="text" name="username" value="{{.Email}}" autocomplete="username" hidden>
<label for="password">Your password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
{{else}}<input type="hidden" name="method" value="totp">
<label for="code">6-digit code from your authenticator app, or a recovery code</label>
<input id="code" name="code" autocomplete="one-time-code" required autofocus>{{end}}
<button type="submit">Continue</button></form>{{template "foot" .}}`))

var _ = template.Must(pages.New("newpassword").Parse(`{{template "head" .}}
<p>Choose a new password of at least {{.Min}} characters. A long phrase you can remember is best.</p>
<form method="post" action="{{.Path}}/finish"><input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="text" name="username" value="{{.Email}}" autocomplete="username" hidden>
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="{{.Min}}" required autofocus>
<label for="confirm">New password again</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="{{.Min}}" required>
<button type="submit">Set the new password</button></form>{{template "foot" .}}`))

// page is the data of one page.
type page map[string]any

// render writes the named page; pages that offer passkeys may load the passkey script.
func render(w http.ResponseWriter, status int, name string, d page) {
	if _, ok := d["Title"]; !ok {
		d["Title"] = "Your MyPatients account"
	}
	t := pages.Lookup(name)
	if d["Passkeys"] == true {
		web.WriteWithScript(w, status, t, d)
		return
	}
	web.Write(w, status, t, d)
}

func message(w http.ResponseWriter, status int, title, text string, link ...string) {
	d := page{"Title": title, "Text": text}
	if len(link) == 2 {
		d["Link"], d["LinkText"] = link[0], link[1]
	}
	render(w, status, "message", d)
}

// unavailable answers a fault of ours.
func (p *Pages) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	p.d.Logger.ErrorContext(r.Context(), "account page failed", "part", "accounts", "path", r.URL.Path, "err", err)
	message(w, http.StatusServiceUnavailable, "Try again later", "Something went wrong on our side. Try again in a few minutes.")
}

// form parses a posted form and checks its CSRF token; when not, it has answered.
func (p *Pages) form(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || !p.csrf.Check(r) {
		message(w, http.StatusForbidden, "Form expired", "The form expired. Go back, reload the page and try again.")
		return false
	}
	return true
}
