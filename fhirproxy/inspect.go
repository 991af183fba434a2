package fhirproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/mypatients/gateway"
)

// A returned resource, read: what it is (type, id, version) and whose data it is (the
// compartment fields of the table, every Patient reference anywhere in it, and for a Binary the
// DocumentReference its securityContext names). One scan (scan.go) reads it; only the top
// level and the references are decoded, and the clinical content is never interpreted.

// errNoPatient: a returned resource whose patient cannot be established is never released.
var errNoPatient = errors.New("resource names no patient")

// resourceInfo is what the proxy needs to know about a returned resource.
type resourceInfo struct {
	Type, ID string
	// Patients are the patients whose compartment the resource is in, unique; empty for
	// directory types and Binary.
	Patients []string
	// Fields are the top-level members, raw, for the scope-constraint and Binary checks.
	Fields fields
}

// inspect reads a resource that is a whole answer (a read, a Binary's DocumentReference). A
// syntax error leaves info.Type empty.
func (h *Handler) inspect(raw []byte) (resourceInfo, resourceScan, error) {
	s, st := scanner{buf: raw}, newScanState(h.scrub, raw)
	rs := scanResource(&s, st)
	if s.end(); s.err != nil {
		return resourceInfo{}, rs, fmt.Errorf("decode resource: %w", s.err)
	}
	info, err := h.resourceInfo(rs, st)
	return info, rs, err
}

// resourceInfo reads a scanned resource's type, id and patients from the compartment fields
// the table lists and from every reference in it. A resource the scan found a problem with,
// and a compartment resource that names no patient, are errors. The patients are kept in st,
// the state of the scan that read rs.
func (h *Handler) resourceInfo(rs resourceScan, st *scanState) (resourceInfo, error) {
	if errors.Is(rs.problem, errDuplicateKey) || errors.Is(rs.problem, errBadUTF8) {
		// Not even its type can be read unambiguously: for a read, an upstream fault.
		return resourceInfo{}, rs.problem
	}
	info := resourceInfo{Fields: rs.fields}
	var ok bool
	if info.Type, ok = h.typeName(rs.fields.get("resourceType")); !ok {
		return resourceInfo{}, errors.New("resource without a resourceType")
	}
	if info.ID, ok = stringOf(rs.fields.get("id")); !ok || !gateway.ValidID(info.ID) {
		return resourceInfo{}, fmt.Errorf("%s without a valid id", info.Type)
	}
	if rs.problem != nil {
		return info, fmt.Errorf("%s/%s: %w", info.Type, info.ID, rs.problem)
	}
	spec, ok := h.parser.types[info.Type]
	if !ok {
		return info, fmt.Errorf("resource type %q is not served", info.Type)
	}
	first := len(st.patients)
	patients, err := h.patientsOf(spec, info, rs.refs, st.patients, &st.refMemo)
	if err != nil {
		return info, fmt.Errorf("%s/%s: %w", info.Type, info.ID, err)
	}
	// The resources of a searchset share one slice of patients, each its own part of it.
	u := unique(patients[first:])
	st.patients = patients[:first+len(u)]
	info.Patients = u[:len(u):len(u)]
	return info, nil
}

// version is the resource's meta.versionId, "" when it has none.
func (info resourceInfo) version() (v string) {
	_ = objectMembers(info.Fields.get("meta"), func(name, value []byte) {
		if string(name) == "versionId" {
			v, _ = stringOf(value)
		}
	})
	return v
}

// typeName reads a resourceType, without a copy for a served type.
func (h *Handler) typeName(raw []byte) (string, bool) {
	if len(raw) > 2 && raw[0] == '"' {
		if name, ok := h.parser.typeNames[string(raw[1:len(raw)-1])]; ok {
			return name, true
		}
	}
	return stringOf(raw)
}

// patientsOf appends to out the patients of a resource: a Patient itself, those of the
// compartment fields the table lists, and every patient a Reference anywhere in it names
// (refs). A compartment resource that names no patient is an error.
func (h *Handler) patientsOf(spec typeSpec, info resourceInfo, refs [][]byte, out []string, m *refMemo) ([]string, error) {
	first := len(out)
	if spec.Class == classPatient {
		out = append(out, info.ID)
	}
	var err error
	for _, path := range spec.Compartment {
		if out, err = h.parser.refs.patientsAt(info.Fields, path, out, m); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if spec.Class == classCompartment && len(out) == first {
		return nil, errNoPatient
	}
	if spec.Class != classBinary { // a Binary's data is opaque; its securityContext decides
		return h.parser.refs.patients(refs, out, m)
	}
	return out, nil
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
	raw := bin.Fields.get("securityContext")
	if raw == nil {
		return nil, fmt.Errorf("binary %s: %w", bin.ID, errNoContext)
	}
	x, err := decodeReference(raw)
	if err != nil {
		return nil, fmt.Errorf("binary %s: %w", bin.ID, err)
	}
	r, err := h.parser.refs.parse(string(x.Reference))
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
	info, _, err := h.inspect(doc)
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
	if err := json.Unmarshal(doc.Fields.get("content"), &content); err != nil {
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
