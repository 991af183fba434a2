// Package auditevent turns the gateway's in-house audit records into FHIR R4 AuditEvent
// resources shaped by IHE Basic Audit Log Patterns (BALP): the form that leaves the gateway, to
// an Audit Record Repository or an NDJSON export. A FHIR read, vread or search follows BALP's
// Read and Query patterns (the Patient variants when a patient is concerned, one AuditEvent per
// patient as BALP asks), with the OAuth minimal token pattern for the user; account and
// access-management events follow the same shape with DICOM event types. It only maps: it
// stores nothing and adds nothing a record does not hold, so an AuditEvent never holds more
// than its record (never a token, password, pass code or clinical value). The one exception to
// "nothing in clear" is BALP's query entity, which carries a search's canonical query base64
// encoded, as BALP asks, for the repository only.
package auditevent

// AuditEvent is the subset of FHIR R4 AuditEvent the gateway writes.
type AuditEvent struct {
	ResourceType string      `json:"resourceType"`
	ID           string      `json:"id,omitempty"`
	Meta         *Meta       `json:"meta,omitempty"`
	Extension    []Extension `json:"extension,omitempty"`
	Type         Coding      `json:"type"`
	Subtype      []Coding    `json:"subtype,omitempty"`
	Action       string      `json:"action,omitempty"`
	Recorded     string      `json:"recorded"`
	Outcome      string      `json:"outcome,omitempty"`
	OutcomeDesc  string      `json:"outcomeDesc,omitempty"`
	Agent        []Agent     `json:"agent"`
	Source       Source      `json:"source"`
	Entity       []Entity    `json:"entity,omitempty"`
}

// Meta holds the BALP profile an AuditEvent conforms to.
type Meta struct {
	Profile []string `json:"profile,omitempty"`
}

// Extension is a string-valued extension.
type Extension struct {
	URL         string `json:"url"`
	ValueString string `json:"valueString"`
}

// Coding is a FHIR Coding.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a FHIR CodeableConcept of one coding.
type CodeableConcept struct {
	Coding []Coding `json:"coding"`
}

// Identifier is a FHIR Identifier.
type Identifier struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value"`
}

// Reference is a FHIR Reference.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// Agent is one AuditEvent.agent.
type Agent struct {
	Type      *CodeableConcept `json:"type,omitempty"`
	Who       *Reference       `json:"who,omitempty"`
	Name      string           `json:"name,omitempty"`
	Requestor bool             `json:"requestor"`
	Policy    []string         `json:"policy,omitempty"`
	Network   *Network         `json:"network,omitempty"`
}

// Network is AuditEvent.agent.network.
type Network struct {
	Address string `json:"address"`
	Type    string `json:"type"`
}

// Source is AuditEvent.source.
type Source struct {
	Site     string    `json:"site,omitempty"`
	Observer Reference `json:"observer"`
	Type     []Coding  `json:"type,omitempty"`
}

// Entity is one AuditEvent.entity.
type Entity struct {
	What        *Reference `json:"what,omitempty"`
	Type        *Coding    `json:"type,omitempty"`
	Role        *Coding    `json:"role,omitempty"`
	Name        string     `json:"name,omitempty"`
	Description string     `json:"description,omitempty"`
	Query       string     `json:"query,omitempty"`
	Detail      []Detail   `json:"detail,omitempty"`
}

// Detail is AuditEvent.entity.detail with a string value.
type Detail struct {
	Type        string `json:"type"`
	ValueString string `json:"valueString"`
}

// Code systems and profiles.
const (
	DCM                = "http://dicom.nema.org/resources/ontology/DCM"
	EventTypeSystem    = "http://terminology.hl7.org/CodeSystem/audit-event-type"
	RESTSystem         = "http://hl7.org/fhir/restful-interaction"
	ParticipationType  = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	EntityTypeSystem   = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	ObjectRoleSystem   = "http://terminology.hl7.org/CodeSystem/object-role"
	BALPEntityType     = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
	SourceTypeSystem   = "http://terminology.hl7.org/CodeSystem/security-source-type"
	SecurityRoleSystem = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
	SNOMED             = "http://snomed.info/sct"
	URISystem          = "urn:ietf:rfc:3986"
	JTIPrefix          = "urn:ietf:params:oauth:jti:"

	BALP         = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit."
	ProfileRead  = BALP + "Read"
	ProfilePRead = BALP + "PatientRead"
	ProfileQuery = BALP + "Query"
	ProfilePQry  = BALP + "PatientQuery"
)

// The gateway's own code system, naming systems and extension.
const (
	ours = "https://mypatients.example.org/fhir/"
	// EventSystem codes the record's Event ("fhir.read", "staff.suspend", …): every AuditEvent
	// carries it as a subtype, so that an auditor can select events by the gateway's names.
	EventSystem = ours + "CodeSystem/audit-event"
	// UserSystem identifies gateway user ids ("<idp>:<subject>"), ClientSystem registered
	// clients, RequestSystem request ids, DecisionSystem policy decisions, PortalUserSystem the
	// patient portal's users and SupportSystem the support team.
	UserSystem       = ours + "NamingSystem/user-id"
	ClientSystem     = ours + "NamingSystem/client-id"
	RequestSystem    = ours + "NamingSystem/request-id"
	DecisionSystem   = ours + "NamingSystem/policy-decision"
	PortalUserSystem = ours + "NamingSystem/portal-user"
	SupportSystem    = ours + "NamingSystem/support-user"
	// SequenceExtension holds the record's seq in the gateway's hash chain, which ties an
	// AuditEvent to the signed checkpoints (mypatients audit verify).
	SequenceExtension = ours + "StructureDefinition/audit-sequence"
)

func concept(system, code, display string) *CodeableConcept {
	return &CodeableConcept{Coding: []Coding{{System: system, Code: code, Display: display}}}
}

func coding(system, code, display string) *Coding {
	return &Coding{System: system, Code: code, Display: display}
}
