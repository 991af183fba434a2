package ehr

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// med is a medication order written at a visit. The instructions text is generated from the
// structured dose so that the two always agree.
type med struct {
	rx   code
	text string // the product, as the prescriber picked it
	// dose is the amount per administration, or per kg when perKg (capped at maxDose and
	// rounded to step); rate makes it an infusion rate (unit per hour).
	dose, maxDose, step float64
	unit                string
	perKg, rate         bool
	route, freq         string // keys of routes() and frequencies()
	// days is the length of a course (0: ongoing); prn the reason of an as-needed order;
	// extra is appended to the instructions.
	days       int
	prn, extra string
	// status "" is derived: an inpatient order or a course that has ended is completed,
	// anything else active. A stopped order was stopped stopAfter days after it was written.
	status, stopReason string
	stopAfter          int
	category           string // inpatient, outpatient or discharge
	prescriber         string // "" means the visit's clinician
}

// route is a SNOMED CT route of administration and how the instructions say it.
type route struct {
	code       code
	verb, text string
}

func routes() map[string]route {
	return map[string]route{
		"oral":    {sct("26643006", "Oral route"), "Give", "by mouth"},
		"inhaled": {sct("447694001", "Respiratory tract route"), "Inhale", "by inhaler with spacer"},
		"neb":     {sct("447694001", "Respiratory tract route"), "Give", "by nebulizer"},
		"subcut":  {sct("34206005", "Subcutaneous route"), "Inject", "under the skin"},
		"iv":      {sct("47625008", "Intravenous route"), "Give", "intravenously"},
		"im":      {sct("78421000", "Intramuscular route"), "Inject", "into the outer thigh muscle"},
		"nasal":   {sct("46713006", "Nasal route"), "Give", "into one nostril"},
	}
}

// frequency is a dosing schedule: its words and its FHIR Timing.repeat (and abbreviation).
type frequency struct {
	text   string
	repeat obj
	abbr   string
}

func frequencies() map[string]frequency {
	every := func(n int, unit string) obj { return obj{"frequency": 1, "period": n, "periodUnit": unit} }
	times := func(n int) obj { return obj{"frequency": n, "period": 1, "periodUnit": "d"} }
	return map[string]frequency{
		"once":       {"once", obj{"count": 1}, ""},
		"daily":      {"once daily", times(1), "QD"},
		"morning":    {"every morning", obj{"frequency": 1, "period": 1, "periodUnit": "d", "when": []any{"MORN"}}, "AM"},
		"bedtime":    {"once daily at bedtime", obj{"frequency": 1, "period": 1, "periodUnit": "d", "when": []any{"HS"}}, ""},
		"bid":        {"twice daily", times(2), "BID"},
		"tid":        {"three times daily", times(3), "TID"},
		"meals":      {"with each meal", obj{"frequency": 3, "period": 1, "periodUnit": "d", "when": []any{"C"}}, ""},
		"q4h":        {"every 4 hours", every(4, "h"), "Q4H"},
		"q6h":        {"every 6 hours", every(6, "h"), "Q6H"},
		"q2h":        {"every 2 hours", every(2, "h"), "Q2H"},
		"q12h":       {"every 12 hours", every(12, "h"), ""},
		"q20min-x3":  {"every 20 minutes for 3 doses", obj{"frequency": 1, "period": 20, "periodUnit": "min", "count": 3}, ""},
		"continuous": {"as a continuous infusion", obj{"frequency": 1, "period": 1, "periodUnit": "h"}, ""},
	}
}

// ucumFor returns the UCUM code of a dose unit.
func ucumFor(unit string) string {
	switch unit {
	case "mcg":
		return "ug"
	case "puffs":
		return "{puff}"
	case "units", "units/h":
		return map[string]string{"units": "[IU]", "units/h": "[IU]/h"}[unit]
	case "tablet":
		return "{tablet}"
	case "mEq":
		return "meq"
	}
	return unit
}

// medOrder is a written order, kept for the notes of its encounter.
type medOrder struct {
	m             med
	id            string
	sig, status   string
	authored, end time.Time
}

// doseFor returns the dose for this child at t, and the per-kg wording.
func (r *record) doseFor(m med, t time.Time) (float64, string) {
	if !m.perKg {
		return m.dose, ""
	}
	d := m.dose * r.weightAt(t)
	if m.maxDose > 0 {
		d = math.Min(d, m.maxDose)
	}
	switch {
	case m.step > 0:
		d = math.Round(d/m.step) * m.step
	case d >= 10:
		d = math.Round(d/5) * 5 // rounded to what a syringe or tablet gives
	default:
		d = round(d, 1)
	}
	d = round(d, 2)
	per := "/kg"
	if m.rate {
		per = "/kg/h"
	}
	return d, fmt.Sprintf(" (%s %s%s)", trimFloat(m.dose), strings.TrimSuffix(m.unit, "/h"), per)
}

// trimFloat formats a number without trailing zeros.
func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

// sigText writes the instructions of an order.
func sigText(m med, dose float64, perKg string) string {
	rt, f := routes()[m.route], frequencies()[m.freq]
	var b strings.Builder
	unit := m.unit
	if dose == 1 && (unit == "units" || unit == "puffs") {
		unit = strings.TrimSuffix(unit, "s")
	}
	fmt.Fprintf(&b, "%s %s %s%s %s %s", rt.verb, trimFloat(dose), unit, perKg, rt.text, f.text)
	if m.prn != "" {
		b.WriteString(" as needed for " + m.prn)
	}
	if m.days > 0 {
		fmt.Fprintf(&b, " for %d days", m.days)
	}
	if m.extra != "" {
		b.WriteString("; " + m.extra)
	}
	return b.String() + "."
}
