package ehr

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// noteKind is the LOINC document type and heading of the note written for a kind of visit.
type noteKind struct {
	loinc, display, heading string
}

// noteFor returns the note type of a visit: a discharge summary after an admission, a consult
// note after a specialty visit and a progress note after an ED visit.
func noteFor(k visitKind) noteKind {
	switch k {
	case inpatient:
		return noteKind{"18842-5", "Discharge summary", "DISCHARGE SUMMARY"}
	case specialty:
		return noteKind{"11488-4", "Consult note", "CONSULT NOTE"}
	default:
		return noteKind{"11506-3", "Progress note", "EMERGENCY DEPARTMENT PROGRESS NOTE"}
	}
}

// note adds the visit's clinical note as a DocumentReference and the Binary holding its text.
// The Binary names the DocumentReference as its securityContext, as FHIR R4 intends, so that a
// gateway can find whose note it is.
func (r *record) note(e encounterInfo) {
	kind := noteFor(e.v.kind)
	written := e.end.Add(2 * time.Hour)
	docID, binID := r.nextID("doc"), r.nextID("bin")
	text := r.noteText(e, kind, written)
	title := kind.display + " - " + e.v.typ.display
	r.d.add("DocumentReference", obj{
		"id": docID, "status": "current", "docStatus": "final",
		"type":        concept("", code{sysLOINC, kind.loinc, kind.display}),
		"category":    []any{concept("Clinical Note", code{sysDocCat, "clinical-note", "Clinical Note"})},
		"subject":     r.patientRef(),
		"date":        instant(written),
		"author":      []any{ref("Practitioner", e.v.clinician, practitionerName(e.v.clinician))},
		"custodian":   ref("Organization", "childrens-hospital", orgName("childrens-hospital")),
		"description": title,
		"content": []any{obj{"attachment": obj{
			"contentType": "text/plain",
			"language":    "en-US",
			"url":         "Binary/" + binID,
			"size":        len(text),
			"title":       title,
			"creation":    instant(written),
		}}},
		"context": obj{
			"encounter": []any{ref("Encounter", e.id, "")},
			"period":    obj{"start": instant(e.start), "end": instant(e.end)},
		},
	}, written, written)
	r.d.add("Binary", obj{
		"id":              binID,
		"contentType":     "text/plain",
		"securityContext": ref("DocumentReference", docID, ""),
		"data":            base64.StdEncoding.EncodeToString([]byte(text)),
	}, written, written)
}

// noteText writes the short synthetic note of a visit.
func (r *record) noteText(e encounterInfo, kind noteKind, written time.Time) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s", kind.heading)
	line("Patient: %s %s    MRN: %s    DOB: %s", r.row.given, r.row.family, mrn(r.n), r.row.birth)
	line("Encounter: %s, %s", e.v.typ.display, orgName(e.v.dept))
	if e.v.kind == inpatient {
		line("Admitted: %s    Discharged: %s", day(e.start), day(e.end))
	} else {
		line("Date of service: %s", day(e.start))
	}
	line("Author: %s, MD%s", practitionerName(e.v.clinician), contactSuffix(e.v.clinician))
	if e.v.consultant != "" {
		line("Consultant: %s%s", practitionerName(e.v.consultant), contactSuffix(e.v.consultant))
	}
	line("Reason for visit: %s", e.v.reason.display)
	line("")
	switch e.v.kind {
	case inpatient:
		line("Hospital course: %s", e.v.course)
		line("Disposition: discharged home with guardian (%s).", r.row.guardian+" "+r.row.family)
	default:
		line("Assessment and plan: %s", e.v.course)
	}
	for _, m := range e.v.meds {
		line("Medication: %s - %s", m.text, m.dose)
	}
	line("Follow-up: primary care provider within 1-2 weeks; call the number above with questions.")
	line("")
	line("Signed electronically %s.", instant(written))
	line("SYNTHETIC DEMO RECORD - NOT A REAL PATIENT.")
	return b.String()
}

// contactSuffix returns " (phone ..., pager ...)" for a practitioner: the "who to call" line.
func contactSuffix(practitioner string) string {
	for _, p := range practitionerRows() {
		if p.id != practitioner {
			continue
		}
		if p.pager != "" {
			return fmt.Sprintf(" (phone %s, pager %s)", p.phone, p.pager)
		}
		return fmt.Sprintf(" (phone %s)", p.phone)
	}
	return ""
}
