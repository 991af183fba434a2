package console

import (
	"html/template"
	"net/http"

	"github.com/mypatients/gateway/web"
)

var csrf = web.CSRF{Cookie: "mp_csrf_console", Path: Path}

var pages = template.Must(template.New("head").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Title}} – MyPatients support</title>
<style>` + web.Style + `main{max-width:60rem}body{max-width:60rem}</style></head><body><main>
{{with .Who}}<nav><a href="` + Path + `">Queues</a><a href="` + Path + `accounts">Accounts</a>
<form method="post" action="` + Path + `signout" style="display:inline"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<span class="muted">{{.}}</span> <button type="submit">Sign out</button></form></nav>{{end}}
<h1>{{.Title}}</h1>{{with .Error}}<p role="alert">{{.}}</p>{{end}}{{with .Notice}}<p class="ok" role="status">{{.}}</p>{{end}}`))

var _ = template.Must(pages.New("message").Parse(`{{template "head" .}}<p>{{.Text}}</p>
{{with .Link}}<p><a href="{{.}}">{{$.LinkText}}</a></p>{{end}}</main></body></html>`))

var _ = template.Must(pages.New("signin").Parse(`{{template "head" .}}
<p>The console is for the MyPatients support team.</p>
<p><a class="idp" href="` + Path + `login">Sign in with {{.IdP}}</a></p></main></body></html>`))

var _ = template.Must(pages.New("home").Parse(`{{template "head" .}}
<h2>Registrations waiting</h2>
{{if .Registrations}}<table id="registrations"><tr><th>Received</th><th>Name</th><th>Credentials</th><th>NPI</th><th>Practice</th></tr>
{{range .Registrations}}<tr><td>{{.CreatedAt.Format "2006-01-02"}}</td><td><a href="` + Path + `registrations/{{.ID}}">{{.Name}}</a></td>
<td>{{.Credentials}}</td><td>{{.NPI}}</td><td>{{.Practice}}</td></tr>{{end}}</table>{{else}}<p>None.</p>{{end}}
<h2>"Request PCP access" requests</h2>
{{if .Requests}}<table id="pcp-requests"><tr><th>Received</th><th>Requester</th><th>Patient MRN</th><th>Contact</th><th>Note</th><th>Answer</th></tr>
{{range .Requests}}<tr><td>{{.CreatedAt.Format "2006-01-02"}}</td><td>{{.Name}}<br><span class="muted">{{.Requester}}</span></td><td>{{.MRN}}</td>
<td>{{.Email}}<br>{{.Phone}}<br>{{.Practice}}</td><td>{{.Note}}</td><td>
<form method="post" action="` + Path + `requests/{{.ID}}/done"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<button type="submit">Done: the EHR is updated</button></form>
<form method="post" action="` + Path + `requests/{{.ID}}/decline"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<label for="reason-{{.ID}}">Decline because</label><select id="reason-{{.ID}}" name="reason">{{range $code, $text := $.DeclineReasons}}<option value="{{$code}}">{{$text}}</option>{{end}}</select>
<label for="note-{{.ID}}">Note to the clinician</label><input id="note-{{.ID}}" name="note" maxlength="500">
<button type="submit">Decline</button></form></td></tr>{{end}}</table>{{else}}<p>None.</p>{{end}}
</main></body></html>`))

var _ = template.Must(pages.New("registration").Parse(`{{template "head" .}}
<table><tr><th>Name</th><td>{{.R.Name}}, {{.R.Credentials}}</td></tr><tr><th>NPI</th><td>{{.R.NPI}}</td></tr>
<tr><th>Practice</th><td>{{.R.Practice}}<br>{{.R.Address}}<br>{{.R.PracticeTel}}</td></tr>
<tr><th>Email</th><td>{{.R.Email}} (confirmed)</td></tr><tr><th>Phone</th><td>{{.R.Phone}}</td></tr>
<tr><th>Sponsorship</th><td>{{if .R.Sponsorship}}requested{{else}}not requested{{end}}</td></tr>
<tr><th>Documents</th><td>{{range .R.Documents}}<a href="` + Path + `registrations/{{$.R.ID}}/documents/{{.ID}}">{{.Kind}}</a> ({{.ContentType}}, {{.Size}} bytes)<br>{{end}}</td></tr>
<tr><th>Practitioner</th><td id="linked">{{or .R.Practitioner "not linked yet"}}</td></tr></table>
<h2>Practitioner in the EHR with NPI {{.R.NPI}}</h2>
{{if .Matches}}{{range .Matches}}<form method="post" action="` + Path + `registrations/{{$.R.ID}}/link">
<input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="practitioner" value="{{.Reference}}">
{{.Name}} (<code>{{.Reference}}</code>) <button type="submit">Link</button></form>{{end}}
{{else}}<p>No Practitioner in the EHR has this NPI.</p>{{end}}
<h2>Decide</h2>
<form method="post" action="` + Path + `registrations/{{.R.ID}}/approve"><input type="hidden" name="csrf" value="{{.CSRF}}">
{{if .R.Sponsorship}}<p><label><input type="checkbox" name="sponsor" value="yes"> Grant sponsorship privileges</label></p>{{end}}
<button type="submit">Approve</button></form>
<form method="post" action="` + Path + `registrations/{{.R.ID}}/reject"><input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="reason">Reject because</label><select id="reason" name="reason">{{range $code, $text := .RejectReasons}}<option value="{{$code}}">{{$text}}</option>{{end}}</select>
<label for="note">Note to the registrant (optional)</label><input id="note" name="note" maxlength="500">
<button type="submit">Reject</button></form>
</main></body></html>`))

var _ = template.Must(pages.New("accounts").Parse(`{{template "head" .}}
<form method="get" action="` + Path + `accounts"><label for="q">Account id or email address</label>
<input id="q" name="q" value="{{.Q}}" required><button type="submit">Find</button></form>
{{with .A}}<h2>{{.Name}}</h2>
<table><tr><th>Id</th><td><code>{{.ID}}</code></td></tr><tr><th>Kind</th><td>{{.Kind}}</td></tr>
<tr><th>Username</th><td>{{.Username}}</td></tr><tr><th>Practitioner</th><td>{{.FHIRUser}}</td></tr>
<tr><th>Standing</th><td id="standing">{{$.Standing}}</td></tr><tr><th>Sign-in</th><td id="locked">{{if $.Locked}}locked after too many failures{{else}}not locked{{end}}</td></tr></table>
{{range $.Actions}}<form method="post" action="` + Path + `accounts/{{.Action}}"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<input type="hidden" name="id" value="{{$.A.ID}}">{{if .Reason}}<label for="reason-{{.Action}}">Reason</label><input id="reason-{{.Action}}" name="reason" required maxlength="500">{{end}}
<button type="submit">{{.Label}}</button></form>{{end}}{{end}}
</main></body></html>`))

type page map[string]any

func render(w http.ResponseWriter, status int, name string, d page) {
	web.Write(w, status, pages.Lookup(name), d)
}

func message(w http.ResponseWriter, status int, title, text string, link ...string) {
	d := page{"Title": title, "Text": text}
	if len(link) == 2 {
		d["Link"], d["LinkText"] = link[0], link[1]
	}
	render(w, status, "message", d)
}

func (c *Console) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	c.log.ErrorContext(r.Context(), "console failed", "part", "accounts-console", "path", r.URL.Path, "err", err)
	message(w, http.StatusServiceUnavailable, "Try again later", "Something went wrong on our side. Try again in a few minutes.")
}
