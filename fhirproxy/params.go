package fhirproxy

import "slices"

// This file is the one table of what the gateway serves: the resource types, the search
// parameters each allows, which of them name patients, which fields of a returned resource
// place it in a patient's compartment (the FHIR R4 Patient CompartmentDefinition), and which
// _include joins are vetted. The parser, the response checks, the scope constraints and the
// CapabilityStatement all read it; adding a type or a parameter is a change to this data.

// paramKind says how a search parameter's values are parsed and made canonical.
type paramKind int

const (
	// kindNumber is a non-negative integer, one value, no comma list (_count, _offset).
	kindNumber paramKind = iota
	// kindID is a comma list of FHIR logical ids (_id).
	kindID
	// kindToken is a comma list of [system|]code values, forwarded verbatim.
	kindToken
	// kindString is a comma list of strings, forwarded verbatim.
	kindString
	// kindDate is a comma list of dates with an optional vetted comparator prefix.
	kindDate
	// kindReference is a comma list of references to one of Targets, made canonical.
	kindReference
)

// fhirType returns the CapabilityStatement searchParam type of k.
func (k paramKind) fhirType() string {
	switch k {
	case kindNumber:
		return "number"
	case kindID, kindToken:
		return "token"
	case kindString:
		return "string"
	case kindDate:
		return "date"
	default:
		return "reference"
	}
}

// typeClass says how access to a resource type is decided.
type typeClass int

const (
	// classCompartment types live in a patient's compartment: every search names a patient
	// and every returned resource is decided on the patients its compartment fields name.
	classCompartment typeClass = iota
	// classPatient is Patient itself: its own id (and Patient.link.other) are its patients.
	classPatient
	// classDirectory types (Practitioner, Organization, ...) name no patient; any
	// authenticated clinician whose token's scopes cover the type may read and search them.
	classDirectory
	// classBinary is Binary: read only, and only through the DocumentReference (or patient)
	// its securityContext names.
	classBinary
)

// paramSpec describes one allowed search parameter.
type paramSpec struct {
	Kind paramKind
	// Targets are the resource types a reference parameter may point to. A bare id is
	// accepted only when there is exactly one (or a ":Type" modifier picks one).
	Targets []string
	// Modifiers are the vetted modifiers (without the colon). For a reference parameter, a
	// modifier naming one of Targets is always accepted and removed when made canonical.
	Modifiers []string
	// NamesPatients marks an _id that is a patient's id (Patient._id).
	NamesPatients bool
	// Field is the element a token parameter matches, for checking a read against a v2
	// granular scope's query ("category" for Observation?category=...). Empty: the parameter
	// cannot be used in a scope constraint, and a scope that uses it matches nothing.
	Field string
}

// typeSpec describes one resource type the gateway serves.
type typeSpec struct {
	Class typeClass
	// Params are the allowed search parameters by name; nil means the type cannot be searched.
	Params map[string]paramSpec
	// Compartment are the element paths (dot-separated) holding References that place a
	// returned resource in a patient's compartment, per the R4 Patient CompartmentDefinition.
	Compartment []string
	// Includes are the vetted _include joins: parameter name → the types the joined
	// resources may have. Each included resource is checked like a primary one.
	Includes map[string][]string
}

// Limits on a request's query.
const (
	maxQueryValues = 64   // parameter occurrences plus comma-list items
	maxValueLen    = 256  // one value, in bytes, after decoding
	maxQueryBytes  = 4096 // the raw query string or form body
)

// resourceTable returns the served types. It is a function, not a package variable, so that no
// caller can mutate shared state; New calls it once.
func resourceTable() map[string]typeSpec {
	paging := map[string]paramSpec{"_count": {Kind: kindNumber}, "_offset": {Kind: kindNumber}}
	ref := func(targets ...string) paramSpec { return paramSpec{Kind: kindReference, Targets: targets} }
	tok := func(field string) paramSpec { return paramSpec{Kind: kindToken, Field: field} }
	text := paramSpec{Kind: kindString, Modifiers: []string{"exact", "contains"}}
	date := paramSpec{Kind: kindDate}
	id := paramSpec{Kind: kindID}
	patient := ref("Patient")
	clinician := []string{"Practitioner", "PractitionerRole", "Organization"}
	people := []string{"Practitioner", "PractitionerRole", "Organization", "Patient"}
	directory := func(params map[string]paramSpec, includes map[string][]string) typeSpec {
		return typeSpec{Class: classDirectory, Params: with(paging, map[string]paramSpec{"_id": id}, params), Includes: includes}
	}
	record := func(params map[string]paramSpec, compartment []string, includes map[string][]string) typeSpec {
		return typeSpec{Class: classCompartment, Params: with(paging, map[string]paramSpec{"_id": id}, params),
			Compartment: compartment, Includes: includes}
	}

	table := map[string]typeSpec{
		"Patient": {
			Class: classPatient,
			Params: with(paging, map[string]paramSpec{
				"_id": {Kind: kindID, NamesPatients: true}, "identifier": tok("identifier"),
				"name": text, "family": text, "given": text, "birthdate": date, "gender": tok("gender"),
			}),
			// R4 CompartmentDefinition Patient: Patient is in its own compartment and, through
			// "link", in the compartment of every patient it links to.
			Compartment: []string{"link.other"},
			Includes:    map[string][]string{"general-practitioner": clinician, "organization": {"Organization"}},
		},
		// R4 compartment params: Encounter "patient" (= subject).
		"Encounter": record(map[string]paramSpec{
			"patient": patient, "subject": patient, "class": tok("class"), "type": tok("type"),
			"status": tok("status"), "date": date, "practitioner": ref("Practitioner"),
			"service-provider": ref("Organization"),
		}, []string{"subject"}, map[string][]string{
			"patient": {"Patient"}, "subject": {"Patient"}, "practitioner": {"Practitioner"},
			"service-provider": {"Organization"},
		}),
		// R4 compartment params: Observation "subject", "performer".
		"Observation": record(map[string]paramSpec{
			"patient": patient, "subject": patient, "performer": ref(people...),
			"category": tok("category"), "code": tok("code"), "status": tok("status"), "date": date,
			"encounter": ref("Encounter"),
		}, []string{"subject", "performer"}, map[string][]string{
			"patient": {"Patient"}, "subject": {"Patient"}, "performer": people, "encounter": {"Encounter"},
		}),
		// R4 compartment params: MedicationRequest "subject".
		"MedicationRequest": record(map[string]paramSpec{
			"patient": patient, "subject": patient, "status": tok("status"), "intent": tok("intent"),
			"category": tok("category"), "code": tok("medicationCodeableConcept"), "authoredon": date,
			"encounter": ref("Encounter"), "requester": ref("Practitioner", "PractitionerRole"),
		}, []string{"subject"}, map[string][]string{
			"patient": {"Patient"}, "subject": {"Patient"}, "requester": {"Practitioner", "PractitionerRole"},
		}),
		// R4 compartment params: DiagnosticReport "subject".
		"DiagnosticReport": record(map[string]paramSpec{
			"patient": patient, "subject": patient, "category": tok("category"), "code": tok("code"),
			"status": tok("status"), "date": date, "encounter": ref("Encounter"),
			"result": ref("Observation"), "performer": ref(clinician...),
		}, []string{"subject"}, map[string][]string{
			"patient": {"Patient"}, "subject": {"Patient"}, "result": {"Observation"}, "performer": clinician,
		}),
		// R4 compartment params: DocumentReference "subject", "author".
		"DocumentReference": record(map[string]paramSpec{
			"patient": patient, "subject": patient, "author": ref(people...), "type": tok("type"),
			"category": tok("category"), "status": tok("status"), "date": date, "encounter": ref("Encounter"),
		}, []string{"subject", "author"}, map[string][]string{
			"patient": {"Patient"}, "subject": {"Patient"}, "author": people,
		}),
		// R4 compartment params: AllergyIntolerance "patient", "recorder", "asserter". Only
		// patient names patients in a search; recorder and asserter (a Patient may record or
		// assert their own allergy) are checked on every returned resource.
		"AllergyIntolerance": record(map[string]paramSpec{
			"patient": patient, "clinical-status": tok("clinicalStatus"), "verification-status": tok("verificationStatus"),
			"criticality": tok("criticality"), "category": tok("category"), "type": tok("type"), "code": tok("code"),
			"date": date,
		}, []string{"patient", "recorder", "asserter"}, map[string][]string{"patient": {"Patient"}}),
		// R4 compartment params: Condition "patient" (= subject), "asserter".
		"Condition": record(map[string]paramSpec{
			"patient": patient, "subject": patient, "clinical-status": tok("clinicalStatus"),
			"verification-status": tok("verificationStatus"), "category": tok("category"), "code": tok("code"),
			"onset-date": date, "recorded-date": date, "encounter": ref("Encounter"),
		}, []string{"subject", "asserter"}, map[string][]string{"patient": {"Patient"}, "subject": {"Patient"}}),
		"Binary": {Class: classBinary},
		"Practitioner": directory(map[string]paramSpec{
			"identifier": tok("identifier"), "name": text, "family": text, "given": text, "active": tok("active"),
		}, nil),
		"PractitionerRole": directory(map[string]paramSpec{
			"practitioner": ref("Practitioner"), "organization": ref("Organization"), "role": tok("code"),
			"specialty": tok("specialty"), "active": tok("active"),
		}, map[string][]string{"practitioner": {"Practitioner"}, "organization": {"Organization"}}),
		"Organization": directory(map[string]paramSpec{
			"name": text, "identifier": tok("identifier"), "type": tok("type"), "partof": ref("Organization"),
			"active": tok("active"),
		}, map[string][]string{"partof": {"Organization"}}),
		"Location": directory(map[string]paramSpec{
			"name": text, "identifier": tok("identifier"), "type": tok("type"), "organization": ref("Organization"),
		}, nil),
		"Medication": directory(map[string]paramSpec{"code": tok("code"), "status": tok("status")}, nil),
	}
	for _, spec := range table {
		for param, types := range spec.Includes {
			// Sorted, as a request's joins keep them; a copy (Targets share these slices),
			// clipped: a request's join may hold it, and appending to it must copy it.
			spec.Includes[param] = slices.Clip(slices.Sorted(slices.Values(types)))
		}
	}
	return table
}

// with returns the union of the maps; later maps win.
func with(ms ...map[string]paramSpec) map[string]paramSpec {
	out := make(map[string]paramSpec)
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// allowsModifier reports whether modifier may follow the parameter's name.
func (p paramSpec) allowsModifier(modifier string) bool {
	if p.Kind == kindReference && slices.Contains(p.Targets, modifier) {
		return true
	}
	return slices.Contains(p.Modifiers, modifier)
}

// sortedKeys returns the keys of m in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// unique sorts ids and removes repeats, in place.
func unique(ids []string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}
