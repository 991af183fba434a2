package ehr

import (
	"slices"
	"strings"
	"testing"
)

// TestRequiredBindings checks the codes of R4's required bindings, which Medplum's loader does
// not check (it validates structure and types only): a server that does would refuse the world
// over a misspelt status.
func TestRequiredBindings(t *testing.T) {
	t.Parallel()
	d := Seed()
	codes := func(list string) []string { return strings.Split(list, " ") }
	bindings := []struct {
		typ, path string
		allowed   []string
	}{
		{"*", "telecom.system", codes("phone fax email pager url sms other")},
		{"*", "telecom.use", codes("home work temp old mobile")},
		{"*", "address.use", codes("home work temp old billing")},
		{"*", "name.use", codes("usual official temp nickname anonymous old maiden")},
		{"Patient", "gender", codes("male female other unknown")},
		{"Practitioner", "gender", codes("male female other unknown")},
		{"Location", "status", codes("active suspended inactive")},
		{"Location", "mode", codes("instance kind")},
		{"Encounter", "status", codes("planned arrived triaged in-progress onleave finished cancelled entered-in-error unknown")},
		{"Encounter", "location.status", codes("planned active reserved completed")},
		{"Condition", "clinicalStatus.coding.code", codes("active recurrence relapse inactive remission resolved")},
		{"Condition", "verificationStatus.coding.code", codes("unconfirmed provisional differential confirmed refuted entered-in-error")},
		{"Observation", "status", codes("registered preliminary final amended corrected cancelled entered-in-error unknown")},
		{"DiagnosticReport", "status", codes("registered partial preliminary final amended corrected appended cancelled entered-in-error unknown")},
		{"MedicationRequest", "status", codes("active on-hold cancelled completed entered-in-error stopped draft unknown")},
		{"MedicationRequest", "intent", codes("proposal plan order original-order reflex-order filler-order instance-order option")},
		{"MedicationRequest", "dosageInstruction.timing.repeat.periodUnit", codes("s min h d wk mo a")},
		{"MedicationRequest", "dosageInstruction.timing.repeat.when", codes("MORN AFT EVE NIGHT HS WAKE C CM CD CV AC ACM ACD ACV PC PCM PCD PCV")},
		{"DocumentReference", "status", codes("current superseded entered-in-error")},
		{"DocumentReference", "docStatus", codes("preliminary final amended entered-in-error")},
		{"DocumentReference", "content.attachment.contentType", codes("text/plain text/html application/pdf")},
		{"Binary", "contentType", codes("text/plain text/html application/pdf")},
		{"AllergyIntolerance", "clinicalStatus.coding.code", codes("active inactive resolved")},
		{"AllergyIntolerance", "verificationStatus.coding.code", codes("unconfirmed confirmed refuted entered-in-error")},
		{"AllergyIntolerance", "type", codes("allergy intolerance")},
		{"AllergyIntolerance", "category", codes("food medication environment biologic")},
		{"AllergyIntolerance", "criticality", codes("low high unable-to-assess")},
		{"AllergyIntolerance", "reaction.severity", codes("mild moderate severe")},
	}
	for _, b := range bindings {
		seen := 0
		for typ, list := range d.byType {
			if b.typ != "*" && b.typ != typ {
				continue
			}
			for _, r := range list {
				for _, v := range valuesAt(r.doc, b.path) {
					seen++
					if s, _ := v.(string); !slices.Contains(b.allowed, s) {
						t.Errorf("%s/%s %s = %v, not one of %v", r.typ, r.id, b.path, v, b.allowed)
					}
				}
			}
		}
		if seen == 0 {
			t.Errorf("no %s %s in the world: the binding checks nothing", b.typ, b.path)
		}
	}
}
