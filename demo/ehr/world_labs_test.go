package ehr

import (
	"slices"
	"testing"
	"time"
)

// series returns one patient's Observations of a LOINC code, oldest first.
func series(d *Dataset, patient, loinc string) []*stored {
	var out []*stored
	for _, r := range d.byType["Observation"] {
		if refIs(r.doc, "subject", "Patient/"+patient) && slices.Contains(valuesAt(r.doc, "code.coding.code"), any(loinc)) {
			out = append(out, r)
		}
	}
	slices.Reverse(out) // searches list newest first
	return out
}

// value returns an Observation's valueQuantity.value.
func value(r *stored) float64 {
	v, _ := valuesAt(r.doc, "valueQuantity.value")[0].(float64)
	return v
}

// flag returns an Observation's interpretation code, or "".
func flag(r *stored) string {
	if c := valuesAt(r.doc, "interpretation.coding.code"); len(c) > 0 {
		return c[0].(string)
	}
	return ""
}

func TestLabsHaveRangesAndConsistentFlags(t *testing.T) {
	t.Parallel()
	d := Seed()
	tests := labTests()
	flags := map[string]int{}
	for _, r := range d.byType["Observation"] {
		if !slices.Contains(valuesAt(r.doc, "category.coding.code"), any("laboratory")) {
			continue
		}
		loinc := valuesAt(r.doc, "code.coding.code")[0].(string)
		test, ok := tests[loinc]
		rr := valuesAt(r.doc, "referenceRange")
		if !ok || len(rr) != 1 || valuesAt(r.doc, "referenceRange.text") == nil || flag(r) == "" {
			t.Errorf("Observation/%s (%s): want a known test, one reference range with text, and an interpretation", r.id, loinc)
			continue
		}
		if valuesAt(r.doc, "interpretation.coding.display") == nil || valuesAt(r.doc, "code.text")[0] != test.short {
			t.Errorf("Observation/%s: interpretation without display or code.text %v", r.id, valuesAt(r.doc, "code.text"))
		}
		flags[flag(r)]++
		if test.normal != "" {
			if want := map[bool]string{true: "N", false: "A"}[r.doc["valueString"] == test.normal]; flag(r) != want {
				t.Errorf("Observation/%s %v flagged %s, want %s", r.id, r.doc["valueString"], flag(r), want)
			}
			continue
		}
		if got := valuesAt(r.doc, "valueQuantity.code")[0]; got != test.ucum || valuesAt(r.doc, "valueQuantity.unit")[0] != test.unit {
			t.Errorf("Observation/%s unit %v code %v, want %s %s", r.id, valuesAt(r.doc, "valueQuantity.unit"), got, test.unit, test.ucum)
		}
		if want := wantFlag(r, test); flag(r) != want {
			t.Errorf("Observation/%s value %v flagged %s, want %s (range %v)", r.id, value(r), flag(r), want, rr[0])
		}
	}
	for _, f := range []string{"N", "H", "L", "HH", "LL", "A"} {
		if flags[f] == 0 {
			t.Errorf("no laboratory result is flagged %s (flags: %v)", f, flags)
		}
	}
}

// wantFlag computes the interpretation from the Observation's own value and range.
func wantFlag(r *stored, t labTest) string {
	v := value(r)
	high, _ := valuesAt(r.doc, "referenceRange.high.value")[0].(float64)
	lows := valuesAt(r.doc, "referenceRange.low.value")
	switch {
	case t.critHigh > 0 && v >= t.critHigh:
		return "HH"
	case t.critLow > 0 && v <= t.critLow:
		return "LL"
	case v > high:
		return "H"
	case len(lows) == 1 && v < lows[0].(float64):
		return "L"
	}
	return "N"
}

func TestShowcaseLabs(t *testing.T) {
	t.Parallel()
	d := Seed()
	glucose := series(d, "child-03", "2339-0")
	var critical []string
	for _, r := range glucose {
		if value(r) == 488 && flag(r) == "HH" && valuesAt(r.doc, "valueQuantity.unit")[0] == "mg/dL" && valuesAt(r.doc, "note.text") != nil {
			critical = append(critical, r.id)
		}
	}
	if len(critical) != 1 {
		t.Errorf("child-03 glucose 488 mg/dL flagged HH with a call-back note: %v", critical)
	}
	if low := glucose[len(glucose)-1]; value(low) != 48 || flag(low) != "LL" {
		t.Errorf("child-03's last glucose = %v %s, want 48 LL", value(low), flag(low))
	}
	trends := []struct {
		patient, loinc string
		atLeast        int
	}{
		{"child-03", "2339-0", 4}, {"child-03", "4548-4", 3}, {"child-03", "2823-3", 4}, {"child-03", "2160-0", 4},
		{"child-01", "6690-2", 3}, {"child-01", "718-7", 3}, {"child-01", "2823-3", 2},
		{"child-05", "1975-2", 3}, {"child-02", "6690-2", 3}, {"child-02", "1988-5", 2}, {"child-07", "3024-7", 3},
	}
	for _, tc := range trends {
		if got := series(d, tc.patient, tc.loinc); len(got) < tc.atLeast {
			t.Errorf("%s has %d results of %s, want a trend of >= %d", tc.patient, len(got), tc.loinc, tc.atLeast)
		}
	}
	if b := series(d, "child-05", "1975-2"); !(value(b[0]) > value(b[1]) && value(b[1]) > value(b[2])) || flag(b[0]) != "HH" {
		t.Errorf("child-05 bilirubin does not fall from a critical value: %v %v %v", value(b[0]), value(b[1]), value(b[2]))
	}
}

func TestReportsGroupTheirResults(t *testing.T) {
	t.Parallel()
	d := Seed()
	panels := map[string]bool{}
	for _, r := range d.byType["DiagnosticReport"] {
		code := valuesAt(r.doc, "code.coding.code")[0].(string)
		panels[code] = true
		results := valuesAt(r.doc, "result.reference")
		if len(results) == 0 && r.doc["conclusion"] == nil {
			t.Errorf("DiagnosticReport/%s has neither results nor a conclusion", r.id)
		}
		for _, res := range results {
			key, _ := parseLiteral(res.(string), "")
			o := d.lookup(key.typ, key.id)
			if o == nil || o.doc["effectiveDateTime"] != r.doc["effectiveDateTime"] || !refIs(o.doc, "encounter", r.doc["encounter"].(map[string]any)["reference"].(string)) {
				t.Errorf("DiagnosticReport/%s result %s is missing or from another draw", r.id, res)
			}
		}
		if r.doc["performer"] == nil || r.doc["encounter"] == nil || r.doc["issued"] == nil {
			t.Errorf("DiagnosticReport/%s lacks performer, encounter or issued", r.id)
		}
	}
	for _, code := range []string{"58410-2", "51990-0", "24339-4", "4548-4", "3016-3", "36643-5"} {
		if !panels[code] {
			t.Errorf("no DiagnosticReport %s", code)
		}
	}
}

func TestGrowthFromBirth(t *testing.T) {
	t.Parallel()
	d := Seed()
	ref, _ := time.Parse(time.DateOnly, referenceDate)
	for _, child := range []string{"child-01", "child-03", "child-05"} {
		p := d.lookup("Patient", child)
		birth, _ := time.Parse(time.DateOnly, p.doc["birthDate"].(string))
		for _, loinc := range []string{"29463-7", "8302-2", "39156-5", "9843-4"} {
			obs := series(d, child, loinc)
			if len(obs) < 5 {
				t.Errorf("%s has %d %s measurements", child, len(obs), loinc)
				continue
			}
			first, _ := time.Parse(time.RFC3339, obs[0].doc["effectiveDateTime"].(string))
			last, _ := time.Parse(time.RFC3339, obs[len(obs)-1].doc["effectiveDateTime"].(string))
			if loinc != "39156-5" && first.Sub(birth) > 8*24*time.Hour {
				t.Errorf("%s %s starts %v after birth", child, loinc, first.Sub(birth))
			}
			if loinc != "9843-4" && ref.Sub(last) > 400*24*time.Hour {
				t.Errorf("%s %s ends %v before the reference date", child, loinc, ref.Sub(last))
			}
			if loinc == "9843-4" && last.Sub(birth) > 25*31*24*time.Hour {
				t.Errorf("%s head circumference measured at %v of age", child, last.Sub(birth))
			}
		}
		heights := series(d, child, "8302-2")
		for i := 1; i < len(heights); i++ {
			if value(heights[i]) < value(heights[i-1]) {
				t.Errorf("%s height falls from %v to %v (%s)", child, value(heights[i-1]), value(heights[i]), heights[i].id)
			}
		}
		for _, w := range series(d, child, "29463-7") {
			at, _ := time.Parse(time.RFC3339, w.doc["effectiveDateTime"].(string))
			age := at.Sub(birth).Hours() / 24 / 365.25
			if m := median(medianWeight, age, p.doc["gender"].(string)); value(w) < 0.75*m || value(w) > 1.3*m {
				t.Errorf("%s weighs %v kg at %.1f years (median %.1f)", child, value(w), age, m)
			}
		}
	}
}

func TestObservationCategoriesSeparateVitals(t *testing.T) {
	t.Parallel()
	d := Seed()
	vitals := map[string]bool{}
	for _, r := range d.byType["Observation"] {
		cats := valuesAt(r.doc, "category.coding.code")
		if len(cats) != 1 || (cats[0] != "laboratory" && cats[0] != "vital-signs") {
			t.Errorf("Observation/%s categories %v", r.id, cats)
		}
		if cats[0] == "vital-signs" {
			vitals[valuesAt(r.doc, "code.coding.code")[0].(string)] = true
			if r.doc["valueQuantity"] == nil && r.doc["component"] == nil {
				t.Errorf("vital sign Observation/%s has no value", r.id)
			}
		}
	}
	for _, loinc := range []string{"8867-4", "9279-1", "8310-5", "59408-5", "85354-9", "29463-7", "8302-2", "39156-5", "9843-4"} {
		if !vitals[loinc] {
			t.Errorf("no vital sign %s", loinc)
		}
	}
	// The cross-upstream comparison in test/ walks one child's Observations five per page and
	// gives up after 30 pages.
	for _, p := range d.byType["Patient"] {
		if n := len(matching(d, "Observation", func(doc map[string]any) bool { return refIs(doc, "subject", "Patient/"+p.id) })); n > 150 {
			t.Errorf("%s has %d Observations, more than 150", p.id, n)
		}
	}
}
