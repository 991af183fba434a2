package ehr

import (
	"fmt"
	"html"
	"strings"
)

// document is a clinical note before it is written out as plain text, HTML or PDF: one
// content model, three renderings, so that every format says the same thing.
type document struct {
	title  string
	header [][2]string // label, value
	parts  []section
	signed string
}

// section is one heading of a note with its paragraphs, list items and table (first row the
// column names). rawHTML, when set, replaces the section's body in the HTML rendering only:
// the markup of a note pasted from elsewhere, which a viewer must sanitize.
type section struct {
	heading string
	paras   []string
	items   []string
	table   [][]string
	rawHTML string
}

// empty reports whether a section has nothing to say; renderers leave it out.
func (s section) empty() bool {
	return len(s.paras) == 0 && len(s.items) == 0 && len(s.table) == 0 && s.rawHTML == ""
}

// syntheticNotice ends every note.
const syntheticNotice = "SYNTHETIC DEMO RECORD - NOT A REAL PATIENT."

// text renders the document as plain text, the way an EHR's note viewer prints it.
func (d document) text() string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s", strings.ToUpper(d.title))
	for _, h := range d.header {
		line("%s: %s", h[0], h[1])
	}
	for _, s := range d.parts {
		if s.empty() {
			continue
		}
		line("")
		line("%s", strings.ToUpper(s.heading))
		for _, p := range s.paras {
			line("%s", p)
		}
		for _, it := range s.items {
			line("- %s", it)
		}
		for _, row := range s.table {
			line("  %s", strings.Join(row, " | "))
		}
	}
	line("")
	line("%s", d.signed)
	line("%s", syntheticNotice)
	return b.String()
}

// noteCSS is the small style sheet an EHR export carries in its head.
const noteCSS = `body{font-family:Arial,sans-serif;font-size:11pt}h1{font-size:14pt}h2{font-size:12pt;border-bottom:1px solid #999}` +
	`table{border-collapse:collapse}th,td{border:1px solid #999;padding:2px 6px;text-align:left}dt{font-weight:bold}`

// html renders the document as a complete HTML page with headings, a definition list for the
// header, lists and tables.
func (d document) html() string {
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", esc(d.title), noteCSS)
	fmt.Fprintf(&b, "<h1>%s</h1>\n<dl>\n", esc(d.title))
	for _, h := range d.header {
		fmt.Fprintf(&b, "<dt>%s</dt><dd>%s</dd>\n", esc(h[0]), esc(h[1]))
	}
	b.WriteString("</dl>\n")
	for _, s := range d.parts {
		if s.empty() {
			continue
		}
		fmt.Fprintf(&b, "<h2>%s</h2>\n", esc(s.heading))
		if s.rawHTML != "" {
			b.WriteString(s.rawHTML + "\n")
			continue
		}
		for _, p := range s.paras {
			fmt.Fprintf(&b, "<p>%s</p>\n", esc(p))
		}
		if len(s.items) > 0 {
			b.WriteString("<ul>\n")
			for _, it := range s.items {
				fmt.Fprintf(&b, "<li>%s</li>\n", esc(it))
			}
			b.WriteString("</ul>\n")
		}
		writeTable(&b, s.table)
	}
	fmt.Fprintf(&b, "<p><em>%s</em></p>\n<p><strong>%s</strong></p>\n</body>\n</html>\n", esc(d.signed), esc(syntheticNotice))
	return b.String()
}

// writeTable writes an HTML table whose first row is the header.
func writeTable(b *strings.Builder, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	b.WriteString("<table>\n<thead><tr>")
	for _, c := range rows[0] {
		fmt.Fprintf(b, "<th scope=\"col\">%s</th>", html.EscapeString(c))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, row := range rows[1:] {
		b.WriteString("<tr>")
		for _, c := range row {
			fmt.Fprintf(b, "<td>%s</td>", html.EscapeString(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
}

// lines renders the document as lines of at most width characters, for the PDF.
func (d document) lines(width int) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(d.text(), "\n"), "\n") {
		out = append(out, wrap(l, width)...)
	}
	return out
}

// wrap breaks a line at spaces so that no piece is longer than width (a longer word stays
// whole); continuation lines are indented.
func wrap(line string, width int) []string {
	var out []string
	for len([]rune(line)) > width {
		cut := strings.LastIndex(string([]rune(line)[:width]), " ")
		if cut <= 0 {
			break
		}
		out = append(out, line[:cut])
		line = "    " + strings.TrimLeft(line[cut:], " ")
	}
	return append(out, line)
}
