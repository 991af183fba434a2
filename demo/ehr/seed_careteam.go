package ehr

import (
	"strings"
	"time"
)

// Participation types (v3 ParticipationType) of the care team.
var (
	roleAttender  = code{sysPartType, "ATND", "attender"}
	roleAdmitter  = code{sysPartType, "ADM", "admitter"}
	roleConsult   = code{sysPartType, "CON", "consultant"}
	rolePrimary   = code{sysPartType, "PPRF", "primary performer"}
	roleSecondary = code{sysPartType, "SPRF", "secondary performer"}
	roleReferrer  = code{sysPartType, "REF", "referrer"}
	roleOther     = code{sysPartType, "PART", "Participation"}
)

// member is one participant of an encounter before it becomes Encounter.participant.
type member struct {
	role       code
	text, who  string
	start, end time.Time // zero: the whole encounter
}

// careTeam lists who looked after the child: per unit of a stay its attending, resident or
// fellow and primary nurse (each for the time the child was there), who admitted and who was
// consulted; at a visit the specialist, the clinic's nurse and the referring PCP.
func (r *record) careTeam(e encounterInfo) []any {
	var team []member
	switch e.v.kind {
	case specialty:
		team = append(team, member{role: rolePrimary, text: "Attending physician", who: e.v.clinician})
	default:
		if e.v.kind == inpatient {
			team = append(team, member{role: roleAdmitter, text: "Admitting physician", who: orString(e.admitter, e.unitSpans()[0].attending)})
		}
		for _, s := range e.unitSpans() {
			team = append(team, member{role: roleAttender, text: "Attending physician", who: s.attending, start: s.start, end: s.end})
		}
	}
	for _, s := range e.unitSpans() {
		dept := departments()[s.dept]
		if dept.resident != "" {
			team = append(team, member{role: roleSecondary, text: dept.residentRole, who: dept.resident, start: s.start, end: s.end})
		}
		if dept.nurse != "" {
			team = append(team, member{role: roleOther, text: dept.nurseRole, who: dept.nurse, start: s.start, end: s.end})
		}
	}
	if e.v.consultant != "" {
		team = append(team, member{role: roleConsult, text: "Consulting physician", who: e.v.consultant})
	}
	if pcp := r.referrer(); pcp != "" && e.v.kind == specialty {
		team = append(team, member{role: roleReferrer, text: "Referring provider", who: pcp})
	}
	out := make([]any, 0, len(team))
	for _, m := range team {
		out = append(out, m.participant(e))
	}
	return out
}

// referrer is the Practitioner id of the child's PCP when the PCP is a person.
func (r *record) referrer() string {
	typ, id, _ := strings.Cut(r.row.gp, "/")
	switch typ {
	case "Practitioner":
		return id
	case "PractitionerRole":
		for _, p := range practitionerRows() {
			if p.role == id {
				return p.id
			}
		}
	}
	return ""
}

// participant builds the Encounter.participant; a member present for part of the encounter
// carries that period.
func (m member) participant(e encounterInfo) obj {
	out := obj{
		"type":       []any{concept(m.text, m.role)},
		"individual": ref("Practitioner", m.who, practitionerName(m.who)),
	}
	if !m.start.IsZero() && (!m.start.Equal(e.start) || !m.end.Equal(e.end)) {
		p := obj{"start": dateTime(m.start)}
		if !m.end.IsZero() {
			p["end"] = dateTime(m.end)
		}
		out["period"] = p
	}
	return out
}

// attending is the physician responsible at the end of the encounter (who writes the
// discharge summary); nurse is the nurse who took the vital signs on arrival, or the
// clinician at a clinic without one.
func (e encounterInfo) attending() string {
	spans := e.unitSpans()
	return spans[len(spans)-1].attending
}

// unitAt is the unit the child was in at t (the last one after the stay).
func (e encounterInfo) unitAt(t time.Time) unitSpan {
	spans := e.unitSpans()
	for _, s := range spans {
		if s.end.IsZero() || t.Before(s.end) {
			return s
		}
	}
	return spans[len(spans)-1]
}

func (e encounterInfo) nurse() string {
	if d := departments()[e.unitSpans()[0].dept]; d.nurse != "" {
		return d.nurse
	}
	return e.v.clinician
}
