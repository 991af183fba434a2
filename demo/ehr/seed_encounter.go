package ehr

import (
	"math"
	"time"
)

// encounter builds the Encounter resource of a visit: class and type, the department and its
// specialty, the care team, the units with their periods, the diagnoses and, for a stay or
// an ED visit, how the child came and left.
func (r *record) encounter(e encounterInfo) obj {
	class, general := kindCodes(e.v.kind)
	status, period := "finished", obj{"start": dateTime(e.start)}
	if e.inProgress() {
		status = "in-progress"
	} else {
		period["end"] = dateTime(e.end)
	}
	res := obj{
		"id": e.id, "status": status,
		"class":           class.coding(),
		"type":            []any{concept(e.v.typ.display, e.v.typ, general)},
		"serviceType":     r.serviceType(e),
		"subject":         r.patientRef(),
		"participant":     r.careTeam(e),
		"period":          period,
		"reasonCode":      []any{concept("", e.v.reason)},
		"serviceProvider": ref("Organization", e.v.dept, orgName(e.v.dept)),
	}
	if !e.inProgress() {
		res["length"] = stayLength(e)
	}
	if dx := r.diagnoses(e); dx != nil {
		res["diagnosis"] = dx
	}
	if loc := e.locations(); loc != nil {
		res["location"] = loc
	}
	if h := e.hospitalization(); h != nil {
		res["hospitalization"] = h
	}
	return res
}

// kindCodes returns the Encounter class of a kind of visit and the general SNOMED CT type
// that goes with the hospital's own.
func kindCodes(k visitKind) (class, general code) {
	switch k {
	case inpatient:
		return code{sysActCode, "IMP", "inpatient encounter"}, sct("32485007", "Hospital admission")
	case specialty:
		return code{sysActCode, "AMB", "ambulatory"}, sct("11429006", "Consultation")
	}
	return code{sysActCode, "EMER", "emergency"}, sct("50849002", "Emergency room admission")
}

// serviceType is the department's specialty, or the clinician's at an outside practice.
func (r *record) serviceType(e encounterInfo) obj {
	if d, ok := departments()[e.v.dept]; ok {
		return concept(d.serviceText, d.service)
	}
	p := practitionerByID(e.v.clinician)
	return concept(p.roleText, p.specialty)
}

// stayLength is Encounter.length: whole days for a stay, minutes for a visit.
func stayLength(e encounterInfo) obj {
	if e.v.kind == inpatient {
		days := localDay(e.end).Sub(localDay(e.start)).Hours() / 24
		return obj{"value": math.Round(days), "unit": "days", "system": sysUCUM, "code": "d"}
	}
	return obj{"value": math.Round(e.end.Sub(e.start).Minutes()), "unit": "min", "system": sysUCUM, "code": "min"}
}

// diagnoses lists the visit's Conditions, the principal one first: discharge diagnoses of a
// finished stay, admission diagnoses of one in progress, billing diagnoses of a visit, and
// the others as comorbidities.
func (r *record) diagnoses(e encounterInfo) []any {
	catalog := conditionCatalog()
	var out []any
	for i, key := range e.v.dx {
		use := code{sysDiagRole, "billing", "Billing"}
		switch {
		case i > 0:
			use = code{sysDiagRole, "CM", "Comorbidity diagnosis"}
		case e.v.kind == inpatient && e.inProgress():
			use = code{sysDiagRole, "AD", "Admission diagnosis"}
		case e.v.kind == inpatient:
			use = code{sysDiagRole, "DD", "Discharge diagnosis"}
		}
		out = append(out, obj{
			"condition": ref("Condition", r.conds[key], catalog[catalogKey(key)].text),
			"use":       concept("", use),
			"rank":      i + 1,
		})
	}
	return out
}

// unitSpan is one unit of a stay with its resolved attending and period.
type unitSpan struct {
	unitStay
	start, end time.Time // end zero while the child is still there
}

// unitSpans resolves the units of a stay (or the one place of a visit) with their periods:
// a transfer happens mid-morning of the day a unit's days are over.
func (e encounterInfo) unitSpans() []unitSpan {
	units := e.v.units
	if units == nil {
		units = []unitStay{{dept: e.v.dept, attending: e.v.clinician}}
	}
	var out []unitSpan
	at := e.start
	for i, u := range units {
		s := unitSpan{unitStay: u, start: at, end: e.end}
		if i < len(units)-1 {
			s.end = hospitalTime(localDay(at).AddDate(0, 0, u.days), 10, 30)
		}
		out = append(out, s)
		at = s.end
	}
	return out
}

// locations lists the Locations of the visit with their periods; a visit to an outside
// practice has none.
func (e encounterInfo) locations() []any {
	var out []any
	for _, s := range e.unitSpans() {
		dept, ok := departments()[s.dept]
		if !ok {
			continue
		}
		status, p := "completed", obj{"start": dateTime(s.start)}
		if s.end.IsZero() {
			status = "active"
		} else {
			p["end"] = dateTime(s.end)
		}
		out = append(out, obj{"location": ref("Location", dept.location, locationName(dept.location)), "status": status, "period": p})
	}
	return out
}

// hospitalization says how the child came to a stay and how they left it or the ED.
func (e encounterInfo) hospitalization() obj {
	switch e.v.kind {
	case specialty:
		return nil
	case emergency:
		if e.admitted {
			return obj{"dischargeDisposition": concept("Admitted as an inpatient", code{sysDischarge, "oth", "Other"})}
		}
		return obj{"dischargeDisposition": concept("Discharged home with parent or guardian", dischargeCode("home"))}
	}
	h := obj{"admitSource": concept("", admitSourceCode(e.admitSource()))}
	if !e.inProgress() {
		h["dischargeDisposition"] = concept("", dischargeCode(orString(e.v.disposition, "home")))
	}
	return h
}

// admitSource is how the child came to a stay: the visit's own code, else from the ED or on
// a physician's referral.
func (e encounterInfo) admitSource() string {
	switch {
	case e.v.admitSource != "":
		return e.v.admitSource
	case e.v.fromED:
		return "emd"
	}
	return "mp"
}

// admitSourceCode and dischargeCode return HL7 admit-source and discharge-disposition codes.
func admitSourceCode(c string) code {
	return code{sysAdmitSrc, c, map[string]string{
		"emd": "From accident/emergency department", "mp": "Medical Practitioner/physician referral",
		"hosp-trans": "Transferred from other hospital", "gp": "General Practitioner referral",
	}[c]}
}

func dischargeCode(c string) code {
	return code{sysDischarge, c, map[string]string{
		"home": "Home", "alt-home": "Alternative home", "other-hcf": "Other healthcare facility",
		"rehab": "Rehabilitation", "oth": "Other",
	}[c]}
}

// orString returns s, or def when s is empty.
func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
