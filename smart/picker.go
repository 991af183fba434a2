package smart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/mypatients/gateway"
)

// PatientSearcher searches the FHIR API as a caller the gateway has already authenticated,
// on the API's own path: the same narrowing, decisions, filtering and audit record as the
// clinician's own search (fhirproxy.Handler.SearchAs). A search the API would refuse with 403
// is an error wrapping gateway.ErrForbidden.
type PatientSearcher interface {
	SearchAs(ctx context.Context, c gateway.Caller, resourceType string, query url.Values) ([]json.RawMessage, error)
}

// PatientSummary is one patient offered by the standalone-launch patient picker.
type PatientSummary struct {
	ID string
	// Name is the first name's given names and family name, or the id when there is none.
	Name      string
	BirthDate string
}

// listPatients returns the patients the picker offers c: exactly those c's own search of
// Patient would release, at most 100; none when the FHIR API would refuse the search.
func (s *Server) listPatients(ctx context.Context, c gateway.Caller) ([]PatientSummary, error) {
	resources, err := s.opts.Patients.SearchAs(ctx, c, "Patient", url.Values{"_count": {"100"}})
	if errors.Is(err, gateway.ErrForbidden) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("patient picker: %w", err)
	}
	var out []PatientSummary
	for _, raw := range resources {
		var r struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
			BirthDate    string `json:"birthDate"`
			Name         []struct {
				Given  []string `json:"given"`
				Family string   `json:"family"`
			} `json:"name"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("patient picker: %w", err)
		}
		if r.ResourceType != "Patient" || r.ID == "" {
			continue
		}
		name := r.ID
		if len(r.Name) > 0 {
			name = strings.TrimSpace(strings.Join(r.Name[0].Given, " ") + " " + r.Name[0].Family)
		}
		out = append(out, PatientSummary{ID: r.ID, Name: name, BirthDate: r.BirthDate})
	}
	return out, nil
}
