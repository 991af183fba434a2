package fhirproxy

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/mypatients/gateway"
)

// read serves GET [base]/Type/id and its vread, [base]/Type/id/_history/vid. A Patient read is
// decided before the upstream is asked; every read is decided again on the patients the
// returned resource's compartment fields name (a Patient linked to another patient is in both
// compartments). Every way a read can fail for lack of access (not found, gone, another
// patient, wrong type or version, no patient, outside the token's scope query) gives the same
// 403 and text, so a caller cannot learn whether a resource exists.
func (h *Handler) read(ctx context.Context, ex *exchange, req *fhirRequest) *answer {
	spec := h.parser.types[req.Type]
	switch spec.Class {
	case classDirectory:
		if rf := h.directory(ex, req.Type, req.Interaction); rf != nil {
			return refused(rf)
		}
	case classPatient:
		if rf := h.decidePatients(ctx, ex, req.Interaction, req.Type, req.Patients, false); rf != nil {
			return refused(rf)
		}
	}
	reply, rf := h.fetchAll(ctx, ex, req)
	if rf != nil {
		return refused(rf)
	}
	if reply.status/100 != 2 {
		return refused(statusRefusal(req, reply.status))
	}
	info, err := h.inspect(reply.body)
	switch {
	case err != nil && info.Type == "":
		return refused(upstreamFailed(fmt.Errorf("GET %s: %w", req.upstreamPath(), err)))
	case err != nil:
		return refused(hidden(reasonUnexpected, err))
	case info.Type != req.Type || info.ID != req.ID || (req.Version != "" && info.Version != "" && info.Version != req.Version):
		return refused(hidden(reasonUnexpected, fmt.Errorf("asked for %s, got %s/%s", req.upstreamPath(), info.Type, info.ID)))
	}
	if rf := h.checkReturned(ctx, ex, req, spec, info); rf != nil {
		return refused(rf)
	}
	if !h.parser.scopeRulesFor(*ex.caller, req.Type, gateway.Read).admits(spec, info.Fields) {
		return refused(hidden(reasonScopeQuery, fmt.Errorf("%s/%s is outside the token's scope query", info.Type, info.ID)))
	}
	return released(h.links.body(reply.body), keptHeaders(reply.header))
}

// checkReturned decides a read on the patients the returned resource belongs to.
func (h *Handler) checkReturned(ctx context.Context, ex *exchange, req *fhirRequest, spec typeSpec, info resourceInfo) *refusal {
	switch spec.Class {
	case classDirectory:
		if len(info.Patients) == 0 {
			return nil // the usual case: staff and places name no patient
		}
	case classPatient:
		if slices.Equal(info.Patients, req.Patients) {
			return nil // decided before the fetch
		}
	case classBinary:
		patients, err := h.binaryPatients(ctx, info)
		if err != nil {
			return hidden(reasonUnexpected, err)
		}
		// The note's text is released only to whoever may read the DocumentReference itself.
		if rf := h.decidePatients(ctx, ex, req.Interaction, "DocumentReference", patients, true); rf != nil {
			return rf
		}
		info.Patients = patients
	}
	ex.addPatients(info.Patients)
	return h.decidePatients(ctx, ex, req.Interaction, req.Type, info.Patients, true)
}

// decidePatients asks the authorizer about patients and turns a denial into a refusal; hide
// gives a denial the text of "not found".
func (h *Handler) decidePatients(ctx context.Context, ex *exchange, interaction, typ string, patients []string, hide bool) *refusal {
	d, rf := h.decide(ctx, ex, interaction, typ, patients)
	switch {
	case rf != nil:
		return rf
	case d.Allow:
		return nil
	case hide:
		return hidden(denialReason(d), nil)
	}
	rf = forbidden(denialReason(d), denialMessage(d))
	rf.NextSteps = denialNextSteps(d)
	return rf
}

// directory checks access to a type outside the patient compartment (Practitioner,
// Organization, ...): any clinician, that is a caller whose token names a Practitioner, whose
// token's scopes cover the type and interaction. These resources describe the hospital's
// staff and places, not patients; the policy has no patient to decide on.
func (h *Handler) directory(ex *exchange, typ, interaction string) *refusal {
	if ex.caller.PractitionerID() == "" {
		return forbidden(reasonNotClinician, "Only clinicians may read the hospital directory.")
	}
	if !scopePermits(ex.caller.Scopes, typ, interactionPerm(interaction)) {
		return forbidden(reasonScope, "The app you are using was not granted permission to read this kind of record.")
	}
	ex.directory = true
	return nil
}

// keptHeaders returns the upstream response headers deliberately passed on: the version
// validators of a single resource. Nothing else of the upstream's headers reaches the client.
func keptHeaders(up http.Header) http.Header {
	out := http.Header{}
	for _, k := range []string{"ETag", "Last-Modified"} {
		if v := up.Get(k); v != "" && len(v) <= 128 && strings.IndexFunc(v, isControl) < 0 {
			out.Set(k, v)
		}
	}
	return out
}

// unique sorts ids and removes repeats, in place.
func unique(ids []string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}
