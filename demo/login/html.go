package login

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

type form struct {
	action *url.URL
	values url.Values
	// options are the values of the form's checkboxes and radio buttons, by name.
	options url.Values
}

// parseForm returns the first POST form of page with its action and the values of its
// hidden inputs.
func parseForm(page string) (form, error) {
	return parseFormWith(page, "", "")
}

// parseFormWith returns the first POST form of page whose hidden input name has value (any
// form when name is empty).
func parseFormWith(page, name, value string) (form, error) {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return form{}, fmt.Errorf("login: parse page: %w", err)
	}
	var forms []*form
	var walk func(n *html.Node, f *form)
	walk = func(n *html.Node, f *form) {
		if n.Type == html.ElementNode && n.Data == "form" && strings.EqualFold(attr(n, "method"), "post") {
			if a, err := url.Parse(attr(n, "action")); err == nil {
				f = &form{action: a, values: url.Values{}, options: url.Values{}}
				forms = append(forms, f)
			}
		}
		if f != nil && n.Type == html.ElementNode && n.Data == "input" && attr(n, "type") == "hidden" {
			f.values.Set(attr(n, "name"), attr(n, "value"))
		}
		if f != nil && n.Type == html.ElementNode && n.Data == "input" && (attr(n, "type") == "checkbox" || attr(n, "type") == "radio") {
			f.options.Add(attr(n, "name"), attr(n, "value"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, f)
		}
	}
	walk(doc, nil)
	for _, f := range forms {
		if name == "" || f.values.Get(name) == value {
			return *f, nil
		}
	}
	return form{}, fmt.Errorf("login: no POST form on the page: %s", text(page))
}

// findLink returns the href of the first link containing substr.
func findLink(page, substr string) (string, error) {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return "", fmt.Errorf("login: parse page: %w", err)
	}
	var found string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if found == "" && n.Type == html.ElementNode && n.Data == "a" && strings.Contains(attr(n, "href"), substr) {
			found = attr(n, "href")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if found == "" {
		return "", errors.New("login: the sign-in page offers no " + substr + " link")
	}
	return found, nil
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// text squeezes a page into a short single line for error messages.
func text(page string) string {
	s := strings.Join(strings.Fields(page), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
