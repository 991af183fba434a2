package web

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
)

// CSRF is a double-submit token for a form that posts back to the page that showed it: a
// random value set in a cookie when the form is shown and repeated in the form's field "csrf".
// A post whose field does not match its cookie was not sent from the page. Use it together
// with http.CrossOriginProtection, which refuses cross-site posts first: two independent
// defences against a forged form.
type CSRF struct {
	// Cookie is the cookie's name; Path limits it to the form's path.
	Cookie, Path string
}

// Issue sets a fresh token's cookie on w and returns the token for the form.
func (c CSRF) Issue(w http.ResponseWriter, r *http.Request) string {
	token := rand.Text()
	http.SetCookie(w, &http.Cookie{Name: c.Cookie, Value: token, Path: c.Path, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return token
}

// Reuse returns the token of r's cookie when there is one, else issues a fresh one: for
// pages that lead to one another, so that a form still open in another tab keeps working.
func (c CSRF) Reuse(w http.ResponseWriter, r *http.Request) string {
	if cookie, err := r.Cookie(c.Cookie); err == nil && len(cookie.Value) >= 20 {
		return cookie.Value
	}
	return c.Issue(w, r)
}

// Check reports whether the posted form of r (already parsed) carries the token of its cookie,
// compared in constant time.
func (c CSRF) Check(r *http.Request) bool {
	cookie, err := r.Cookie(c.Cookie)
	form := r.PostForm.Get("csrf")
	return err == nil && form != "" && subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(form)) == 1
}

// CheckValue reports whether value, sent some other way than the form (a query parameter of
// a script's fetch), is the token of r's cookie.
func (c CSRF) CheckValue(r *http.Request, value string) bool {
	cookie, err := r.Cookie(c.Cookie)
	return err == nil && value != "" && subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(value)) == 1
}
