package fhirproxy

import (
	"bytes"
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
	// origins and paths are each base's "scheme://host" (in lower case, matched in any ASCII
	// case) and its path with a trailing slash (matched exactly), so that an absolute reference
	// is resolved by comparing prefixes: no URL parser whose normalisations could differ from
	// the client's.
	origins, paths []string
}

// newRefResolver returns a resolver for the given FHIR bases (without trailing slash).
func newRefResolver(bases ...*url.URL) refResolver {
	rr := refResolver{bases: bases}
	for _, b := range bases {
		rr.origins = append(rr.origins, strings.ToLower(b.Scheme+"://"+b.Host))
		rr.paths = append(rr.paths, b.Path+"/")
	}
	return rr
}

// parse parses a literal reference: Type/id or Type/id/_history/version, relative or under a
// local base.
func (rr refResolver) parse(s string) (ref, error) {
	sp, err := parseRef(rr, s)
	if err != nil {
		return ref{}, fmt.Errorf("reference %q: %w", s, err)
	}
	return ref{Type: s[sp.typ.start:sp.typ.end], ID: s[sp.id.start:sp.id.end], Version: s[sp.version.start:sp.version.end]}, nil
}

// refSpan is where a literal reference's type, id and version (empty when there is none) are
// in its text.
type refSpan struct{ typ, id, version span }

// parseRef parses a literal reference, as parse does. It is generic so that the parser
// (strings) and the scan of an upstream answer (its bytes, without a copy) read references with
// one and the same code.
//
// An absolute reference must start with a local base: its "scheme://host" in any ASCII case
// (the bases are ASCII, so this is what strings.EqualFold would match) and then its path
// exactly. What is left must then be Type/id[/_history/version] in the characters of FHIR type
// names and ids only, so escapes, queries, fragments (contained "#x"), user info and spaces
// never get through: there is no second decoding whose reading could differ from the client's.
// Other forms (urn:uuid:, urn:oid:, other servers) are errBadReference.
func parseRef[T ~string | ~[]byte](rr refResolver, s T) (refSpan, error) {
	at, ok := 0, true // where the relative part begins
	if colon := indexByte(s, 0, ':'); colon >= 0 {
		at, ok = localBase(rr, s, colon)
	}
	typEnd := indexByte(s, at, '/')
	if !ok || typEnd < 0 {
		return refSpan{}, errBadReference
	}
	r := refSpan{typ: span{at, typEnd}, id: span{typEnd + 1, len(s)}, version: span{len(s), len(s)}}
	if idEnd := indexByte(s, typEnd+1, '/'); idEnd >= 0 {
		const history = "_history/"
		if len(s)-idEnd-1 < len(history) || string(s[idEnd+1:idEnd+1+len(history)]) != history {
			return refSpan{}, errBadReference
		}
		r.id.end, r.version.start = idEnd, idEnd+1+len(history)
		if !gateway.ValidID(s[r.version.start:]) {
			return refSpan{}, errBadReference
		}
	}
	if !validTypeName(s[at:typEnd]) || !gateway.ValidID(s[r.id.start:r.id.end]) {
		return refSpan{}, errBadReference
	}
	return r, nil
}

// localBase returns where the relative part of s, an absolute reference whose first colon is
// at colon, begins: ok is false unless s starts with a local base.
func localBase[T ~string | ~[]byte](rr refResolver, s T, colon int) (int, bool) {
	if len(s)-colon < 3 || string(s[colon:colon+3]) != "://" { // urn:uuid:, urn:oid: and other non-local forms
		return 0, false
	}
	for i, origin := range rr.origins {
		if len(s) > len(origin) && equalFoldASCII(s[:len(origin)], origin) &&
			len(s)-len(origin) >= len(rr.paths[i]) && string(s[len(origin):len(origin)+len(rr.paths[i])]) == rr.paths[i] {
			return len(origin) + len(rr.paths[i]), true
		}
	}
	return 0, false
}

// indexByte returns the index of the first c in s at or after from, -1 when there is none.
func indexByte[T ~string | ~[]byte](s T, from int, c byte) int {
	for i := from; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// searchValue parses one item of a reference search parameter's comma list into a reference
// to one of spec.Targets. Accepted: "Type/id", an absolute URL under a local base, a bare id
// when the parameter has one target or a ":Type" modifier names it. A bare id for a parameter
// with several targets is ambiguous (it could be a patient) and refused, as is a version.
func (rr refResolver) searchValue(spec paramSpec, modifier, value string) (ref, error) {
	if modifier != "" && !slices.Contains(spec.Targets, modifier) {
		return ref{}, fmt.Errorf("modifier %q (want %v): %w", modifier, spec.Targets, errOtherType)
	}
	if strings.IndexByte(value, '/') < 0 && strings.IndexByte(value, ':') < 0 {
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

// reference is the part of a FHIR Reference datatype the gateway reads: its strings' bytes,
// decoded.
type reference struct {
	Reference, Type []byte
}

// decodeReference reads one Reference object, refusing repeated members (two "reference"
// members would be read as the last by one parser and as the first by another) and
// "reference" or "type" values that are not strings.
func decodeReference(raw []byte) (reference, error) {
	var x reference
	s := scanner{buf: raw}
	var names [2]bool // "reference" and "type" seen
	if s.expect('{'); s.err != nil {
		return reference{}, errors.New("reference: not a JSON object")
	}
	for n := 0; s.next('}', n); n++ {
		name, _ := s.name()
		i, dst := 0, &x.Reference
		switch string(name) {
		case "reference":
		case "type":
			i, dst = 1, &x.Type
		default:
			s.skip(1)
			continue
		}
		var ok bool
		if *dst, ok = s.textBytes(); (!ok || names[i]) && s.err == nil {
			return reference{}, fmt.Errorf("reference.%s is repeated or not a string", name)
		}
		names[i] = true
	}
	if s.end(); s.err != nil {
		return reference{}, fmt.Errorf("reference: %w", s.err)
	}
	return x, nil
}

// patientsIn returns the patient ids named by a field holding a Reference or a list of them,
// its references resolved through the memo m (resolve.go). References to other types are
// skipped; a reference that may be a patient but cannot be resolved locally (identifier-only,
// contained, another server) is an error.
func (rr refResolver) patientsIn(raw []byte, out []string, m *refMemo) ([]string, error) {
	it := listItems(raw)
	for item, ok := it.next(); ok; item, ok = it.next() {
		x, err := decodeReference(item)
		if err != nil {
			return out, err
		}
		if len(x.Reference) == 0 {
			if len(x.Type) == 0 || string(x.Type) == "Patient" {
				return out, fmt.Errorf("reference without a literal target: %w", errBadReference)
			}
			continue
		}
		r := m.resolve(rr, x.Reference)
		if r.err != nil {
			return out, fmt.Errorf("reference %q: %w", x.Reference, r.err)
		}
		if len(x.Type) > 0 && !bytes.Equal(x.Type, r.typ(x.Reference)) {
			return out, fmt.Errorf("reference %q typed %q: %w", x.Reference, x.Type, errBadReference)
		}
		if r.patient != "" {
			out = append(out, r.patient)
		}
	}
	return out, it.err()
}

// patientsAt returns the patients named by the References at a dot-separated path below a
// resource's top-level fields ("subject", "link.other"), searching lists element by element.
func (rr refResolver) patientsAt(f fields, path string, out []string, m *refMemo) ([]string, error) {
	first, rest, nested := strings.Cut(path, ".")
	raw := f.get(first)
	switch {
	case raw == nil:
		return out, nil
	case !nested:
		return m.field(rr, raw, out)
	}
	err := eachItem(raw, func(item []byte) error {
		var inner fields
		if err := objectMembers(item, func(name, value []byte) { inner = append(inner, member{name, value}) }); err != nil {
			return fmt.Errorf("%s: %w", first, err)
		}
		var err error
		out, err = rr.patientsAt(inner, rest, out, m)
		return err
	})
	return out, err
}

// validTypeName reports whether s looks like a FHIR resource type name.
func validTypeName[T ~string | ~[]byte](s T) bool {
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
