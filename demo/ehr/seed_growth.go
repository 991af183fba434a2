package ehr

import "time"

// growthRow is one age of the growth reference: median weight (kg), length or height (cm)
// and head circumference (cm, 0 beyond the age it is measured) for boys and girls. The values
// are rounded WHO (to 2 years) and CDC (from 2 years) medians: plausible, not for care.
type growthRow struct {
	age           float64 // years
	boyW, girlW   float64
	boyH, girlH   float64
	boyHC, girlHC float64
}

// growthTable returns the reference by increasing age.
func growthTable() []growthRow {
	return []growthRow{
		{0, 3.3, 3.2, 49.9, 49.1, 34.5, 33.9},
		{1.0 / 12, 4.5, 4.2, 54.7, 53.7, 37.3, 36.5},
		{2.0 / 12, 5.6, 5.1, 58.4, 57.1, 39.1, 38.3},
		{4.0 / 12, 7.0, 6.4, 63.9, 62.1, 41.6, 40.6},
		{0.5, 7.9, 7.3, 67.6, 65.7, 43.3, 42.2},
		{0.75, 8.9, 8.2, 72.0, 70.1, 45.0, 43.8},
		{1, 9.6, 8.9, 75.7, 74.0, 46.1, 44.9},
		{1.25, 10.3, 9.6, 79.1, 77.5, 46.8, 45.7},
		{1.5, 10.9, 10.2, 82.3, 80.7, 47.4, 46.2},
		{2, 12.2, 11.5, 87.1, 85.7, 48.3, 47.2},
		{2.5, 13.3, 12.7, 91.9, 90.7, 48.9, 47.9},
		{3, 14.3, 13.9, 96.1, 95.1, 49.5, 48.5},
		{4, 16.3, 15.9, 103.3, 102.7, 0, 0},
		{5, 18.4, 17.9, 110.0, 109.4, 0, 0},
		{6, 20.7, 20.2, 116.1, 115.5, 0, 0},
		{7, 23.1, 22.4, 121.7, 121.1, 0, 0},
		{8, 25.6, 25.0, 127.3, 126.6, 0, 0},
		{9, 28.6, 28.2, 132.6, 132.2, 0, 0},
		{10, 32.0, 31.9, 137.8, 138.3, 0, 0},
		{11, 35.6, 36.0, 143.1, 144.8, 0, 0},
		{12, 39.9, 40.5, 149.1, 151.5, 0, 0},
		{13, 45.3, 44.6, 156.0, 157.1, 0, 0},
		{14, 50.8, 47.9, 163.2, 160.4, 0, 0},
		{15, 56.0, 50.5, 169.0, 161.8, 0, 0},
		{16, 60.8, 52.3, 173.1, 162.5, 0, 0},
		{17, 64.6, 53.7, 175.2, 162.9, 0, 0},
		{18, 67.2, 54.6, 176.1, 163.3, 0, 0},
	}
}

// growthMeasure picks one measurement of a row for a sex; "other" takes the mean of both.
type growthMeasure func(g growthRow, sex string) float64

func pick(boy, girl float64, sex string) float64 {
	switch sex {
	case "male":
		return boy
	case "female":
		return girl
	}
	return (boy + girl) / 2
}

var (
	medianWeight growthMeasure = func(g growthRow, sex string) float64 { return pick(g.boyW, g.girlW, sex) }
	medianHeight growthMeasure = func(g growthRow, sex string) float64 { return pick(g.boyH, g.girlH, sex) }
	medianHead   growthMeasure = func(g growthRow, sex string) float64 { return pick(g.boyHC, g.girlHC, sex) }
)

// median interpolates a measurement linearly between the table's ages.
func median(m growthMeasure, age float64, sex string) float64 {
	table := growthTable()
	if age <= 0 {
		return m(table[0], sex)
	}
	for i := 1; i < len(table); i++ {
		if age <= table[i].age {
			a, b := table[i-1], table[i]
			f := (age - a.age) / (b.age - a.age)
			return m(a, sex) + f*(m(b, sex)-m(a, sex))
		}
	}
	return m(table[len(table)-1], sex)
}

// ageAt returns the child's age in years at t.
func (r *record) ageAt(t time.Time) float64 {
	return t.Sub(r.birth).Hours() / 24 / 365.25
}

// atAge returns the child's birthday-based date at an age in years (fractions are months).
func (r *record) atAge(years float64) time.Time {
	whole := int(years)
	return r.birth.AddDate(whole, int(12*(years-float64(whole))), 0)
}

// weightAt, heightAt and headAt are the child's own measurements at t: the median scaled by
// the child's factors, so that each child follows one centile through life.
func (r *record) weightAt(t time.Time) float64 {
	return median(medianWeight, r.ageAt(t), r.row.gender) * r.wf
}

func (r *record) heightAt(t time.Time) float64 {
	return median(medianHeight, r.ageAt(t), r.row.gender) * r.hf
}

func (r *record) headAt(t time.Time) float64 {
	return median(medianHead, r.ageAt(t), r.row.gender) * (0.5 + r.hf/2)
}

// wellChildAges are the ages of the routine visits at the primary care practice, in months:
// the newborn visit (at 4 days), infancy and toddlerhood, then yearly.
func wellChildAges(upToYears float64) []float64 {
	ages := []float64{4.0 / 30, 1, 2, 4, 6, 9, 12, 15, 18, 24, 30}
	for y := 3.0; y <= upToYears; y++ {
		ages = append(ages, 12*y)
	}
	return ages
}

// growth adds the measurements of every well-child visit from birth to the reference date:
// weight and length or height always, head circumference to 24 months, BMI from 24 months.
// They were taken at the primary care practice, so they name no encounter of this hospital
// and the PCP as performer.
func (r *record) growth() {
	for _, months := range wellChildAges(r.ageAt(r.ref)) {
		day := r.birth.AddDate(0, int(months), 0)
		if months < 1 {
			day = r.birth.AddDate(0, 0, 4)
		}
		at := hospitalTime(day, 9+r.rng.IntN(7), 15*r.rng.IntN(4))
		if !at.Before(r.ref) {
			continue
		}
		w, h := r.weightAt(at), r.heightAt(at)
		signs := []vitalSign{weightSign(w, months), heightSign(h, months)}
		if months <= 24 {
			signs = append(signs, vitalSign{"9843-4", "Head Occipital-frontal circumference", "cm", "cm", r.headAt(at), 1})
		}
		if months >= 24 {
			signs = append(signs, bmiSign(w, h))
		}
		for _, s := range signs {
			r.addVital(s, at, "", r.pcpPerformer(), nil)
		}
	}
}
