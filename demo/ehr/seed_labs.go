package ehr

import (
	"fmt"
	"strconv"
	"time"
)

// labResult is one reported result, kept for the notes of its encounter.
type labResult struct {
	test      labTest
	value     string // as reported, with its unit
	flag      code
	rangeText string
	at        time.Time
}

// labs adds the visit's laboratory draws and imaging: on arrival, the next morning and on the
// morning of discharge.
func (r *record) labs(e encounterInfo) {
	r.labDraw(e, e.v.labs, e.start.Add(time.Hour))
	if len(e.v.midLabs) > 0 {
		r.labDraw(e, e.v.midLabs, hospitalTime(localDay(e.start).AddDate(0, 0, 1), 5, 30))
	}
	if len(e.v.endLabs) > 0 && !e.inProgress() {
		r.labDraw(e, e.v.endLabs, hospitalTime(localDay(e.end), 5, 30))
	}
	if e.v.cxr != "" {
		r.imaging(e, "cxr", e.start.Add(90*time.Minute), e.v.cxr)
	}
}

// labDraw adds, for each named panel, its Observations and a DiagnosticReport pointing to
// them, all collected at the given time.
func (r *record) labDraw(e encounterInfo, names []string, at time.Time) {
	tests, panels := labTests(), labPanelsByName()
	issued := at.Add(75 * time.Minute)
	for _, name := range names {
		panel, ok := panels[name]
		if !ok {
			panic(fmt.Sprintf("ehr: seed: %s orders unknown panel %q", e.id, name))
		}
		var results []any
		for _, loinc := range panel.tests {
			t := tests[loinc]
			id := r.nextID("obs")
			r.d.add("Observation", r.labObservation(e, id, t, at, issued), issued, at)
			results = append(results, ref("Observation", id, t.short))
		}
		r.d.add("DiagnosticReport", r.report(e, panel, at, issued, results), issued, at)
	}
}

// report builds a DiagnosticReport of one panel.
func (r *record) report(e encounterInfo, panel labPanel, at, issued time.Time, results []any) obj {
	res := obj{
		"id": r.nextID("rpt"), "status": "final",
		"category":          []any{concept("", panel.category)},
		"code":              concept(panel.text, panel.code),
		"subject":           r.patientRef(),
		"encounter":         ref("Encounter", e.id, ""),
		"effectiveDateTime": dateTime(at),
		"issued":            dateTime(issued),
		"performer":         []any{ref("Organization", "dept-laboratory", orgName("dept-laboratory"))},
	}
	if results != nil {
		res["result"] = results
	}
	return res
}

// imaging adds a radiology report: a conclusion read by the radiology service, no results.
func (r *record) imaging(e encounterInfo, name string, at time.Time, conclusion string) {
	issued := at.Add(2 * time.Hour)
	res := r.report(e, labPanelsByName()[name], at, issued, nil)
	res["performer"] = []any{ref("Organization", "childrens-hospital", orgName("childrens-hospital"))}
	res["conclusion"] = conclusion
	r.d.add("DiagnosticReport", res, issued, at)
}

// labObservation builds one laboratory result with its age-appropriate reference range and
// interpretation, and records it for the encounter's notes.
func (r *record) labObservation(e encounterInfo, id string, t labTest, at, issued time.Time) obj {
	res := obj{
		"id": id, "status": "final",
		"category":          []any{concept("Laboratory", code{sysObsCat, "laboratory", "Laboratory"})},
		"code":              concept(t.short, code{sysLOINC, t.loinc, t.display}),
		"subject":           r.patientRef(),
		"encounter":         ref("Encounter", e.id, ""),
		"effectiveDateTime": dateTime(at),
		"issued":            dateTime(issued),
		"performer":         []any{ref("Organization", "dept-laboratory", orgName("dept-laboratory"))},
	}
	result := labResult{test: t, at: at}
	if t.normal != "" {
		v := r.qualitativeValue(t)
		res["valueString"] = v
		result.value, result.flag, result.rangeText = v, code{sysInterp, "N", "Normal"}, t.normal
		if v != t.normal {
			result.flag = code{sysInterp, "A", "Abnormal"}
		}
		res["referenceRange"] = []any{obj{"text": t.normal}}
	} else {
		rg := t.rangeFor(r.ageAt(at), r.row.gender)
		v := round(r.labValue(t, rg), t.decimals)
		res["valueQuantity"] = quantity(v, t.decimals, t.unit, t.ucum)
		result.value = strconv.FormatFloat(v, 'f', t.decimals, 64) + " " + t.unit
		result.flag, result.rangeText = interpret(t, rg, v), rangeText(t, rg)
		res["referenceRange"] = []any{referenceRange(t, rg)}
	}
	res["interpretation"] = []any{concept("", result.flag)}
	if c := result.flag.code; c == "HH" || c == "LL" {
		res["note"] = []any{obj{"text": fmt.Sprintf("Critical result called to %s and read back at %s.",
			practitionerName(e.unitAt(at).attending), inHospitalZone(issued.Add(-20*time.Minute)).Format("15:04"))}}
	}
	r.labsOf[e.id] = append(r.labsOf[e.id], result)
	return res
}

// interpret flags a value: critical (HH, LL) beyond the critical limits, high or low outside
// the reference range, normal otherwise.
func interpret(t labTest, rg labRange, v float64) code {
	switch {
	case t.critHigh > 0 && v >= t.critHigh:
		return code{sysInterp, "HH", "Critical high"}
	case t.critLow > 0 && v <= t.critLow:
		return code{sysInterp, "LL", "Critical low"}
	case v > rg.high:
		return code{sysInterp, "H", "High"}
	case !rg.noLow && v < rg.low:
		return code{sysInterp, "L", "Low"}
	}
	return code{sysInterp, "N", "Normal"}
}

// referenceRange builds an Observation.referenceRange.
func referenceRange(t labTest, rg labRange) obj {
	out := obj{
		"high": quantity(rg.high, t.decimals, t.unit, t.ucum),
		"type": concept("", code{sysRangeMean, "normal", "Normal Range"}),
		"text": rangeText(t, rg),
	}
	if !rg.noLow {
		out["low"] = quantity(rg.low, t.decimals, t.unit, t.ucum)
	}
	return out
}

// rangeText is a range as a report prints it: "70–99 mg/dL (fasting, 1 mo-18 y)".
func rangeText(t labTest, rg labRange) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', t.decimals, 64) }
	if rg.noLow {
		return fmt.Sprintf("< %s %s (%s)", f(rg.high), t.unit, rg.ages)
	}
	return fmt.Sprintf("%s–%s %s (%s)", f(rg.low), f(rg.high), t.unit, rg.ages)
}

// labValue returns the next value of a test for this child: the profile's series while it
// lasts (with a little noise, unless the story is exact), otherwise a value well inside the
// reference range.
func (r *record) labValue(t labTest, rg labRange) float64 {
	k := r.drawn[t.loinc]
	r.drawn[t.loinc]++
	if s := r.p.series[t.loinc]; k < len(s) {
		if r.p.exact {
			return s[k]
		}
		return s[k] * (0.97 + 0.06*r.rng.Float64())
	}
	low := rg.low
	if rg.noLow {
		low = 0
	}
	return low + (rg.high-low)*(0.2+0.6*r.rng.Float64())
}

// qualitativeValue returns the next result of a qualitative test: the profile's results while
// they last, otherwise the normal result.
func (r *record) qualitativeValue(t labTest) string {
	k := r.drawn[t.loinc]
	r.drawn[t.loinc]++
	if s := r.p.results[t.loinc]; k < len(s) {
		return s[k]
	}
	return t.normal
}
