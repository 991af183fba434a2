package fhirproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/mypatients/gateway/access"
)

// errNoPatient: a returned resource whose patient cannot be established is never released.
var errNoPatient = errors.New("resource names no patient")

// resourceInfo is what the proxy needs to know about a returned resource.
type resourceInfo struct {
	Type, ID string
	// Patients are the patients whose compartment the resource is in, unique.
	Patients []string
}

// inspect reads a resource's type, id and patients from the fields the table lists. Only the
// top level is decoded; the clinical content is never interpreted.
func (h *Handler) inspect(raw json.RawMessage) (resourceInfo, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return resourceInfo{}, fmt.Errorf("decode resource: %w", err)
	}
	var info resourceInfo
	if err := json.Unmarshal(fields["resourceType"], &info.Type); err != nil {
		return resourceInfo{}, fmt.Errorf("resourceType: %w", err)
	}
	if err := json.Unmarshal(fields["id"], &info.ID); err != nil || !validID(info.ID) {
		return resourceInfo{}, fmt.Errorf("%s without a valid id", info.Type)
	}
	spec, ok := h.parser.types[info.Type]
	if !ok {
		return info, fmt.Errorf("resource type %q is not served", info.Type)
	}
	if info.Type == "Patient" {
		info.Patients = []string{info.ID}
		return info, nil
	}
	var patients []string
	for _, f := range spec.PatientFields {
		var err error
		if patients, err = h.parser.refs.patientsIn(fields[f], patients); err != nil {
			return info, fmt.Errorf("%s/%s.%s: %w", info.Type, info.ID, f, err)
		}
	}
	if len(patients) == 0 {
		return info, fmt.Errorf("%s/%s: %w", info.Type, info.ID, errNoPatient)
	}
	info.Patients = unique(patients)
	return info, nil
}

// read serves GET [base]/Type/id. A Patient read is decided before the upstream is asked; any
// other type is decided on the patient the returned resource names. Every way a read can fail
// for lack of access (not found, gone, another patient, wrong type, no patient) gives the same
// 403 and text, so a caller cannot learn whether a resource exists.
func (h *Handler) read(ctx context.Context, ex *exchange, req *fhirRequest) *answer {
	if req.Type == "Patient" {
		d, rf := h.decide(ctx, ex, access.Read, req.Type, req.Patients)
		if rf != nil {
			return refused(rf)
		}
		if !d.Allow {
			return refused(forbidden(denialReason(d), denialMessage(d)))
		}
	}
	reply, rf := h.fetch(ctx, ex, req)
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
	case info.Type != req.Type || info.ID != req.ID:
		return refused(hidden(reasonUnexpected, fmt.Errorf("asked for %s, got %s/%s", req.upstreamPath(), info.Type, info.ID)))
	}
	if req.Type != "Patient" {
		d, rf := h.decide(ctx, ex, access.Read, req.Type, info.Patients)
		if rf != nil {
			return refused(rf)
		}
		if !d.Allow {
			return refused(hidden(denialReason(d), nil))
		}
	}
	return released(h.links.body(reply.body), keptHeaders(reply.header))
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
