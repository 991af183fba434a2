// Package growth places a child's weight, length or height, head circumference and BMI among
// children of the same sex and age, by the LMS tables of the CDC 2000 growth charts: the data
// files the CDC publishes for them, embedded in cdc/ with their Sex, Agemos, L, M and S
// columns (the published percentile columns are left out; the tests hold the computation to
// them): wtageinf, lenageinf and hcageinf from birth to 36 months, wtage, statage and
// bmiagerev from 2 to 20 years. A
// measurement's z-score is ((X/M)^L - 1) / (L·S), or ln(X/M)/S when L is 0, with L, M and S
// interpolated linearly between the tables' ages; its percentile is the normal distribution's
// at z. Under 24 months the infant tables are used (recumbent length), from 24 months the
// 2-to-20-year ones (standing height), as the CDC's charts are. Percentiles beyond the 97th
// are the LMS extrapolation, which the CDC warns is less exact there (its 2022 extended BMI
// charts are not included). It knows nothing of FHIR, HTTP or charts.
package growth

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Sex is the sex the CDC tables are split by: 1 male, 2 female, as in their Sex column.
type Sex int

// The sexes of the tables.
const (
	Male   Sex = 1
	Female Sex = 2
)

// Measure is what is measured.
type Measure int

// The measures the tables cover.
const (
	Weight Measure = iota // kg, birth to 20 years
	Length                // cm: recumbent length to 24 months, standing height from 24 months
	Head                  // head circumference, cm, birth to 36 months
	BMI                   // kg/m², 2 to 20 years
)

// LMS are the Box-Cox power (L), median (M) and coefficient of variation (S) at one age.
type LMS struct{ L, M, S float64 }

// Z is the z-score of x.
func (p LMS) Z(x float64) float64 {
	if p.L == 0 {
		return math.Log(x/p.M) / p.S
	}
	return (math.Pow(x/p.M, p.L) - 1) / (p.L * p.S)
}

// Percentile is x's percentile, 0 to 100.
func (p LMS) Percentile(x float64) float64 { return 50 * math.Erfc(-p.Z(x)/math.Sqrt2) }

// At is the value whose z-score is z.
func (p LMS) At(z float64) float64 {
	if p.L == 0 {
		return p.M * math.Exp(p.S*z)
	}
	return p.M * math.Pow(1+p.L*p.S*z, 1/p.L)
}

// row is one age of a table.
type row struct {
	months float64
	LMS
}

// Reference holds the tables, by measure, sex and age range.
type Reference struct {
	infant, child map[Measure]map[Sex][]row
}

//go:embed cdc/*.csv
var files embed.FS

// tables names the file of each measure: infant (birth to 36 months) and child (2 to 20
// years); "" where the CDC has none.
var tables = map[Measure][2]string{
	Weight: {"wtageinf", "wtage"},
	Length: {"lenageinf", "statage"},
	Head:   {"hcageinf", ""},
	BMI:    {"", "bmiagerev"},
}

// Load parses the embedded tables.
func Load() (*Reference, error) {
	ref := &Reference{infant: map[Measure]map[Sex][]row{}, child: map[Measure]map[Sex][]row{}}
	for m, names := range tables {
		for i, name := range names {
			if name == "" {
				continue
			}
			t, err := parse(name)
			if err != nil {
				return nil, err
			}
			[]map[Measure]map[Sex][]row{ref.infant, ref.child}[i][m] = t
		}
	}
	return ref, nil
}

// parse reads one CDC file: a header, then Sex, Agemos, L, M, S (and any further columns).
func parse(name string) (map[Sex][]row, error) {
	b, err := files.ReadFile("cdc/" + name + ".csv")
	if err != nil {
		return nil, fmt.Errorf("growth: %w", err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) < 2 || !slices.Equal(recs[0][:5], []string{"Sex", "Agemos", "L", "M", "S"}) {
		return nil, fmt.Errorf("growth: %s: not a CDC LMS table (%v)", name, err)
	}
	out := map[Sex][]row{}
	for n, rec := range recs[1:] {
		var v [5]float64
		for i := range v {
			if v[i], err = strconv.ParseFloat(rec[i], 64); err != nil {
				return nil, fmt.Errorf("growth: %s line %d: %w", name, n+2, err)
			}
		}
		sex, r := Sex(v[0]), row{months: v[1], LMS: LMS{v[2], v[3], v[4]}}
		if sex != Male && sex != Female || r.M <= 0 || r.S <= 0 ||
			(len(out[sex]) > 0 && r.months <= out[sex][len(out[sex])-1].months) {
			return nil, fmt.Errorf("growth: %s line %d: bad row %v", name, n+2, rec)
		}
		out[sex] = append(out[sex], r)
	}
	return out, nil
}

// units are the factors from a UCUM unit to the tables' unit of each measure: kg, cm, kg/m².
var units = map[Measure]map[string]float64{
	Weight: {"kg": 1, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237, "[oz_av]": 0.028349523125},
	Length: {"cm": 1, "m": 100, "mm": 0.1, "[in_i]": 2.54, "in": 2.54},
	Head:   {"cm": 1, "mm": 0.1, "[in_i]": 2.54, "in": 2.54},
	BMI:    {"kg/m2": 1, "kg/m²": 1},
}

// Normalize converts a measurement in a UCUM unit to the tables' unit, and reports false for
// a unit it does not know: a value is never placed on a chart in the wrong unit.
func Normalize(m Measure, v float64, ucum string) (float64, bool) {
	f, ok := units[m][ucum]
	return v * f, ok
}
