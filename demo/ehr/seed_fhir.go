package ehr

import (
	"math"
	"strconv"
)

// obj is one JSON object of a resource under construction. The seed builds tidy JSON rather
// than the samply structs because some of those (MedicationRequest) always emit empty
// choice-type siblings such as "medicationReference": {}, which real servers reject.
type obj = map[string]any

// Code systems and identifier systems used by the seed.
const (
	sysLOINC      = "http://loinc.org"
	sysSNOMED     = "http://snomed.info/sct"
	sysRxNorm     = "http://www.nlm.nih.gov/research/umls/rxnorm"
	sysUCUM       = "http://unitsofmeasure.org"
	sysNPI        = "http://hl7.org/fhir/sid/us-npi"
	sysMRN        = "http://childrens.example.org/mrn"
	sysEncType    = "http://childrens.example.org/encounter-type"
	sysActCode    = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	sysObsCat     = "http://terminology.hl7.org/CodeSystem/observation-category"
	sysInterp     = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
	sysDiagServ   = "http://terminology.hl7.org/CodeSystem/v2-0074"
	sysIDType     = "http://terminology.hl7.org/CodeSystem/v2-0203"
	sysContactRel = "http://terminology.hl7.org/CodeSystem/v2-0131"
	sysPartType   = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	sysDischarge  = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
	sysOrgType    = "http://terminology.hl7.org/CodeSystem/organization-type"
	sysRole       = "http://terminology.hl7.org/CodeSystem/practitioner-role"
	sysMedCat     = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
	sysDocCat     = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
	sysICD10CM    = "http://hl7.org/fhir/sid/icd-10-cm"
	sysCondClin   = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	sysCondVer    = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
	sysCondCat    = "http://terminology.hl7.org/CodeSystem/condition-category"
	sysDiagRole   = "http://terminology.hl7.org/CodeSystem/diagnosis-role"
	sysAdmitSrc   = "http://terminology.hl7.org/CodeSystem/admit-source"
	sysRoleCode   = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
	sysLocPhys    = "http://terminology.hl7.org/CodeSystem/location-physical-type"
	sysDegree     = "http://terminology.hl7.org/CodeSystem/v2-0360"
	sysAllergyCl  = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	sysAllergyVer = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
	sysTiming     = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
	sysCourse     = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"
	sysDoseType   = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
	sysRangeMean  = "http://terminology.hl7.org/CodeSystem/referencerange-meaning"
)

// code is a coded value before it becomes a Coding.
type code struct{ system, code, display string }

// coding returns a FHIR Coding.
func (c code) coding() obj {
	return obj{"system": c.system, "code": c.code, "display": c.display}
}

// concept returns a CodeableConcept of the given codes with text (the first display if empty).
func concept(text string, codes ...code) obj {
	codings := make([]any, len(codes))
	for i, c := range codes {
		codings[i] = c.coding()
	}
	if text == "" && len(codes) > 0 {
		text = codes[0].display
	}
	return obj{"coding": codings, "text": text}
}

// ref returns a relative Reference with a display.
func ref(typ, id, display string) obj {
	r := obj{"reference": typ + "/" + id}
	if display != "" {
		r["display"] = display
	}
	return r
}

// quantity returns a Quantity with a human unit and its UCUM code, rounded to the given number
// of decimals.
func quantity(v float64, decimals int, unit, ucum string) obj {
	return obj{"value": round(v, decimals), "unit": unit, "system": sysUCUM, "code": ucum}
}

// round rounds v to n decimals.
func round(v float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(v*p) / p
}

// telecom returns a ContactPoint.
func telecom(system, value, use string) obj {
	cp := obj{"system": system, "value": value}
	if use != "" {
		cp["use"] = use
	}
	return cp
}

// address returns a postal Address in the demo world's fictional town. use is "home" for
// people and "work" for organizations (R4 org-2: an organization's address is never home).
func address(use, line, city string) obj {
	return obj{
		"use": use, "line": []any{line}, "city": city,
		"state": "MA", "postalCode": "01990", "country": "US",
	}
}

// humanName returns an official HumanName with its text form.
func humanName(family string, given []string, prefix, suffix string) obj {
	g := make([]any, len(given))
	text := ""
	for i, s := range given {
		g[i] = s
		text += s + " "
	}
	n := obj{"use": "official", "family": family, "given": g, "text": text + family}
	if prefix != "" {
		n["prefix"] = []any{prefix}
	}
	if suffix != "" {
		n["suffix"] = []any{suffix}
		n["text"] = text + family + ", " + suffix
	}
	return n
}

// npi turns a 9-digit base into a 10-digit NPI with a valid Luhn check digit (computed over
// the "80840" prefix, as CMS specifies), so synthetic NPIs pass real validators.
func npi(base9 string) string {
	digits := "80840" + base9
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return base9 + strconv.Itoa((10-sum%10)%10)
}
