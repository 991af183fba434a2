package ehr

import "time"

// medication adds the MedicationRequest for one order written at a visit: given in hospital
// (inpatient, or outpatient for a dose given in the ED or clinic), to take at home
// (community) or on leaving hospital (discharge).
func (r *record) medication(e encounterInfo, m med) {
	authored := e.start.Add(time.Hour)
	if m.category == "discharge" {
		authored = e.end.Add(-2 * time.Hour)
	}
	prescriber := orString(m.prescriber, e.v.clinician)
	dose, perKg := r.doseFor(m, authored)
	o := medOrder{m: m, id: r.nextID("med"), sig: sigText(m, dose, perKg), authored: authored}
	o.status, o.end = r.orderStatus(e, m, authored)
	course := code{sysCourse, "acute", "Short course (acute) therapy"}
	if m.days == 0 && (m.category == "community" || m.category == "discharge") {
		course = code{sysCourse, "continuous", "Continuous long term therapy"}
	}
	res := obj{
		"id": o.id, "status": o.status, "intent": "order",
		"category":                  []any{concept("", medCategory(m.category))},
		"medicationCodeableConcept": concept(m.text, m.rx),
		"subject":                   r.patientRef(),
		"encounter":                 ref("Encounter", e.id, ""),
		"authoredOn":                dateTime(authored),
		"requester":                 ref("Practitioner", prescriber, practitionerName(prescriber)),
		"reasonCode":                []any{concept("", e.v.reason)},
		"courseOfTherapyType":       concept("", course),
		"dosageInstruction":         []any{dosage(m, dose, o)},
	}
	if o.status == "stopped" {
		res["statusReason"] = obj{"text": m.stopReason}
	}
	if m.category == "community" || m.category == "discharge" {
		res["dispenseRequest"] = dispense(m, o)
	}
	updated := authored
	if !o.end.IsZero() && o.end.Before(r.now()) {
		updated = o.end
	}
	r.d.add("MedicationRequest", res, updated, authored)
	r.ordersOf[e.id] = append(r.ordersOf[e.id], o)
	r.orders = append(r.orders, o)
}

// orderStatus derives an order's status and end: a stopped order ended when it was stopped,
// a single dose half an hour after it was written, a hospital order at discharge (it is
// still active during a stay in progress), a course after its days; an ongoing home
// medicine has not ended.
func (r *record) orderStatus(e encounterInfo, m med, authored time.Time) (string, time.Time) {
	var end time.Time
	switch {
	case m.status == "stopped":
		return "stopped", authored.AddDate(0, 0, m.stopAfter)
	case (m.freq == "once" || m.freq == "q20min-x3") && (m.category == "inpatient" || m.category == "outpatient"):
		end = authored.Add(time.Hour)
	case m.category == "inpatient" && e.inProgress():
		return "active", time.Time{}
	case m.category == "inpatient" || m.category == "outpatient":
		end = e.end
		if e.v.kind == inpatient {
			end = e.end.Add(-3 * time.Hour)
		}
	case m.days > 0:
		end = authored.AddDate(0, 0, m.days)
	default:
		return "active", time.Time{}
	}
	if end.Before(r.now()) {
		return "completed", end
	}
	return "active", end
}

// medCategory returns a MedicationRequest category code.
func medCategory(c string) code {
	return code{sysMedCat, c, map[string]string{
		"inpatient": "Inpatient", "outpatient": "Outpatient", "community": "Community", "discharge": "Discharge",
	}[c]}
}

// dosage builds the Dosage of an order: its text, timing (bounded by the order's period),
// route, as-needed reason and dose or rate.
func dosage(m med, dose float64, o medOrder) obj {
	f := frequencies()[m.freq]
	repeat := f.repeat
	switch {
	case m.category == "inpatient" || m.category == "outpatient":
		bounds := obj{"start": dateTime(o.authored)}
		if !o.end.IsZero() {
			bounds["end"] = dateTime(o.end)
		}
		repeat["boundsPeriod"] = bounds
	case m.days > 0:
		repeat["boundsDuration"] = obj{"value": m.days, "unit": "days", "system": sysUCUM, "code": "d"}
	}
	timing := obj{"repeat": repeat, "code": obj{"text": f.text}}
	if f.abbr != "" {
		timing["code"] = concept(f.text, code{sysTiming, f.abbr, f.abbr})
	}
	amount := obj{"value": dose, "unit": m.unit, "system": sysUCUM, "code": ucumFor(m.unit)}
	rate := obj{"type": concept("", code{sysDoseType, "ordered", "Ordered"})}
	if m.rate {
		rate["rateQuantity"] = amount
	} else {
		rate["doseQuantity"] = amount
	}
	out := obj{
		"sequence": 1, "text": o.sig, "timing": timing,
		"route":       concept(routes()[m.route].text, routes()[m.route].code),
		"doseAndRate": []any{rate},
	}
	if m.prn != "" {
		out["asNeededCodeableConcept"] = obj{"text": m.prn}
	}
	return out
}

// dispense builds the dispenseRequest of a home medicine: valid from when it was written to
// the end of the course (or until stopped), with refills for an ongoing one.
func dispense(m med, o medOrder) obj {
	validity := obj{"start": dateTime(o.authored)}
	if !o.end.IsZero() {
		validity["end"] = dateTime(o.end)
	}
	supply, refills := 30, 11
	if m.days > 0 {
		supply, refills = m.days, 0
	}
	return obj{
		"validityPeriod":         validity,
		"numberOfRepeatsAllowed": refills,
		"expectedSupplyDuration": obj{"value": supply, "unit": "days", "system": sysUCUM, "code": "d"},
	}
}
