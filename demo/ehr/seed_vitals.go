package ehr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// vitalSign is one vital-sign measurement before it becomes an Observation.
type vitalSign struct {
	loinc, display, unit, ucum string
	value                      float64
	decimals                   int
}

// sick describes how unwell a child is on arrival: heart and respiratory rates as multiples
// of the normal for age, temperature in °C and SpO2 in %. The zero value is a well child.
type sick struct {
	hr, rr, temp, spo2 float64
}

// normalVitals are the normal ranges of heart rate, respiratory rate and blood pressure for
// an age in years (awake, at rest).
type normalVitals struct {
	hrLow, hrHigh, rrLow, rrHigh float64
	sbp, dbp                     float64
}

func normalFor(age float64) normalVitals {
	switch {
	case age < 1:
		return normalVitals{100, 160, 30, 53, 88, 45}
	case age < 3:
		return normalVitals{90, 150, 22, 37, 95, 52}
	case age < 6:
		return normalVitals{80, 140, 20, 28, 100, 58}
	case age < 12:
		return normalVitals{70, 120, 18, 25, 106, 65}
	}
	return normalVitals{60, 100, 12, 20, 116, 71}
}

func weightSign(kg, months float64) vitalSign {
	decimals := 1
	if months < 12 {
		decimals = 2
	}
	return vitalSign{"29463-7", "Body weight", "kg", "kg", kg, decimals}
}

func heightSign(cm, _ float64) vitalSign {
	return vitalSign{"8302-2", "Body height", "cm", "cm", cm, 1}
}

func bmiSign(kg, cm float64) vitalSign {
	return vitalSign{"39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", "kg/m2", kg / math.Pow(cm/100, 2), 1}
}

// vitals adds the vital signs taken on arrival, sized for the child's age on the day and for
// how sick the visit says the child is; clinic visits add height, BMI and (to 24 months)
// head circumference. A stay adds a second, normal set on the morning of discharge.
func (r *record) vitals(e encounterInfo) {
	at := e.start.Add(10 * time.Minute)
	r.vitalSet(e, at, e.v.sick, true)
	if e.v.kind == inpatient && !e.inProgress() {
		r.vitalSet(e, e.end.Add(-5*time.Hour), sick{}, false)
	}
}

// vitalSet adds one set of vital signs at a time; the set taken on arrival also has the
// weight (and at a clinic the height) and is kept for the note's triage line.
func (r *record) vitalSet(e encounterInfo, at time.Time, s sick, arrival bool) {
	age := r.ageAt(at)
	n := normalFor(age)
	jit := func(spread float64) float64 { return 1 + spread*(r.rng.Float64()-0.5) }
	hr := orOne(s.hr) * (n.hrLow + n.hrHigh) / 2 * jit(0.12)
	rr := orOne(s.rr) * (n.rrLow + n.rrHigh) / 2 * jit(0.15)
	temp := orValue(s.temp, 36.6+0.8*r.rng.Float64())
	spo2 := orValue(s.spo2, float64(97+r.rng.IntN(4)))
	performer := ref("Practitioner", e.nurse(), practitionerName(e.nurse()))
	flagged := []struct {
		s    vitalSign
		flag *code
	}{
		{vitalSign{"8867-4", "Heart rate", "beats/min", "/min", hr, 0}, highLow(hr, n.hrLow, n.hrHigh)},
		{vitalSign{"9279-1", "Respiratory rate", "breaths/min", "/min", rr, 0}, highLow(rr, n.rrLow, n.rrHigh)},
		{vitalSign{"8310-5", "Body temperature", "°C", "Cel", temp, 1}, highLow(temp, 35.5, 37.9)},
		{vitalSign{"59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", "%", spo2, 0}, highLow(spo2, 92, 100)},
	}
	for _, f := range flagged {
		r.addVital(f.s, at, e.id, performer, f.flag)
		if arrival {
			r.triage[e.id] = append(r.triage[e.id], triageText(f.s, f.flag))
		}
	}
	if age >= 1 {
		r.bloodPressure(e, at, n, performer)
	}
	if arrival {
		w := r.weightAt(at)
		r.addVital(weightSign(w, age*12), at, e.id, performer, nil)
		if e.v.kind == specialty {
			h := r.heightAt(at)
			r.addVital(heightSign(h, age*12), at, e.id, performer, nil)
			if age >= 2 {
				r.addVital(bmiSign(w, h), at, e.id, performer, nil)
			}
		}
	}
}

// triageText is a vital sign as a note lists it: "Heart rate: 138 beats/min (High)".
func triageText(s vitalSign, flag *code) string {
	name := s.display
	if s.loinc == "59408-5" {
		name = "SpO2"
	}
	t := fmt.Sprintf("%s: %s %s", name, strconv.FormatFloat(round(s.value, s.decimals), 'f', s.decimals, 64), s.unit)
	if flag != nil {
		t += " (" + flag.display + ")"
	}
	return t
}

// orOne returns f, or 1 when f is zero; orValue returns f, or def when f is zero.
func orOne(f float64) float64 { return orValue(f, 1) }

func orValue(f, def float64) float64 {
	if f == 0 {
		return def
	}
	return f
}

// highLow returns the H or L interpretation of a value outside [low, high], or nil.
func highLow(v, low, high float64) *code {
	switch {
	case v > high:
		c := code{sysInterp, "H", "High"}
		return &c
	case v < low:
		c := code{sysInterp, "L", "Low"}
		return &c
	}
	return nil
}

// bloodPressure adds the blood pressure panel with its systolic and diastolic components.
func (r *record) bloodPressure(e encounterInfo, at time.Time, n normalVitals, performer obj) {
	sbp := n.sbp + float64(r.rng.IntN(13)-6)
	dbp := n.dbp + float64(r.rng.IntN(9)-4)
	component := func(loinc, display string, v float64) obj {
		return obj{"code": concept(display, code{sysLOINC, loinc, display}), "valueQuantity": quantity(v, 0, "mmHg", "mm[Hg]")}
	}
	r.d.add("Observation", obj{
		"id": r.nextID("obs"), "status": "final",
		"category":          []any{vitalCategory()},
		"code":              concept("Blood pressure", code{sysLOINC, "85354-9", "Blood pressure panel with all children optional"}),
		"subject":           r.patientRef(),
		"encounter":         ref("Encounter", e.id, ""),
		"effectiveDateTime": dateTime(at),
		"performer":         []any{performer},
		"component": []any{
			component("8480-6", "Systolic blood pressure", sbp),
			component("8462-4", "Diastolic blood pressure", dbp),
		},
	}, at, at)
}

// vitalCategory is the vital-signs Observation category.
func vitalCategory() obj {
	return concept("Vital Signs", code{sysObsCat, "vital-signs", "Vital Signs"})
}

// addVital adds one vital-sign Observation. encounter is "" for measurements taken outside
// the hospital; flag is nil for a value within the normal range.
func (r *record) addVital(s vitalSign, at time.Time, encounter string, performer obj, flag *code) {
	codes := []code{{sysLOINC, s.loinc, s.display}}
	if s.loinc == "59408-5" {
		codes = append(codes, code{sysLOINC, "2708-6", "Oxygen saturation in Arterial blood"})
	}
	text := map[string]string{"59408-5": "SpO2", "39156-5": "BMI", "9843-4": "Head circumference"}[s.loinc]
	res := obj{
		"id": r.nextID("obs"), "status": "final",
		"category":          []any{vitalCategory()},
		"code":              concept(orString(text, s.display), codes...),
		"subject":           r.patientRef(),
		"effectiveDateTime": dateTime(at),
		"performer":         []any{performer},
		"valueQuantity":     quantity(s.value, s.decimals, s.unit, s.ucum),
	}
	if encounter != "" {
		res["encounter"] = ref("Encounter", encounter, "")
	} else {
		res["note"] = []any{obj{"text": "Measured at the primary care practice; received through the regional health information exchange."}}
	}
	if flag != nil {
		res["interpretation"] = []any{concept("", *flag)}
	}
	r.d.add("Observation", res, at, at)
}

// pcpPerformer is the performer of measurements taken at the primary care practice: the
// child's listed PCP, or the hospital's primary care clinic when the PCP is a practice or
// none is listed.
func (r *record) pcpPerformer() obj {
	typ, id, _ := strings.Cut(r.row.gp, "/")
	if typ == "Practitioner" || typ == "PractitionerRole" {
		return ref(typ, id, gpDisplay(typ, id))
	}
	if typ == "Organization" {
		return ref(typ, id, orgName(id))
	}
	return ref("Organization", "childrens-primary-care", orgName("childrens-primary-care"))
}
