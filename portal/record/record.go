// Package record turns the FHIR resources the portal reads into what its pages show: the
// banner, the encounter timeline with care teams and diagnoses, notes, medications, labs
// grouped by report with their ranges and flags, vitals and growth. It decodes with the typed
// R4 models of github.com/samply/golang-fhir-models (fhir-models/fhir); their one known
// marshalling bug (an empty medicationReference written out for every MedicationRequest)
// does not matter here, because this package only decodes. Times are kept as instants and
// shown in the hospital's zone by the caller; codes are shown by their display text, never by
// their code system. It does no I/O and knows nothing of HTTP, sessions or access: what it is
// given, the gateway has already released.
package record

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Coding systems the portal reads by meaning.
const (
	MRNSystem       = "http://childrens.example.org/mrn"
	portalExtension = "http://childrens.example.org/fhir/StructureDefinition/patient-portal-account"
)

// text returns a concept's display text: its text, else its first coding's display, else
// its first code.
func text(c *fhir.CodeableConcept) string {
	if c == nil {
		return ""
	}
	if c.Text != nil && *c.Text != "" {
		return *c.Text
	}
	for _, cd := range c.Coding {
		if cd.Display != nil && *cd.Display != "" {
			return *cd.Display
		}
	}
	for _, cd := range c.Coding {
		if cd.Code != nil {
			return *cd.Code
		}
	}
	return ""
}

// code returns the first code of c in system ("" for any system).
func code(c *fhir.CodeableConcept, system string) string {
	if c == nil {
		return ""
	}
	for _, cd := range c.Coding {
		if cd.Code != nil && (system == "" || (cd.System != nil && *cd.System == system)) {
			return *cd.Code
		}
	}
	return ""
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// refID returns the id of a reference "Type/id" of type typ, or "".
func refID(r *fhir.Reference, typ string) string {
	if r == nil || r.Reference == nil {
		return ""
	}
	id, ok := strings.CutPrefix(*r.Reference, typ+"/")
	if !ok || strings.Contains(id, "/") {
		return ""
	}
	return id
}

// display returns a reference's display text.
func display(r *fhir.Reference) string {
	if r == nil {
		return ""
	}
	return str(r.Display)
}

// instant parses a FHIR dateTime: a full instant, or a date (at midnight UTC, Day true).
func instant(s *string) (time.Time, bool) {
	if s == nil || *s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07:00", time.DateOnly, "2006-01", "2006"} {
		if t, err := time.Parse(layout, *s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// decode unmarshals raw into a typed resource of resourceType, checking the type first: the
// portal never renders a resource as another type.
func decode[T any](raw json.RawMessage, resourceType string, unmarshal func([]byte) (T, error)) (T, error) {
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	var zero T
	if err := json.Unmarshal(raw, &head); err != nil {
		return zero, fmt.Errorf("record: %w", err)
	}
	if head.ResourceType != resourceType {
		return zero, fmt.Errorf("record: got %q, want %s", head.ResourceType, resourceType)
	}
	v, err := unmarshal(raw)
	if err != nil {
		return zero, fmt.Errorf("record: decode %s: %w", resourceType, err)
	}
	return v, nil
}

// decodeAll decodes every resource of resourceType in raws, skipping other types (an
// _include's Patient, say); a resource of the type that does not decode is an error.
func decodeAll[T any](raws []json.RawMessage, resourceType string, unmarshal func([]byte) (T, error)) ([]T, error) {
	var out []T
	for _, raw := range raws {
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if json.Unmarshal(raw, &head) != nil || head.ResourceType != resourceType {
			continue
		}
		v, err := decode(raw, resourceType, unmarshal)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// HumanName returns how a person is called: the name's text, else prefix, given and family.
func HumanName(names []fhir.HumanName) string {
	if len(names) == 0 {
		return ""
	}
	n := names[0]
	if s := str(n.Text); s != "" {
		return s
	}
	return strings.TrimSpace(strings.Join(append(append(append([]string{}, n.Prefix...), n.Given...), str(n.Family)), " "))
}
