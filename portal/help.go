package portal

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/mypatients/gateway/portal/record"
)

// helpNames are the help pages, in the order the help index lists them.
var helpNames = []struct{ Name, Title string }{
	{"tutorials", "How to use MyPatients"}, {"faq", "Frequently asked questions"},
	{"privacy", "Privacy policy"}, {"support", "Contact support"},
}

// helpPages returns each help page's HTML: the configured fragment (sanitized like a note)
// or the built-in one.
func helpPages(custom map[string]string) (map[string]template.HTML, error) {
	out := map[string]template.HTML{}
	for _, h := range helpNames {
		if c, ok := custom[h.Name]; ok {
			out[h.Name] = record.SafeHTML([]byte(c))
			continue
		}
		b, err := files.ReadFile("help/" + h.Name + ".html")
		if err != nil {
			return nil, fmt.Errorf("portal: help page %s: %w", h.Name, err)
		}
		out[h.Name] = template.HTML(b) // our own, embedded
	}
	return out, nil
}

// helpPage shows the help index or one page; it is open to everyone, signed in or not.
func (p *Portal) helpPage(w http.ResponseWriter, r *http.Request) {
	sess, _ := p.sessions.Load(r)
	name := r.PathValue("page")
	if name == "" {
		p.render(w, r, sess, http.StatusOK, "help", map[string]any{"Pages": helpNames})
		return
	}
	body, ok := p.help[name]
	if !ok {
		p.message(w, r, sess, http.StatusNotFound, "No such help page", "See the help index.")
		return
	}
	title := ""
	for _, h := range helpNames {
		if h.Name == name {
			title = h.Title
		}
	}
	p.render(w, r, sess, http.StatusOK, "helppage", map[string]any{"Title": title, "Body": body, "Name": name})
}
