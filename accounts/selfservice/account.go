package selfservice

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/provider"
	"github.com/mypatients/gateway/redisstore"
)

var _ = template.Must(pages.New("account").Parse(`{{template "head" .}}
<p>Signed in as <strong>{{.Profile.Name}}</strong> ({{.Profile.Username}}).</p>
<h2>Your details</h2>
<form method="post" action="` + AccountPath + `/profile"><input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="name">Name</label><input id="name" name="name" value="{{.Profile.Name}}" required maxlength="200">
<label for="phone">Phone</label><input id="phone" name="phone" value="{{.Profile.Phone}}" maxlength="40">
<label for="practice">Practice</label><input id="practice" name="practice" value="{{.Profile.Practice}}" maxlength="200">
<label for="address">Practice address</label><input id="address" name="practice_address" value="{{.Profile.PracticeAddress}}" maxlength="300">
<label for="pphone">Practice phone</label><input id="pphone" name="practice_phone" value="{{.Profile.PracticePhone}}" maxlength="40">
<button type="submit">Save details</button></form>
<h2>Email address</h2>
<p>Your email address is also your username. A new one must be confirmed from a link we send to it.</p>
<form method="post" action="` + AccountPath + `/email"><input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="email">New email address</label><input id="email" name="email" type="email" required>
<button type="submit">Send confirmation link</button></form>
<h2>Password</h2>
<form method="post" action="` + AccountPath + `/password"><input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="text" name="username" value="{{.Profile.Username}}" autocomplete="username" hidden>
<label for="current">Current password</label><input id="current" name="current" type="password" autocomplete="current-password" required>
<label for="new">New password</label><input id="new" name="password" type="password" autocomplete="new-password" minlength="{{.Min}}" required>
<label for="confirm">New password again</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="{{.Min}}" required>
<button type="submit">Change password</button></form>
<h2>Second factors</h2>
<table><tr><th>Kind</th><th>Name</th><th>Added</th><th></th></tr>
{{range .Factors.TOTP}}<tr><td>Authenticator app</td><td>{{.Label}}</td><td>{{.Added.Format "2006-01-02"}}</td>
<td><form method="post" action="` + AccountPath + `/remove-factor"><input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="id" value="{{.ID}}"><button type="submit">Remove</button></form></td></tr>{{end}}
{{range .Factors.Passkeys}}<tr><td>Passkey</td><td>{{.Label}}</td><td>{{.Added.Format "2006-01-02"}}</td>
<td><form method="post" action="` + AccountPath + `/remove-factor"><input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="id" value="{{.ID}}"><button type="submit">Remove</button></form></td></tr>{{end}}
</table>
<p><a href="` + EnrollPath + `">Add an authenticator app or a passkey</a> · {{len .Factors.Recovery}} recovery codes left</p>
<form method="post" action="` + AccountPath + `/recovery-codes"><input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit">New recovery codes</button></form>
<h2>Where you are signed in</h2>
<table><tr><th>What</th><th>Since</th><th>From</th></tr>
{{range .Sessions}}<tr><td>Account pages ({{.Agent}})</td><td>{{.Created.Format "2006-01-02 15:04 MST"}}</td><td>{{.Source}}</td></tr>{{end}}
{{range .Apps}}<tr><td>App {{.Client}}</td><td>{{.Since.Format "2006-01-02 15:04 MST"}}</td><td></td></tr>{{end}}
</table>
<form method="post" action="` + AccountPath + `/signout-everywhere"><input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit">Sign out everywhere</button></form>
{{template "foot" .}}`))

var notices = map[string]string{
	"factor": "Your second factor was added.", "profile": "Your details are saved.", "password": "Your password is changed.",
	"email": "We sent a confirmation link to the new address.", "removed": "The second factor was removed.",
}

// signedIn returns the account of the browser's session, or sends it to sign in.
func (p *Pages) signedIn(w http.ResponseWriter, r *http.Request) (accounts.Profile, bool) {
	sess, err := p.d.Sessions.Current(r.Context(), r)
	if errors.Is(err, provider.ErrNoSession) {
		http.Redirect(w, r, signInPath, http.StatusSeeOther)
		return accounts.Profile{}, false
	}
	var prof accounts.Profile
	if err == nil {
		prof, err = p.d.Accounts.Active(r.Context(), sess.Account)
	}
	if err != nil {
		p.unavailable(w, r, err)
		return accounts.Profile{}, false
	}
	return prof, true
}

func (p *Pages) showAccount(w http.ResponseWriter, r *http.Request) {
	prof, ok := p.signedIn(w, r)
	if !ok {
		return
	}
	p.accountPage(w, r, prof, http.StatusOK, p.csrf.Reuse(w, r), notices[r.URL.Query().Get("done")], "")
}

func (p *Pages) accountPage(w http.ResponseWriter, r *http.Request, prof accounts.Profile, status int, csrf, notice, problem string) {
	ctx := r.Context()
	f, err1 := p.d.Factors.Get(ctx, prof.ID)
	sessions, err2 := p.d.Sessions.List(ctx, prof.ID)
	apps, err3 := p.d.Apps.Apps(ctx, prof.ID)
	if err := errors.Join(err1, err2, err3); err != nil {
		p.unavailable(w, r, err)
		return
	}
	render(w, status, "account", page{"Title": "Edit Account", "Profile": prof, "Factors": f, "Sessions": sessions, "Apps": apps,
		"CSRF": csrf, "Notice": notice, "Error": problem, "Min": accounts.MinPasswordLength})
}

// accountAction carries out one form of Edit Account.
func (p *Pages) accountAction(w http.ResponseWriter, r *http.Request) {
	if !p.form(w, r) {
		return
	}
	prof, ok := p.signedIn(w, r)
	if !ok {
		return
	}
	act := map[string]func(http.ResponseWriter, *http.Request, accounts.Profile) (string, string, error){
		"profile": p.saveProfile, "email": p.askEmail, "password": p.changePassword, "remove-factor": p.removeFactor,
		"recovery-codes": p.newRecoveryCodes, "signout-everywhere": p.everywhere,
	}[r.PathValue("action")]
	if act == nil {
		message(w, http.StatusNotFound, "Not found", "There is no such action.")
		return
	}
	done, problem, err := act(w, r, prof)
	switch {
	case err != nil:
		p.unavailable(w, r, err)
	case problem != "":
		p.accountPage(w, r, prof, http.StatusBadRequest, r.PostForm.Get("csrf"), "", problem)
	case done != "":
		http.Redirect(w, r, AccountPath+"?done="+done, http.StatusSeeOther)
	}
}

func (p *Pages) saveProfile(_ http.ResponseWriter, r *http.Request, prof accounts.Profile) (string, string, error) {
	f := r.PostForm
	name := strings.TrimSpace(f.Get("name"))
	if name == "" || len(name) > 200 {
		return "", "Give your name (at most 200 characters).", nil
	}
	prof.Name, prof.Phone, prof.Practice = name, clip(f.Get("phone"), 40), clip(f.Get("practice"), 200)
	prof.PracticeAddress, prof.PracticePhone = clip(f.Get("practice_address"), 300), clip(f.Get("practice_phone"), 40)
	if err := p.d.Accounts.SaveProfile(r.Context(), prof); err != nil {
		return "", "", err
	}
	return "profile", "", p.event(r.Context(), r, "account.profile_change", prof.ID, "")
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n]
	}
	return s
}

type emailChange struct {
	Account string `json:"account"`
	Email   string `json:"email"`
}

func (p *Pages) emailKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return p.d.Accounts.Prefix() + "selfservice:email-change:" + hex.EncodeToString(sum[:])
}

// askEmail mails a confirmation link to the new address; nothing changes until it is opened.
func (p *Pages) askEmail(_ http.ResponseWriter, r *http.Request, prof accounts.Profile) (string, string, error) {
	email := strings.TrimSpace(r.PostForm.Get("email"))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return "", "Give a valid email address.", nil
	}
	token := rand.Text()
	if err := redisstore.PutJSON(r.Context(), p.d.Accounts.Redis(), p.emailKey(token), emailChange{Account: prof.ID, Email: email}, 24*time.Hour); err != nil {
		return "", "", err
	}
	return "email", "", p.d.Mail.Enqueue(r.Context(), msgVerifyEmail(email, p.d.BaseURL+AccountPath+"/email/verify?token="+token))
}

// verifyEmail makes the confirmed address the account's email and username.
func (p *Pages) verifyEmail(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var ch emailChange
	err := redisstore.TakeJSON(ctx, p.d.Accounts.Redis(), p.emailKey(r.URL.Query().Get("token")), &ch)
	if errors.Is(err, redisstore.ErrNotFound) {
		message(w, http.StatusBadRequest, "Link not valid", "This link was used already or has expired. Ask for a new one on Edit Account.")
		return
	}
	var prof accounts.Profile
	if err == nil {
		prof, err = p.d.Accounts.Active(ctx, ch.Account)
	}
	old := prof.Email
	if err == nil {
		prof, err = p.d.Accounts.ChangeUsername(ctx, prof, ch.Email)
	}
	if errors.Is(err, accounts.ErrUsernameTaken) {
		message(w, http.StatusConflict, "Address in use", "Another MyPatients account already uses this address.")
		return
	}
	if err == nil {
		err = errors.Join(p.event(ctx, r, "account.email_change", prof.ID, ""), p.d.Mail.Enqueue(ctx, msgEmailChanged(old, p.d.BaseURL)))
	}
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	message(w, http.StatusOK, "Email address changed", "Your email address and username are now "+prof.Username+".", AccountPath, "Back to Edit Account")
}

func (p *Pages) changePassword(_ http.ResponseWriter, r *http.Request, prof accounts.Profile) (string, string, error) {
	ctx, f := r.Context(), r.PostForm
	if f.Get("password") != f.Get("confirm") {
		return "", msgMismatch, nil
	}
	who, ok, err := p.d.Accounts.Authenticate(ctx, prof.Username, f.Get("current"))
	ok = ok && who.ID == prof.ID
	var serr error
	if ok && err == nil {
		serr = p.d.Accounts.SetPassword(ctx, prof, f.Get("password"))
	}
	switch {
	case err != nil:
		return "", "", err
	case !ok:
		return "", "Your current password is not right.", nil
	case errors.Is(serr, accounts.ErrWeakPassword):
		return "", serr.Error(), nil
	case serr != nil:
		return "", "", serr
	}
	if err := p.event(ctx, r, "account.password_change", prof.ID, ""); err != nil {
		return "", "", err
	}
	return "password", "", p.d.Mail.Enqueue(ctx, msgResetNotice(prof.Email, "password", p.d.BaseURL))
}

func (p *Pages) removeFactor(_ http.ResponseWriter, r *http.Request, prof accounts.Profile) (string, string, error) {
	err := p.d.Factors.Remove(r.Context(), prof.ID, r.PostForm.Get("id"))
	if err != nil && strings.Contains(err.Error(), "only second factor") {
		return "", "This is your only second factor. Add another before removing it.", nil
	}
	if err != nil {
		return "", "", err
	}
	return "removed", "", p.event(r.Context(), r, "account.second_factor.remove", prof.ID, "")
}

func (p *Pages) newRecoveryCodes(w http.ResponseWriter, r *http.Request, prof accounts.Profile) (string, string, error) {
	codes, err := p.d.Factors.NewRecoveryCodes(r.Context(), prof.ID)
	if err == nil {
		err = p.event(r.Context(), r, "account.recovery_codes", prof.ID, "")
	}
	if err != nil {
		return "", "", err
	}
	render(w, http.StatusOK, "codes", page{"Title": "Your new recovery codes", "Codes": codes, "Next": AccountPath, "NextText": "Back to Edit Account"})
	return "", "", nil
}

func (p *Pages) everywhere(w http.ResponseWriter, r *http.Request, prof accounts.Profile) (string, string, error) {
	ctx := r.Context()
	if err := errors.Join(p.event(ctx, r, "account.signout_everywhere", prof.ID, ""), p.signOutEverywhere(ctx, prof.ID)); err != nil {
		return "", "", err
	}
	message(w, http.StatusOK, "Signed out everywhere", "Every device and app signed in to your account is signed out, this one too.", signInPath, "Sign in again")
	return "", "", nil
}
