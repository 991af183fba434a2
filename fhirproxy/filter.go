package fhirproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"

	"github.com/mypatients/gateway/access"
)

// searchBundle is the part of an upstream searchset the proxy reads. Each entry's resource
// stays raw until it is checked; the Bundle is never decoded as a generic map. An entry that
// does not fit bundleEntry makes the whole answer unusable (502), which fails closed.
type searchBundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Total        *int          `json:"total"`
	Link         []bundleLink  `json:"link"`
	Entry        []bundleEntry `json:"entry"`
}

type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// bundleEntry is one entry, read from the upstream and written to the client. Fields not
// listed (request, response, unknown extensions of the entry) are dropped.
type bundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource"`
	Search   *entrySearch    `json:"search,omitempty"`
}

type entrySearch struct {
	Mode  string   `json:"mode,omitempty"`
	Score *float64 `json:"score,omitempty"`
}

// outBundle is the searchset the proxy releases.
type outBundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Total        *int          `json:"total,omitempty"`
	Link         []bundleLink  `json:"link"`
	Entry        []bundleEntry `json:"entry"`
}

// search serves GET [base]/Type?params. Named patients are decided before the upstream is
// asked; a Patient search naming none is narrowed by the authorizer. Either way every returned
// entry is checked again on its own patients.
func (h *Handler) search(ctx context.Context, ex *exchange, req *fhirRequest) *answer {
	known := map[string]bool{}
	var narrow url.Values
	fetchReq := req
	if len(req.Patients) > 0 {
		d, rf := h.decide(ctx, ex, access.Search, req.Type, req.Patients)
		if rf != nil {
			return refused(rf)
		}
		if !d.Allow {
			return refused(forbidden(denialReason(d), denialMessage(d)))
		}
		for _, p := range req.Patients {
			known[p] = true
		}
	} else {
		var visible bool
		var rf *refusal
		fetchReq, narrow, visible, rf = h.narrow(ctx, ex, req)
		switch {
		case rf != nil:
			return refused(rf)
		case !visible: // no patient at all: an empty searchset, the upstream is not asked
			return encoded(outBundle{ResourceType: "Bundle", Type: "searchset",
				Link: h.links.bundleLinks(req, nil, nil), Entry: []bundleEntry{}})
		}
	}
	reply, rf := h.fetch(ctx, ex, fetchReq)
	if rf != nil {
		return refused(rf)
	}
	if reply.status/100 != 2 {
		return refused(statusRefusal(req, reply.status))
	}
	out, rf := h.filterBundle(ctx, ex, req, reply.body, known, narrow)
	if rf != nil {
		return refused(rf)
	}
	return encoded(out)
}

// narrow asks the authorizer to restrict a search naming no patient. It returns the request to
// send upstream (the caller's canonical query plus the authorizer's parameters) and those
// parameters, never nil, so that the caller knows the search was narrowed and drops total.
func (h *Handler) narrow(ctx context.Context, ex *exchange, req *fhirRequest) (*fhirRequest, url.Values, bool, *refusal) {
	params, ok, err := h.authz.Narrow(ctx, *ex.caller, req.Type)
	if err != nil {
		return nil, nil, false, authzFailed(fmt.Errorf("narrow %s search: %w", req.Type, err))
	}
	if !ok {
		return nil, nil, false, nil
	}
	out := &fhirRequest{Interaction: req.Interaction, Type: req.Type, Query: maps.Clone(req.Query)}
	for k, vs := range params {
		out.Query[k] = append(out.Query[k], vs...)
	}
	if params == nil {
		params = url.Values{}
	}
	return out, params, true, nil
}

// candidate is a match entry whose resource and patients are known.
type candidate struct {
	entry bundleEntry
	info  resourceInfo
}

// filterBundle releases only the entries whose every patient is allowed, with fullUrl and
// links pointing at the gateway. total is kept only when nothing was dropped and the search
// was not narrowed, so it never counts what the caller cannot see.
func (h *Handler) filterBundle(ctx context.Context, ex *exchange, req *fhirRequest, body []byte,
	known map[string]bool, narrow url.Values) (*outBundle, *refusal) {
	var in searchBundle
	if err := json.Unmarshal(body, &in); err != nil || in.ResourceType != "Bundle" || in.Type != "searchset" {
		return nil, upstreamFailed(fmt.Errorf("search %s: answer is not a searchset Bundle (%v)", req.Type, err))
	}
	cands, dropped := h.candidates(req, in.Entry)
	var want []string
	for _, c := range cands {
		want = append(want, c.info.Patients...)
	}
	allowed, rf := h.allowedPatients(ctx, ex, req.Type, unique(want), known)
	if rf != nil {
		return nil, rf
	}
	out := outBundle{ResourceType: "Bundle", Type: "searchset", Entry: make([]bundleEntry, 0, len(cands))}
	for _, c := range cands {
		if !allAllowed(c.info.Patients, allowed) {
			dropped++
			continue
		}
		e := bundleEntry{
			FullURL:  h.links.resourceURL(c.info.Type, c.info.ID),
			Resource: h.links.body(c.entry.Resource),
			Search:   &entrySearch{Mode: "match"},
		}
		if c.entry.Search != nil {
			e.Search.Score = c.entry.Search.Score
		}
		out.Entry = append(out.Entry, e)
	}
	if dropped == 0 && narrow == nil {
		out.Total = in.Total
	}
	out.Link = h.links.bundleLinks(req, in.Link, narrow)
	return &out, nil
}

// candidates keeps the match entries of the asked type whose patients are known. Outcome
// entries are dropped silently; anything else dropped (includes, which no vetted parameter
// asks for; resources of another type or naming no patient) is counted.
func (h *Handler) candidates(req *fhirRequest, entries []bundleEntry) ([]candidate, int) {
	out := make([]candidate, 0, len(entries))
	dropped := 0
	for _, e := range entries {
		mode := "match"
		if e.Search != nil && e.Search.Mode != "" {
			mode = e.Search.Mode
		}
		if mode == "outcome" {
			continue
		}
		info, err := h.inspect(e.Resource)
		if mode != "match" || err != nil || info.Type != req.Type {
			dropped++
			continue
		}
		out = append(out, candidate{entry: e, info: info})
	}
	return out, dropped
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
	if len(unknown) == 0 {
		return allowed, nil
	}
	d, rf := h.decide(ctx, ex, access.Search, typ, unknown)
	if rf != nil {
		return nil, rf
	}
	var ok []string
	for _, p := range unknown {
		if d.PatientAllowed(p) {
			ok = append(ok, p)
		}
	}
	if !d.Allow && len(ok) > 0 {
		c, rf := h.decide(ctx, ex, access.Search, typ, ok)
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

func allAllowed(patients []string, allowed map[string]bool) bool {
	for _, p := range patients {
		if !allowed[p] {
			return false
		}
	}
	return len(patients) > 0
}

// encoded releases b as JSON, without HTML escaping so that narrative and values keep their
// text.
func encoded(b any) *answer {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return refused(upstreamFailed(fmt.Errorf("encode searchset: %w", err)))
	}
	return released(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil)
}
