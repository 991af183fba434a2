package ehr

import (
	"math"
	"time"
)

// labTest is one laboratory test with its pediatric reference range.
type labTest struct {
	loinc, display, unit string
	low, high            float64
	decimals             int
}

// labTests returns the tests the seed reports, by LOINC code.
func labTests() map[string]labTest {
	list := []labTest{
		{"718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 11.5, 15.5, 1},
		{"6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 4.5, 13.5, 1},
		{"2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 70, 99, 0},
		{"4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.0, 5.6, 1},
		{"2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 135, 145, 0},
		{"2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.5, 5.1, 1},
		{"2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.3, 0.7, 2},
		{"3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "m[IU]/L", 0.5, 4.5, 2},
	}
	out := make(map[string]labTest, len(list))
	for _, t := range list {
		out[t.loinc] = t
	}
	return out
}

// labPanel is an orderable panel: the DiagnosticReport code and the tests it reports.
type labPanel struct {
	code  code
	tests []string
}

// labPanelsByName returns the orderable panels by the short names profiles use.
func labPanelsByName() map[string]labPanel {
	return map[string]labPanel{
		"cbc": {code{sysLOINC, "58410-2", "CBC panel - Blood by Automated count"}, []string{"718-7", "6690-2"}},
		"bmp": {code{sysLOINC, "51990-0", "Basic metabolic panel - Blood"}, []string{"2951-2", "2823-3", "2339-0", "2160-0"}},
		"a1c": {code{sysLOINC, "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"}, []string{"4548-4"}},
		"tsh": {code{sysLOINC, "3016-3", "Thyrotropin [Units/volume] in Serum or Plasma"}, []string{"3016-3"}},
	}
}

// labPanels adds, for each named panel, its Observations and a DiagnosticReport pointing to
// them, all collected at the given time.
func (r *record) labPanels(e encounterInfo, names []string, at time.Time) {
	tests, panels := labTests(), labPanelsByName()
	issued := at.Add(2 * time.Hour)
	for _, name := range names {
		panel := panels[name]
		var results []any
		for _, loinc := range panel.tests {
			t := tests[loinc]
			id := r.nextID("obs")
			r.d.add("Observation", r.labObservation(e, id, t, at, issued), issued, at)
			results = append(results, ref("Observation", id, t.display))
		}
		r.d.add("DiagnosticReport", obj{
			"id": r.nextID("rpt"), "status": "final",
			"category":          []any{concept("Laboratory", code{sysDiagServ, "LAB", "Laboratory"})},
			"code":              concept("", panel.code),
			"subject":           r.patientRef(),
			"encounter":         ref("Encounter", e.id, ""),
			"effectiveDateTime": instant(at),
			"issued":            instant(issued),
			"performer":         []any{ref("Organization", "dept-laboratory", orgName("dept-laboratory"))},
			"result":            results,
		}, issued, at)
	}
}

// labObservation builds one laboratory result with its range and interpretation.
func (r *record) labObservation(e encounterInfo, id string, t labTest, at, issued time.Time) obj {
	v := round(r.labValue(t), t.decimals)
	flag := code{sysInterp, "N", "Normal"}
	switch {
	case v > t.high:
		flag = code{sysInterp, "H", "High"}
	case v < t.low:
		flag = code{sysInterp, "L", "Low"}
	}
	return obj{
		"id": id, "status": "final",
		"category":          []any{concept("Laboratory", code{sysObsCat, "laboratory", "Laboratory"})},
		"code":              concept("", code{sysLOINC, t.loinc, t.display}),
		"subject":           r.patientRef(),
		"encounter":         ref("Encounter", e.id, ""),
		"effectiveDateTime": instant(at),
		"issued":            instant(issued),
		"performer":         []any{ref("Organization", "dept-laboratory", orgName("dept-laboratory"))},
		"valueQuantity":     quantity(v, t.decimals, t.unit, t.unit),
		"interpretation":    []any{concept("", flag)},
		"referenceRange": []any{obj{
			"low":  quantity(t.low, t.decimals, t.unit, t.unit),
			"high": quantity(t.high, t.decimals, t.unit, t.unit),
		}},
	}
}

// labValue returns the next value of a test for this child: the profile's series while it
// lasts (with a little noise), otherwise a value well inside the reference range.
func (r *record) labValue(t labTest) float64 {
	k := r.drawn[t.loinc]
	r.drawn[t.loinc]++
	if s := r.series[t.loinc]; k < len(s) {
		return s[k] * (0.97 + 0.06*r.rng.Float64())
	}
	return t.low + (t.high-t.low)*(0.2+0.6*r.rng.Float64())
}

// vitals adds weight and heart rate at every visit, and height at clinic visits, sized for
// the child's age on that day.
func (r *record) vitals(e encounterInfo) {
	at := e.start.Add(10 * time.Minute)
	age := at.Sub(r.birth).Hours() / 24 / 365.25
	hr := float64(restingHeartRate(age) + r.rng.IntN(13) - 6)
	if e.v.kind != specialty {
		hr += 15 // unwell children in the ED or on admission are tachycardic
	}
	signs := []vitalSign{
		{"29463-7", "Body weight", "kg", "kg", expectedWeight(age) * r.wf, 1},
		{"8867-4", "Heart rate", "beats/minute", "/min", hr, 0},
	}
	if e.v.kind == specialty {
		signs = append(signs, vitalSign{"8302-2", "Body height", "cm", "cm", expectedHeight(age) * r.hf, 1})
	}
	for _, s := range signs {
		r.d.add("Observation", obj{
			"id": r.nextID("obs"), "status": "final",
			"category":          []any{concept("Vital Signs", code{sysObsCat, "vital-signs", "Vital Signs"})},
			"code":              concept(s.display, code{sysLOINC, s.loinc, s.display}),
			"subject":           r.patientRef(),
			"encounter":         ref("Encounter", e.id, ""),
			"effectiveDateTime": instant(at),
			"performer":         []any{ref("Practitioner", e.v.clinician, practitionerName(e.v.clinician))},
			"valueQuantity":     quantity(s.value, s.decimals, s.unit, s.ucum),
		}, at, at)
	}
}

// vitalSign is one vital-sign measurement before it becomes an Observation.
type vitalSign struct {
	loinc, display, unit, ucum string
	value                      float64
	decimals                   int
}

// expectedWeight is a rough median weight in kg for an age in years.
func expectedWeight(age float64) float64 {
	switch {
	case age < 1:
		return 3.5 + 6.5*age
	case age < 2:
		return 10 + 2.5*(age-1)
	case age < 12:
		return 2*age + 8
	default:
		return 32 + 5*(age-12)
	}
}

// expectedHeight is a rough median height in cm for an age in years.
func expectedHeight(age float64) float64 {
	switch {
	case age < 1:
		return 50 + 25*age
	case age < 2:
		return 75 + 12*(age-1)
	default:
		return math.Min(87+6.5*(age-2), 176)
	}
}

// restingHeartRate is a typical resting heart rate for an age in years.
func restingHeartRate(age float64) int {
	switch {
	case age < 1:
		return 125
	case age < 3:
		return 110
	case age < 6:
		return 100
	case age < 12:
		return 88
	default:
		return 76
	}
}
