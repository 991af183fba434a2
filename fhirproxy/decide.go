package fhirproxy

import (
	"context"
	"maps"
	"slices"

	"github.com/mypatients/gateway"
)

// typeAccess is what may be released of one resource type in a search answer.
type typeAccess struct {
	directory bool            // a directory type the caller may read: no patient to check
	patients  map[string]bool // the patients whose resources of this type may be released
}

// permits reports whether every patient of a resource is allowed (and there is one, unless
// the type is outside the compartment).
func (a typeAccess) permits(info resourceInfo) bool {
	if a.directory && len(info.Patients) == 0 {
		return true
	}
	for _, p := range info.Patients {
		if !a.patients[p] {
			return false
		}
	}
	return len(info.Patients) > 0
}

// allowedByType decides, once per resource type in the answer, which entries may be
// released: the searched type's patients, and each included type on its own (the caller needs
// that type's scope too, and its patients decided for it).
func (h *Handler) allowedByType(ctx context.Context, ex *exchange, req *fhirRequest, cands []candidate,
	known map[string]bool) (map[string]typeAccess, *refusal) {
	want := map[string][]string{}
	for _, c := range cands {
		want[c.info.Type] = append(want[c.info.Type], c.info.Patients...)
	}
	out := map[string]typeAccess{}
	for _, typ := range sortedKeys(want) {
		if h.parser.types[typ].Class == classDirectory {
			if typ == req.Type || h.directory(ex, typ, gateway.Search) == nil {
				out[typ] = typeAccess{directory: true}
			}
			continue
		}
		k := known
		if typ != req.Type {
			k = nil
		}
		allowed, rf := h.allowedPatients(ctx, ex, typ, unique(want[typ]), k)
		if rf != nil {
			return nil, rf
		}
		out[typ] = typeAccess{patients: allowed}
	}
	return out, nil
}

// allowedPatients returns the patients whose entries may be released: those already allowed
// by the request's own decision, plus those a decision on the rest allows. When that decision
// is a denial, the allowed subset is confirmed by a second decision that must allow exactly it,
// so a denial that is not about particular patients (scopes, interaction) never lets
// per-patient answers through.
func (h *Handler) allowedPatients(ctx context.Context, ex *exchange, typ string, want []string,
	known map[string]bool) (map[string]bool, *refusal) {
	var unknown []string
	for _, p := range want {
		if !known[p] {
			unknown = append(unknown, p)
		}
	}
	allowed := maps.Clone(known)
	if allowed == nil {
		allowed = map[string]bool{}
	}
	if len(unknown) == 0 {
		return allowed, nil
	}
	d, rf := h.decide(ctx, ex, gateway.Search, typ, unknown)
	if rf != nil {
		return nil, rf
	}
	var ok []string
	for _, p := range unknown {
		if d.PatientAllowed(p) {
			ok = append(ok, p)
		}
	}
	if launch := ex.caller.Patient; !d.Allow && len(ok) == 0 && len(unknown) > 1 && slices.Contains(unknown, launch) {
		// A token confined to its launch patient is refused as a whole when the batch names
		// others too; the launch patient alone may still be allowed, which the decision
		// below confirms.
		ok = []string{launch}
	}
	if !d.Allow && len(ok) > 0 {
		c, rf := h.decide(ctx, ex, gateway.Search, typ, ok)
		if rf != nil {
			return nil, rf
		}
		if !c.Allow {
			ok = nil
		}
		d = c
	}
	for _, p := range ok {
		if d.PatientAllowed(p) {
			allowed[p] = true
		}
	}
	return allowed, nil
}
