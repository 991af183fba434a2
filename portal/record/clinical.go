package record

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Allergy is one entry of the banner's allergy list.
type Allergy struct {
	Substance, Criticality, Reactions, Status string
	// High marks a high-criticality allergy, which the banner makes stand out.
	High bool
	// None is a "no known allergies" entry.
	None bool
}

// DecodeAllergies decodes the AllergyIntolerances among raws, skipping entered-in-error ones.
func DecodeAllergies(raws []json.RawMessage) ([]Allergy, error) {
	as, err := decodeAll(raws, "AllergyIntolerance", fhir.UnmarshalAllergyIntolerance)
	if err != nil {
		return nil, err
	}
	var out []Allergy
	for _, a := range as {
		if code(a.VerificationStatus, "") == "entered-in-error" || code(a.ClinicalStatus, "") == "inactive" {
			continue
		}
		al := Allergy{Substance: text(a.Code), Status: text(a.VerificationStatus)}
		if a.Criticality != nil {
			al.Criticality, al.High = a.Criticality.Display(), a.Criticality.Code() == "high"
		}
		switch code(a.Code, "") {
		case "716186003", "409137002", "428607008", "429625007":
			al.None = true // SNOMED CT "no known allergy" codes
		}
		var rs []string
		for _, r := range a.Reaction {
			for _, m := range r.Manifestation {
				rs = append(rs, text(&m))
			}
		}
		al.Reactions = strings.Join(rs, ", ")
		out = append(out, al)
	}
	slices.SortStableFunc(out, func(a, b Allergy) int {
		if a.High != b.High {
			if a.High {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Substance, b.Substance)
	})
	return out, nil
}

// Problem is an active problem-list condition.
type Problem struct {
	Name  string
	Onset time.Time
}

// DecodeProblems returns the active problem-list items among the Conditions in raws.
func DecodeProblems(raws []json.RawMessage) ([]Problem, error) {
	cs, err := decodeAll(raws, "Condition", fhir.UnmarshalCondition)
	if err != nil {
		return nil, err
	}
	var out []Problem
	for _, c := range cs {
		problem := slices.ContainsFunc(c.Category, func(cc fhir.CodeableConcept) bool { return code(&cc, "") == "problem-list-item" })
		if !problem || code(c.ClinicalStatus, "") != "active" {
			continue
		}
		p := Problem{Name: text(c.Code)}
		p.Onset, _ = instant(c.OnsetDateTime)
		out = append(out, p)
	}
	return out, nil
}

// Med is one medication order.
type Med struct {
	ID, Name, Dose, Route, Status, Prescriber, Reason, Category string
	Start, End                                                  time.Time
	Active                                                      bool
	// key names the medication, to tell a renewed order from another drug: its first code,
	// else its name.
	key string
	// Earlier counts the older active orders of the same medication that Current folded into
	// this one; FirstStart is when the oldest of them started.
	Earlier    int
	FirstStart time.Time
}

// DecodeMeds decodes the MedicationRequests among raws: active ones first, then by start,
// newest first.
func DecodeMeds(raws []json.RawMessage) ([]Med, error) {
	ms, err := decodeAll(raws, "MedicationRequest", fhir.UnmarshalMedicationRequest)
	if err != nil {
		return nil, err
	}
	var out []Med
	for _, m := range ms {
		med := Med{ID: str(m.Id), Name: text(&m.MedicationCodeableConcept), Status: strings.ToUpper(m.Status[:min(1, len(m.Status))]) + m.Status[min(1, len(m.Status)):],
			Prescriber: display(m.Requester), Active: m.Status == "active"}
		if med.Name == "" {
			med.Name = display(&m.MedicationReference)
		}
		med.key = cmp.Or(code(&m.MedicationCodeableConcept, ""), refID(&m.MedicationReference, "Medication"), strings.ToLower(med.Name))
		if len(m.ReasonCode) > 0 {
			med.Reason = text(&m.ReasonCode[0])
		}
		if len(m.Category) > 0 {
			med.Category = text(&m.Category[0])
		}
		med.Start, _ = instant(m.AuthoredOn)
		if len(m.DosageInstruction) > 0 {
			dose(&med, m.DosageInstruction[0])
		}
		out = append(out, med)
	}
	slices.SortStableFunc(out, func(a, b Med) int {
		if a.Active != b.Active {
			if a.Active {
				return -1
			}
			return 1
		}
		return b.Start.Compare(a.Start)
	})
	return out, nil
}

// Current returns the active orders among ms (as DecodeMeds sorts them) with one entry per
// medication: a prescription renewed or replaced leaves the old order active in many EHRs,
// and a clinician reads the list as what the child takes now. Each entry is the most recent
// order, with Earlier and FirstStart saying what it folds in.
func Current(ms []Med) []Med {
	var out []Med
	at := map[string]int{}
	for _, m := range ms {
		if !m.Active {
			continue
		}
		i, seen := at[m.key]
		if !seen {
			at[m.key] = len(out)
			out = append(out, m)
			continue
		}
		newest := &out[i]
		if m.Start.After(newest.Start) {
			m.Earlier, m.FirstStart = newest.Earlier, newest.FirstStart
			m.FirstStart = earliest(m.FirstStart, newest.Start)
			*newest = m
		} else {
			newest.FirstStart = earliest(newest.FirstStart, m.Start)
		}
		newest.Earlier++
	}
	return out
}

// earliest is the earlier of two times, a zero one not counting.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// dose fills in the dose, route and period of a medication from its first dosage.
func dose(m *Med, d fhir.Dosage) {
	m.Dose, m.Route = str(d.Text), text(d.Route)
	if d.Timing != nil && d.Timing.Repeat != nil && d.Timing.Repeat.BoundsPeriod != nil {
		b := d.Timing.Repeat.BoundsPeriod
		if t, ok := instant(b.Start); ok {
			m.Start = t
		}
		m.End, _ = instant(b.End)
	}
}
