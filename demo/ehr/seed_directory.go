package ehr

import "time"

// orgRow is one Organization of the demo world. Parents come before their departments.
type orgRow struct {
	id, name, kind, partOf, phone, line string
}

// organizationRows returns the practices, the hospital and its departments of CONTRACTS.md. Phone
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
		{"practice-maple", "Maple Street Pediatrics", "prov", "", "555-0110", "40 Maple Street"},
		{"practice-harbor", "Harbor Family Medicine", "prov", "", "555-0111", "7 Harbor Road"},
		{"practice-lakeside", "Lakeside Cardiology Associates", "prov", "", "555-0112", "210 Lakeside Drive"},
		{"practice-riverside", "Riverside Pediatric Group", "prov", "", "555-0113", "18 River Street"},
	}
}

// practitionerRow is one Practitioner and the single PractitionerRole through which they work.
type practitionerRow struct {
	id, family, given, gender, npiBase string
	role, org, roleText                string
	specialty                          code
	phone, pager                       string
}

// practitionerRows returns the clinicians of CONTRACTS.md: the portal users' practitioners, the
// hospital specialists who appear on encounters ("who to call") and one outside PCP.
func practitionerRows() []practitionerRow {
	return []practitionerRow{
		{"dr-patel", "Patel", "Priya", "female", "120000001", "role-patel-maple", "practice-maple", "Pediatrician",
			code{sysSNOMED, "394537008", "Paediatric specialty"}, "555-0120", ""},
		{"dr-okafor", "Okafor", "Chidi", "male", "120000002", "role-okafor-maple", "practice-maple", "Pediatrician",
			code{sysSNOMED, "394537008", "Paediatric specialty"}, "555-0121", ""},
		{"dr-lindqvist", "Lindqvist", "Astrid", "female", "120000003", "role-lindqvist-harbor", "practice-harbor", "Family physician",
			code{sysSNOMED, "419772000", "Family practice"}, "555-0122", ""},
		{"dr-moreau", "Moreau", "Élodie", "female", "120000004", "role-moreau-lakeside", "practice-lakeside", "Pediatric cardiologist",
			code{sysSNOMED, "394579002", "Cardiology"}, "555-0123", ""},
		{"dr-haddad", "Haddad", "Samir", "male", "120000005", "role-haddad-cpc", "childrens-primary-care", "Pediatrician",
			code{sysSNOMED, "394537008", "Paediatric specialty"}, "555-0124", "555-0164"},
		{"dr-nguyen", "Nguyen", "Linh", "female", "120000006", "role-nguyen-cardiology", "dept-cardiology", "Pediatric cardiologist",
			code{sysSNOMED, "394579002", "Cardiology"}, "555-0125", "555-0165"},
		{"dr-rossi", "Rossi", "Marco", "male", "120000007", "role-rossi-endocrinology", "dept-endocrinology", "Pediatric endocrinologist",
			code{sysSNOMED, "394583002", "Endocrinology"}, "555-0126", "555-0166"},
		{"dr-kim", "Kim", "Jae-won", "male", "120000008", "role-kim-hospital-medicine", "dept-hospital-medicine", "Pediatric hospitalist",
			code{sysSNOMED, "394802001", "General medicine"}, "555-0127", "555-0167"},
		{"dr-abara", "Abara", "Ngozi", "female", "120000009", "role-abara-pulmonology", "dept-pulmonology", "Pediatric pulmonologist",
			code{sysSNOMED, "418112009", "Pulmonary medicine"}, "555-0128", "555-0168"},
		{"dr-santos", "Santos", "Gabriela", "female", "120000010", "role-santos-emergency", "dept-emergency", "Pediatric emergency physician",
			code{sysSNOMED, "773568002", "Emergency medicine"}, "555-0129", "555-0169"},
		{"dr-yoon", "Yoon", "Daniel", "male", "120000011", "role-yoon-developmental", "dept-developmental", "Developmental-behavioral pediatrician",
			code{sysSNOMED, "394537008", "Paediatric specialty"}, "555-0130", "555-0170"},
		{"dr-outside", "Whitfield", "Thomas", "male", "120000012", "role-outside-riverside", "practice-riverside", "Pediatrician",
			code{sysSNOMED, "394537008", "Paediatric specialty"}, "555-0131", ""},
	}
}

// practitionerName returns "Dr. Given Family" for a practitioner id of the seed.
func practitionerName(id string) string {
	for _, p := range practitionerRows() {
		if p.id == id {
			return "Dr. " + p.given + " " + p.family
		}
	}
	return id
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

// seedDirectory adds the Organizations, Practitioners and PractitionerRoles.
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
	for _, p := range practitionerRows() {
		d.add("Practitioner", obj{
			"id": p.id, "active": true, "gender": p.gender,
			"identifier": []any{obj{"system": sysNPI, "value": npi(p.npiBase)}},
			"name":       []any{humanName(p.family, []string{p.given}, "Dr.", "MD")},
			"telecom": []any{
				telecom("phone", p.phone, "work"),
				telecom("email", p.id+"@clinicians.example.org", "work"),
			},
		}, updated, time.Time{})
	}
	for _, p := range practitionerRows() {
		tel := []any{telecom("phone", p.phone, "work")}
		if p.pager != "" {
			tel = append(tel, telecom("pager", p.pager, "work"))
		}
		d.add("PractitionerRole", obj{
			"id": p.role, "active": true,
			"practitioner": ref("Practitioner", p.id, practitionerName(p.id)),
			"organization": ref("Organization", p.org, orgName(p.org)),
			"code":         []any{roleCode(p.roleText)},
			"specialty":    []any{concept("", p.specialty)},
			"telecom":      tel,
		}, updated, time.Time{})
	}
}

// roleCode returns the PractitionerRole.code for a role text; pediatricians also carry the
// SNOMED occupation code so that "pediatrician" is searchable as a code.
func roleCode(text string) obj {
	codes := []code{{sysRole, "doctor", "Doctor"}}
	if text == "Pediatrician" {
		codes = append(codes, code{sysSNOMED, "82296001", "Pediatrician"})
	}
	return concept(text, codes...)
}
