package auditevent

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"

	"github.com/mypatients/gateway/audit"
)

// Mapper maps records to AuditEvents for one gateway, the observer that recorded them.
type Mapper struct {
	base, fhirBase, site string
}

// New returns the mapper of the gateway whose public base URL is baseURL.
func New(baseURL string) *Mapper {
	base := strings.TrimRight(baseURL, "/")
	site := base
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		site = u.Host
	}
	return &Mapper{base: base, fhirBase: base + "/fhir", site: site}
}

// EventName is the record's event name: Event, or for records written before events had
// names, what their fields say.
func EventName(r audit.Record) string {
	switch {
	case r.Event != "":
		return r.Event
	case r.Interaction == "account":
		return "account." + r.Decision
	case r.Interaction != "":
		return "fhir." + r.Interaction
	}
	return "fhir.request"
}

// Events returns the AuditEvents of the record with chain seq seq (0: not chained): one per
// patient concerned, as BALP asks, or one naming no patient. Each has its own id, which the
// entity[transaction] also carries in its name: the key by which a repository recognises an
// event sent twice.
func (m *Mapper) Events(r audit.Record, seq int64) []AuditEvent {
	event := EventName(r)
	if len(r.Patients) == 0 {
		ev := m.event(r, event, seq)
		m.finish(&ev, r, event, "", r.RequestID)
		return []AuditEvent{ev}
	}
	out := make([]AuditEvent, 0, len(r.Patients))
	for i, p := range r.Patients {
		key := r.RequestID
		if len(r.Patients) > 1 {
			key += "-" + strconv.Itoa(i+1)
		}
		ev := m.event(r, event, seq)
		m.finish(&ev, r, event, p, key)
		out = append(out, ev)
	}
	return out
}

// event builds what every AuditEvent of the record shares.
func (m *Mapper) event(r audit.Record, event string, seq int64) AuditEvent {
	typ, subtypes, action := classify(r, event)
	ev := AuditEvent{
		ResourceType: "AuditEvent",
		Type:         typ,
		Subtype:      append(subtypes, Coding{System: EventSystem, Code: event}),
		Action:       action,
		Recorded:     r.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
		Outcome:      outcome(r),
		Agent:        m.agents(r, event),
		Source: Source{Site: m.site, Observer: Reference{Identifier: &Identifier{System: URISystem, Value: m.base}, Display: "MyPatients gateway"},
			Type: []Coding{{System: SourceTypeSystem, Code: "4", Display: "Application Server"}}},
	}
	if r.Failed() && r.Reason != "" {
		ev.OutcomeDesc = r.Reason
	}
	if seq > 0 {
		ev.Extension = []Extension{{URL: SequenceExtension, ValueString: strconv.FormatInt(seq, 10)}}
	}
	return ev
}

// finish adds the entities of one AuditEvent (patient p, or none) and its id and profile.
func (m *Mapper) finish(ev *AuditEvent, r audit.Record, event, patient, key string) {
	ev.ID = key
	ev.Entity = append(ev.Entity, Entity{
		What: &Reference{Identifier: &Identifier{System: RequestSystem, Value: r.RequestID}},
		Type: coding(BALPEntityType, "XrequestId", "X-Request-Id"), Name: key,
	})
	if patient != "" {
		ev.Entity = append(ev.Entity, patientEntity(r, patient))
	}
	ev.Entity = append(ev.Entity, objectEntities(r, event)...)
	if p := profile(r, event, patient != ""); p != "" {
		ev.Meta = &Meta{Profile: []string{p}}
	}
}

// outcome is AuditEvent.outcome: 0 success, 4 minor failure (refused, bad request), 8 serious
// failure (the gateway or a part it needs failed).
func outcome(r audit.Record) string {
	switch {
	case r.Status >= 500:
		return "8"
	case r.Failed():
		return "4"
	}
	return "0"
}

// profile is the BALP profile a successful FHIR request's AuditEvent follows; failures follow
// the same pattern without claiming it, as BALP says.
func profile(r audit.Record, event string, withPatient bool) string {
	if r.Failed() {
		return ""
	}
	switch event {
	case "fhir.read", "fhir.vread":
		if r.Resource == "" {
			return ""
		}
		if withPatient {
			return ProfilePRead
		}
		return ProfileRead
	case "fhir.search":
		if withPatient {
			return ProfilePQry
		}
		return ProfileQuery
	}
	return ""
}

// patientEntity is BALP's entity[patient], with the rule that allowed the patient or the
// reason they were refused for, and whether the answer released some of their data.
func patientEntity(r audit.Record, p string) Entity {
	e := Entity{What: &Reference{Reference: "Patient/" + p},
		Type: coding(EntityTypeSystem, "1", "Person"), Role: coding(ObjectRoleSystem, "1", "Patient")}
	if b := r.Basis[p]; b != "" {
		e.Detail = append(e.Detail, Detail{Type: "basis", ValueString: b})
	}
	for _, d := range r.Disclosed {
		if d == p {
			e.Detail = append(e.Detail, Detail{Type: "disclosed", ValueString: "true"})
		}
	}
	return e
}

// objectEntities are what the event was about besides the patient: the resource read, the
// query, the policy decision, the account acted on.
func objectEntities(r audit.Record, event string) []Entity {
	var out []Entity
	if r.Resource != "" {
		out = append(out, Entity{What: &Reference{Reference: r.Resource},
			Type: coding(EntityTypeSystem, "2", "System Object"), Role: coding(ObjectRoleSystem, "4", "Domain Resource")})
	}
	if event == "fhir.search" {
		q := r.ResourceType + "?" + r.Query
		out = append(out, Entity{Type: coding(EntityTypeSystem, "2", "System Object"), Role: coding(ObjectRoleSystem, "24", "Query"),
			Query: base64.StdEncoding.EncodeToString([]byte(q))})
	}
	if d := decisionEntity(r, event); d != nil {
		out = append(out, *d)
	}
	if r.Subject != "" || (event == "account."+r.Decision && r.User != "") {
		who := r.Subject
		if who == "" {
			who = r.User
		}
		out = append(out, Entity{What: &Reference{Identifier: &Identifier{System: UserSystem, Value: who}},
			Type: coding(EntityTypeSystem, "2", "System Object"), Role: coding(ObjectRoleSystem, "11", "Security User Entity")})
	}
	return out
}

// decisionEntity records the policy decision: its id, allow or deny, the rule or reason, and
// the policy revision that decided.
func decisionEntity(r audit.Record, event string) *Entity {
	if r.DecisionID == "" && r.PolicyRevision == "" && !strings.HasPrefix(event, "fhir.") {
		return nil
	}
	e := &Entity{Type: coding(EntityTypeSystem, "2", "System Object"), Role: coding(ObjectRoleSystem, "13", "Security Resource"),
		Name: "policy decision"}
	if r.DecisionID != "" {
		e.What = &Reference{Identifier: &Identifier{System: DecisionSystem, Value: r.DecisionID}}
	}
	why := "rule"
	if r.Failed() {
		why = "reason"
	}
	for _, d := range []Detail{{"decision", r.Decision}, {why, r.Reason}, {"policy_revision", r.PolicyRevision}} {
		if d.ValueString != "" {
			e.Detail = append(e.Detail, d)
		}
	}
	if r.PolicyRevision != "" {
		e.Description = "policy revision " + r.PolicyRevision
	}
	return e
}
