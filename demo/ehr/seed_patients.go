package ehr

import (
	"fmt"
	"strings"
	"time"
)

// patientRow is one child of the demo world. Siblings share a family name, guardian and home.
type patientRow struct {
	given, family, gender, birth string
	// gp is the Patient.generalPractitioner reference (README.md), "" for none.
	gp string
	// profile names the clinical story (see profiles) that generates the record.
	profile string
	// guardian, relation, street and phone describe the guardian in Patient.contact.
	guardian, relation, street, phone string
}

// patientRows are child-01 … child-24 in order. The generalPractitioner column is part of
// the demo world's fixed contract (README.md); authorization tests depend on it exactly.
func patientRows() []patientRow {
	const (
		patel     = "Practitioner/dr-patel"
		okafor    = "Practitioner/dr-okafor"
		lindqvist = "Practitioner/dr-lindqvist"
		haddad    = "Practitioner/dr-haddad"
		outside   = "Practitioner/dr-outside"
	)
	return []patientRow{
		{"Amelia", "Hartley", "female", "2015-03-14", patel, "asthma-showcase", "Rebecca", "mother", "12 Elm Court", "555-0140"},
		{"Oliver", "Hartley", "male", "2018-07-02", patel, "pneumonia", "Rebecca", "mother", "12 Elm Court", "555-0140"},
		{"Sofía", "Muñoz", "female", "2012-11-23", patel, "diabetes-showcase", "Javier", "father", "5 Birch Lane", "555-0141"},
		{"Noah", "Bennett", "male", "2009-05-30", patel, "adhd", "Claire", "mother", "88 Oak Avenue", "555-0142"},
		{"Ava", "Chen", "female", "2020-01-17", "PractitionerRole/role-patel-maple", "newborn-allergy-showcase", "Wei", "father", "31 Cedar Street", "555-0143"},
		{"Lucas", "Chen", "male", "2016-09-08", "Organization/practice-maple", "cardiac", "Wei", "father", "31 Cedar Street", "555-0143"},
		{"Isabella", "Romero", "female", "2011-04-21", okafor, "thyroid", "Lucia", "mother", "9 Willow Way", "555-0144"},
		{"Ethan", "Romero", "male", "2014-12-03", okafor, "asthma-admitted", "Lucia", "mother", "9 Willow Way", "555-0144"},
		{"Chloé", "Dubois", "female", "2019-06-11", okafor, "pneumonia", "Margaux", "mother", "140 Pine Road", "555-0145"},
		{"Liam", "O'Brien", "male", "2008-02-27", lindqvist, "diabetes", "Siobhan", "mother", "22 Harbor View", "555-0146"},
		{"Harper", "Nakamura", "female", "2013-08-15", lindqvist, "cardiac", "Kenji", "father", "3 Dock Street", "555-0147"},
		{"Mateo", "Silva", "male", "2021-10-05", lindqvist, "gastro", "Ana", "mother", "67 Anchor Lane", "555-0148"},
		{"Grace", "Andersen", "female", "2010-01-09", lindqvist, "thyroid", "Erik", "father", "15 Lighthouse Road", "555-0149"},
		{"Henry", "Andersen", "male", "2012-06-18", lindqvist, "adhd", "Erik", "father", "15 Lighthouse Road", "555-0149"},
		{"Aaliyah", "Washington", "female", "2017-03-29", "Organization/practice-harbor", "asthma", "Denise", "grandmother", "48 Bay Street", "555-0150"},
		{"Elijah", "Brooks", "male", "2016-11-30", haddad, "cardiac-admitted", "Tanya", "mother", "201 Summit Avenue", "555-0151"},
		{"Nora", "Kowalski", "female", "2022-04-12", haddad, "pneumonia", "Piotr", "father", "19 Meadow Lane", "555-0152"},
		{"Samuel", "Kowalski", "male", "2019-08-25", haddad, "asthma", "Piotr", "father", "19 Meadow Lane", "555-0152"},
		{"Jonas", "Müller", "male", "2011-09-14", outside, "diabetes", "Katrin", "mother", "76 Mill Road", "555-0153"},
		{"Lily", "Foster", "female", "2014-02-06", outside, "thyroid", "Megan", "mother", "4 Orchard Street", "555-0154"},
		{"River", "Foster", "other", "2008-10-19", outside, "adhd", "Megan", "mother", "4 Orchard Street", "555-0154"},
		{"Emma", "Reyes", "female", "2023-05-22", outside, "gastro", "Carmen", "mother", "52 Canal Street", "555-0155"},
		{"Leo", "Wright", "male", "2024-01-28", "", "pneumonia", "Hannah", "mother", "8 Quarry Road", "555-0156"},
		{"Ruby", "Wright", "female", "2010-07-07", "", "cardiac", "Hannah", "mother", "8 Quarry Road", "555-0156"},
	}
}

// patientID returns the id of the n-th child (1-based): "child-01".
func patientID(n int) string { return fmt.Sprintf("child-%02d", n) }

// mrn returns the n-th child's medical record number: "MRN100001".
func mrn(n int) string { return fmt.Sprintf("MRN%06d", 100000+n) }

// patientResource builds the Patient resource of the n-th child.
func patientResource(n int, p patientRow) obj {
	home := address("home", p.street, "Riverton")
	guardianRel := map[string]string{"mother": "Mother", "father": "Father", "grandmother": "Grandmother"}[p.relation]
	res := obj{
		"id":     patientID(n),
		"active": true,
		"identifier": []any{obj{
			"use":    "usual",
			"type":   concept("Medical Record Number", code{sysIDType, "MR", "Medical record number"}),
			"system": sysMRN,
			"value":  mrn(n),
		}},
		"name":      []any{humanName(p.family, []string{p.given}, "", "")},
		"gender":    p.gender,
		"birthDate": p.birth,
		"address":   []any{home},
		"contact": []any{obj{
			"relationship": []any{
				concept(guardianRel, code{sysContactRel, "N", "Next-of-Kin"}),
			},
			"name":    humanName(p.family, []string{p.guardian}, "", ""),
			"telecom": []any{telecom("phone", p.phone, "home"), telecom("email", strings.ToLower(p.guardian)+"."+asciiFold(p.family)+"@family.example.org", "home")},
			"address": home,
		}},
		"communication":        []any{obj{"language": concept("English", code{"urn:ietf:bcp:47", "en-US", "English (United States)"}), "preferred": true}},
		"managingOrganization": ref("Organization", "childrens-hospital", "Children's Hospital"),
	}
	// Whether the family has a patient-portal (MyChildren's) account; child-21, child-22 and
	// child-24 have none (see sharing.PortalAccountExtension).
	res["extension"] = []any{obj{"url": "http://childrens.example.org/fhir/StructureDefinition/patient-portal-account",
		"valueBoolean": n != 21 && n != 22 && n != 24}}
	if p.gp != "" {
		typ, id, _ := strings.Cut(p.gp, "/")
		res["generalPractitioner"] = []any{ref(typ, id, gpDisplay(typ, id))}
	}
	return res
}

// gpDisplay names a generalPractitioner target for Reference.display.
func gpDisplay(typ, id string) string {
	switch typ {
	case "Practitioner":
		return practitionerName(id)
	case "Organization":
		return orgName(id)
	}
	for _, p := range practitionerRows() {
		if p.role == id {
			return practitionerName(p.id) + ", " + orgName(p.org)
		}
	}
	return ""
}

// birthTime parses a row's birth date.
func birthTime(p patientRow) time.Time {
	t, err := time.Parse(time.DateOnly, p.birth)
	if err != nil {
		panic(fmt.Sprintf("ehr: seed: bad birth date %q", p.birth))
	}
	return t
}
