package ehr

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// first returns the first value at a path, or nil.
func first(doc map[string]any, path string) any {
	if v := valuesAt(doc, path); len(v) > 0 {
		return v[0]
	}
	return nil
}

func TestEncountersReadLikeAHospitalStay(t *testing.T) {
	t.Parallel()
	d := Seed()
	classes, inProgress := map[string]int{}, 0
	for _, r := range d.byType["Encounter"] {
		class := first(r.doc, "class.code").(string)
		classes[class]++
		if first(r.doc, "serviceType.text") == nil || first(r.doc, "serviceProvider.reference") == nil || first(r.doc, "participant") == nil {
			t.Errorf("Encounter/%s lacks serviceType text, serviceProvider or participants", r.id)
		}
		for _, p := range valuesAt(r.doc, "participant") {
			m := p.(map[string]any)
			if first(m, "type.coding.display") == nil || first(m, "type.text") == nil || first(m, "type.coding.system") != sysPartType {
				t.Errorf("Encounter/%s participant type %v", r.id, m["type"])
			}
		}
		if r.doc["status"] == "in-progress" {
			inProgress++
			if first(r.doc, "period.end") != nil || first(r.doc, "hospitalization.dischargeDisposition") != nil || first(r.doc, "location.status") != "active" {
				t.Errorf("Encounter/%s is in progress but has an end, a disposition or no active location", r.id)
			}
			continue
		}
		if class == "IMP" {
			if first(r.doc, "period.end") == nil || first(r.doc, "length.value") == nil || first(r.doc, "location.location.reference") == nil ||
				first(r.doc, "hospitalization.admitSource.coding.display") == nil || first(r.doc, "hospitalization.dischargeDisposition.coding.display") == nil ||
				first(r.doc, "diagnosis.condition.reference") == nil {
				t.Errorf("stay Encounter/%s lacks end, length, unit, admit source, disposition or diagnosis", r.id)
			}
		}
	}
	if classes["IMP"] < 10 || classes["EMER"] < 10 || classes["AMB"] < 20 || inProgress != 2 {
		t.Errorf("encounters by class %v, %d in progress", classes, inProgress)
	}
}

func TestShowcaseStayCareTeam(t *testing.T) {
	t.Parallel()
	// child-01's stay: PICU then 4 West, with the whole care team.
	stay := Seed().lookup("Encounter", "enc-01-5").doc
	if got := valuesAt(stay, "location.location.reference"); !slices.Equal(got, []any{"Location/loc-picu", "Location/loc-4west"}) {
		t.Errorf("child-01's stay units %v", got)
	}
	roles := map[any]bool{}
	for _, c := range valuesAt(stay, "participant.type.coding.code") {
		roles[c] = true
	}
	for _, want := range []string{"ATND", "ADM", "CON", "SPRF", "PART"} {
		if !roles[want] {
			t.Errorf("child-01's stay has no %s participant (has %v)", want, roles)
		}
	}
}

var phoneRE = regexp.MustCompile(`^555-01\d\d( ext\. \d+)?$`)

func TestCareTeamsCanBeReached(t *testing.T) {
	t.Parallel()
	d := Seed()
	for _, r := range d.byType["Encounter"] {
		for _, who := range valuesAt(r.doc, "participant.individual.reference") {
			key, _ := parseLiteral(who.(string), "")
			p := d.lookup(key.typ, key.id)
			if p == nil || key.typ != "Practitioner" {
				t.Errorf("Encounter/%s participant %v is not a Practitioner of the world", r.id, who)
				continue
			}
			systems := map[any]bool{}
			for _, cp := range valuesAt(p.doc, "telecom") {
				m := cp.(map[string]any)
				systems[m["system"]] = true
				if v := m["value"].(string); m["system"] != "email" && !phoneRE.MatchString(v) || m["system"] == "email" && !strings.HasSuffix(v, ".example.org") {
					t.Errorf("Practitioner/%s telecom %v is not fictional", p.id, m)
				}
			}
			hospital := len(matching(d, "PractitionerRole", func(doc map[string]any) bool {
				return refIs(doc, "practitioner", "Practitioner/"+p.id) && strings.HasPrefix(first(doc, "organization.reference").(string), "Organization/dept-")
			})) == 1
			if !systems["phone"] || !systems["email"] || (hospital && !systems["pager"]) {
				t.Errorf("Practitioner/%s lacks phone, email or (at the hospital) pager: %v", p.id, systems)
			}
		}
	}
	for _, r := range d.byType["PractitionerRole"] {
		if strings.HasPrefix(first(r.doc, "organization.reference").(string), "Organization/dept-") && first(r.doc, "location.reference") == nil {
			t.Errorf("hospital PractitionerRole/%s names no unit or clinic", r.id)
		}
	}
}

func TestMedicationRequestsAreComplete(t *testing.T) {
	t.Parallel()
	d := Seed()
	statuses := map[any]int{}
	for _, r := range d.byType["MedicationRequest"] {
		statuses[r.doc["status"]]++
		ok := first(r.doc, "medicationCodeableConcept.coding.system") == sysRxNorm && first(r.doc, "medicationCodeableConcept.coding.display") != nil &&
			first(r.doc, "dosageInstruction.text") != nil && first(r.doc, "dosageInstruction.route.coding.display") != nil &&
			first(r.doc, "dosageInstruction.timing.repeat") != nil && r.doc["authoredOn"] != nil && r.doc["encounter"] != nil &&
			(first(r.doc, "dosageInstruction.doseAndRate.doseQuantity.value") != nil || first(r.doc, "dosageInstruction.doseAndRate.rateQuantity.value") != nil)
		if !ok {
			t.Errorf("MedicationRequest/%s lacks a coded medicine, instructions, route, timing, dose, authoredOn or encounter", r.id)
		}
		key, _ := parseLiteral(first(r.doc, "requester.reference").(string), "")
		if d.lookup(key.typ, key.id) == nil {
			t.Errorf("MedicationRequest/%s requester %v", r.id, key)
		}
		end := first(r.doc, "dispenseRequest.validityPeriod.end")
		if end == nil {
			end = first(r.doc, "dosageInstruction.timing.repeat.boundsPeriod.end")
		}
		if r.doc["status"] != "active" && end == nil {
			t.Errorf("%s MedicationRequest/%s has no end", r.doc["status"], r.id)
		}
		if c := first(r.doc, "category.coding.code"); (c == "community" || c == "discharge") && r.doc["dispenseRequest"] == nil {
			t.Errorf("home MedicationRequest/%s has no dispenseRequest", r.id)
		}
	}
	if statuses["active"] == 0 || statuses["completed"] == 0 || statuses["stopped"] == 0 {
		t.Errorf("statuses %v", statuses)
	}
}

func TestNotesAndTheirContent(t *testing.T) {
	t.Parallel()
	d := Seed()
	types, kinds := map[string]int{}, map[any]int{}
	hostile := 0
	for _, r := range d.byType["DocumentReference"] {
		kinds[first(r.doc, "type.coding.code")]++
		ct, isHostile := checkNote(t, d, r)
		types[ct]++
		if isHostile {
			hostile++
		}
	}
	if types["text/plain"] == 0 || types["text/html"] == 0 || types["application/pdf"] == 0 || hostile != 1 {
		t.Errorf("note content types %v, %d hostile", types, hostile)
	}
	for _, loinc := range []string{"18842-5", "11488-4", "11506-3", "34878-9", "34117-2"} {
		if kinds[loinc] == 0 {
			t.Errorf("no note of type %s (have %v)", loinc, kinds)
		}
	}
}

// checkNote checks one DocumentReference against its Binary and returns the content type and
// whether the note carries markup a sanitizer must strip.
func checkNote(t *testing.T, d *Dataset, r *stored) (contentType string, hostile bool) {
	t.Helper()
	att := first(r.doc, "content.attachment").(map[string]any)
	id := strings.TrimPrefix(att["url"].(string), "Binary/")
	b := d.lookup("Binary", id)
	content, _ := base64.StdEncoding.DecodeString(b.doc["data"].(string))
	sum := sha1.Sum(content)
	if int(att["size"].(float64)) != len(content) || att["hash"] != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("DocumentReference/%s size or hash does not match Binary/%s", r.id, id)
	}
	if first(r.doc, "context.encounter.reference") == nil || r.doc["date"] == nil || first(r.doc, "author.reference") == nil {
		t.Errorf("DocumentReference/%s lacks encounter, date or author", r.id)
	}
	contentType = att["contentType"].(string)
	switch contentType {
	case "application/pdf":
		if err := checkPDF(content); err != "" {
			t.Errorf("Binary/%s: %s", id, err)
		}
	case "text/html":
		h := string(content)
		hostile = strings.Contains(h, "<script") && strings.Contains(h, "onerror=") && strings.Contains(h, `href="javascript:`) && strings.Contains(h, `<img src="https://`)
		if !strings.Contains(h, "<table>") && !strings.Contains(h, "<ul>") {
			t.Errorf("HTML note Binary/%s has neither a list nor a table", id)
		}
	}
	return contentType, hostile
}

// checkPDF reads a PDF's trailer and cross-reference table and checks that every object is
// where the table says; it returns what is wrong, or "".
func checkPDF(b []byte) string {
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
		return "no PDF header or trailer"
	}
	i := bytes.LastIndex(b, []byte("startxref\n"))
	fields := strings.Fields(string(b[i+len("startxref\n"):]))
	xref, err := strconv.Atoi(fields[0])
	if err != nil || !bytes.HasPrefix(b[xref:], []byte("xref\n0 ")) {
		return "startxref does not point at the xref table"
	}
	lines := strings.Split(string(b[xref:]), "\n")
	count, _ := strconv.Atoi(strings.Fields(lines[1])[1])
	for n := 1; n < count; n++ {
		entry := lines[2+n]
		off, _ := strconv.Atoi(entry[:10])
		if len(entry) != 19 || !bytes.HasPrefix(b[off:], []byte(strconv.Itoa(n)+" 0 obj\n")) {
			return "xref entry " + strconv.Itoa(n) + " is wrong"
		}
	}
	if !bytes.Contains(b, []byte("(SYNTHETIC DEMO RECORD - NOT A REAL PATIENT.) Tj")) {
		return "the text is not in the page"
	}
	return ""
}

func TestAllergies(t *testing.T) {
	t.Parallel()
	d := Seed()
	patients := map[any]bool{}
	for _, r := range d.byType["AllergyIntolerance"] {
		patients[first(r.doc, "patient.reference")] = true
		if first(r.doc, "code.coding.display") == nil || r.doc["clinicalStatus"] == nil || r.doc["recordedDate"] == nil {
			t.Errorf("AllergyIntolerance/%s lacks code, status or date", r.id)
		}
		if first(r.doc, "code.coding.code") != "716186003" && (r.doc["criticality"] == nil || first(r.doc, "reaction.manifestation.text") == nil) {
			t.Errorf("AllergyIntolerance/%s has no criticality or reaction", r.id)
		}
	}
	peanut := matching(d, "AllergyIntolerance", func(doc map[string]any) bool {
		return refIs(doc, "patient", "Patient/child-05") && doc["criticality"] == "high" && first(doc, "reaction.severity") == "severe" && doc["encounter"] != nil
	})
	if len(patients) < 8 || len(peanut) != 1 {
		t.Errorf("allergies for %d children; child-05's peanut anaphylaxis: %v", len(patients), peanut)
	}
}
