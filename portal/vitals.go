package portal

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"slices"

	"github.com/mypatients/gateway/portal/charts"
	"github.com/mypatients/gateway/portal/growth"
	"github.com/mypatients/gateway/portal/record"
)

// growthCharts are the growth measurements, each with its chart's title and the CDC table.
var growthCharts = []struct {
	code, title string
	measure     growth.Measure
}{
	{record.Weight, "Weight for age", growth.Weight}, {record.Height, "Length or height for age", growth.Length},
	{record.HeadCircumference, "Head circumference for age", growth.Head}, {record.BMI, "BMI for age", growth.BMI},
}

// curvePercentiles are the percentile lines of the CDC's clinical growth charts.
var curvePercentiles = []float64{3, 10, 25, 50, 75, 90, 97}

// growthChart is one growth chart with its table.
type growthChart struct {
	Title, Caption string
	Chart          any
	Rows           []growthRow
	Percentiles    bool
}

// growthRow is one measurement with its CDC percentile ("" where the tables do not reach).
type growthRow struct {
	record.Result
	Percentile string
}

// vitalsPage shows the vital signs as a flowsheet, apart from labs, and the growth charts.
func (p *Portal) vitalsPage(w http.ResponseWriter, r request, b Banner) error {
	results, cut, err := listing(p, r, "Observation", patientQuery(b.ID, "category", "vital-signs"), record.DecodeObservations)
	if err != nil {
		return err
	}
	var gs []growthChart
	for _, g := range growthCharts {
		if s := record.Series(results, g.code); len(s) > 0 {
			gs = append(gs, p.growthChart(b, g.title, g.measure, s))
		}
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "vitals", map[string]any{"B": b, "Growth": gs,
		"Vitals": record.VitalsFlowsheet(results), "Cut": cut})
	return nil
}

// sexes are the Patient.gender codes the CDC tables are split by.
var sexes = map[string]growth.Sex{"male": growth.Male, "female": growth.Female}

// growthChart draws one measure over age and, when the record gives a sex the CDC tables
// have and one unit they can be put in, on the CDC percentile lines, with each value's
// percentile in the table.
func (p *Portal) growthChart(b Banner, title string, m growth.Measure, s []record.Result) growthChart {
	c := charts.Growth{Title: title, Unit: s[0].Unit, Birth: b.BirthDate}
	out := growthChart{Title: title}
	for _, x := range s {
		c.Points = append(c.Points, charts.Point{At: x.Time, Value: x.Number, Label: x.Value + " " + x.Unit + ", " + p.dayOf(x.Time)})
		out.Rows = append(out.Rows, growthRow{Result: x})
	}
	sex := sexes[b.Gender]
	factor, ok := growth.Normalize(m, 1, s[0].UCUM)
	if sex == 0 || !ok || slices.ContainsFunc(s, func(x record.Result) bool { return x.UCUM != s[0].UCUM }) {
		out.Caption = "No CDC percentiles: the record gives no sex the CDC charts are made for, or not one unit they use"
		out.Chart = c.SVG()
		return out
	}
	months := 0.0
	for i, x := range s {
		months = growth.Months(b.BirthDate, x.Time)
		if pct, ok := p.growth.Percentile(m, sex, months, x.Number*factor); ok {
			out.Rows[i].Percentile = ordinal(pct)
		}
	}
	for _, pct := range curvePercentiles {
		curve := charts.Curve{Label: ordinal(pct)}
		for _, seg := range p.growth.Curve(m, sex, pct, 0, months*1.05) { // the chart's age axis
			var pts []charts.AgeValue
			for _, pt := range seg {
				pts = append(pts, charts.AgeValue{Months: pt.Months, Value: pt.Value / factor})
			}
			curve.Segments = append(curve.Segments, pts)
		}
		c.Curves = append(c.Curves, curve)
	}
	out.Percentiles, out.Chart = true, c.SVG()
	out.Caption = "Grey lines: the CDC 2000 growth chart percentiles for " + map[growth.Sex]string{growth.Male: "boys", growth.Female: "girls"}[sex]
	return out
}

// ordinal writes a percentile as clinicians say it: "3rd", "50th", "<1st", ">99th".
func ordinal(pct float64) string {
	switch {
	case pct < 1:
		return "<1st"
	case pct > 99:
		return ">99th"
	}
	n := int(math.Round(pct))
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		suffix = map[int]string{1: "st", 2: "nd", 3: "rd"}[n%10]
	}
	return fmt.Sprint(n) + cmp.Or(suffix, "th")
}
