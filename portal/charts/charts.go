// Package charts draws the portal's charts as SVG on the server: a result's trend over time
// with its reference range, and a child's growth over age. The SVG is markup only (no script,
// no inline style: presentation attributes), so that the pages keep their strict
// Content-Security-Policy; each chart has a title and a description for screen readers, and
// the page shows the same numbers in a table beside it. It knows nothing of FHIR or HTTP.
package charts

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// Point is one value at one time; Flagged points are drawn so they stand out.
type Point struct {
	At      time.Time
	Value   float64
	Flagged bool
	Label   string // the point's tooltip, e.g. "488 mg/dL HH, 2025-05-10"
}

// Trend is one analyte's values over time.
type Trend struct {
	Title, Unit string
	Points      []Point
	// Low and High bound the reference range band, when HasLow/HasHigh.
	Low, High       float64
	HasLow, HasHigh bool
	// Format writes a time on the x axis (the hospital's zone is the caller's).
	Format func(time.Time) string
}

const (
	width, height          = 640, 240
	left, right, top, base = 56, 16, 16, 40
)

// SVG draws the trend.
func (t Trend) SVG() template.HTML {
	if len(t.Points) == 0 {
		return ""
	}
	lo, hi := t.Points[0].Value, t.Points[0].Value
	for _, p := range t.Points {
		lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
	}
	if t.HasLow {
		lo = math.Min(lo, t.Low)
	}
	if t.HasHigh {
		hi = math.Max(hi, t.High)
	}
	lo, hi = pad(lo, hi)
	first, last := t.Points[0].At, t.Points[len(t.Points)-1].At
	x := func(at time.Time) float64 {
		if !last.After(first) {
			return left + float64(width-left-right)/2
		}
		return left + float64(width-left-right)*at.Sub(first).Seconds()/last.Sub(first).Seconds()
	}
	y := func(v float64) float64 { return top + float64(height-top-base)*(hi-v)/(hi-lo) }
	var b strings.Builder
	open(&b, t.Title, t.description())
	t.band(&b, lo, hi, y)
	axes(&b, lo, hi, y, t.Unit)
	var path []string
	for _, p := range t.Points {
		path = append(path, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.Value)))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#0b4f9c" stroke-width="2"/>`, strings.Join(path, " "))
	for _, p := range t.Points {
		point(&b, x(p.At), y(p.Value), p.Flagged, p.Label)
	}
	t.timeLabels(&b, first, last)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}

// band shades the reference range.
func (t Trend) band(b *strings.Builder, lo, hi float64, y func(float64) float64) {
	if !t.HasLow && !t.HasHigh {
		return
	}
	if t.HasLow {
		lo = t.Low
	}
	if t.HasHigh {
		hi = t.High
	}
	fmt.Fprintf(b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="#e3f1e6"/>`, left, y(hi), width-left-right, y(lo)-y(hi))
}

// timeLabels writes the first and last time under the x axis.
func (t Trend) timeLabels(b *strings.Builder, first, last time.Time) {
	format := t.Format
	if format == nil {
		format = func(at time.Time) string { return at.Format("2006-01-02") }
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12" fill="#1b1f24">%s</text>`, left, height-12, template.HTMLEscapeString(format(first)))
	if last.After(first) {
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12" fill="#1b1f24" text-anchor="end">%s</text>`, width-right, height-12, template.HTMLEscapeString(format(last)))
	}
}

func (t Trend) description() string {
	d := fmt.Sprintf("%d results of %s", len(t.Points), t.Title)
	if t.HasLow && t.HasHigh {
		d += fmt.Sprintf(", reference range %g to %g %s shaded", t.Low, t.High, t.Unit)
	}
	return d + ". The table beside the chart lists every value."
}

// open starts an accessible SVG: role img with a title and a description.
func open(b *strings.Builder, title, desc string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" class="chart">`+
		`<title>%s</title><desc>%s</desc>`, width, height, template.HTMLEscapeString(title),
		template.HTMLEscapeString(title), template.HTMLEscapeString(desc))
}

// axes draws the y axis with four ticks and the unit.
func axes(b *strings.Builder, lo, hi float64, y func(float64) float64, unit string) {
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#57606a"/>`, left, top, left, height-base)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#57606a"/>`, left, height-base, width-right, height-base)
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		fmt.Fprintf(b, `<text x="%d" y="%.1f" font-size="11" fill="#1b1f24" text-anchor="end">%s</text>`, left-6, y(v)+4, trim(v))
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#d0d7de" stroke-dasharray="2 3"/>`, left, y(v), width-right, y(v))
	}
	fmt.Fprintf(b, `<text x="4" y="%d" font-size="11" fill="#1b1f24">%s</text>`, top+4, template.HTMLEscapeString(unit))
}

// point draws one value: a flagged one larger, red, with a dark ring.
func point(b *strings.Builder, x, y float64, flagged bool, label string) {
	if flagged {
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="6" fill="#b3261e" stroke="#1b1f24" stroke-width="1.5"><title>%s</title></circle>`, x, y, template.HTMLEscapeString(label))
		return
	}
	fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="4" fill="#0b4f9c"><title>%s</title></circle>`, x, y, template.HTMLEscapeString(label))
}

// pad widens [lo, hi] by a tenth each side (and an empty range to one around it).
func pad(lo, hi float64) (float64, float64) {
	if hi == lo {
		return lo - 1, hi + 1
	}
	d := (hi - lo) / 10
	return lo - d, hi + d
}

func trim(v float64) string {
	if math.Abs(v) >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".")
}
