package fhirproxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// The CapabilityStatement is generated from the resource table, so it lists exactly the
// interactions and parameters the parser accepts and nothing the gateway would refuse.

type capStatement struct {
	ResourceType   string      `json:"resourceType"`
	Status         string      `json:"status"`
	Date           string      `json:"date"`
	Kind           string      `json:"kind"`
	Software       capSoftware `json:"software"`
	Implementation capImpl     `json:"implementation"`
	FHIRVersion    string      `json:"fhirVersion"`
	Format         []string    `json:"format"`
	Rest           []capRest   `json:"rest"`
}

type capSoftware struct {
	Name string `json:"name"`
}

type capImpl struct {
	Description string `json:"description"`
	URL         string `json:"url"`
}

type capRest struct {
	Mode     string        `json:"mode"`
	Security capSecurity   `json:"security"`
	Resource []capResource `json:"resource"`
}

type capSecurity struct {
	// Extension is the hook for the SMART oauth-uris extension (Options.SecurityExtensions).
	Extension []json.RawMessage `json:"extension,omitempty"`
	Service   []capConcept      `json:"service"`
}

type capConcept struct {
	Coding []capCoding `json:"coding"`
	Text   string      `json:"text,omitempty"`
}

type capCoding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

type capResource struct {
	Type          string           `json:"type"`
	Interaction   []capInteraction `json:"interaction"`
	SearchInclude []string         `json:"searchInclude,omitempty"`
	SearchParam   []capSearchParam `json:"searchParam,omitempty"`
}

type capInteraction struct {
	Code string `json:"code"`
}

type capSearchParam struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// capabilityStatement renders the statement once, at New.
func capabilityStatement(types map[string]typeSpec, publicBase string, extensions []json.RawMessage) ([]byte, error) {
	for i, e := range extensions {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(e, &obj); err != nil {
			return nil, fmt.Errorf("SecurityExtensions[%d] is not a JSON object: %w", i, err)
		}
	}
	rest := capRest{
		Mode: "server",
		Security: capSecurity{
			Extension: extensions,
			Service: []capConcept{{
				Coding: []capCoding{{
					System: "http://terminology.hl7.org/CodeSystem/restful-security-service",
					Code:   "SMART-on-FHIR",
				}},
				Text: "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
			}},
		},
	}
	rest.Resource = capResources(types)
	cs := capStatement{
		ResourceType: "CapabilityStatement", Status: "active",
		Date: time.Now().UTC().Format(time.RFC3339), Kind: "instance",
		Software:       capSoftware{Name: "MyPatients gateway"},
		Implementation: capImpl{Description: "MyPatients SMART-on-FHIR gateway (read-only)", URL: publicBase},
		FHIRVersion:    "4.0.1",
		Format:         []string{"application/fhir+json"},
		Rest:           []capRest{rest},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cs); err != nil {
		return nil, fmt.Errorf("encode CapabilityStatement: %w", err)
	}
	return buf.Bytes(), nil
}

// capResources lists each served type with exactly the interactions and parameters the
// parser accepts.
func capResources(types map[string]typeSpec) []capResource {
	var out []capResource
	for _, name := range sortedKeys(types) {
		res := capResource{Type: name, Interaction: []capInteraction{{Code: "read"}, {Code: "vread"}}}
		if types[name].Params != nil {
			res.Interaction = append(res.Interaction, capInteraction{Code: "search-type"})
		}
		for _, p := range sortedKeys(types[name].Includes) {
			res.SearchInclude = append(res.SearchInclude, name+":"+p)
		}
		for _, p := range sortedKeys(types[name].Params) {
			res.SearchParam = append(res.SearchParam, capSearchParam{Name: p, Type: types[name].Params[p].Kind.fhirType()})
		}
		out = append(out, res)
	}
	return out
}

// serveMetadata answers GET [base]/metadata.
func (h *Handler) serveMetadata(w http.ResponseWriter) {
	setCommonHeaders(w.Header(), "")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(h.capability)
}
