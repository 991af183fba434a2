package charts

import (
	"strings"
	"testing"
	"time"
)

func TestTrend(t *testing.T) {
	t.Parallel()
	day := time.Date(2025, 5, 10, 0, 0, 0, 0, time.UTC)
	tr := Trend{Title: "Glucose <b>", Unit: "mg/dL", Low: 70, High: 99, HasLow: true, HasHigh: true, Points: []Point{
		{At: day, Value: 488, Flagged: true, Label: "488 mg/dL HH"}, {At: day.AddDate(0, 0, 3), Value: 120, Label: "<script>"},
		{At: day.AddDate(0, 6, 0), Value: 85},
	}}
	svg := string(tr.SVG())
	for _, want := range []string{`role="img"`, "<title>Glucose &lt;b&gt;</title>", "<desc>3 results", `fill="#e3f1e6"`, `r="6"`, "&lt;script&gt;", "2025-05-10"} {
		if !strings.Contains(svg, want) {
			t.Errorf("trend lacks %q", want)
		}
	}
	if strings.Count(svg, "<circle") != 3 || strings.Contains(svg, "<script>") || strings.Contains(svg, "style=") {
		t.Errorf("points, script or inline style: %s", svg)
	}
	if (Trend{}).SVG() != "" {
		t.Error("an empty trend draws something")
	}
}

func TestGrowth(t *testing.T) {
	t.Parallel()
	birth := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	g := Growth{Title: "Weight for age", Unit: "kg", Birth: birth}
	for m := 0; m <= 60; m += 6 {
		g.Points = append(g.Points, Point{At: birth.AddDate(0, m, 0), Value: 3.5 + float64(m)/4})
	}
	svg := string(g.SVG())
	if strings.Count(svg, "<circle") != len(g.Points) || !strings.Contains(svg, ">4 y<") || !strings.Contains(svg, "<title>Weight for age</title>") {
		t.Errorf("%s", svg)
	}
	g.Points = g.Points[:3]
	if svg := string(g.SVG()); !strings.Contains(svg, ">6 mo<") {
		t.Errorf("a baby's ages are in months: %s", svg)
	}
	g.Curves = []Curve{
		{Label: "3rd", Segments: [][]AgeValue{{{0, 2.5}, {24, 10}}, {{24, 10.2}, {40, 13}}}},
		{Label: "4th", Segments: [][]AgeValue{{{0, 2.5}, {40, 13.01}}}}, // too close to the 3rd to label
		{Label: "97th", Segments: [][]AgeValue{{{0, 4.4}, {40, 19}}}},
	}
	svg = string(g.SVG())
	if strings.Count(svg, "<polyline") != 5 || !strings.Contains(svg, ">3rd<") || strings.Contains(svg, ">4th<") ||
		!strings.Contains(svg, ">97th<") || !strings.Contains(svg, "percentile lines 3rd, 4th, 97th") || !strings.Contains(svg, ">3 y<") {
		t.Errorf("percentile lines: %s", svg)
	}
}
