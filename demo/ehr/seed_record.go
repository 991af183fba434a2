package ehr

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// record builds one patient's chart from a profile. Each patient has its own random source,
// seeded by the patient's number, so changing one child never shifts another's values.
type record struct {
	d      *Dataset
	ref    time.Time
	n      int
	row    patientRow
	rng    *rand.Rand
	birth  time.Time
	series map[string][]float64
	drawn  map[string]int
	// weight and height factors make each child a little bigger or smaller than average.
	wf, hf float64
	// seq numbers each resource type's ids within the patient.
	seq map[string]int
}

// newRecord prepares the builder for the n-th child.
func newRecord(d *Dataset, ref time.Time, n int, row patientRow) *record {
	rng := rand.New(rand.NewPCG(20261101, uint64(n)))
	return &record{
		d: d, ref: ref, n: n, row: row, rng: rng, birth: birthTime(row),
		drawn: map[string]int{}, seq: map[string]int{},
		wf: 0.9 + 0.2*rng.Float64(), hf: 0.96 + 0.08*rng.Float64(),
	}
}

// nextID returns the next id for a prefix: "enc-01-1", or "obs-01-007" for observations.
func (r *record) nextID(prefix string) string {
	r.seq[prefix]++
	if prefix == "obs" {
		return fmt.Sprintf("%s-%02d-%03d", prefix, r.n, r.seq[prefix])
	}
	return fmt.Sprintf("%s-%02d-%d", prefix, r.n, r.seq[prefix])
}

// patientRef is the subject reference every resource of the chart carries.
func (r *record) patientRef() obj {
	return ref("Patient", patientID(r.n), r.row.given+" "+r.row.family)
}

// encounterInfo is what later resources need to know about an encounter.
type encounterInfo struct {
	id         string
	v          visit
	start, end time.Time
}

// build adds the chart: for each visit its encounter, labs, vital signs, orders and note.
func (r *record) build(p profile) {
	r.series = p.series
	jitter := r.rng.IntN(21)
	var prev encounterInfo
	for _, v := range p.visits {
		start, end := r.visitTimes(v, jitter, prev.end)
		enc := encounterInfo{id: r.nextID("enc"), v: v, start: start, end: end}
		r.d.add("Encounter", r.encounter(enc), end, start)
		r.vitals(enc)
		r.labPanels(enc, v.labs, start.Add(time.Hour))
		r.labPanels(enc, v.endLabs, end.Add(-4*time.Hour))
		for _, m := range v.meds {
			r.medication(enc, m)
		}
		r.note(enc)
		prev = enc
	}
}

// visitTimes places a visit in time: clinic visits in office hours, ED visits any time, an
// admission from the ED right after the ED visit.
func (r *record) visitTimes(v visit, jitter int, prevEnd time.Time) (start, end time.Time) {
	base := r.ref.AddDate(0, 0, -(v.daysAgo + jitter))
	quarter := time.Duration(r.rng.IntN(4)) * 15 * time.Minute
	switch {
	case v.kind == inpatient && v.fromED:
		start = prevEnd.Add(30 * time.Minute)
	case v.kind == inpatient:
		start = base.Add(time.Duration(10+r.rng.IntN(8))*time.Hour + quarter)
	case v.kind == emergency:
		start = base.Add(time.Duration(7+r.rng.IntN(14))*time.Hour + quarter)
	default:
		start = base.Add(time.Duration(8+r.rng.IntN(8))*time.Hour + quarter)
	}
	switch v.kind {
	case inpatient:
		day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
		end = day.AddDate(0, 0, v.stay).Add(time.Duration(11+r.rng.IntN(4))*time.Hour + quarter)
	case emergency:
		end = start.Add(time.Duration(3+r.rng.IntN(3)) * time.Hour)
	default:
		end = start.Add(45 * time.Minute)
	}
	return start, end
}

// encounter builds the Encounter resource of a visit.
func (r *record) encounter(e encounterInfo) obj {
	class := map[visitKind]code{
		inpatient: {sysActCode, "IMP", "inpatient encounter"},
		specialty: {sysActCode, "AMB", "ambulatory"},
		emergency: {sysActCode, "EMER", "emergency"},
	}[e.v.kind]
	general := map[visitKind]code{
		inpatient: sct("32485007", "Hospital admission"),
		specialty: sct("11429006", "Consultation"),
		emergency: sct("50849002", "Emergency room admission"),
	}[e.v.kind]
	role := code{sysPartType, "ATND", "attender"}
	if e.v.kind == specialty {
		role = code{sysPartType, "PPRF", "primary performer"}
	}
	participants := []any{participant(role, e.v.clinician)}
	if e.v.consultant != "" {
		participants = append(participants, participant(code{sysPartType, "CON", "consultant"}, e.v.consultant))
	}
	res := obj{
		"id": e.id, "status": "finished",
		"class":           class.coding(),
		"type":            []any{concept(e.v.typ.display, e.v.typ, general)},
		"subject":         r.patientRef(),
		"participant":     participants,
		"period":          obj{"start": instant(e.start), "end": instant(e.end)},
		"reasonCode":      []any{concept("", e.v.reason)},
		"serviceProvider": ref("Organization", e.v.dept, orgName(e.v.dept)),
	}
	if e.v.kind == inpatient {
		hosp := obj{"dischargeDisposition": concept("Home", code{sysDischarge, "home", "Home"})}
		if e.v.fromED {
			hosp["admitSource"] = concept("", code{"http://terminology.hl7.org/CodeSystem/admit-source", "emd", "From accident/emergency department"})
		}
		res["hospitalization"] = hosp
	}
	return res
}

// participant is one Encounter.participant naming a Practitioner.
func participant(role code, practitioner string) obj {
	return obj{
		"type":       []any{concept("", role)},
		"individual": ref("Practitioner", practitioner, practitionerName(practitioner)),
	}
}

// medication adds the MedicationRequest for one order written at a visit.
func (r *record) medication(e encounterInfo, m med) {
	authored := e.start.Add(time.Hour)
	if m.category == "discharge" {
		authored = e.end.Add(-2 * time.Hour)
	}
	prescriber := m.prescriber
	if prescriber == "" {
		prescriber = e.v.clinician
	}
	id := r.nextID("med")
	r.d.add("MedicationRequest", obj{
		"id": id, "status": m.status, "intent": "order",
		"category":                  []any{concept("", code{sysMedCat, m.category, map[string]string{"inpatient": "Inpatient", "outpatient": "Outpatient", "discharge": "Discharge"}[m.category]})},
		"medicationCodeableConcept": concept(m.text, m.rx),
		"subject":                   r.patientRef(),
		"encounter":                 ref("Encounter", e.id, ""),
		"authoredOn":                instant(authored),
		"requester":                 ref("Practitioner", prescriber, practitionerName(prescriber)),
		"reasonCode":                []any{concept("", e.v.reason)},
		"dosageInstruction":         []any{obj{"sequence": 1, "text": m.dose}},
	}, authored, authored)
}
