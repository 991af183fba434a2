package fhirproxy

import "slices"

// This file is the one table of what the gateway serves: the resource types, the search
// parameters each allows, which of them name patients, and which fields of a returned resource
// say whose data it is. The parser, the response check and the CapabilityStatement all read it;
// adding a type or a parameter is a change to this data, not to code. (Issue 4 grows it to the
// whole R4 Patient CompartmentDefinition.)

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
	// kindReference is a comma list of references to Target, made canonical ("Type/id").
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

// paramSpec describes one allowed search parameter.
type paramSpec struct {
	Kind paramKind
	// Target is the only resource type a reference parameter may point to.
	Target string
	// Modifiers are the vetted modifiers (without the colon). For a reference parameter, the
	// modifier naming Target (":Patient") is always accepted and removed when made canonical.
	Modifiers []string
	// NamesPatients marks the parameters whose values are the patients the search is about.
	NamesPatients bool
}

// typeSpec describes one resource type the gateway serves.
type typeSpec struct {
	// Params are the allowed search parameters by name.
	Params map[string]paramSpec
	// PatientFields are the top-level fields of a returned resource holding a Reference (or a
	// list of them) that places the resource in a patient's compartment. Empty for Patient,
	// whose own id is its patient.
	PatientFields []string
	// NeedsPatient is true for compartment types: a search must name at least one patient.
	NeedsPatient bool
}

// Limits on a request's query; issue 4 moves them into Options.
const (
	maxQueryValues = 64  // parameter occurrences plus comma-list items
	maxValueLen    = 256 // one value, in bytes, after decoding
)

// resourceTable returns the served types. It is a function, not a package variable, so that no
// caller can mutate shared state; New calls it once.
func resourceTable() map[string]typeSpec {
	paging := map[string]paramSpec{
		"_count":  {Kind: kindNumber},
		"_offset": {Kind: kindNumber},
	}
	patientRef := paramSpec{Kind: kindReference, Target: "Patient", NamesPatients: true}
	encounterRef := paramSpec{Kind: kindReference, Target: "Encounter"}
	text := paramSpec{Kind: kindString, Modifiers: []string{"exact", "contains"}}
	token := paramSpec{Kind: kindToken}
	date := paramSpec{Kind: kindDate}

	return map[string]typeSpec{
		"Patient": {
			Params: with(paging, map[string]paramSpec{
				"_id":        {Kind: kindID, NamesPatients: true},
				"identifier": token,
				"name":       text,
				"family":     text,
				"given":      text,
				"birthdate":  date,
				"gender":     token,
			}),
		},
		"Observation": {
			Params: with(paging, map[string]paramSpec{
				"patient": patientRef, "subject": patientRef,
				"category": token, "code": token, "date": date, "encounter": encounterRef,
			}),
			PatientFields: []string{"subject", "performer"},
			NeedsPatient:  true,
		},
		"Encounter": {
			Params: with(paging, map[string]paramSpec{
				"patient": patientRef, "subject": patientRef,
				"class": token, "type": token, "status": token, "date": date,
			}),
			PatientFields: []string{"subject"},
			NeedsPatient:  true,
		},
		"MedicationRequest": {
			Params: with(paging, map[string]paramSpec{
				"patient": patientRef, "subject": patientRef,
				"status": token, "intent": token, "encounter": encounterRef,
			}),
			PatientFields: []string{"subject"},
			NeedsPatient:  true,
		},
	}
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
	if p.Kind == kindReference && modifier == p.Target {
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
