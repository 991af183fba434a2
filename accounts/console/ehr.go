package console

import (
	"context"
	"net/url"
	"strings"
)

// FHIRReader reads JSON from the EHR with the gateway's own credential; *upstream.Client is one.
type FHIRReader interface {
	GetJSON(ctx context.Context, path string, query url.Values, v any) error
}

// EHR looks Practitioners up in the EHR by NPI.
type EHR struct{ FHIR FHIRReader }

// npiSystem is the identifier system of NPIs (US Core).
const npiSystem = "http://hl7.org/fhir/sid/us-npi"

// ByNPI returns the Practitioners whose identifier is npi.
func (e EHR) ByNPI(ctx context.Context, npi string) ([]Practitioner, error) {
	var bundle struct {
		Entry []struct {
			Resource struct {
				ID   string `json:"id"`
				Name []struct {
					Text   string   `json:"text"`
					Family string   `json:"family"`
					Given  []string `json:"given"`
					Prefix []string `json:"prefix"`
				} `json:"name"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := e.FHIR.GetJSON(ctx, "Practitioner", url.Values{"identifier": {npiSystem + "|" + npi}}, &bundle); err != nil {
		return nil, err
	}
	var out []Practitioner
	for _, en := range bundle.Entry {
		name := ""
		if len(en.Resource.Name) > 0 {
			n := en.Resource.Name[0]
			name = n.Text
			if name == "" {
				name = strings.TrimSpace(strings.Join(append(append(n.Prefix, n.Given...), n.Family), " "))
			}
		}
		out = append(out, Practitioner{Reference: "Practitioner/" + en.Resource.ID, Name: name})
	}
	return out, nil
}
