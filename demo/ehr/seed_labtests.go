package ehr

// labRange is a test's reference interval for children below an age (and of one sex, when
// sex is set). noLow marks an interval with only an upper limit ("< 5.0 mg/L").
type labRange struct {
	upTo      float64 // age in years, exclusive
	sex       string
	low, high float64
	noLow     bool
	ages      string // how the interval's age group reads, e.g. "6-11 y"
}

// labTest is one laboratory test: LOINC code and name, the short name clinicians use (the
// Observation's code.text), the unit as clinicians write it with
// its UCUM code, its age-specific reference intervals and its critical limits (0: none). A
// qualitative test has no unit; normal is its normal result ("Negative").
type labTest struct {
	loinc, short, display, unit, ucum string
	decimals                          int
	ranges                            []labRange
	critLow, critHigh                 float64
	normal                            string
}

// ages from birth, used by several intervals.
const (
	newborn = 1.0 / 12 // first month
	infant  = 1.0
	adult   = 200.0 // no upper age
)

// all is one interval for every age.
func all(low, high float64) []labRange {
	return []labRange{{upTo: adult, low: low, high: high, ages: "all ages"}}
}

// below is one interval with only an upper limit, for every age.
func below(high float64) []labRange {
	return []labRange{{upTo: adult, high: high, noLow: true, ages: "all ages"}}
}

// labTests returns the tests the seed reports, by LOINC code. The intervals are typical
// pediatric ones, rounded; they are for the demo, not for care.
func labTests() map[string]labTest {
	list := []labTest{
		{loinc: "6690-2", short: "WBC", display: "Leukocytes [#/volume] in Blood by Automated count", unit: "K/uL", ucum: "10*3/uL", decimals: 1,
			ranges: []labRange{{upTo: newborn, low: 9, high: 30, ages: "0-30 d"}, {upTo: 2, low: 6, high: 17.5, ages: "1 mo-1 y"},
				{upTo: 6, low: 5, high: 15.5, ages: "2-5 y"}, {upTo: 12, low: 4.5, high: 13.5, ages: "6-11 y"}, {upTo: adult, low: 4.5, high: 11, ages: "12-18 y"}},
			critLow: 2, critHigh: 35},
		{loinc: "718-7", short: "Hemoglobin", display: "Hemoglobin [Mass/volume] in Blood", unit: "g/dL", ucum: "g/dL", decimals: 1,
			ranges: []labRange{{upTo: newborn, low: 14.5, high: 22.5, ages: "0-30 d"}, {upTo: 0.5, low: 10, high: 14, ages: "1-5 mo"},
				{upTo: 2, low: 10.5, high: 13.5, ages: "6 mo-1 y"}, {upTo: 6, low: 11.5, high: 13.5, ages: "2-5 y"},
				{upTo: 12, low: 11.5, high: 15.5, ages: "6-11 y"}, {upTo: adult, sex: "male", low: 13, high: 16, ages: "12-18 y, male"},
				{upTo: adult, low: 12, high: 16, ages: "12-18 y"}},
			critLow: 7},
		{loinc: "4544-3", short: "Hematocrit", display: "Hematocrit [Volume Fraction] of Blood by Automated count", unit: "%", ucum: "%", decimals: 1,
			ranges: []labRange{{upTo: newborn, low: 45, high: 67, ages: "0-30 d"}, {upTo: 0.5, low: 29, high: 41, ages: "1-5 mo"},
				{upTo: 2, low: 33, high: 39, ages: "6 mo-1 y"}, {upTo: 6, low: 34, high: 40, ages: "2-5 y"},
				{upTo: 12, low: 35, high: 45, ages: "6-11 y"}, {upTo: adult, sex: "male", low: 37, high: 49, ages: "12-18 y, male"},
				{upTo: adult, low: 36, high: 46, ages: "12-18 y"}}},
		{loinc: "777-3", short: "Platelets", display: "Platelets [#/volume] in Blood by Automated count", unit: "K/uL", ucum: "10*3/uL",
			ranges: all(150, 450), critLow: 50, critHigh: 1000},
		{loinc: "2951-2", short: "Sodium", display: "Sodium [Moles/volume] in Serum or Plasma", unit: "mmol/L", ucum: "mmol/L",
			ranges: all(135, 145), critLow: 120, critHigh: 160},
		{loinc: "2823-3", short: "Potassium", display: "Potassium [Moles/volume] in Serum or Plasma", unit: "mmol/L", ucum: "mmol/L", decimals: 1,
			ranges: []labRange{{upTo: newborn, low: 3.7, high: 5.9, ages: "0-30 d"}, {upTo: infant, low: 4.1, high: 5.3, ages: "1-11 mo"},
				{upTo: adult, low: 3.5, high: 5.1, ages: "1-18 y"}},
			critLow: 2.8, critHigh: 6.5},
		{loinc: "2075-0", short: "Chloride", display: "Chloride [Moles/volume] in Serum or Plasma", unit: "mmol/L", ucum: "mmol/L", ranges: all(98, 107)},
		{loinc: "2028-9", short: "CO2, total", display: "Carbon dioxide, total [Moles/volume] in Serum or Plasma", unit: "mmol/L", ucum: "mmol/L",
			ranges: []labRange{{upTo: 2, low: 18, high: 25, ages: "0-1 y"}, {upTo: adult, low: 20, high: 28, ages: "2-18 y"}}, critLow: 10, critHigh: 40},
		{loinc: "3094-0", short: "BUN", display: "Urea nitrogen [Mass/volume] in Serum or Plasma", unit: "mg/dL", ucum: "mg/dL", ranges: all(5, 18)},
		{loinc: "2160-0", short: "Creatinine", display: "Creatinine [Mass/volume] in Serum or Plasma", unit: "mg/dL", ucum: "mg/dL", decimals: 2,
			ranges: []labRange{{upTo: newborn, low: 0.3, high: 1, ages: "0-30 d"}, {upTo: 4, low: 0.1, high: 0.4, ages: "1 mo-3 y"},
				{upTo: 8, low: 0.2, high: 0.5, ages: "4-7 y"}, {upTo: 13, low: 0.3, high: 0.7, ages: "8-12 y"},
				{upTo: adult, sex: "male", low: 0.6, high: 1.2, ages: "13-18 y, male"}, {upTo: adult, low: 0.5, high: 1, ages: "13-18 y"}}},
		{loinc: "2339-0", short: "Glucose", display: "Glucose [Mass/volume] in Blood", unit: "mg/dL", ucum: "mg/dL",
			ranges:  []labRange{{upTo: newborn, low: 45, high: 90, ages: "0-30 d"}, {upTo: adult, low: 70, high: 99, ages: "fasting, 1 mo-18 y"}},
			critLow: 50, critHigh: 400},
		{loinc: "17861-6", short: "Calcium", display: "Calcium [Mass/volume] in Serum or Plasma", unit: "mg/dL", ucum: "mg/dL", decimals: 1,
			ranges:  []labRange{{upTo: newborn, low: 7.6, high: 10.4, ages: "0-30 d"}, {upTo: adult, low: 8.8, high: 10.8, ages: "1 mo-18 y"}},
			critLow: 6.5, critHigh: 13},
		{loinc: "4548-4", short: "Hemoglobin A1c", display: "Hemoglobin A1c/Hemoglobin.total in Blood", unit: "%", ucum: "%", decimals: 1, ranges: all(4, 5.6)},
		{loinc: "3016-3", short: "TSH", display: "Thyrotropin [Units/volume] in Serum or Plasma", unit: "mIU/L", ucum: "m[IU]/L", decimals: 2,
			ranges: []labRange{{upTo: newborn, low: 0.7, high: 15.2, ages: "0-30 d"}, {upTo: infant, low: 0.7, high: 6, ages: "1-11 mo"},
				{upTo: adult, low: 0.5, high: 4.5, ages: "1-18 y"}}},
		{loinc: "3024-7", short: "Free T4", display: "Thyroxine (T4) free [Mass/volume] in Serum or Plasma", unit: "ng/dL", ucum: "ng/dL", decimals: 2, ranges: all(0.8, 1.8)},
		{loinc: "1988-5", short: "CRP", display: "C reactive protein [Mass/volume] in Serum or Plasma", unit: "mg/L", ucum: "mg/L", decimals: 1, ranges: below(5)},
		{loinc: "2746-6", short: "pH, venous", display: "pH of Venous blood", unit: "pH", ucum: "[pH]", decimals: 2, ranges: all(7.31, 7.41), critLow: 7.2, critHigh: 7.6},
		{loinc: "2021-4", short: "pCO2, venous", display: "Carbon dioxide [Partial pressure] in Venous blood", unit: "mmHg", ucum: "mm[Hg]", ranges: all(41, 51)},
		{loinc: "14627-4", short: "HCO3, venous", display: "Bicarbonate [Moles/volume] in Venous blood", unit: "mmol/L", ucum: "mmol/L", ranges: all(22, 29), critLow: 10},
		{loinc: "53061-8", short: "Beta-hydroxybutyrate", display: "Beta hydroxybutyrate [Moles/volume] in Serum or Plasma", unit: "mmol/L", ucum: "mmol/L", decimals: 1, ranges: below(0.6)},
		{loinc: "1975-2", short: "Bilirubin, total", display: "Bilirubin.total [Mass/volume] in Serum or Plasma", unit: "mg/dL", ucum: "mg/dL", decimals: 1,
			ranges:   []labRange{{upTo: newborn, high: 12, noLow: true, ages: "term newborn, 3-5 d"}, {upTo: adult, low: 0.2, high: 1.2, ages: "1 mo-18 y"}},
			critHigh: 20},
		{loinc: "6206-7", short: "Peanut IgE", display: "Peanut IgE Ab [Units/volume] in Serum", unit: "kU/L", ucum: "k[IU]/L", decimals: 2, ranges: below(0.35)},
		{loinc: "2514-8", short: "Ketones, urine", display: "Ketones [Presence] in Urine by Test strip", normal: "Negative"},
		{loinc: "25428-4", short: "Glucose, urine", display: "Glucose [Presence] in Urine by Test strip", normal: "Negative"},
		{loinc: "600-7", short: "Blood culture", display: "Bacteria identified in Blood by Culture", normal: "No growth at 5 days"},
	}
	out := make(map[string]labTest, len(list))
	for _, t := range list {
		out[t.loinc] = t
	}
	return out
}

// labPanel is an orderable panel: the DiagnosticReport code and the tests it reports. A panel
// without tests is an imaging study, reported as a conclusion.
type labPanel struct {
	code     code
	tests    []string
	category code
	text     string
}

// labPanelsByName returns the orderable panels by the short names profiles use.
func labPanelsByName() map[string]labPanel {
	lab := code{sysDiagServ, "LAB", "Laboratory"}
	single := func(loinc string) labPanel {
		t := labTests()[loinc]
		return labPanel{code{sysLOINC, loinc, t.display}, []string{loinc}, lab, t.short}
	}
	return map[string]labPanel{
		"cbc":  {code{sysLOINC, "58410-2", "CBC panel - Blood by Automated count"}, []string{"6690-2", "718-7", "4544-3", "777-3"}, lab, "CBC"},
		"bmp":  {code{sysLOINC, "51990-0", "Basic metabolic panel - Blood"}, []string{"2951-2", "2823-3", "2075-0", "2028-9", "3094-0", "2160-0", "2339-0", "17861-6"}, lab, "Basic metabolic panel"},
		"vbg":  {code{sysLOINC, "24339-4", "Gas panel - Venous blood"}, []string{"2746-6", "2021-4", "14627-4"}, lab, "Venous blood gas"},
		"ua":   {code{sysLOINC, "50556-0", "Urinalysis dipstick panel - Urine by Automated test strip"}, []string{"2514-8", "25428-4"}, lab, "Urinalysis, dipstick"},
		"a1c":  single("4548-4"),
		"tsh":  single("3016-3"),
		"ft4":  single("3024-7"),
		"crp":  single("1988-5"),
		"bhb":  single("53061-8"),
		"bili": single("1975-2"),
		"bcx":  single("600-7"),
		"ige":  single("6206-7"),
		"cxr":  {code{sysLOINC, "36643-5", "XR Chest 2 Views"}, nil, code{sysDiagServ, "RAD", "Radiology"}, "Chest X-ray, 2 views"},
	}
}

// rangeFor returns the interval of t for a child of the given age and sex.
func (t labTest) rangeFor(age float64, sex string) labRange {
	for _, r := range t.ranges {
		if age < r.upTo && (r.sex == "" || r.sex == sex) {
			return r
		}
	}
	return t.ranges[len(t.ranges)-1]
}
