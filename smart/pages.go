package smart

import (
	"html/template"
	"net/http"
	"net/url"
)

// Pages are plain HTML without scripts; the headers keep them out of frames, caches and
// Referer headers (RFC 9700 §4.2.4: the authorization response must not leak through Referer).
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	noStore(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}

// allowFormRedirect widens the page's CSP form-action to the app's redirect URI: browsers
// apply form-action to the redirects that follow a form post, and the consent form ends in
// the 303 to the app (CSP Level 3 §6.3.1).
func allowFormRedirect(w http.ResponseWriter, redirectURI string) {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme == "" {
		return
	}
	src := u.Scheme + ":"
	if u.Host != "" {
		src = u.Scheme + "://" + u.Host
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' "+src+"; frame-ancestors 'none'; base-uri 'none'")
}

const pageStyle = `body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
a.idp{display:block;margin:.6rem 0;padding:.8rem 1rem;border:1px solid #8895a7;border-radius:6px;text-decoration:none;color:#0b3d91}
a.idp:hover{background:#eef3fb}.muted{color:#57606a;font-size:.9rem}`

var chooserPage = template.Must(template.New("chooser").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to MyPatients</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>` + pageStyle + `</style></head>
<body><h1>Sign in to MyPatients</h1>
<p><strong>{{.Client}}</strong> asks to read patient records on your behalf. Sign in with:</p>
{{range .IdPs}}<a class="idp" href="{{.URL}}">{{.Name}}</a>
{{end}}<p class="muted">MyPatients shows you only the patients you are allowed to see. Every access is recorded.</p>
</body></html>`))

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MyPatients: sign-in problem</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>` + pageStyle + `</style></head>
<body><h1>Sign-in problem</h1><p>{{.}}</p>
<p class="muted">Go back to your app and start again. If this keeps happening, contact the MyPatients support team.</p>
</body></html>`))

type chooserIdP struct{ Name, URL string }

// showError renders a plain error page. It is used where the error must not be redirected to
// the client: an unknown client or redirect URI (RFC 6749 §4.1.2.1), or a broken login.
func showError(w http.ResponseWriter, status int, msg string) {
	pageHeaders(w)
	w.WriteHeader(status)
	_ = errorPage.Execute(w, msg)
}
