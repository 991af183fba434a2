package ehr

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"time"
)

// noteKind is the LOINC document type of a note.
type noteKind struct{ loinc, display string }

var (
	kindDischarge = noteKind{"18842-5", "Discharge summary"}
	kindConsult   = noteKind{"11488-4", "Consult note"}
	kindProgress  = noteKind{"11506-3", "Progress note"}
	kindED        = noteKind{"34878-9", "Emergency medicine Note"}
	kindHP        = noteKind{"34117-2", "History and physical note"}
)

// note is one note to file: its type, author, when it was written, content and format.
type note struct {
	kind    noteKind
	author  string
	written time.Time
	doc     document
	format  string // text, html or pdf
}

// notes adds the visit's notes. A finished stay has its discharge summary first, then the
// consultant's note and a progress note for the second hospital day; a stay in progress has
// its admission history and physical and a progress note; a clinic visit has a consult note
// and an ED visit an ED note.
func (r *record) notes(e encounterInfo) {
	var list []note
	switch e.v.kind {
	case inpatient:
		if e.inProgress() {
			list = append(list, r.admissionNote(e))
		} else {
			list = append(list, r.dischargeSummary(e))
		}
		if e.v.consultant != "" {
			list = append(list, r.consultNote(e, e.v.consultant, "text"))
		}
		if p, ok := r.progressNote(e); ok {
			list = append(list, p)
		}
	case specialty:
		list = append(list, r.consultNote(e, e.v.clinician, orString(e.v.format, "text")))
	default:
		list = append(list, r.edNote(e))
	}
	for _, n := range list {
		r.fileNote(e, n)
	}
}

// fileNote adds a note as a DocumentReference and the Binary holding its content. The Binary
// names the DocumentReference as its securityContext, as FHIR R4 intends, so that a gateway
// can find whose note it is; the DocumentReference names the Binary in its attachment.
func (r *record) fileNote(e encounterInfo, n note) {
	docID, binID := r.nextID("doc"), r.nextID("bin")
	contentType, content := render(n)
	hash := sha1.Sum(content)
	title := n.doc.title
	context := obj{
		"encounter":       []any{ref("Encounter", e.id, "")},
		"period":          obj{"start": dateTime(e.start)},
		"practiceSetting": r.serviceType(e),
	}
	if !e.inProgress() {
		context["period"].(obj)["end"] = dateTime(e.end)
	}
	r.d.add("DocumentReference", obj{
		"id": docID, "status": "current", "docStatus": "final",
		"type":        concept("", code{sysLOINC, n.kind.loinc, n.kind.display}),
		"category":    []any{concept("Clinical Note", code{sysDocCat, "clinical-note", "Clinical Note"})},
		"subject":     r.patientRef(),
		"date":        dateTime(n.written),
		"author":      []any{ref("Practitioner", n.author, practitionerName(n.author))},
		"custodian":   ref("Organization", "childrens-hospital", orgName("childrens-hospital")),
		"description": title,
		"content": []any{obj{"attachment": obj{
			"contentType": contentType,
			"language":    "en-US",
			"url":         "Binary/" + binID,
			"size":        len(content),
			"hash":        base64.StdEncoding.EncodeToString(hash[:]),
			"title":       title,
			"creation":    dateTime(n.written),
		}}},
		"context": context,
	}, n.written, n.written)
	r.d.add("Binary", obj{
		"id":              binID,
		"contentType":     contentType,
		"securityContext": ref("DocumentReference", docID, ""),
		"data":            base64.StdEncoding.EncodeToString(content),
	}, n.written, n.written)
}

// render writes a note in its format and returns the content type and bytes.
func render(n note) (string, []byte) {
	switch n.format {
	case "html":
		return "text/html", []byte(n.doc.html())
	case "pdf":
		return "application/pdf", pdf(n.doc.title, n.doc.lines(pdfLineChars), n.written)
	case "text", "":
		return "text/plain", []byte(n.doc.text())
	}
	panic(fmt.Sprintf("ehr: seed: unknown note format %q", n.format))
}

// signedLine is the signature at the end of a note: "Jae-won Kim, MD" for a physician.
func signedLine(author string, at time.Time) string {
	name := practitionerName(author)
	if p := practitionerByID(author); isPhysician(author) && p.id != "" {
		name = p.given + " " + p.family + ", MD"
	}
	return fmt.Sprintf("Electronically signed by %s on %s.", name, localText(at))
}

// localText formats an instant as the hospital's clocks show it: "2026-03-14 09:30 EDT".
func localText(t time.Time) string {
	return inHospitalZone(t).Format("2006-01-02 15:04 MST")
}
