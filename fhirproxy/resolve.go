package fhirproxy

import (
	"bytes"
	"fmt"
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

// refMemo remembers the last few references of one answer and how they resolved. It is keyed
// by the exact bytes of the reference, and what it remembers is what parseRef returns for
// those bytes with the handler's bases, which never change; a nil *refMemo remembers nothing.
type refMemo struct {
	recent [8]resolved
	next   int // where the next new one goes, round the ring
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
