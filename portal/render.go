package portal

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/mypatients/gateway/portal/record"
	"github.com/mypatients/gateway/web"
)

// parsePages parses every page template with the layout (templates/layout.html), one set
// per page, so that each defines its own "title" and "main".
func parsePages(funcs template.FuncMap) (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("portal: layout: %w", err)
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		if b := path.Base(n); b == "layout.html" || b == "partials.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(files, n)
		if err != nil {
			return nil, fmt.Errorf("portal: %s: %w", n, err)
		}
		pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return pages, nil
}

// frame is what the layout needs besides the page's own data.
type frame struct {
	Me       *profile
	CSRF     string
	Path     string
	Support  Support
	Links    Links
	Printing bool
	Page     any
}

// render writes page name with data through the one page writer, in the layout: the header
// with the clinician when sess is signed in.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, sess *session, status int, name string, data any) {
	t, ok := p.pages[name]
	if !ok {
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	f := frame{Path: r.URL.Path, Support: p.opts.Support, Links: p.opts.Links, Page: data, Printing: strings.HasSuffix(r.URL.Path, "/print")}
	if sess != nil && sess.Data.Tokens.Access != "" {
		me := sess.Data.Profile
		f.Me, f.CSRF = &me, sess.CSRF
	}
	targets := []string(nil)
	if name == "signin" {
		targets = p.issuers()
	}
	web.WritePolicy(w, status, t, f, web.AppPolicy(targets...))
}

// issuers are the identity providers' addresses, where the sign-in form's redirects end.
func (p *Portal) issuers() []string {
	var out []string
	for _, i := range p.opts.IdPs {
		out = append(out, i.Issuer)
	}
	return out
}

// message is the portal's plain-message page, inside the frame.
func (p *Portal) message(w http.ResponseWriter, r *http.Request, sess *session, status int, title, text string) {
	p.render(w, r, sess, status, "message", map[string]string{"Title": title, "Text": text})
}

// funcs are the templates' helpers: times in the hospital's zone, ages, units.
func (p *Portal) funcs() template.FuncMap {
	loc := func(t time.Time) time.Time { return t.In(p.opts.Location) }
	return template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return loc(t).Format("Jan 2, 2006 15:04 MST")
		},
		"day": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return loc(t).Format("Jan 2, 2006")
		},
		"isodate":    func(t time.Time) string { return t.Format(time.DateOnly) },
		"age":        func(t time.Time) string { return record.Age(t, p.today()) },
		"ageAt":      func(birth, at time.Time) string { return record.Age(birth, at) },
		"deref":      func(b *bool) bool { return b != nil && *b },
		"dobDay":     func(t time.Time) string { return t.Format("Jan 2, 2006") },
		"pathEscape": func(s string) string { return strings.ReplaceAll(template.URLQueryEscaper(s), "+", "%20") },
		"add":        func(a, b int) int { return a + b },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"tel": func(s string) string { return "tel:" + strings.Map(telRune, s) },
	}
}

func telRune(r rune) rune {
	if (r >= '0' && r <= '9') || r == '+' {
		return r
	}
	return -1
}
