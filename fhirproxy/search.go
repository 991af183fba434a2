package fhirproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"

	"github.com/mypatients/gateway"
)

// search serves a search. Named patients are decided before the upstream is asked; a Patient
// search naming none is narrowed by the authorizer, and to the launch patient for a token
// confined to it; a directory search needs a clinician. A
// v2 scope query is added to the upstream query. Either way every returned entry, match or
// include, is checked again on its own patients and the scope query.
func (h *Handler) search(ctx context.Context, ex *exchange, req *fhirRequest) *answer {
	spec := h.parser.types[req.Type]
	known := map[string]bool{}
	added := url.Values{}
	fetchReq := &fhirRequest{Interaction: req.Interaction, Type: req.Type, Query: maps.Clone(req.Query)}
	switch {
	case spec.Class == classDirectory:
		if rf := h.directory(ex, req.Type, req.Interaction); rf != nil {
			return refused(rf)
		}
	case len(req.Patients) > 0:
		if rf := h.decidePatients(ctx, ex, gateway.Search, req.Type, req.Patients, false); rf != nil {
			return refused(rf)
		}
		for _, p := range req.Patients {
			known[p] = true
		}
	default:
		params, visible, err := h.authz.Narrow(ctx, *ex.caller, req.Type)
		switch {
		case err != nil:
			return refused(authzFailed(fmt.Errorf("narrow %s search: %w", req.Type, err)))
		case !visible: // no patient at all: an empty searchset, the upstream is not asked
			return encoded(outBundle{ResourceType: "Bundle", Type: "searchset",
				Link: h.links.bundleLinks(*ex.caller, req, nil, nil), Entry: []bundleEntry{}})
		}
		params = launchConfined(*ex.caller, req.Type, params)
		addAll(fetchReq.Query, params)
		addAll(added, params)
	}
	rules := h.parser.scopeRulesFor(*ex.caller, req.Type, gateway.Search)
	q, ok := rules.narrowQuery(fetchReq.Query)
	if !ok {
		return refused(forbidden(reasonScopeQuery,
			"The app's scopes for this kind of record carry conditions that cannot be applied to this search."))
	}
	for k, vs := range q {
		if extra := len(vs) - len(fetchReq.Query[k]); extra > 0 {
			added[k] = append(added[k], vs[len(vs)-extra:]...)
		}
	}
	fetchReq.Query = q
	return h.searchUpstream(ctx, ex, req, fetchReq, known, added, rules)
}

// searchUpstream fetches the search and filters the answer.
func (h *Handler) searchUpstream(ctx context.Context, ex *exchange, req, fetchReq *fhirRequest,
	known map[string]bool, added url.Values, rules scopeRules) *answer {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	resp, rf := h.fetch(ctx, ex, fetchReq)
	if rf != nil {
		return refused(rf)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return refused(statusRefusal(req, resp.StatusCode))
	}
	body := &limitedReader{r: resp.Body, n: h.maxBody}
	out, rf := h.filterBundle(ctx, ex, req, body, known, added, rules)
	if rf != nil {
		return refused(rf)
	}
	return encoded(out)
}

// candidate is an entry whose resource and patients are known.
type candidate struct {
	entry bundleEntry
	info  resourceInfo
	mode  string
}

// filterBundle releases only the entries whose every patient is allowed, that match the scope
// query, and that are matches of the searched type or includes of a vetted join; fullUrl and
// links point at the gateway. total is kept only when it equals what is released.
func (h *Handler) filterBundle(ctx context.Context, ex *exchange, req *fhirRequest, body io.Reader,
	known map[string]bool, added url.Values, rules scopeRules) (*outBundle, *refusal) {
	var cands []candidate
	dropped := 0
	head, err := decodeSearchset(body, func(e bundleEntry) error {
		c, ok := h.candidate(req, e)
		if !ok {
			dropped++
			return nil
		}
		if c.mode != "outcome" {
			cands = append(cands, c)
		}
		return nil
	})
	if err != nil {
		return nil, upstreamFailed(fmt.Errorf("search %s: %w", req.Type, err))
	}
	allowed, rf := h.allowedByType(ctx, ex, req, cands, known)
	if rf != nil {
		return nil, rf
	}
	out := outBundle{ResourceType: "Bundle", Type: "searchset", Entry: make([]bundleEntry, 0, len(cands))}
	matches := 0
	for _, c := range cands {
		if !allowed[c.info.Type].permits(c.info) ||
			!h.parser.scopeRulesFor(*ex.caller, c.info.Type, gateway.Search).admits(h.parser.types[c.info.Type], c.info.Fields) {
			dropped++
			continue
		}
		e := bundleEntry{FullURL: h.links.resourceURL(c.info.Type, c.info.ID),
			Resource: h.links.body(c.entry.Resource), Search: &entrySearch{Mode: c.mode}}
		if c.entry.Search != nil && c.mode == "match" {
			e.Search.Score = c.entry.Search.Score
		}
		if c.mode == "match" {
			matches++
		}
		out.Entry = append(out.Entry, e)
	}
	if dropped == 0 && head.Total != nil && *head.Total == matches && !paged(head.Link) {
		out.Total = head.Total
	}
	out.Link = h.links.bundleLinks(*ex.caller, req, head.Link, added)
	return &out, nil
}

// candidate inspects one entry. ok is false for an entry that must be dropped: not a match of
// the searched type nor an include of a vetted join, or whose patient cannot be established.
// Outcome entries are kept with mode "outcome" and then dropped silently.
func (h *Handler) candidate(req *fhirRequest, e bundleEntry) (candidate, bool) {
	mode := "match"
	if e.Search != nil && e.Search.Mode != "" {
		mode = e.Search.Mode
	}
	if mode == "outcome" {
		return candidate{mode: mode}, true
	}
	info, err := h.inspect(e.Resource)
	if err != nil {
		return candidate{}, false
	}
	switch mode {
	case "match":
		if info.Type != req.Type {
			return candidate{}, false
		}
	case "include":
		if !slices.ContainsFunc(slices.Collect(maps.Values(req.Includes)), func(ts []string) bool {
			return slices.Contains(ts, info.Type)
		}) {
			return candidate{}, false
		}
	default:
		return candidate{}, false
	}
	return candidate{entry: e, info: info, mode: mode}, true
}

// paged reports whether an upstream page has neighbours, so its total is not what it shows.
func paged(links []bundleLink) bool {
	return slices.ContainsFunc(links, func(l bundleLink) bool {
		return l.Relation == "next" || l.Relation == "previous" || l.Relation == "prev"
	})
}

// addAll appends every value of src to dst.
func addAll(dst, src url.Values) {
	for k, vs := range src {
		dst[k] = append(dst[k], vs...)
	}
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

// limitedReader fails once more than n bytes were read, so an oversized answer is an error
// rather than silently truncated JSON.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errTooLarge
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errTooLarge
	}
	return n, err
}
