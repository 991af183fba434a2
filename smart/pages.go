package smart

import (
	"html/template"
	"net/http"

	"github.com/mypatients/gateway/web"
)

// The pages are plain HTML without scripts, written through package web, which gives them
// their security headers.

var chooserPage = template.Must(template.New("chooser").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to MyPatients</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>` + web.Style + `</style></head>
<body><h1>Sign in to MyPatients</h1>
<p><strong>{{.Client}}</strong> asks to read patient records on your behalf. Sign in with:</p>
{{range .IdPs}}<a class="idp" href="{{.URL}}">{{.Name}}</a>
{{end}}<p class="muted">MyPatients shows you only the patients you are allowed to see. Every access is recorded.</p>
</body></html>`))

type chooserIdP struct{ Name, URL string }

// showError renders a plain error page. It is used where the error must not be redirected to
// the client: an unknown client or redirect URI (RFC 6749 §4.1.2.1), or a broken login.
func showError(w http.ResponseWriter, status int, msg string) {
	web.WriteMessage(w, status, web.Message{Title: "Sign-in problem", Text: msg,
		Note: "Go back to your app and start again. If this keeps happening, contact the MyPatients support team."})
}
