// Package web is what every HTML page of the gateway shares: the one page writer, Write, with
// the security headers (a Content-Security-Policy that loads nothing and forbids framing,
// X-Frame-Options DENY, no-store, no referrer, nosniff), WritePolicy with the stricter
// AppPolicy of the clinicians' portal (its own style sheet and script files, nothing inline),
// the plain-message page, the double-submit CSRF token of forms that post back, and
// server-side Sessions in Redis with idle and absolute timeouts and a CSRF token each. Pages
// are plain HTML: smart's sign-in, picker, consent and error pages, accounts' set-up page, the
// mail capture page, the demo patient portal, the printable sign-up instructions and every
// page of the portal write through it; the passkey pages of the accounts provider load its one
// script (WriteWithScript).
// It knows nothing of what a page says and must not import any other package of ours.
package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// Write renders t with data and writes it with status and the security headers. The page is
// rendered first, so that a template error is a plain 500, never half a page.
//
// The page may use inline styles and post its forms to the gateway, and nothing else: no
// script, no image, no frame, no other origin. formTargets are URIs whose origins the page's
// forms may end at too: browsers apply form-action to the redirects that follow a post (CSP
// Level 3 §6.3.1), and the consent form ends in a redirect to the app. Pages hold live state
// (login flows, set-up tokens, patient lists), so they are never cached, framed or named in a
// Referer (RFC 9700 §4.2.4: an authorization response must not leak through Referer).
func Write(w http.ResponseWriter, status int, t *template.Template, data any, formTargets ...string) {
	WritePolicy(w, status, t, data, "default-src 'none'; style-src 'unsafe-inline'; form-action "+
		strings.Join(append([]string{"'self'"}, origins(formTargets)...), " ")+"; frame-ancestors 'none'; base-uri 'none'")
}

// AppPolicy returns the Content-Security-Policy of pages that load their style sheet, images
// and script from the gateway's own files and nothing inline: no inline script or style, no
// other origin, forms that post to the gateway (and end at the origins of formTargets: a
// sign-in form's redirects reach the identity provider), never framed. Frames of the
// gateway's own (a PDF note shown inline) are allowed.
func AppPolicy(formTargets ...string) string {
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; frame-src 'self'; form-action " +
		strings.Join(append([]string{"'self'"}, origins(formTargets)...), " ") + "; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
}

// WriteWithScript is Write for the few pages of the accounts provider that cannot work without
// a script of the gateway's own: the passkey (WebAuthn) ceremonies, which only a browser's
// JavaScript API can run. The page may load scripts from the gateway's origin and fetch from
// it; still no inline script, no other origin.
func WriteWithScript(w http.ResponseWriter, status int, t *template.Template, data any, formTargets ...string) {
	WritePolicy(w, status, t, data, "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action "+
		strings.Join(append([]string{"'self'"}, origins(formTargets)...), " ")+"; frame-ancestors 'none'; base-uri 'none'")
}

// WritePolicy is Write with the Content-Security-Policy csp, and the same other headers.
func WritePolicy(w http.ResponseWriter, status int, t *template.Template, data any, csp string) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		slog.Error("web: render page", "page", t.Name(), "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// origins returns the CSP source of each URI: its scheme and host, or its scheme alone (a
// private-use scheme such as com.example.app:).
func origins(uris []string) []string {
	var out []string
	for _, uri := range uris {
		u, err := url.Parse(uri)
		switch {
		case err != nil || u.Scheme == "":
		case u.Host != "":
			out = append(out, u.Scheme+"://"+u.Host)
		default:
			out = append(out, u.Scheme+":")
		}
	}
	return out
}

// Message is the plain-message page: a title, a sentence, and a note below it.
type Message struct {
	Title, Text, Note string
}

// Style is the look of the gateway's own pages, for their <style> element.
const Style = `body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
a.idp{display:block;margin:.6rem 0;padding:.8rem 1rem;border:1px solid #8895a7;border-radius:6px;text-decoration:none;color:#0b3d91}
a.idp:hover{background:#eef3fb}.muted{color:#57606a;font-size:.9rem}
label{display:block;margin:.8rem 0 .2rem;font-weight:600}input,select,textarea{box-sizing:border-box;width:100%;padding:.5rem;font:inherit}
input[type=checkbox],input[type=radio]{width:auto}button{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;cursor:pointer}
[role=alert]{color:#8a1c1c;background:#fdecec;padding:.6rem;border-radius:4px}.ok{color:#0f5323;background:#e7f6ec;padding:.6rem;border-radius:4px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem;border-bottom:1px solid #d0d7de;vertical-align:top}
code,.code{font-family:ui-monospace,monospace;background:#f3f4f6;padding:.1rem .3rem;overflow-wrap:anywhere}nav a{margin-right:1rem}`

var messagePage = template.Must(template.New("message").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MyPatients: {{.Title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>` + Style + `</style></head>
<body><h1>{{.Title}}</h1><p>{{.Text}}</p>
{{with .Note}}<p class="muted">{{.}}</p>
{{end}}</body></html>`))

// WriteMessage writes m as a page with status.
func WriteMessage(w http.ResponseWriter, status int, m Message) {
	Write(w, status, messagePage, m)
}

// WriteJSON writes v as a JSON answer that is never cached: the answers a page's own script
// fetches (the passkey ceremonies).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
