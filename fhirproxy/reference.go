package fhirproxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
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
	case len(parts) == 4 && parts[2] == "_history" && validID(parts[3]):
		r = ref{Type: parts[0], ID: parts[1], Version: parts[3]}
	default:
		return ref{}, fmt.Errorf("reference %q: %w", s, errBadReference)
	}
	if !validTypeName(r.Type) || !validID(r.ID) {
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

// searchValue parses one item of a reference search parameter's comma list into the id of a
// spec.Target resource. Accepted: a bare id, "Target/id", an absolute URL under a local base,
// and with the ":Target" type modifier a bare id. A version is refused in a search.
func (rr refResolver) searchValue(spec paramSpec, modifier, value string) (string, error) {
	if modifier == spec.Target || !strings.ContainsAny(value, "/:") {
		if !validID(value) {
			return "", fmt.Errorf("id %q: %w", value, errBadReference)
		}
		return value, nil
	}
	r, err := rr.parse(value)
	if err != nil {
		return "", err
	}
	if r.Type != spec.Target {
		return "", fmt.Errorf("reference %q (want %s): %w", value, spec.Target, errOtherType)
	}
	if r.Version != "" {
		return "", fmt.Errorf("versioned reference %q in a search: %w", value, errBadReference)
	}
	return r.ID, nil
}

// reference is the part of a FHIR Reference datatype the gateway reads.
type reference struct {
	Reference string `json:"reference"`
	Type      string `json:"type"`
}

// patientsIn returns the patient ids named by a field holding a Reference or a list of them.
// References to other types are skipped; a reference that may be a patient but cannot be
// resolved locally (identifier-only, contained, another server) is an error.
func (rr refResolver) patientsIn(raw json.RawMessage, out []string) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	var refs []reference
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return out, nil
	case raw[0] == '[':
		if err := json.Unmarshal(raw, &refs); err != nil {
			return out, fmt.Errorf("reference list: %w", err)
		}
	default:
		var one reference
		if err := json.Unmarshal(raw, &one); err != nil {
			return out, fmt.Errorf("reference: %w", err)
		}
		refs = []reference{one}
	}
	for _, x := range refs {
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

// validID reports whether s is a FHIR logical id: [A-Za-z0-9\-\.]{1,64}. Ids made only of dots
// are valid FHIR but are path segments with a meaning of their own, so they are refused.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 || strings.Trim(s, ".") == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
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
