package app

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// Small local views of the FHIR R4 JSON the pages show. Only displayed fields are decoded;
// the raw panel shows everything else.

type coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type codeableConcept struct {
	Text   string   `json:"text"`
	Coding []coding `json:"coding"`
}

// String is the concept's text, else its first coding's display, else its first code.
func (c codeableConcept) String() string {
	if c.Text != "" {
		return c.Text
	}
	for _, cd := range c.Coding {
		if cd.Display != "" {
			return cd.Display
		}
	}
	for _, cd := range c.Coding {
		if cd.Code != "" {
			return cd.Code
		}
	}
	return ""
}

type humanName struct {
	Use    string   `json:"use"`
	Text   string   `json:"text"`
	Family string   `json:"family"`
	Given  []string `json:"given"`
}

func (n humanName) String() string {
	if n.Text != "" {
		return n.Text
	}
	return strings.TrimSpace(strings.Join(n.Given, " ") + " " + n.Family)
}

type identifier struct {
	Type   codeableConcept `json:"type"`
	System string          `json:"system"`
	Value  string          `json:"value"`
}

type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// String shows a period as "start – end", leaving out what is missing.
func (p period) String() string {
	switch {
	case p.Start != "" && p.End != "":
		return p.Start + " – " + p.End
	case p.Start != "":
		return p.Start + " – "
	default:
		return p.End
	}
}

type reference struct {
	Reference string `json:"reference"`
	Display   string `json:"display"`
}

type quantity struct {
	Value *json.Number `json:"value"`
	Unit  string       `json:"unit"`
	Code  string       `json:"code"`
}

// String is "value unit", e.g. "5.4 mmol/L".
func (q quantity) String() string {
	if q.Value == nil {
		return ""
	}
	unit := q.Unit
	if unit == "" {
		unit = q.Code
	}
	return strings.TrimSpace(q.Value.String() + " " + unit)
}

type patient struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id"`
	Name         []humanName  `json:"name"`
	BirthDate    string       `json:"birthDate"`
	Gender       string       `json:"gender"`
	Identifier   []identifier `json:"identifier"`
}

// DisplayName prefers the official name, then the first one.
func (p patient) DisplayName() string {
	for _, n := range p.Name {
		if n.Use == "official" && n.String() != "" {
			return n.String()
		}
	}
	for _, n := range p.Name {
		if s := n.String(); s != "" {
			return s
		}
	}
	return "(no name)"
}

// Link is the app's page for this patient, or "" when the id is not a valid FHIR id.
func (p patient) Link() string {
	if !validID(p.ID) {
		return ""
	}
	return "/patients/" + url.PathEscape(p.ID)
}

// MRN is the value of the identifier typed MR (v2-0203), the hospital's medical record number.
func (p patient) MRN() string {
	for _, id := range p.Identifier {
		for _, c := range id.Type.Coding {
			if c.Code == "MR" {
				return id.Value
			}
		}
	}
	return ""
}

type encounter struct {
	Status     string            `json:"status"`
	Class      coding            `json:"class"`
	Type       []codeableConcept `json:"type"`
	Period     period            `json:"period"`
	ReasonCode []codeableConcept `json:"reasonCode"`
}

// ClassText is the encounter class's display, else its code (e.g. "AMB").
func (e encounter) ClassText() string {
	if e.Class.Display != "" {
		return e.Class.Display
	}
	return e.Class.Code
}

// TypeText joins the encounter types.
func (e encounter) TypeText() string { return joinConcepts(e.Type) }

// ReasonText joins the reasons for the encounter.
func (e encounter) ReasonText() string { return joinConcepts(e.ReasonCode) }

func joinConcepts(cs []codeableConcept) string {
	var parts []string
	for _, c := range cs {
		if s := c.String(); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

type observation struct {
	Status               string          `json:"status"`
	Code                 codeableConcept `json:"code"`
	ValueQuantity        *quantity       `json:"valueQuantity"`
	ValueString          string          `json:"valueString"`
	ValueCodeableConcept codeableConcept `json:"valueCodeableConcept"`
	ValueBoolean         *bool           `json:"valueBoolean"`
	ValueInteger         *int            `json:"valueInteger"`
	EffectiveDateTime    string          `json:"effectiveDateTime"`
	EffectivePeriod      period          `json:"effectivePeriod"`
	Issued               string          `json:"issued"`
}

// Value shows whichever value[x] the observation carries.
func (o observation) Value() string {
	switch {
	case o.ValueQuantity != nil:
		return o.ValueQuantity.String()
	case o.ValueString != "":
		return o.ValueString
	case o.ValueCodeableConcept.String() != "":
		return o.ValueCodeableConcept.String()
	case o.ValueBoolean != nil:
		return strconv.FormatBool(*o.ValueBoolean)
	case o.ValueInteger != nil:
		return strconv.Itoa(*o.ValueInteger)
	}
	return ""
}

// Date is when the observation was made, else when it was issued.
func (o observation) Date() string {
	switch {
	case o.EffectiveDateTime != "":
		return o.EffectiveDateTime
	case o.EffectivePeriod.String() != "":
		return o.EffectivePeriod.String()
	}
	return o.Issued
}

type medicationRequest struct {
	Status                    string          `json:"status"`
	MedicationCodeableConcept codeableConcept `json:"medicationCodeableConcept"`
	MedicationReference       reference       `json:"medicationReference"`
	AuthoredOn                string          `json:"authoredOn"`
	DosageInstruction         []struct {
		Text string `json:"text"`
	} `json:"dosageInstruction"`
}

// Medication is the drug's name as the request states it.
func (m medicationRequest) Medication() string {
	if s := m.MedicationCodeableConcept.String(); s != "" {
		return s
	}
	if m.MedicationReference.Display != "" {
		return m.MedicationReference.Display
	}
	return m.MedicationReference.Reference
}

// Dosage joins the dosage instructions' text.
func (m medicationRequest) Dosage() string {
	var parts []string
	for _, d := range m.DosageInstruction {
		if d.Text != "" {
			parts = append(parts, d.Text)
		}
	}
	return strings.Join(parts, "; ")
}
