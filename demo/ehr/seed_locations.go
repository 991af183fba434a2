package ehr

import "time"

// locationRow is one Location of the hospital: a unit, the emergency department or a clinic,
// all in the main building. ext is the extension of the unit's desk on the main number.
type locationRow struct {
	id, name      string
	typ, physical code
	org, ext      string
}

// locationRows returns the hospital's building and units; the building comes first because
// the units are partOf it.
func locationRows() []locationRow {
	role := func(c, display string) code { return code{sysRoleCode, c, display} }
	ward, area := code{sysLocPhys, "wa", "Ward"}, code{sysLocPhys, "area", "Area"}
	return []locationRow{
		{"loc-main", "Children's Hospital - Main Building", role("HOSP", "Hospital"), code{sysLocPhys, "bu", "Building"}, "childrens-hospital", ""},
		{"loc-ed", "Emergency Department", role("ER", "Emergency room"), area, "dept-emergency", "2200"},
		{"loc-4west", "4 West – General Pediatrics", role("PEDU", "Pediatric unit"), ward, "dept-hospital-medicine", "4410"},
		{"loc-picu", "Pediatric Intensive Care Unit (PICU), 5 East", role("PEDICU", "Pediatric intensive care unit"), ward, "dept-critical-care", "5500"},
		{"loc-nicu", "Neonatal Intensive Care Unit (NICU), 3 North", role("PEDNICU", "Pediatric neonatal intensive care unit"), ward, "dept-neonatology", "3300"},
		{"loc-clinic-cardiology", "Cardiology Clinic, Outpatient Center 2nd floor", role("PEDCARD", "Pediatric cardiology clinic"), area, "dept-cardiology", "2310"},
		{"loc-clinic-endocrinology", "Endocrinology and Diabetes Clinic, Outpatient Center 3rd floor", role("PEDE", "Pediatric endocrinology clinic"), area, "dept-endocrinology", "2320"},
		{"loc-clinic-pulmonology", "Pulmonology Clinic, Outpatient Center 2nd floor", role("PEDC", "Pediatrics clinic"), area, "dept-pulmonology", "2330"},
		{"loc-clinic-developmental", "Developmental Medicine Center, 3 Hospital Way", role("PEDC", "Pediatrics clinic"), area, "dept-developmental", "2340"},
		{"loc-clinic-allergy", "Allergy and Immunology Clinic, Outpatient Center 4th floor", role("ALL", "Allergy clinic"), area, "dept-allergy", "2350"},
	}
}

// locationName returns the name of a Location id of the seed.
func locationName(id string) string {
	for _, l := range locationRows() {
		if l.id == id {
			return l.name
		}
	}
	return id
}

// locationPhone is how a unit's desk is dialled.
func locationPhone(l locationRow) string {
	if l.ext == "" {
		return "555-0100"
	}
	return "555-0100 ext. " + l.ext
}

// seedLocations adds the Locations.
func seedLocations(d *Dataset, updated time.Time) {
	for _, l := range locationRows() {
		res := obj{
			"id": l.id, "status": "active", "name": l.name, "mode": "instance",
			"type":                 []any{concept("", l.typ)},
			"telecom":              []any{telecom("phone", locationPhone(l), "work")},
			"physicalType":         concept("", l.physical),
			"managingOrganization": ref("Organization", l.org, orgName(l.org)),
		}
		if l.id == "loc-main" {
			res["address"] = address("work", "1 Hospital Way", "Riverton")
		} else {
			res["partOf"] = ref("Location", "loc-main", locationName("loc-main"))
		}
		d.add("Location", res, updated, time.Time{})
	}
}

// department is how a hospital department runs its visits: its specialty (Encounter
// serviceType), its unit or clinic, and who else is on the care team there.
type department struct {
	service                code
	serviceText, location  string
	resident, residentRole string
	nurse, nurseRole       string
}

// departments returns the departments that see patients, by Organization id. An outside
// practice has none: its visits name only the clinician.
func departments() map[string]department {
	return map[string]department{
		"dept-emergency":         {sct("773568002", "Emergency medicine"), "Pediatric Emergency Medicine", "loc-ed", "dr-farouk", "Resident physician", "rn-harrow", "Primary nurse"},
		"dept-hospital-medicine": {sct("394537008", "Pediatric specialty"), "Pediatric Hospital Medicine", "loc-4west", "dr-mensah", "Resident physician", "rn-delgado", "Primary nurse"},
		"dept-critical-care":     {sct("408478003", "Critical care medicine"), "Pediatric Critical Care", "loc-picu", "dr-ortega", "Critical care fellow", "rn-osei", "Primary nurse"},
		"dept-neonatology":       {sct("408445005", "Neonatology"), "Neonatology", "loc-nicu", "", "", "rn-quinn", "Primary nurse"},
		"dept-cardiology":        {sct("394579002", "Cardiology"), "Pediatric Cardiology", "loc-clinic-cardiology", "", "", "", ""},
		"dept-endocrinology":     {sct("394583002", "Endocrinology"), "Pediatric Endocrinology", "loc-clinic-endocrinology", "", "", "rn-abbott", "Nurse educator"},
		"dept-pulmonology":       {sct("418112009", "Pulmonary medicine"), "Pediatric Pulmonology", "loc-clinic-pulmonology", "", "", "", ""},
		"dept-developmental":     {sct("394537008", "Pediatric specialty"), "Developmental-Behavioral Pediatrics", "loc-clinic-developmental", "", "", "", ""},
		"dept-allergy":           {sct("408439002", "Allergy - specialty"), "Pediatric Allergy and Immunology", "loc-clinic-allergy", "", "", "", ""},
	}
}
