package charts

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// Growth is one measurement (weight, length or height, head circumference) over a child's
// age, from birth.
type Growth struct {
	Title, Unit string
	Birth       time.Time
	Points      []Point
}

// SVG draws the measurements over age in months (years past 36 months).
func (g Growth) SVG() template.HTML {
	if len(g.Points) == 0 || g.Birth.IsZero() {
		return ""
	}
	months := func(at time.Time) float64 { return at.Sub(g.Birth).Hours() / 24 / 30.4375 }
	maxAge, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, p := range g.Points {
		maxAge = math.Max(maxAge, months(p.At))
		lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
	}
	lo, hi = pad(math.Max(0, lo), hi)
	maxAge = math.Max(maxAge*1.05, 1)
	x := func(at time.Time) float64 { return left + float64(width-left-right)*months(at)/maxAge }
	y := func(v float64) float64 { return top + float64(height-top-base)*(hi-v)/(hi-lo) }
	var b strings.Builder
	open(&b, g.Title, fmt.Sprintf("%d measurements of %s by age. The table beside the chart lists every value.", len(g.Points), g.Title))
	axes(&b, lo, hi, y, g.Unit)
	var path []string
	for _, p := range g.Points {
		path = append(path, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.Value)))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#0b4f9c" stroke-width="2"/>`, strings.Join(path, " "))
	for _, p := range g.Points {
		point(&b, x(p.At), y(p.Value), false, p.Label)
	}
	for _, tick := range ageTicks(maxAge) {
		xt := left + float64(width-left-right)*tick.months/maxAge
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" fill="#1b1f24" text-anchor="middle">%s</text>`, xt, height-base+16, tick.label)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#1b1f24" text-anchor="end">age</text>`, width-right, height-6)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
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
	step := math.Max(1, math.Round(maxAge/12/8))
	for y := 0.0; y*12 <= maxAge; y += step {
		out = append(out, tick{y * 12, fmt.Sprintf("%.0f y", y)})
	}
	return out
}
