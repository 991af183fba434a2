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

// Check reports whether the posted form of r (already parsed) carries the token of its cookie,
// compared in constant time.
func (c CSRF) Check(r *http.Request) bool {
	cookie, err := r.Cookie(c.Cookie)
	form := r.PostForm.Get("csrf")
	return err == nil && form != "" && subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(form)) == 1
}
