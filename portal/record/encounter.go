package record

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Kinds of encounter, as the timeline names them.
const (
	Inpatient = "Hospital stay"
	Emergency = "Emergency visit"
	Visit     = "Specialty visit"
)

// Encounter is one entry of the timeline.
type Encounter struct {
	ID, Kind, Status string
	// Patient is the subject's id.
	Patient    string
	Start, End time.Time
	// Ongoing is a stay still in progress: the patient is in hospital now.
	Ongoing bool
	// Length is how long it lasted, in words ("4 h", "3 days"); "" while in progress.
	Length      string
	Service     string
	Department  string
	Reason      string
	AdmitSource string
	Disposition string
	Units       []Unit
	Diagnoses   []Diagnosis
	CareTeam    []Member
}

// Unit is a ward or unit the patient stayed in.
type Unit struct {
	Name       string
	Start, End time.Time
}

// Diagnosis is one diagnosis of an encounter, with its role (discharge diagnosis, ...).
type Diagnosis struct{ Name, Role string }

// Member is one clinician of an encounter's care team. Practitioner is its id, to look up
// contact details in the directory.
type Member struct {
	Role, Name, Practitioner string
	Start, End               time.Time
	Contact                  Contact
}

// Attending returns the encounter's attending physicians' names.
func (e Encounter) Attending() []Member {
	var out []Member
	for _, m := range e.CareTeam {
		if m.Role == "Attending physician" {
			out = append(out, m)
		}
	}
	return out
}

// DecodeEncounters decodes the Encounters among raws, newest first.
func DecodeEncounters(raws []json.RawMessage) ([]Encounter, error) {
	es, err := decodeAll(raws, "Encounter", fhir.UnmarshalEncounter)
	if err != nil {
		return nil, err
	}
	out := make([]Encounter, 0, len(es))
	for _, e := range es {
		out = append(out, encounter(e))
	}
	slices.SortStableFunc(out, func(a, b Encounter) int { return b.Start.Compare(a.Start) })
	return out, nil
}

func encounter(e fhir.Encounter) Encounter {
	out := Encounter{ID: str(e.Id), Patient: refID(e.Subject, "Patient"), Status: e.Status.Display(), Service: text(e.ServiceType), Department: display(e.ServiceProvider)}
	switch str(e.Class.Code) {
	case "IMP", "ACUTE", "NONAC", "OBSENC":
		out.Kind = Inpatient
	case "EMER":
		out.Kind = Emergency
	default:
		out.Kind = Visit
	}
	if e.Period != nil {
		out.Start, _ = instant(e.Period.Start)
		out.End, _ = instant(e.Period.End)
	}
	out.Ongoing = out.Kind == Inpatient && (e.Status.Code() == "in-progress" || (out.End.IsZero() && e.Status.Code() != "finished"))
	out.Length = encounterLength(e.Length, out.Start, out.End)
	if len(e.ReasonCode) > 0 {
		out.Reason = text(&e.ReasonCode[0])
	}
	if h := e.Hospitalization; h != nil {
		out.AdmitSource, out.Disposition = text(h.AdmitSource), text(h.DischargeDisposition)
	}
	out.Units, out.Diagnoses, out.CareTeam = units(e.Location), diagnoses(e.Diagnosis), careTeam(e.Participant)
	return out
}

func units(ls []fhir.EncounterLocation) []Unit {
	var out []Unit
	for _, l := range ls {
		u := Unit{Name: display(&l.Location)}
		if l.Period != nil {
			u.Start, _ = instant(l.Period.Start)
			u.End, _ = instant(l.Period.End)
		}
		out = append(out, u)
	}
	return out
}

// diagnoses are the encounter's diagnoses in rank order.
func diagnoses(ds []fhir.EncounterDiagnosis) []Diagnosis {
	ds = slices.Clone(ds)
	slices.SortStableFunc(ds, func(a, b fhir.EncounterDiagnosis) int { return cmp.Compare(rank(a.Rank), rank(b.Rank)) })
	var out []Diagnosis
	for _, d := range ds {
		out = append(out, Diagnosis{Name: display(&d.Condition), Role: text(d.Use)})
	}
	return out
}

func careTeam(ps []fhir.EncounterParticipant) []Member {
	var out []Member
	for _, p := range ps {
		m := Member{Name: display(p.Individual), Practitioner: refID(p.Individual, "Practitioner")}
		if len(p.Type) > 0 {
			m.Role = text(&p.Type[0])
		}
		if p.Period != nil {
			m.Start, _ = instant(p.Period.Start)
			m.End, _ = instant(p.Period.End)
		}
		out = append(out, m)
	}
	return out
}

func rank(r *int) int {
	if r == nil {
		return 1 << 30
	}
	return *r
}

// Contact is how to reach a clinician, from their directory entry.
type Contact struct {
	Phone, Pager, Email string
}

// DecodeContacts returns the contact details of the Practitioners among raws, by id.
func DecodeContacts(raws []json.RawMessage) (map[string]Contact, error) {
	ps, err := decodeAll(raws, "Practitioner", fhir.UnmarshalPractitioner)
	if err != nil {
		return nil, err
	}
	out := map[string]Contact{}
	for _, p := range ps {
		var c Contact
		for _, t := range p.Telecom {
			if t.System == nil || t.Value == nil {
				continue
			}
			switch t.System.Code() {
			case "phone":
				c.Phone = cmp.Or(c.Phone, *t.Value)
			case "pager":
				c.Pager = cmp.Or(c.Pager, *t.Value)
			case "email":
				c.Email = cmp.Or(c.Email, *t.Value)
			}
		}
		out[str(p.Id)] = c
	}
	return out, nil
}
