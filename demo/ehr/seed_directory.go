package ehr

import "time"

// orgRow is one Organization of the demo world. Parents come before their departments.
type orgRow struct {
	id, name, kind, partOf, phone, line string
}

// organizationRows returns the practices, the hospital and its departments (README.md). Phone
// numbers use the 555-01xx range reserved for fiction.
func organizationRows() []orgRow {
	return []orgRow{
		{"childrens-hospital", "Children's Hospital", "prov", "", "555-0100", "1 Hospital Way"},
		{"childrens-primary-care", "Children's Hospital Primary Care Clinic", "prov", "childrens-hospital", "555-0101", "3 Hospital Way"},
		{"dept-cardiology", "Children's Hospital Department of Cardiology", "dept", "childrens-hospital", "555-0102", "1 Hospital Way"},
		{"dept-endocrinology", "Children's Hospital Division of Endocrinology", "dept", "childrens-hospital", "555-0103", "1 Hospital Way"},
		{"dept-hospital-medicine", "Children's Hospital Division of Hospital Medicine", "dept", "childrens-hospital", "555-0104", "1 Hospital Way"},
		{"dept-pulmonology", "Children's Hospital Division of Pulmonology", "dept", "childrens-hospital", "555-0105", "1 Hospital Way"},
		{"dept-emergency", "Children's Hospital Emergency Department", "dept", "childrens-hospital", "555-0106", "1 Hospital Way"},
		{"dept-developmental", "Children's Hospital Developmental-Behavioral Pediatrics", "dept", "childrens-hospital", "555-0107", "3 Hospital Way"},
		{"dept-laboratory", "Children's Hospital Clinical Laboratory", "dept", "childrens-hospital", "555-0108", "1 Hospital Way"},
		{"dept-critical-care", "Children's Hospital Division of Critical Care Medicine", "dept", "childrens-hospital", "555-0114", "1 Hospital Way"},
		{"dept-neonatology", "Children's Hospital Division of Neonatology", "dept", "childrens-hospital", "555-0115", "1 Hospital Way"},
		{"dept-allergy", "Children's Hospital Division of Allergy and Immunology", "dept", "childrens-hospital", "555-0116", "1 Hospital Way"},
		{"practice-maple", "Maple Street Pediatrics", "prov", "", "555-0110", "40 Maple Street"},
		{"practice-harbor", "Harbor Family Medicine", "prov", "", "555-0111", "7 Harbor Road"},
		{"practice-lakeside", "Lakeside Cardiology Associates", "prov", "", "555-0112", "210 Lakeside Drive"},
		{"practice-riverside", "Riverside Pediatric Group", "prov", "", "555-0113", "18 River Street"},
	}
}

// orgName returns the name of an Organization id of the seed.
func orgName(id string) string {
	for _, o := range organizationRows() {
		if o.id == id {
			return o.name
		}
	}
	return id
}

// seedDirectory adds the Organizations, Locations, Practitioners and PractitionerRoles, each
// after what it references.
func seedDirectory(d *Dataset, updated time.Time) {
	for _, o := range organizationRows() {
		res := obj{
			"id": o.id, "active": true, "name": o.name,
			"type":    []any{concept("", code{sysOrgType, o.kind, map[string]string{"prov": "Healthcare Provider", "dept": "Hospital Department"}[o.kind]})},
			"telecom": []any{telecom("phone", o.phone, "work")},
			"address": []any{address("work", o.line, "Riverton")},
		}
		if o.partOf != "" {
			res["partOf"] = ref("Organization", o.partOf, orgName(o.partOf))
		}
		d.add("Organization", res, updated, time.Time{})
	}
	seedLocations(d, updated)
	for _, p := range practitionerRows() {
		d.add("Practitioner", practitioner(p), updated, time.Time{})
	}
	for _, p := range practitionerRows() {
		d.add("PractitionerRole", practitionerRole(p), updated, time.Time{})
	}
}

// practitioner builds the Practitioner resource of a row: NPI, name with degree, direct
// phone, pager and email, and the degree as qualification.
func practitioner(p practitionerRow) obj {
	degree := code{sysDegree, "MD", "Doctor of Medicine"}
	name := humanName(p.family, []string{p.given}, "Dr.", "MD")
	if p.degree == "RN" {
		degree = code{sysDegree, "RN", "Registered Nurse"}
		name = humanName(p.family, []string{p.given}, "", p.credentials)
	}
	tel := []any{telecom("phone", p.phone, "work")}
	if p.pager != "" {
		tel = append(tel, telecom("pager", p.pager, "work"))
	}
	tel = append(tel, telecom("email", p.id+"@clinicians.example.org", "work"))
	return obj{
		"id": p.id, "active": true, "gender": p.gender,
		"identifier":    []any{obj{"system": sysNPI, "value": npi(p.npiBase)}},
		"name":          []any{name},
		"telecom":       tel,
		"qualification": []any{obj{"code": concept("", degree)}},
	}
}

// practitionerRole builds the PractitionerRole of a row. Its telecom is the role's own: the
// clinician's line there, the pager while on duty, and the department's main line; a hospital
// role also names the department's unit or clinic.
func practitionerRole(p practitionerRow) obj {
	tel := []any{rankedTelecom("phone", p.phone, 1)}
	if p.pager != "" {
		tel = append(tel, rankedTelecom("pager", p.pager, 2))
	}
	for _, o := range organizationRows() {
		if o.id == p.org && o.kind == "dept" {
			tel = append(tel, rankedTelecom("phone", o.phone, 3))
		}
	}
	res := obj{
		"id": p.role, "active": true,
		"practitioner": ref("Practitioner", p.id, practitionerName(p.id)),
		"organization": ref("Organization", p.org, orgName(p.org)),
		"code":         []any{roleCode(p.roleText, p.degree)},
		"specialty":    []any{concept("", p.specialty)},
		"telecom":      tel,
	}
	if dept, ok := departments()[p.org]; ok {
		res["location"] = []any{ref("Location", dept.location, locationName(dept.location))}
	}
	return res
}

// rankedTelecom is a work ContactPoint with its preference rank (1 first).
func rankedTelecom(system, value string, rank int) obj {
	cp := telecom(system, value, "work")
	cp["rank"] = rank
	return cp
}

// roleCode returns the PractitionerRole.code for a role text; pediatricians also carry the
// SNOMED occupation code so that "pediatrician" is searchable as a code.
func roleCode(text, degree string) obj {
	codes := []code{{sysRole, "doctor", "Doctor"}}
	if degree == "RN" {
		codes = []code{{sysRole, "nurse", "Nurse"}}
	}
	if text == "Pediatrician" {
		codes = append(codes, code{sysSNOMED, "82296001", "Pediatrician"})
	}
	return concept(text, codes...)
}
