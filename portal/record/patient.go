package record

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Patient is what the banner and the patient lists show.
type Patient struct {
	ID, Name, Family, Given string
	BirthDate               time.Time
	HasBirthDate            bool
	Sex                     string
	// Gender is Patient.gender's code: male, female, other or unknown.
	Gender string
	MRN    string
	// PCP is the display of the first generalPractitioner; PCPRefs every reference
	// ("Practitioner/x", "PractitionerRole/y", "Organization/z"), to say why a patient is
	// visible.
	PCP     string
	PCPRefs []string
	// PortalAccount is the family's patient-portal account, when the EHR says.
	PortalAccount *bool
}

// DecodePatient decodes a Patient.
func DecodePatient(raw json.RawMessage) (Patient, error) {
	p, err := decode(raw, "Patient", fhir.UnmarshalPatient)
	if err != nil {
		return Patient{}, err
	}
	out := Patient{ID: str(p.Id), Name: HumanName(p.Name)}
	if len(p.Name) > 0 {
		out.Family, out.Given = str(p.Name[0].Family), strings.Join(p.Name[0].Given, " ")
	}
	if t, ok := instant(p.BirthDate); ok {
		out.BirthDate, out.HasBirthDate = t, true
	}
	if p.Gender != nil {
		out.Sex, out.Gender = p.Gender.Display(), p.Gender.Code()
	}
	for _, id := range p.Identifier {
		if str(id.System) == MRNSystem {
			out.MRN = str(id.Value)
		}
	}
	for i, gp := range p.GeneralPractitioner {
		if i == 0 {
			out.PCP = display(&gp)
		}
		if gp.Reference != nil {
			out.PCPRefs = append(out.PCPRefs, *gp.Reference)
		}
	}
	for _, e := range p.Extension {
		if e.Url == portalExtension && e.ValueBoolean != nil {
			v := *e.ValueBoolean
			out.PortalAccount = &v
		}
	}
	return out, nil
}

// DecodePatients decodes the Patients among raws.
func DecodePatients(raws []json.RawMessage) ([]Patient, error) {
	var out []Patient
	for _, raw := range raws {
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if json.Unmarshal(raw, &head) != nil || head.ResourceType != "Patient" {
			continue
		}
		p, err := DecodePatient(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Age says a child's age on the day today the way pediatricians do: days for a newborn,
// weeks to two months, months to two years, then years (and months to five).
func Age(birth, today time.Time) string {
	if birth.IsZero() || today.Before(birth) {
		return ""
	}
	days := int(today.Sub(birth).Hours() / 24)
	y, m := today.Year()-birth.Year(), int(today.Month())-int(birth.Month())
	if today.Day() < birth.Day() {
		m--
	}
	if m < 0 {
		y, m = y-1, m+12
	}
	months := y*12 + m
	switch {
	case days < 14:
		return plural(days, "day")
	case months < 2:
		return plural(days/7, "week")
	case months < 24:
		return plural(months, "month")
	case y < 5 && m > 0:
		return fmt.Sprintf("%s %s", plural(y, "year"), plural(m, "month"))
	}
	return plural(y, "year")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
