package ehr

import (
	"encoding/json"
	"slices"
	"strings"
)

// paramType is a FHIR search parameter type; each has its own matching rules.
type paramType int

const (
	tokenParam paramType = iota
	stringParam
	referenceParam
	dateParam
)

// String returns the FHIR name of the type, as the CapabilityStatement lists it.
func (t paramType) String() string {
	return [...]string{"token", "string", "reference", "date"}[t]
}

// searchParam is one supported search parameter: its type, the element paths it searches
// (dot-separated JSON member names; arrays are searched element by element) and, for
// references, the resource types it may point to (nil: any).
type searchParam struct {
	typ     paramType
	paths   []string
	targets []string
}

// searchable returns the supported search parameters of every searchable type, by the R4
// names. Binary is readable but not searchable, so it has none.
func searchable() map[string]map[string]searchParam {
	tok := func(paths ...string) searchParam { return searchParam{typ: tokenParam, paths: paths} }
	str := func(paths ...string) searchParam { return searchParam{typ: stringParam, paths: paths} }
	date := func(paths ...string) searchParam { return searchParam{typ: dateParam, paths: paths} }
	refTo := func(path string, targets ...string) searchParam {
		return searchParam{typ: referenceParam, paths: []string{path}, targets: targets}
	}
	patient := refTo("subject", "Patient")
	subject := refTo("subject")
	effective := date("effectiveDateTime", "effectivePeriod", "effectiveInstant")
	types := map[string]map[string]searchParam{
		"Patient": {
			"identifier": tok("identifier"), "name": str("name"), "family": str("name.family"),
			"given": str("name.given"), "birthdate": date("birthDate"), "gender": tok("gender"),
			"general-practitioner": refTo("generalPractitioner", "Practitioner", "PractitionerRole", "Organization"),
			"organization":         refTo("managingOrganization", "Organization"), "active": tok("active"),
		},
		"Practitioner": {
			"identifier": tok("identifier"), "name": str("name"), "family": str("name.family"),
			"given": str("name.given"), "active": tok("active"),
		},
		"PractitionerRole": {
			"practitioner": refTo("practitioner", "Practitioner"), "organization": refTo("organization", "Organization"),
			"role": tok("code"), "specialty": tok("specialty"), "active": tok("active"),
			"location": refTo("location", "Location"),
		},
		"Organization": {
			"name": str("name", "alias"), "partof": refTo("partOf", "Organization"),
			"identifier": tok("identifier"), "type": tok("type"), "active": tok("active"),
		},
		"Location": {
			"name": str("name", "alias"), "identifier": tok("identifier"), "type": tok("type"),
			"organization": refTo("managingOrganization", "Organization"), "partof": refTo("partOf", "Location"),
			"status": tok("status"), "address-city": str("address.city"),
		},
		"Encounter": {
			"patient": patient, "subject": subject, "class": tok("class"), "type": tok("type"),
			"status": tok("status"), "date": date("period"), "reason-code": tok("reasonCode"),
			"service-type": tok("serviceType"), "location": refTo("location.location", "Location"),
			"diagnosis":        refTo("diagnosis.condition", "Condition", "Procedure"),
			"participant":      refTo("participant.individual"),
			"practitioner":     refTo("participant.individual", "Practitioner"),
			"service-provider": refTo("serviceProvider", "Organization"),
		},
		"Observation": {
			"patient": patient, "subject": subject, "category": tok("category"), "code": tok("code"),
			"date": effective, "encounter": refTo("encounter", "Encounter"), "status": tok("status"),
			"performer": refTo("performer"),
		},
		"MedicationRequest": {
			"patient": patient, "subject": subject, "status": tok("status"), "intent": tok("intent"),
			"encounter": refTo("encounter", "Encounter"), "code": tok("medicationCodeableConcept"),
			"category": tok("category"), "authoredon": date("authoredOn"), "requester": refTo("requester"),
		},
		// The world has no Medication resources (orders code their drug inline), but the
		// gateway serves the type, so its searches are answered, empty.
		"Medication": {"code": tok("code"), "status": tok("status")},
		"DiagnosticReport": {
			"patient": patient, "subject": subject, "category": tok("category"), "code": tok("code"),
			"date": effective, "encounter": refTo("encounter", "Encounter"), "status": tok("status"),
			"issued": date("issued"), "result": refTo("result", "Observation"), "performer": refTo("performer"),
		},
		"Condition": {
			"patient": patient, "subject": subject, "code": tok("code"), "category": tok("category"),
			"clinical-status": tok("clinicalStatus"), "verification-status": tok("verificationStatus"),
			"onset-date": date("onsetDateTime", "onsetPeriod"), "abatement-date": date("abatementDateTime", "abatementPeriod"),
			"recorded-date": date("recordedDate"), "encounter": refTo("encounter", "Encounter"),
			"asserter": refTo("asserter"),
		},
		"AllergyIntolerance": {
			"patient": refTo("patient", "Patient"), "code": tok("code", "reaction.substance"),
			"clinical-status": tok("clinicalStatus"), "verification-status": tok("verificationStatus"),
			"criticality": tok("criticality"), "category": tok("category"), "type": tok("type"),
			"date": date("recordedDate"), "onset": date("reaction.onset"), "recorder": refTo("recorder"),
			"manifestation": tok("reaction.manifestation"),
		},
		"DocumentReference": {
			"patient": patient, "subject": subject, "type": tok("type"), "category": tok("category"),
			"date": date("date"), "encounter": refTo("context.encounter", "Encounter"),
			"author": refTo("author"), "status": tok("status"), "period": date("context.period"),
		},
	}
	for _, params := range types {
		params["_id"] = tok("id")
		params["_lastUpdated"] = date("meta.lastUpdated")
	}
	return types
}

// resourceTypes returns the types the server serves: the searchable ones and Binary, sorted.
func resourceTypes(params map[string]map[string]searchParam) []string {
	types := []string{"Binary"}
	for t := range params {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// isResultParam reports whether name is a search result parameter the server understands;
// those shape the result rather than filter it.
func isResultParam(name string) bool {
	switch name {
	case "_count", "_offset", "_format", "_pretty", "_summary", "_total", "_include":
		return true
	}
	return false
}

// splitModifier splits "subject:Patient" into "subject" and "Patient".
func splitModifier(key string) (name, modifier string) {
	name, modifier, _ = strings.Cut(key, ":")
	return name, modifier
}

// splitOr splits a parameter value on the commas that separate alternatives, honouring the
// "\," escape for a literal comma (and "\\" for a backslash).
func splitOr(value string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(value); i++ {
		switch {
		case value[i] == '\\' && i+1 < len(value) && (value[i+1] == ',' || value[i+1] == '\\'):
			cur.WriteByte(value[i+1])
			i++
		case value[i] == ',':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(value[i])
		}
	}
	return append(out, cur.String())
}

// capabilityStatement describes what the server supports, generated from the same tables
// that drive searching so that it cannot drift from the behaviour.
func (s *Server) capabilityStatement() ([]byte, error) {
	var resources []any
	for _, typ := range s.types {
		interactions := []any{obj{"code": "read"}, obj{"code": "vread"}}
		res := obj{"type": typ, "versioning": "versioned", "readHistory": false, "interaction": interactions}
		params := s.params[typ]
		if params != nil {
			res["interaction"] = append(interactions, obj{"code": "search-type"})
			names := make([]string, 0, len(params))
			for name := range params {
				names = append(names, name)
			}
			slices.Sort(names)
			var searchParams, includes []any
			for _, name := range names {
				searchParams = append(searchParams, obj{"name": name, "type": params[name].typ.String()})
				if params[name].typ == referenceParam {
					includes = append(includes, typ+":"+name)
				}
			}
			res["searchParam"] = searchParams
			if includes != nil {
				res["searchInclude"] = includes
			}
		}
		resources = append(resources, res)
	}
	rest := obj{
		"mode":          "server",
		"documentation": "Read-only demo EHR with synthetic data. Searches page with _count and _offset; unknown parameters are ignored unless the request says Prefer: handling=strict.",
		"resource":      resources,
	}
	if s.auth != nil {
		rest["security"] = obj{"description": "Every request except this CapabilityStatement needs the server's bearer token."}
	}
	return json.Marshal(obj{
		"resourceType": "CapabilityStatement",
		"id":           "demo-ehr",
		"status":       "active",
		"date":         referenceDate,
		"publisher":    "MyPatients (demo)",
		"kind":         "instance",
		"software":     obj{"name": "MyPatients demo EHR", "version": "1"},
		"implementation": obj{
			"description": "MyPatients demo EHR (synthetic data, not for clinical use)",
			"url":         s.base,
		},
		"fhirVersion": "4.0.1",
		"format":      []any{"json", fhirJSON},
		"rest":        []any{rest},
	})
}
