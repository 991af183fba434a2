package ehr

import (
	"fmt"
	"time"
)

// allergyRow is one AllergyIntolerance of a child: the substance, its category and
// criticality, whether it is confirmed, and the reaction seen. A row without a reaction is a
// "no known allergies" statement. visit (1-based, 0 for none) names the visit at which the
// reaction happened; otherwise it happened at onsetAge years.
type allergyRow struct {
	substance                  code
	name, reactionText         string // how clinicians write the substance and the reaction
	category, typ, criticality string
	verification               string
	manifestation              code
	severity                   string
	onsetAge                   float64
	visit                      int
	note                       string
}

// allergyRows returns the children's allergies by patient number. Most children have none
// recorded; a few have "no known allergies" on file.
func allergyRows() map[int][]allergyRow {
	nka := allergyRow{substance: sct("716186003", "No known allergy"), name: "No known allergies", verification: "confirmed"}
	hives := sct("247472004", "Wheal")
	rash := sct("271807003", "Eruption of skin")
	return map[int][]allergyRow{
		1: {
			{rx("70618", "penicillin"), "Penicillin", "Hives", "medication", "allergy", "low", "unconfirmed", hives, "mild", 2, 0,
				"Hives on day 3 of a penicillin course at age 2, per parent; never re-challenged."},
			{sct("260147004", "House dust mite"), "Dust mites", "Rhinitis and wheeze", "environment", "allergy", "low", "confirmed", sct("70076002", "Rhinitis"), "mild", 6, 0,
				"Positive skin-prick test."},
		},
		3: {nka},
		5: {
			{sct("256349002", "Peanut - dietary"), "Peanut", "Anaphylaxis", "food", "allergy", "high", "confirmed", sct("39579001", "Anaphylaxis"), "severe", 0, 2,
				"Anaphylaxis after a bite of a peanut-butter cookie; treated with IM epinephrine in the ED. Carries epinephrine auto-injectors."},
			{rx("723", "amoxicillin"), "Amoxicillin", "Rash", "medication", "allergy", "low", "unconfirmed", rash, "mild", 1, 0,
				"Rash on day 7 of amoxicillin for otitis media at 12 months; possibly viral."},
		},
		7:  {{rx("10180", "sulfamethoxazole"), "Sulfamethoxazole (sulfa antibiotics)", "Rash", "medication", "allergy", "low", "confirmed", rash, "moderate", 7, 0, ""}},
		9:  {{sct("102263004", "Eggs (edible)"), "Egg", "Hives", "food", "allergy", "low", "confirmed", hives, "mild", 1, 0, "Tolerates baked egg."}},
		12: {{sct("3718001", "Cow's milk"), "Cow's milk protein", "Vomiting", "food", "allergy", "low", "confirmed", sct("422400008", "Vomiting"), "moderate", 0.5, 0, ""}},
		16: {nka},
		18: {{sct("227493005", "Cashew nuts"), "Cashew", "Angioedema", "food", "allergy", "high", "confirmed", sct("41291007", "Angioedema"), "severe", 4, 0, "Epinephrine auto-injector prescribed by the PCP."}},
		20: {{rx("5640", "ibuprofen"), "Ibuprofen", "Abdominal pain", "medication", "intolerance", "low", "confirmed", sct("21522001", "Abdominal pain"), "mild", 10, 0, ""}},
		22: {nka},
	}
}

// summary is the allergy as a note's list says it: "Peanut: Anaphylaxis (high criticality)".
func (a allergyRow) summary() string {
	if a.manifestation.code == "" {
		return "No known allergies."
	}
	s := fmt.Sprintf("%s: %s (%s criticality", a.name, a.reactionText, a.criticality)
	if a.verification == "unconfirmed" {
		s += ", unconfirmed"
	}
	return s + ")"
}

// allergies adds the child's AllergyIntolerances, after the encounters a reaction may name.
// Each was recorded at the first visit after the reaction (or at the visit of the reaction),
// by its clinician.
func (r *record) allergies(plan []encounterInfo) {
	for _, a := range allergyRows()[r.n] {
		at := plan[0]
		res := obj{
			"id":                 r.nextID("alg"),
			"clinicalStatus":     concept("", code{sysAllergyCl, "active", "Active"}),
			"verificationStatus": concept("", code{sysAllergyVer, a.verification, map[string]string{"confirmed": "Confirmed", "unconfirmed": "Unconfirmed"}[a.verification]}),
			"code":               concept(a.name, a.substance),
			"patient":            r.patientRef(),
		}
		if a.manifestation.code != "" {
			onset := r.allergyOnset(a, plan)
			at = recordingVisit(a, plan, onset)
			res["type"], res["category"], res["criticality"] = a.typ, []any{a.category}, a.criticality
			res["onsetDateTime"], res["reaction"] = dateTime(onset), []any{obj{
				"substance":     concept(a.name, a.substance),
				"manifestation": []any{concept(a.reactionText, a.manifestation)},
				"severity":      a.severity,
				"onset":         dateTime(onset),
			}}
			if a.note != "" {
				res["note"] = []any{obj{"text": a.note}}
			}
			if a.visit > 0 {
				res["encounter"] = ref("Encounter", at.id, "")
			}
		}
		recorded := at.start.Add(30 * time.Minute)
		res["recordedDate"] = dateTime(recorded)
		res["recorder"] = ref("Practitioner", at.v.clinician, practitionerName(at.v.clinician))
		r.d.add("AllergyIntolerance", res, recorded, recorded)
	}
}

// allergyOnset is when the reaction happened: an hour before the visit it brought the child
// to, or at the age the row says.
func (r *record) allergyOnset(a allergyRow, plan []encounterInfo) time.Time {
	if a.visit > 0 {
		return plan[a.visit-1].start.Add(-time.Hour)
	}
	return hospitalTime(r.atAge(a.onsetAge), 12, 0)
}

// recordingVisit is the visit at which an allergy was recorded: the one it happened at, or
// the first after it (the last visit when all came before).
func recordingVisit(a allergyRow, plan []encounterInfo, onset time.Time) encounterInfo {
	if a.visit > 0 {
		return plan[a.visit-1]
	}
	for _, e := range plan {
		if e.start.After(onset) {
			return e
		}
	}
	return plan[len(plan)-1]
}
