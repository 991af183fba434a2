package fhirproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// errNoContext: a Binary whose securityContext does not lead to a patient is never released.
var errNoContext = errors.New("binary has no usable securityContext")

// binaryPatients finds whose data a Binary is. FHIR R4 Binary.securityContext names the
// resource that governs access to it: the demo EHR (and HL7's guidance for clinical notes)
// names the DocumentReference. The gateway fetches that DocumentReference itself, requires it
// to point back at this Binary in one of its attachments (so a Binary cannot borrow another
// note's context), and returns the DocumentReference's patients. A securityContext naming a
// Patient directly is that patient.
func (h *Handler) binaryPatients(ctx context.Context, bin resourceInfo) ([]string, error) {
	raw, ok := bin.Fields["securityContext"]
	if !ok {
		return nil, fmt.Errorf("binary %s: %w", bin.ID, errNoContext)
	}
	x, err := decodeReference(raw)
	if err != nil {
		return nil, fmt.Errorf("binary %s: %w", bin.ID, err)
	}
	r, err := h.parser.refs.parse(x.Reference)
	if err != nil {
		return nil, fmt.Errorf("binary %s: %w", bin.ID, err)
	}
	switch r.Type {
	case "Patient":
		return []string{r.ID}, nil
	case "DocumentReference":
	default:
		return nil, fmt.Errorf("binary %s names %s: %w", bin.ID, r.Type, errNoContext)
	}
	var doc json.RawMessage
	if err := h.up.GetJSON(ctx, "DocumentReference/"+r.ID, nil, &doc); err != nil {
		return nil, fmt.Errorf("binary %s: fetch its DocumentReference: %w", bin.ID, err)
	}
	info, err := h.inspect(doc)
	if err != nil || info.Type != "DocumentReference" || info.ID != r.ID {
		return nil, fmt.Errorf("binary %s: its DocumentReference: %w", bin.ID, errors.Join(errNoContext, err))
	}
	if !h.attachmentNames(info, bin.ID) {
		return nil, fmt.Errorf("binary %s: DocumentReference/%s does not name it: %w", bin.ID, r.ID, errNoContext)
	}
	return info.Patients, nil
}

// attachmentNames reports whether one of a DocumentReference's attachments is Binary/id.
func (h *Handler) attachmentNames(doc resourceInfo, id string) bool {
	var content []attachment
	if err := json.Unmarshal(doc.Fields["content"], &content); err != nil {
		return false
	}
	return slices.ContainsFunc(content, func(c attachment) bool {
		r, err := h.parser.refs.parse(c.Attachment.URL)
		return err == nil && r.Type == "Binary" && r.ID == id
	})
}

// attachment is the part of a DocumentReference.content the Binary check reads.
type attachment struct {
	Attachment struct {
		URL string `json:"url"`
	} `json:"attachment"`
}
