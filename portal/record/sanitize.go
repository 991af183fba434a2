package record

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// notePolicy is what of a note's HTML the portal keeps: text structure (headings, paragraphs,
// lists, tables, emphasis) and links to http(s) and mail addresses, nothing that runs, loads
// or styles: no script, no event handler, no style, no image, no form, no frame. Links open
// outside the portal, with no referrer.
func notePolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
		"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "strong", "em", "b", "i", "u", "sub", "sup",
		"pre", "code", "blockquote", "div", "span", "small", "abbr")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowAttrs("scope").Matching(bluemonday.SpaceSeparatedTokens).OnElements("th")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("https", "http", "mailto")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.SkipElementsContent("script", "style", "title", "head", "noscript", "template", "iframe", "object")
	return p
}

// SafeHTML sanitizes a note's HTML for display inside a portal page, whose own headings go
// to level 2: the note's headings are moved down (h1 → h3, h2 → h4, …) so that the page's
// outline stays whole.
func SafeHTML(raw []byte) template.HTML {
	clean := notePolicy().SanitizeBytes(raw)
	return template.HTML(demoteHeadings(clean)) // sanitized above
}

// demoteHeadings moves every heading two levels down (to h6 at most).
func demoteHeadings(b []byte) string {
	z := html.NewTokenizer(bytes.NewReader(b))
	var out strings.Builder
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return out.String()
		case html.StartTagToken, html.EndTagToken:
			t := z.Token()
			if len(t.Data) == 2 && t.Data[0] == 'h' && t.Data[1] >= '1' && t.Data[1] <= '6' {
				t.Data = "h" + string(min(t.Data[1]+2, '6'))
			}
			out.WriteString(t.String())
		default:
			out.Write(z.Raw())
		}
	}
}

// PlainText is a plain-text note as HTML: escaped, with its line breaks kept by the page's
// style (white-space: pre-wrap).
func PlainText(raw []byte) template.HTML {
	return template.HTML(template.HTMLEscapeString(string(bytes.ToValidUTF8(raw, []byte("\uFFFD"))))) // escaped
}
