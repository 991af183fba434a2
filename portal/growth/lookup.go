package growth

import (
	"math"
	"time"
)

// Switch is the age, in months, from which the 2-to-20-year tables replace the infant ones.
const Switch = 24

// Months is a child's age in months at a time, as the CDC counts it (days / 30.4375).
func Months(birth, at time.Time) float64 { return at.Sub(birth).Hours() / 24 / 30.4375 }

// table returns the table for m, s at an age, or nil when the CDC has none there.
func (r *Reference) table(m Measure, s Sex, months float64) []row {
	infant, child := r.infant[m][s], r.child[m][s]
	if child != nil && (months >= Switch || infant == nil) {
		return child
	}
	return infant
}

// At returns the LMS of m for sex s at an age in months, interpolated between the table's
// ages, and false outside the ages the CDC covers.
func (r *Reference) At(m Measure, s Sex, months float64) (LMS, bool) {
	return interpolate(r.table(m, s, months), months)
}

func interpolate(t []row, months float64) (LMS, bool) {
	if len(t) == 0 || months < t[0].months || months > t[len(t)-1].months {
		return LMS{}, false
	}
	for i := 1; i < len(t); i++ {
		if months <= t[i].months {
			a, b := t[i-1], t[i]
			f := (months - a.months) / (b.months - a.months)
			mix := func(x, y float64) float64 { return x + f*(y-x) }
			return LMS{mix(a.L, b.L), mix(a.M, b.M), mix(a.S, b.S)}, true
		}
	}
	return t[0].LMS, true // one row, at exactly its age
}

// Percentile is x's percentile of m for sex s at an age in months, and false where the CDC
// tables do not reach or x is not a measurement.
func (r *Reference) Percentile(m Measure, s Sex, months, x float64) (float64, bool) {
	p, ok := r.At(m, s, months)
	if !ok || x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	return p.Percentile(x), true
}

// Point is a value at an age in months.
type Point struct{ Months, Value float64 }

// Curve returns the value of m at percentile pct for sex s from one age to another, as the
// lines of a growth chart: one segment per table (the curves of length and height do not
// join at 24 months), each with a point at every age of the table.
func (r *Reference) Curve(m Measure, s Sex, pct, from, to float64) [][]Point {
	z := zOf(pct)
	infant, child := r.infant[m][s], r.child[m][s]
	var out [][]Point
	for i, t := range [][]row{infant, child} {
		if len(t) == 0 {
			continue
		}
		lo, hi := math.Max(from, t[0].months), math.Min(to, t[len(t)-1].months)
		if i == 0 && child != nil {
			hi = math.Min(hi, Switch) // the infant table is used only below Switch
		}
		if lo >= hi {
			continue
		}
		var seg []Point
		for _, age := range append(append([]float64{lo}, agesBetween(t, lo, hi)...), hi) {
			p, _ := interpolate(t, age)
			seg = append(seg, Point{age, p.At(z)})
		}
		out = append(out, seg)
	}
	return out
}

// agesBetween are the table's ages strictly between lo and hi.
func agesBetween(t []row, lo, hi float64) []float64 {
	var out []float64
	for _, r := range t {
		if r.months > lo && r.months < hi {
			out = append(out, r.months)
		}
	}
	return out
}

// zOf is the z-score of a percentile (0 < pct < 100), by bisection on the normal
// distribution: exact to far below what a chart can show.
func zOf(pct float64) float64 {
	lo, hi := -8.0, 8.0
	for range 100 {
		mid := (lo + hi) / 2
		if 50*math.Erfc(-mid/math.Sqrt2) < pct {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
