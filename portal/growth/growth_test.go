package growth

import (
	"math"
	"testing"
)

func load(t *testing.T) *Reference {
	t.Helper()
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPublishedPercentiles holds the LMS computation to the percentiles the CDC publishes
// beside L, M and S in its data files (the P3 to P97 columns, which the embedded copies
// leave out): the value at each percentile, and the percentile of that value.
func TestPublishedPercentiles(t *testing.T) {
	t.Parallel()
	r := load(t)
	for _, tc := range []struct {
		name   string
		m      Measure
		s      Sex
		months float64
		pct    float64
		want   float64 // the CDC's published value at pct
	}{
		{"boys' weight at 24 months, P3", Weight, Male, 24, 3, 10.38209025},
		{"boys' weight at 24 months, P50", Weight, Male, 24, 50, 12.6707633},
		{"boys' weight at 24 months, P97", Weight, Male, 24, 97, 15.59648294},
		{"girls' weight at 240 months, P5", Weight, Female, 240, 5, 46.28963394},
		{"girls' weight at 240 months, P95", Weight, Female, 240, 95, 82.95375457},
		{"boys' weight at half a month, P3", Weight, Male, 0.5, 3, 2.799548641},
		{"boys' weight at half a month, P97", Weight, Male, 0.5, 97, 5.032624982},
		{"girls' BMI at 102.5 months, P3", BMI, Female, 102.5, 3, 13.37623516},
		{"girls' BMI at 102.5 months, P95", BMI, Female, 102.5, 95, 21.24727049},
	} {
		p, ok := r.At(tc.m, tc.s, tc.months)
		if !ok {
			t.Errorf("%s: no table", tc.name)
			continue
		}
		if got := p.At(zOf(tc.pct)); math.Abs(got-tc.want) > 1e-6*tc.want {
			t.Errorf("%s: %.8f, the CDC publishes %.8f", tc.name, got, tc.want)
		}
		if got, _ := r.Percentile(tc.m, tc.s, tc.months, tc.want); math.Abs(got-tc.pct) > 1e-4 {
			t.Errorf("%s: %.8f is percentile %.6f, want %g", tc.name, tc.want, got, tc.pct)
		}
	}
}

// TestTables: which table answers at which age, interpolation between its ages, and no
// answer where the CDC has no table.
func TestTables(t *testing.T) {
	t.Parallel()
	r := load(t)
	for _, tc := range []struct {
		name   string
		m      Measure
		s      Sex
		months float64
		wantM  float64 // 0: no table
	}{
		{"recumbent length below 24 months", Length, Male, 23.5, 86.8381751},
		{"standing height from 24 months", Length, Male, 24, 86.45220101},
		{"weight between two ages", Weight, Male, 24.25, (12.6707633 + 12.74154396) / 2},
		{"newborn girl's head", Head, Female, 0, 34.7115617},
		{"no head circumference past 36 months", Head, Male, 36.5, 0},
		{"no BMI before 24 months", BMI, Male, 23, 0},
		{"nothing past 20 years", Weight, Female, 241, 0},
		{"nothing before birth", Weight, Female, -1, 0},
	} {
		p, ok := r.At(tc.m, tc.s, tc.months)
		if ok != (tc.wantM != 0) || math.Abs(p.M-tc.wantM) > 1e-9 {
			t.Errorf("%s: %+v %v, want M %v", tc.name, p, ok, tc.wantM)
		}
	}
	for m, names := range tables {
		for i, name := range names {
			if name == "" {
				continue
			}
			tab := []map[Measure]map[Sex][]row{r.infant, r.child}[i][m]
			if len(tab[Male]) < 30 || len(tab[Male]) != len(tab[Female]) {
				t.Errorf("%s: %d rows for boys, %d for girls", name, len(tab[Male]), len(tab[Female]))
			}
		}
	}
	if _, ok := r.Percentile(Weight, Male, 24, 0); ok {
		t.Error("a weight of 0 has a percentile")
	}
}

// TestCurve: a percentile line runs through the table's ages, and length and height are
// separate lines that meet the switch at 24 months.
func TestCurve(t *testing.T) {
	t.Parallel()
	r := load(t)
	segs := r.Curve(Length, Female, 50, 0, 60)
	if len(segs) != 2 {
		t.Fatalf("%d segments, want length and height", len(segs))
	}
	inf, child := segs[0], segs[1]
	if inf[0].Months != 0 || inf[len(inf)-1].Months != Switch || child[0].Months != Switch || child[len(child)-1].Months != 60 {
		t.Errorf("segments from %v to %v, then %v to %v", inf[0], inf[len(inf)-1], child[0], child[len(child)-1])
	}
	if p, _ := r.At(Length, Female, 60); math.Abs(child[len(child)-1].Value-p.M) > 1e-9 {
		t.Errorf("P50 at 60 months %v, M %v", child[len(child)-1].Value, p.M)
	}
	if segs := r.Curve(BMI, Male, 97, 0, 20); len(segs) != 0 {
		t.Errorf("a BMI line before 24 months: %v", segs)
	}
	if segs := r.Curve(Head, Male, 3, 0, 120); len(segs) != 1 || segs[0][len(segs[0])-1].Months != 36 {
		t.Errorf("head circumference past 36 months: %v", segs)
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		m    Measure
		v    float64
		unit string
		want float64
		ok   bool
	}{
		{Weight, 3500, "g", 3.5, true}, {Weight, 22, "[lb_av]", 9.97903214, true}, {Length, 30, "[in_i]", 76.2, true},
		{Length, 1.1, "m", 110, true}, {BMI, 17, "kg/m2", 17, true}, {Weight, 12, "kg/m2", 0, false}, {Length, 80, "", 0, false},
	} {
		got, ok := Normalize(tc.m, tc.v, tc.unit)
		if ok != tc.ok || (ok && math.Abs(got-tc.want) > 1e-6) {
			t.Errorf("Normalize(%v, %v %s) = %v %v, want %v", tc.m, tc.v, tc.unit, got, ok, tc.want)
		}
	}
}
