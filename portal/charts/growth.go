package charts

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"
)

// Growth is one measurement (weight, length or height, head circumference, BMI) over a
// child's age, from birth, over the reference's percentile lines when there are any.
type Growth struct {
	Title, Unit string
	Birth       time.Time
	Points      []Point
	Curves      []Curve
}

// Curve is one percentile line of a growth reference, in pieces where the reference does not
// join (length before 24 months, height after); Label ("97th") is written at its right end.
type Curve struct {
	Label    string
	Segments [][]AgeValue
}

// AgeValue is a value at an age in months.
type AgeValue struct{ Months, Value float64 }

// growthFrame is a growth chart's frame: tall enough to read a child's line among the
// percentiles, with room on the right for their labels.
var growthFrame = frame{width: 800, height: 500, left: 60, right: 48, top: 28, base: 48, font: 14}

// SVG draws the measurements over age in months (years past 36 months).
func (g Growth) SVG() template.HTML {
	if len(g.Points) == 0 || g.Birth.IsZero() {
		return ""
	}
	f := growthFrame
	months := func(at time.Time) float64 { return at.Sub(g.Birth).Hours() / 24 / 30.4375 }
	maxAge, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, p := range g.Points {
		maxAge = math.Max(maxAge, months(p.At))
		lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
	}
	for _, c := range g.Curves {
		for _, s := range c.Segments {
			for _, p := range s {
				lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
			}
		}
	}
	lo, hi = pad(lo, hi)
	lo, maxAge = math.Max(0, lo), math.Max(maxAge*1.05, 1)
	for _, c := range g.Curves {
		for _, s := range c.Segments {
			maxAge = math.Max(maxAge, s[len(s)-1].Months)
		}
	}
	x := func(m float64) float64 { return float64(f.left) + f.plotWidth()*m/maxAge }
	y := f.yScale(lo, hi)
	var b strings.Builder
	desc := fmt.Sprintf("%d measurements of %s by age", len(g.Points), g.Title)
	if len(g.Curves) > 0 {
		desc += ", over the CDC percentile lines " + labels(g.Curves)
	}
	f.open(&b, g.Title, desc+". The table below the chart lists every value.")
	f.axes(&b, lo, hi, y, g.Unit)
	var labelled []float64
	for _, c := range g.Curves {
		labelled = g.curve(&b, f, c, x, y, labelled)
	}
	var path []string
	for _, p := range g.Points {
		path = append(path, fmt.Sprintf("%.1f,%.1f", x(months(p.At)), y(p.Value)))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#0b4f9c" stroke-width="2.5"/>`, strings.Join(path, " "))
	for _, p := range g.Points {
		point(&b, x(months(p.At)), y(p.Value), false, p.Label)
	}
	for _, tick := range ageTicks(maxAge) {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="%d" fill="#1b1f24" text-anchor="middle">%s</text>`,
			x(tick.months), f.height-f.base+20, f.font, tick.label)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" fill="#1b1f24" text-anchor="end">age</text>`, f.width-f.right, f.height-6, f.font)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}

// curve draws one percentile line, grey and thin under the child's, the median darker, and
// labels its end unless another label (at the heights in labelled) is too close to read.
func (g Growth) curve(b *strings.Builder, f frame, c Curve, x, y func(float64) float64, labelled []float64) []float64 {
	stroke := "#8895a7"
	if c.Label == "50th" {
		stroke = "#57606a"
	}
	var end AgeValue
	for _, s := range c.Segments {
		var pts []string
		for _, p := range s {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.Months), y(p.Value)))
			end = p
		}
		fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1"/>`, strings.Join(pts, " "), stroke)
	}
	at := y(end.Value) + 4
	if len(c.Segments) == 0 || slices.ContainsFunc(labelled, func(l float64) bool { return math.Abs(l-at) < float64(f.font-2) }) {
		return labelled
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="%d" fill="#57606a">%s</text>`, x(end.Months)+4, at,
		f.font-2, template.HTMLEscapeString(c.Label))
	return append(labelled, at)
}

// labels lists the curves' labels: "3rd, 10th, ... 97th".
func labels(cs []Curve) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Label)
	}
	return strings.Join(out, ", ")
}

type tick struct {
	months float64
	label  string
}

// ageTicks labels the age axis: months for the first three years, years after.
func ageTicks(maxAge float64) []tick {
	var out []tick
	if maxAge <= 36 {
		for m := 0.0; m <= maxAge; m += 6 {
			out = append(out, tick{m, fmt.Sprintf("%.0f mo", m)})
		}
		return out
	}
	step := math.Max(1, math.Round(maxAge/12/10))
	for y := 0.0; y*12 <= maxAge; y += step {
		out = append(out, tick{y * 12, fmt.Sprintf("%.0f y", y)})
	}
	return out
}
