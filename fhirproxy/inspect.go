package fhirproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/mypatients/gateway"
)

// A returned resource, read: what it is (type, id, version) and whose data it is (the
// compartment fields of the table, every Patient reference anywhere in it, and for a Binary the
// DocumentReference its securityContext names). Only the top level and the references are
// decoded; the clinical content is never interpreted.

// errNoPatient: a returned resource whose patient cannot be established is never released.
var errNoPatient = errors.New("resource names no patient")

// errDuplicateKey: a JSON object naming a member twice. Parsers disagree on which one wins,
// so the gateway could check one value while the client reads the other.
var errDuplicateKey = errors.New("duplicate JSON object member")

// decodeObject reads one JSON object's members token by token, refusing repeated names and
// trailing data. Member values stay raw.
func decodeObject(raw []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	fields, err := readObject(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON object")
	}
	return fields, nil
}

// readObject reads the next value of dec, which must be an object, into its members.
func readObject(dec *json.Decoder) (map[string]json.RawMessage, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("read object: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read member name: %w", err)
		}
		key, _ := tok.(string)
		if _, dup := fields[key]; dup {
			return nil, fmt.Errorf("member %q: %w", clip(key), errDuplicateKey)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("member %q: %w", clip(key), err)
		}
		fields[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("read object end: %w", err)
	}
	return fields, nil
}

// resourceInfo is what the proxy needs to know about a returned resource.
type resourceInfo struct {
	Type, ID, Version string
	// Patients are the patients whose compartment the resource is in, unique; empty for
	// directory types and Binary.
	Patients []string
	// Fields are the top-level members, raw, for the scope-constraint and Binary checks.
	Fields map[string]json.RawMessage
}

// inspect reads a resource's type, id and patients from the compartment fields the table
// lists. Only the top level (and the references below it) is decoded; the clinical content is
// never interpreted. A compartment resource that names no patient is an error.
func (h *Handler) inspect(raw json.RawMessage) (resourceInfo, error) {
	fields, err := decodeObject(raw)
	if err != nil {
		return resourceInfo{}, fmt.Errorf("decode resource: %w", err)
	}
	info := resourceInfo{Fields: fields}
	if err := json.Unmarshal(fields["resourceType"], &info.Type); err != nil {
		return resourceInfo{}, fmt.Errorf("resourceType: %w", err)
	}
	if err := json.Unmarshal(fields["id"], &info.ID); err != nil || !gateway.ValidID(info.ID) {
		return resourceInfo{}, fmt.Errorf("%s without a valid id", info.Type)
	}
	if meta, ok := fields["meta"]; ok {
		var m struct {
			VersionID string `json:"versionId"`
		}
		if err := json.Unmarshal(meta, &m); err == nil {
			info.Version = m.VersionID
		}
	}
	spec, ok := h.parser.types[info.Type]
	if !ok {
		return info, fmt.Errorf("resource type %q is not served", info.Type)
	}
	patients, err := h.patientsOf(spec, info, raw)
	if err != nil {
		return info, fmt.Errorf("%s/%s: %w", info.Type, info.ID, err)
	}
	info.Patients = unique(patients)
	return info, nil
}

// patientsOf returns the patients of a resource: a Patient itself, those of the compartment
// fields the table lists, and every patient a Reference anywhere in it names. A compartment
// resource that names no patient is an error.
func (h *Handler) patientsOf(spec typeSpec, info resourceInfo, raw json.RawMessage) ([]string, error) {
	var patients []string
	if spec.Class == classPatient {
		patients = []string{info.ID}
	}
	var err error
	for _, path := range spec.Compartment {
		if patients, err = h.parser.refs.patientsAt(info.Fields, path, patients); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if spec.Class == classCompartment && len(patients) == 0 {
		return nil, errNoPatient
	}
	if spec.Class != classBinary { // a Binary's data is opaque; its securityContext decides
		more, err := h.parser.refs.scanPatients(raw, info.Type)
		if err != nil {
			return nil, err
		}
		patients = append(patients, more...)
	}
	return patients, nil
}

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
