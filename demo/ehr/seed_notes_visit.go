package ehr

import (
	"fmt"
	"strings"
	"time"
)

// consultNote writes a specialist's note: after a clinic visit (the author is the visit's
// clinician) or on a stay the specialist was consulted on.
func (r *record) consultNote(e encounterInfo, author, format string) note {
	written := e.end.Add(3 * time.Hour)
	reason := fmt.Sprintf("Evaluation and management of %s.", strings.ToLower(e.v.reason.display))
	assessment, plan := e.courseParas(), e.story().plan
	if e.v.kind == inpatient {
		written = daytime(e.start.Add(6 * time.Hour))
		reason = fmt.Sprintf("Consulted by %s for %s.", practitionerName(e.unitSpans()[0].attending), strings.ToLower(e.v.reason.display))
		assessment = []string{fmt.Sprintf("%s seen and examined with the primary team. %s", r.row.given, e.courseParas()[0])}
		plan = nil
	}
	if plan == nil {
		plan = r.planItems(e, author)
	}
	doc := document{title: "Consult Note - " + practitionerByID(author).roleText, header: r.header(e, written), parts: []section{
		{heading: "Reason for consultation", paras: []string{reason}},
		{heading: "History", paras: []string{orString(e.story().hpi, fmt.Sprintf("%s, %s, seen for %s.",
			r.row.given, r.ageWords(e.start), strings.ToLower(e.v.reason.display)))}},
		{heading: "Results", table: r.resultsTable(e, false, e.start), paras: imagingParas(e)},
		{heading: "Assessment", paras: assessment},
		{heading: "Plan", items: plan},
		{heading: "Allergies", items: r.allergyText()},
		{heading: "Follow-up", items: r.visitFollowUp(e)},
		{heading: "Contact", items: r.contacts(e, author, written)},
	}, signed: signedLine(author, written)}
	return note{kind: kindConsult, author: author, written: written, doc: doc, format: format}
}

// planItems is the plan a note states when the story gives none: the orders the author wrote
// at the visit, and the usual closing items.
func (r *record) planItems(e encounterInfo, author string) []string {
	var out []string
	for _, o := range r.ordersOf[e.id] {
		if orString(o.m.prescriber, e.v.clinician) == author {
			out = append(out, fmt.Sprintf("Start %s: %s", o.m.text, o.sig))
		}
	}
	if e.v.kind == inpatient {
		return append(out, "We will follow daily while the patient is in hospital and arrange clinic follow-up.")
	}
	return append(out, "Continue other medications unchanged.", "Copy of this note sent to the primary care provider.")
}

// visitFollowUp is the follow-up plan of a clinic visit or consultation.
func (r *record) visitFollowUp(e encounterInfo) []string {
	if f := e.story().followUp; f != nil && e.v.kind != inpatient {
		return f
	}
	return []string{"Return to clinic in three to six months, sooner with any concern; the clinic will call to schedule."}
}

// edNote writes the emergency physician's note of an ED visit.
func (r *record) edNote(e encounterInfo) note {
	author, written := e.v.clinician, e.end.Add(time.Hour)
	var given, prescribed []string
	for _, o := range r.ordersOf[e.id] {
		item := fmt.Sprintf("%s: %s", o.m.text, o.sig)
		if o.m.category == "outpatient" {
			given = append(given, item)
		} else {
			prescribed = append(prescribed, item)
		}
	}
	disposition := fmt.Sprintf("Discharged home with %s (%s) in good condition. Return precautions reviewed and understood.", r.row.guardian, r.row.relation)
	if e.admitted {
		disposition = "Admitted to the inpatient service; care handed over to the admitting team by telephone."
	}
	doc := document{title: "Emergency Department Note", header: r.header(e, written), parts: []section{
		{heading: "Chief complaint", paras: []string{e.v.reason.display}},
		{heading: "History of present illness", paras: []string{orString(e.story().hpi, fmt.Sprintf("%s is %s brought to the Emergency Department with %s.",
			r.row.given, r.ageWords(e.start), strings.ToLower(e.v.reason.display)))}},
		{heading: "Triage vital signs", items: r.triage[e.id]},
		{heading: "Emergency department course", paras: e.courseParas(), items: given},
		{heading: "Results", table: r.resultsTable(e, false, e.start), paras: imagingParas(e)},
		{heading: "Diagnoses", items: diagnosisItems(e)},
		{heading: "Disposition", paras: []string{disposition}, items: prescribed},
		{heading: "Who to call", items: r.contacts(e, author, written)},
	}, signed: signedLine(author, written)}
	return note{kind: kindED, author: author, written: written, doc: doc, format: orString(e.v.format, "text")}
}

// daytime moves a time in the night to 10:15 the next morning: consultants write by day.
func daytime(t time.Time) time.Time {
	h := inHospitalZone(t).Hour()
	if h >= 7 && h < 22 {
		return t
	}
	d := localDay(t)
	if h >= 22 {
		d = d.AddDate(0, 0, 1)
	}
	return hospitalTime(d, 10, 15)
}
