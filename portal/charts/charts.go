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

// frame is a chart's drawing area in SVG units: its size, the margins around the plot and
// the size of its text. The SVG scales to its box, so text is sized against the frame.
type frame struct {
	width, height, left, right, top, base int
	font                                  int
}

func (f frame) plotWidth() float64  { return float64(f.width - f.left - f.right) }
func (f frame) plotHeight() float64 { return float64(f.height - f.top - f.base) }

// trendFrame is a trend's frame: wide and low, beside its table.
var trendFrame = frame{width: 640, height: 240, left: 56, right: 16, top: 16, base: 40, font: 11}

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
	f := trendFrame
	first, last := t.Points[0].At, t.Points[len(t.Points)-1].At
	x := func(at time.Time) float64 {
		if !last.After(first) {
			return float64(f.left) + f.plotWidth()/2
		}
		return float64(f.left) + f.plotWidth()*at.Sub(first).Seconds()/last.Sub(first).Seconds()
	}
	y := f.yScale(lo, hi)
	var b strings.Builder
	f.open(&b, t.Title, t.description())
	t.band(&b, f, y)
	f.axes(&b, lo, hi, y, t.Unit)
	var path []string
	for _, p := range t.Points {
		path = append(path, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.Value)))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#0b4f9c" stroke-width="2"/>`, strings.Join(path, " "))
	for _, p := range t.Points {
		point(&b, x(p.At), y(p.Value), p.Flagged, p.Label)
	}
	t.timeLabels(&b, f, first, last)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}

// band shades the reference range.
func (t Trend) band(b *strings.Builder, f frame, y func(float64) float64) {
	if !t.HasLow && !t.HasHigh {
		return
	}
	lo, hi := float64(f.height-f.base), float64(f.top) // the plot's bottom and top
	if t.HasLow {
		lo = y(t.Low)
	}
	if t.HasHigh {
		hi = y(t.High)
	}
	fmt.Fprintf(b, `<rect x="%d" y="%.1f" width="%.0f" height="%.1f" fill="#e3f1e6"/>`, f.left, hi, f.plotWidth(), lo-hi)
}

// timeLabels writes the first and last time under the x axis.
func (t Trend) timeLabels(b *strings.Builder, f frame, first, last time.Time) {
	format := t.Format
	if format == nil {
		format = func(at time.Time) string { return at.Format("2006-01-02") }
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="%d" fill="#1b1f24">%s</text>`, f.left, f.height-12, f.font+1, template.HTMLEscapeString(format(first)))
	if last.After(first) {
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="%d" fill="#1b1f24" text-anchor="end">%s</text>`, f.width-f.right, f.height-12, f.font+1, template.HTMLEscapeString(format(last)))
	}
}

func (t Trend) description() string {
	d := fmt.Sprintf("%d results of %s", len(t.Points), t.Title)
	if t.HasLow && t.HasHigh {
		d += fmt.Sprintf(", reference range %g to %g %s shaded", t.Low, t.High, t.Unit)
	}
	return d + ". The table beside the chart lists every value."
}

// yScale maps a value in [lo, hi] to its height on the plot.
func (f frame) yScale(lo, hi float64) func(float64) float64 {
	return func(v float64) float64 { return float64(f.top) + f.plotHeight()*(hi-v)/(hi-lo) }
}

// open starts an accessible SVG: role img with a title and a description.
func (f frame) open(b *strings.Builder, title, desc string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" class="chart">`+
		`<title>%s</title><desc>%s</desc>`, f.width, f.height, template.HTMLEscapeString(title),
		template.HTMLEscapeString(title), template.HTMLEscapeString(desc))
}

// axes draws the y axis with four ticks and the unit.
func (f frame) axes(b *strings.Builder, lo, hi float64, y func(float64) float64, unit string) {
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#57606a"/>`, f.left, f.top, f.left, f.height-f.base)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#57606a"/>`, f.left, f.height-f.base, f.width-f.right, f.height-f.base)
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		fmt.Fprintf(b, `<text x="%d" y="%.1f" font-size="%d" fill="#1b1f24" text-anchor="end">%s</text>`, f.left-6, y(v)+4, f.font, trim(v))
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#d0d7de" stroke-dasharray="2 3"/>`, f.left, y(v), f.width-f.right, y(v))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="%d" fill="#1b1f24">%s</text>`, f.left+4, f.top-4, f.font, template.HTMLEscapeString(unit))
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
