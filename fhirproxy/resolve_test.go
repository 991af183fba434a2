package fhirproxy

import (
	"slices"
	"testing"
)

// TestRefMemo: what the memo answers for a reference or a compartment field, the first time
// and when it is asked again (from the memo, more than a ring's worth of values later too),
// is what reading it afresh answers.
func TestRefMemo(t *testing.T) {
	t.Parallel()
	p := testParser(t)
	values := []string{
		`{"reference":"Patient/child-01"}`, `{"reference":"http://ehr.internal:8081/fhir/Patient/child-02"}`,
		`[{"reference":"Practitioner/p"},{"reference":"Patient/child-03"}]`, `{"reference":"Group/g"}`,
		`{"reference":"Patient/child-01","type":"Group"}`, `{"reference":"#c"}`, `{"type":"Patient"}`,
		`{"reference":"Patient/child-01","reference":"Patient/child-02"}`, `"Patient/child-01"`, `null`,
	}
	var m refMemo
	for round := range 3 {
		for i := range values {
			raw := []byte(values[(i*7+round)%len(values)]) // another order each round
			got, err := m.field(p.refs, raw, []string{"before"})
			want, werr := p.refs.patientsIn(raw, []string{"before"}, nil)
			if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() || err == nil && !slices.Equal(got, want) {
				t.Errorf("%s: memo %q (%v), afresh %q (%v)", raw, got, err, want, werr)
			}
			x, derr := decodeReference(raw)
			if derr != nil || len(x.Reference) == 0 {
				continue
			}
			if r, fresh := m.resolve(p.refs, x.Reference), (*refMemo)(nil).resolve(p.refs, x.Reference); r.patient != fresh.patient ||
				(r.err == nil) != (fresh.err == nil) || string(r.typ(x.Reference)) != string(fresh.typ(x.Reference)) {
				t.Errorf("%s: memo resolved %+v, afresh %+v", x.Reference, r, fresh)
			}
		}
	}
}
