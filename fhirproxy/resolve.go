package fhirproxy

import (
	"bytes"
	"fmt"
	"slices"
)

// The references of an upstream answer, resolved to the patients they name. The entries of a
// searchset refer to the same few patients and practitioners again and again, so one answer's
// references are resolved through a memo of the last few distinct ones (refMemo): parsing a
// reference and making a string of its patient's id happen once per distinct reference, not
// once per occurrence.

// resolved is how one reference resolved: where its type and id are in its text, the id as a
// string when the type is Patient, or why it is not a local literal reference.
type resolved struct {
	text    []byte
	at      refSpan
	patient string
	err     error
}

// typ returns the reference's type, read from text (the reference, or one equal to it).
func (r resolved) typ(text []byte) []byte { return text[r.at.typ.start:r.at.typ.end] }

// resolvedField is how the value of one compartment field resolved (patientsIn): the patients
// it names, or why it names none that can be established.
type resolvedField struct {
	raw      []byte
	patients []string // a copy: what patientsIn appended to is sorted in place afterwards
	err      error
}

// refMemo remembers the last few references of one answer and how they resolved, and the last
// few compartment field values. It is keyed by their exact bytes, and what it remembers is what
// parseRef and patientsIn return for those bytes with the handler's bases, which never change;
// a nil *refMemo remembers nothing.
type refMemo struct {
	recent [8]resolved
	fields [4]resolvedField
	// where the next new one of each goes, round its ring
	next, nextField int
}

// resolve parses s as rr.parse does, through the memo.
func (m *refMemo) resolve(rr refResolver, s []byte) resolved {
	if m != nil {
		for i := range m.recent {
			if r := &m.recent[i]; r.text != nil && bytes.Equal(r.text, s) {
				return *r
			}
		}
	}
	r := resolved{text: s}
	if r.at, r.err = parseRef(rr, s); r.err == nil && string(r.typ(s)) == "Patient" {
		r.patient = string(s[r.at.id.start:r.at.id.end])
	}
	if m != nil {
		m.recent[m.next] = r
		m.next = (m.next + 1) % len(m.recent)
	}
	return r
}

// field appends to out the patients a compartment field's value names, as patientsIn does,
// through the memo: entries whose subject is the same patient read it once.
func (m *refMemo) field(rr refResolver, raw []byte, out []string) ([]string, error) {
	if m != nil {
		for i := range m.fields {
			if f := &m.fields[i]; f.raw != nil && bytes.Equal(f.raw, raw) {
				return append(out, f.patients...), f.err
			}
		}
	}
	before := len(out)
	out, err := rr.patientsIn(raw, out, m)
	if m != nil {
		f := resolvedField{raw: raw, err: err}
		if err == nil {
			f.patients = slices.Clone(out[before:])
		}
		m.fields[m.nextField] = f
		m.nextField = (m.nextField + 1) % len(m.fields)
	}
	return out, err
}

// patients appends to out the patients the resource's references name: a reference that
// mentions Patient but cannot be resolved locally is an error.
func (rr refResolver) patients(refs [][]byte, out []string, m *refMemo) ([]string, error) {
	for _, s := range refs {
		switch r := m.resolve(rr, s); {
		case r.err == nil && r.patient != "":
			out = append(out, r.patient)
		case r.err != nil && bytes.Contains(s, []byte("Patient")):
			return nil, fmt.Errorf("reference %q: %w", clip(string(s)), errBadReference)
		}
	}
	return out, nil
}
