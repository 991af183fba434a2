package web

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	page := template.Must(template.New("p").Parse(`<p>{{.}}</p>`))
	for _, tc := range []struct {
		name    string
		targets []string
		action  string
	}{
		{"own forms only", nil, "form-action 'self';"},
		{"app redirect", []string{"https://app.example.org/cb?x=1"}, "form-action 'self' https://app.example.org;"},
		{"private-use scheme", []string{"org.example.app:/cb"}, "form-action 'self' org.example.app:;"},
		{"not a URI", []string{"::"}, "form-action 'self';"},
	} {
		w := httptest.NewRecorder()
		Write(w, http.StatusTeapot, page, "<b>", tc.targets...)
		h := w.Header()
		csp := h.Get("Content-Security-Policy")
		if w.Code != http.StatusTeapot || w.Body.String() != "<p>&lt;b&gt;</p>" || !strings.Contains(csp, tc.action) ||
			!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script") {
			t.Errorf("%s: %d %q CSP %q", tc.name, w.Code, w.Body.String(), csp)
		}
		for k, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
			"X-Content-Type-Options": "nosniff", "Content-Type": "text/html; charset=utf-8"} {
			if h.Get(k) != want {
				t.Errorf("%s: %s = %q, want %q", tc.name, k, h.Get(k), want)
			}
		}
	}
	// A template that fails is a plain 500, not half a page.
	broken := template.Must(template.New("b").Parse(`<p>start</p>{{.Missing}}`))
	w := httptest.NewRecorder()
	Write(w, http.StatusOK, broken, struct{}{})
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "start") {
		t.Errorf("broken template: %d %q", w.Code, w.Body.String())
	}
}

func TestWriteMessage(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	WriteMessage(w, http.StatusBadRequest, Message{Title: "Link not valid", Text: "It <expired>.", Note: "Ask again."})
	body := w.Body.String()
	if w.Code != http.StatusBadRequest || !strings.Contains(body, "<h1>Link not valid</h1>") ||
		!strings.Contains(body, "It &lt;expired&gt;.") || !strings.Contains(body, "Ask again.") || w.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("%d %q %v", w.Code, body, w.Header())
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	c := CSRF{Cookie: "mp_test_csrf", Path: "/form"}
	w := httptest.NewRecorder()
	token := c.Issue(w, httptest.NewRequest(http.MethodGet, "/form", nil))
	cookie := w.Result().Cookies()[0]
	if cookie.Name != "mp_test_csrf" || cookie.Value != token || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/form" {
		t.Fatalf("cookie %+v", cookie)
	}
	for _, tc := range []struct {
		name   string
		cookie *http.Cookie
		form   string
		ok     bool
	}{
		{"matching", cookie, token, true},
		{"no field", cookie, "", false},
		{"other field", cookie, token + "x", false},
		{"no cookie", nil, token, false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(url.Values{"csrf": {tc.form}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.cookie != nil {
			r.AddCookie(tc.cookie)
		}
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		if got := c.Check(r); got != tc.ok {
			t.Errorf("%s: Check = %v", tc.name, got)
		}
	}
}
