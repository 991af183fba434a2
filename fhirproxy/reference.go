package fhirproxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/mypatients/gateway"
)

// Reference errors. The parser maps them to statuses; the response check treats both as "this
// resource's patient cannot be established", which fails closed.
var (
	// errBadReference: the value is not a reference form the gateway understands, or it points
	// to another server.
	errBadReference = errors.New("not a local FHIR reference")
	// errOtherType: a well-formed reference to a type other than the one required.
	errOtherType = errors.New("reference names another resource type")
)

// ref is a parsed local reference.
type ref struct {
	Type, ID, Version string
}

// refResolver turns every reference form FHIR allows into a (type, id) pair: relative
// ("Patient/x", "Patient/x/_history/2") or absolute under one of the bases the gateway answers
// for (its own public base and the upstream's). An absolute reference under any other base names
// a resource the gateway cannot check, so it is an error, never ignored.
type refResolver struct {
	bases []*url.URL
}

// newRefResolver returns a resolver for the given FHIR bases (without trailing slash).
func newRefResolver(bases ...*url.URL) refResolver {
	return refResolver{bases: bases}
}

// parse parses a literal reference.
func (rr refResolver) parse(s string) (ref, error) {
	rel, err := rr.relative(s)
	if err != nil {
		return ref{}, err
	}
	parts := strings.Split(rel, "/")
	var r ref
	switch {
	case len(parts) == 2:
		r = ref{Type: parts[0], ID: parts[1]}
	case len(parts) == 4 && parts[2] == "_history" && gateway.ValidID(parts[3]):
		r = ref{Type: parts[0], ID: parts[1], Version: parts[3]}
	default:
		return ref{}, fmt.Errorf("reference %q: %w", s, errBadReference)
	}
	if !validTypeName(r.Type) || !gateway.ValidID(r.ID) {
		return ref{}, fmt.Errorf("reference %q: %w", s, errBadReference)
	}
	return r, nil
}

// relative strips a local base from an absolute reference; relative references pass through.
func (rr refResolver) relative(s string) (string, error) {
	if strings.ContainsAny(s, "%?#\\ ") || s == "" {
		// Escapes, queries, fragments (contained "#x") and spaces never occur in a local
		// literal reference; refusing them avoids a second decoding ambiguity.
		return "", fmt.Errorf("reference %q: %w", s, errBadReference)
	}
	if !strings.Contains(s, "://") {
		if strings.Contains(s, ":") { // urn:uuid:, urn:oid: and other non-local forms
			return "", fmt.Errorf("reference %q: %w", s, errBadReference)
		}
		return s, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("reference %q: %w", s, errBadReference)
	}
	for _, b := range rr.bases {
		if !strings.EqualFold(u.Scheme, b.Scheme) || !strings.EqualFold(u.Host, b.Host) {
			continue
		}
		if rest, ok := strings.CutPrefix(u.Path, b.Path+"/"); ok {
			return rest, nil
		}
	}
	return "", fmt.Errorf("reference %q: %w", s, errBadReference)
}

// searchValue parses one item of a reference search parameter's comma list into a reference
// to one of spec.Targets. Accepted: "Type/id", an absolute URL under a local base, a bare id
// when the parameter has one target or a ":Type" modifier names it. A bare id for a parameter
// with several targets is ambiguous (it could be a patient) and refused, as is a version.
func (rr refResolver) searchValue(spec paramSpec, modifier, value string) (ref, error) {
	if modifier != "" && !slices.Contains(spec.Targets, modifier) {
		return ref{}, fmt.Errorf("modifier %q (want %v): %w", modifier, spec.Targets, errOtherType)
	}
	if !strings.ContainsAny(value, "/:") {
		typ := modifier
		if typ == "" && len(spec.Targets) == 1 {
			typ = spec.Targets[0]
		}
		if typ == "" || !gateway.ValidID(value) {
			return ref{}, fmt.Errorf("id %q: %w", value, errBadReference)
		}
		return ref{Type: typ, ID: value}, nil
	}
	r, err := rr.parse(value)
	if err != nil {
		return ref{}, err
	}
	if !slices.Contains(spec.Targets, r.Type) || (modifier != "" && modifier != r.Type) {
		return ref{}, fmt.Errorf("reference %q (want %v): %w", value, spec.Targets, errOtherType)
	}
	if r.Version != "" {
		return ref{}, fmt.Errorf("versioned reference %q in a search: %w", value, errBadReference)
	}
	return ref{Type: r.Type, ID: r.ID}, nil
}

// reference is the part of a FHIR Reference datatype the gateway reads.
type reference struct {
	Reference string `json:"reference"`
	Type      string `json:"type"`
}

// decodeReference reads one Reference object, refusing repeated keys: two "reference"
// members would be read as the last by this gateway and maybe as the first by the client.
// Without escapes a repeated "reference" is also caught by scanPatients, which decides every
// reference it finds, so the plain case takes the faster json.Unmarshal.
func decodeReference(raw json.RawMessage) (reference, error) {
	var x reference
	if bytes.IndexByte(raw, '\\') < 0 && bytes.Count(raw, []byte(`"type"`)) <= 1 {
		if err := json.Unmarshal(raw, &x); err != nil {
			return reference{}, fmt.Errorf("reference: %w", err)
		}
		return x, nil
	}
	fields, err := decodeObject(raw)
	if err != nil {
		return reference{}, fmt.Errorf("reference: %w", err)
	}
	for k, dst := range map[string]*string{"reference": &x.Reference, "type": &x.Type} {
		if v, ok := fields[k]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				return reference{}, fmt.Errorf("reference.%s: %w", k, err)
			}
		}
	}
	return x, nil
}

// patientsIn returns the patient ids named by a field holding a Reference or a list of them.
// References to other types are skipped; a reference that may be a patient but cannot be
// resolved locally (identifier-only, contained, another server) is an error.
func (rr refResolver) patientsIn(raw json.RawMessage, out []string) ([]string, error) {
	items, err := listOf(raw)
	if err != nil {
		return out, err
	}
	for _, item := range items {
		x, err := decodeReference(item)
		if err != nil {
			return out, err
		}
		if x.Reference == "" {
			if x.Type == "" || x.Type == "Patient" {
				return out, fmt.Errorf("reference without a literal target: %w", errBadReference)
			}
			continue
		}
		r, err := rr.parse(x.Reference)
		if err != nil {
			return out, err
		}
		if x.Type != "" && x.Type != r.Type {
			return out, fmt.Errorf("reference %q typed %q: %w", x.Reference, x.Type, errBadReference)
		}
		if r.Type == "Patient" {
			out = append(out, r.ID)
		}
	}
	return out, nil
}

// patientsAt returns the patients named by the References at a dot-separated path below a
// resource's top-level fields ("subject", "link.other"), searching lists element by element.
func (rr refResolver) patientsAt(fields map[string]json.RawMessage, path string, out []string) ([]string, error) {
	first, rest, nested := strings.Cut(path, ".")
	raw, ok := fields[first]
	if !ok {
		return out, nil
	}
	if !nested {
		return rr.patientsIn(raw, out)
	}
	items, err := listOf(raw)
	if err != nil {
		return out, err
	}
	for _, item := range items {
		obj, err := decodeObject(item)
		if err != nil {
			return out, fmt.Errorf("%s: %w", first, err)
		}
		if out, err = rr.patientsAt(obj, rest, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// listOf returns the elements of a JSON array, or the value itself when it is not one; null
// and absent are empty.
func listOf(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return nil, nil
	case raw[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		return items, nil
	}
	return []json.RawMessage{raw}, nil
}

// validTypeName reports whether s looks like a FHIR resource type name.
func validTypeName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
