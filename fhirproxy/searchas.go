package fhirproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mypatients/gateway"
)

// ErrForbidden is wrapped by the error of SearchAs when the FHIR API would have answered the
// same search 403 Forbidden: the policy, the token's scopes or the gateway's own rules do not
// allow it. It is gateway.ErrForbidden, so that callers need not import this package.
var ErrForbidden = gateway.ErrForbidden

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
