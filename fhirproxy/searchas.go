package fhirproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mypatients/gateway"
)

// ErrForbidden is wrapped by the error of SearchAs when the FHIR API would have answered the
// same search 403 Forbidden: the policy, the token's scopes or the gateway's own rules do not
// allow it.
var ErrForbidden = errors.New("forbidden")

// SearchAs searches resourceType with query as c, a caller the gateway has already
// authenticated (the standalone-launch patient picker acts as the clinician logging in). It
// takes the very path of GET [base]/resourceType?query over HTTP, so there is one path to
// data: the same parsing, narrowing, decisions, upstream query, filtering and one audit record
// written before anything is returned; only the bearer token is not read. It returns the
// resource of each released entry, matches and includes, in the order of the searchset, with
// references pointing at the gateway. A search the API would refuse with 403 is an error
// wrapping ErrForbidden; any other failure (a malformed search, the authorizer, the upstream,
// the audit trail) is an error too, and returns no resource.
func (h *Handler) SearchAs(ctx context.Context, c gateway.Caller, resourceType string, query url.Values) ([]json.RawMessage, error) {
	u := &url.URL{Path: h.public.Path + "/" + resourceType, RawQuery: query.Encode()}
	ex := newExchange(http.MethodGet, u.EscapedPath())
	ex.caller = &c
	req, rf := h.parseSearch(u)
	if rf == nil {
		ex.req = req
		ex.decided, ex.answer = h.serve(ctx, ex.id, c, req)
	} else {
		ex.answer = refused(rf)
	}
	done := h.audit(ctx, ex)
	h.logLine(ctx, ex, done)
	switch a := done.answer; {
	case a.rf != nil && a.status == http.StatusForbidden:
		return nil, fmt.Errorf("fhirproxy: search %s: %w (%w)", clip(resourceType), ErrForbidden, a.rf)
	case a.rf != nil:
		return nil, fmt.Errorf("fhirproxy: search %s: %w", clip(resourceType), a.rf)
	}
	var b outBundle
	if err := json.Unmarshal(done.answer.body, &b); err != nil {
		return nil, fmt.Errorf("fhirproxy: search %s: read searchset: %w", clip(resourceType), err)
	}
	out := make([]json.RawMessage, 0, len(b.Entry))
	for _, e := range b.Entry {
		out = append(out, e.Resource)
	}
	return out, nil
}

// parseSearch parses u as a search; a path that is not a search is refused.
func (h *Handler) parseSearch(u *url.URL) (*fhirRequest, *refusal) {
	req, rf := h.parser.parse(u)
	switch {
	case rf != nil:
		return nil, rf
	case req.Interaction != gateway.Search:
		return nil, badRequest("%q is not a resource type to search.", clip(strings.TrimPrefix(u.Path, h.public.Path+"/")))
	}
	return req, nil
}

// PatientSummary is what a patient list shows of one Patient.
type PatientSummary struct {
	ID string
	// Name is the first name's given names and family name, or the id when there is none.
	Name      string
	BirthDate string
}

// PatientSummaries lists, through SearchAs, the patients a search of Patient with query finds
// for c: exactly those the clinician's own search would release.
func (h *Handler) PatientSummaries(ctx context.Context, c gateway.Caller, query url.Values) ([]PatientSummary, error) {
	resources, err := h.SearchAs(ctx, c, "Patient", query)
	if err != nil {
		return nil, err
	}
	var out []PatientSummary
	for _, raw := range resources {
		var r struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
			BirthDate    string `json:"birthDate"`
			Name         []struct {
				Given  []string `json:"given"`
				Family string   `json:"family"`
			} `json:"name"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("fhirproxy: patient summaries: %w", err)
		}
		if r.ResourceType != "Patient" || r.ID == "" {
			continue
		}
		name := r.ID
		if len(r.Name) > 0 {
			name = strings.TrimSpace(strings.Join(r.Name[0].Given, " ") + " " + r.Name[0].Family)
		}
		out = append(out, PatientSummary{ID: r.ID, Name: name, BirthDate: r.BirthDate})
	}
	return out, nil
}
