package ehr

import "strings"

// practitionerRow is one Practitioner and the single PractitionerRole through which they work.
// degree is "MD" (the default) or "RN"; credentials follow the name ("RN, CDCES").
type practitionerRow struct {
	id, family, given, gender, npiBase string
	role, org, roleText                string
	specialty                          code
	phone, pager                       string
	degree, credentials                string
}

// practitionerRows returns the clinicians of the demo world (README.md): the portal users'
// practitioners, the hospital physicians and nurses who appear on encounters ("who to call")
// and one outside PCP. Numbers are in the 555-01xx range reserved for fiction.
func practitionerRows() []practitionerRow {
	peds := code{sysSNOMED, "394537008", "Paediatric specialty"}
	return []practitionerRow{
		{"dr-patel", "Patel", "Priya", "female", "120000001", "role-patel-maple", "practice-maple", "Pediatrician", peds, "555-0120", "", "", ""},
		{"dr-okafor", "Okafor", "Chidi", "male", "120000002", "role-okafor-maple", "practice-maple", "Pediatrician", peds, "555-0121", "", "", ""},
		{"dr-lindqvist", "Lindqvist", "Astrid", "female", "120000003", "role-lindqvist-harbor", "practice-harbor", "Family physician",
			code{sysSNOMED, "419772000", "Family practice"}, "555-0122", "", "", ""},
		{"dr-moreau", "Moreau", "Élodie", "female", "120000004", "role-moreau-lakeside", "practice-lakeside", "Pediatric cardiologist",
			code{sysSNOMED, "394579002", "Cardiology"}, "555-0123", "", "", ""},
		{"dr-haddad", "Haddad", "Samir", "male", "120000005", "role-haddad-cpc", "childrens-primary-care", "Pediatrician", peds, "555-0124", "555-0164", "", ""},
		{"dr-nguyen", "Nguyen", "Linh", "female", "120000006", "role-nguyen-cardiology", "dept-cardiology", "Pediatric cardiologist",
			code{sysSNOMED, "394579002", "Cardiology"}, "555-0125", "555-0165", "", ""},
		{"dr-rossi", "Rossi", "Marco", "male", "120000007", "role-rossi-endocrinology", "dept-endocrinology", "Pediatric endocrinologist",
			code{sysSNOMED, "394583002", "Endocrinology"}, "555-0126", "555-0166", "", ""},
		{"dr-kim", "Kim", "Jae-won", "male", "120000008", "role-kim-hospital-medicine", "dept-hospital-medicine", "Pediatric hospitalist",
			code{sysSNOMED, "394802001", "General medicine"}, "555-0127", "555-0167", "", ""},
		{"dr-abara", "Abara", "Ngozi", "female", "120000009", "role-abara-pulmonology", "dept-pulmonology", "Pediatric pulmonologist",
			code{sysSNOMED, "418112009", "Pulmonary medicine"}, "555-0128", "555-0168", "", ""},
		{"dr-santos", "Santos", "Gabriela", "female", "120000010", "role-santos-emergency", "dept-emergency", "Pediatric emergency physician",
			code{sysSNOMED, "773568002", "Emergency medicine"}, "555-0129", "555-0169", "", ""},
		{"dr-yoon", "Yoon", "Daniel", "male", "120000011", "role-yoon-developmental", "dept-developmental", "Developmental-behavioral pediatrician", peds, "555-0130", "555-0170", "", ""},
		{"dr-outside", "Whitfield", "Thomas", "male", "120000012", "role-outside-riverside", "practice-riverside", "Pediatrician", peds, "555-0131", "", "", ""},
		{"dr-achterberg", "Achterberg", "Hanna", "female", "120000013", "role-achterberg-critical-care", "dept-critical-care", "Pediatric intensivist",
			code{sysSNOMED, "408478003", "Critical care medicine"}, "555-0132", "555-0171", "", ""},
		{"dr-iyer", "Iyer", "Ravi", "male", "120000014", "role-iyer-neonatology", "dept-neonatology", "Neonatologist",
			code{sysSNOMED, "408445005", "Neonatology"}, "555-0133", "555-0172", "", ""},
		{"dr-levesque", "Lévesque", "Camille", "female", "120000015", "role-levesque-allergy", "dept-allergy", "Pediatric allergist and immunologist",
			code{sysSNOMED, "408439002", "Allergy - specialty"}, "555-0134", "555-0173", "", ""},
		{"dr-mensah", "Mensah", "Kwame", "male", "120000016", "role-mensah-hospital-medicine", "dept-hospital-medicine", "Pediatric resident (PGY-2)", peds, "555-0135", "555-0174", "", ""},
		{"dr-farouk", "Farouk", "Amira", "female", "120000017", "role-farouk-emergency", "dept-emergency", "Pediatric resident (PGY-3)", peds, "555-0136", "555-0175", "", ""},
		{"dr-ortega", "Ortega", "Lucía", "female", "120000018", "role-ortega-critical-care", "dept-critical-care", "Pediatric critical care fellow",
			code{sysSNOMED, "408478003", "Critical care medicine"}, "555-0137", "555-0176", "", ""},
		{"rn-delgado", "Delgado", "María", "female", "120000019", "role-delgado-hospital-medicine", "dept-hospital-medicine", "Registered nurse, 4 West", peds, "555-0138", "555-0177", "RN", "RN"},
		{"rn-osei", "Osei", "Abena", "female", "120000020", "role-osei-critical-care", "dept-critical-care", "Registered nurse, PICU", code{sysSNOMED, "408478003", "Critical care medicine"}, "555-0139", "555-0178", "RN", "RN, CCRN"},
		{"rn-harrow", "Harrow", "Jonah", "male", "120000021", "role-harrow-emergency", "dept-emergency", "Registered nurse, Emergency Department", code{sysSNOMED, "773568002", "Emergency medicine"}, "555-0157", "555-0179", "RN", "RN, CPEN"},
		{"rn-quinn", "Quinn", "Beatriz", "female", "120000022", "role-quinn-neonatology", "dept-neonatology", "Registered nurse, NICU", code{sysSNOMED, "408445005", "Neonatology"}, "555-0158", "555-0180", "RN", "RN"},
		{"rn-abbott", "Abbott", "Leah", "female", "120000023", "role-abbott-endocrinology", "dept-endocrinology", "Endocrinology nurse educator", code{sysSNOMED, "394583002", "Endocrinology"}, "555-0159", "555-0181", "RN", "RN, CDCES"},
	}
}

// practitionerByID returns the row of a practitioner id of the seed, or the zero row.
func practitionerByID(id string) practitionerRow {
	for _, p := range practitionerRows() {
		if p.id == id {
			return p
		}
	}
	return practitionerRow{}
}

// practitionerName returns how a practitioner of the seed is named in displays and notes:
// "Dr. Given Family" for physicians, "Given Family, RN" for nurses.
func practitionerName(id string) string {
	p := practitionerByID(id)
	switch {
	case p.id == "":
		return id
	case p.degree == "RN":
		return p.given + " " + p.family + ", " + p.credentials
	}
	return "Dr. " + p.given + " " + p.family
}

// isPhysician reports whether a practitioner of the seed is a physician.
func isPhysician(id string) bool {
	return strings.HasPrefix(id, "dr-")
}
