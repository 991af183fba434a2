package fhirproxy

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/mypatients/gateway"
)

// The filter step holds the upstream's answer to the request on both sides of decideFound:
// inspectReply reads what came back and whose it is (found), and release keeps only what the
// decisions and the token's scope queries allow. For a search, found is the contract between
// the two halves: a faster Bundle reader (inspectSearch's inside) and writer (releaseSearch's)
// can replace them without touching the other steps.

// found is an upstream answer read and inspected; nothing of it is released yet.
type found struct {
	entries    []foundEntry // a read: its one resource
	validators http.Header  // a read's ETag and Last-Modified, passed on when it is released
	// A search: the Bundle outside its entries, and how many entries were dropped unread
	// (neither a match nor an asked-for include, or whose patient cannot be established).
	head    searchHead
	dropped int
	// scan holds a search's scan buffers, which entries point into; serve gives them back to
	// the pool once the answer is released.
	scan *scanState
}

// foundEntry is one returned resource: its bytes, what it is and whose, and for a search entry
// how it was found.
type foundEntry struct {
	raw   []byte
	names []span // the strings of raw that name the upstream, from raw's start: rewritten on release
	info  resourceInfo
	mode  string   // "match" or "include"; empty for a read
	score *float64 // a match's search score, when the upstream gave one
}

// inspectReply reads the upstream's answer to req.
func (h *Handler) inspectReply(ctx context.Context, req *fhirRequest, reply *upstreamReply) (found, *refusal) {
	if req.Interaction == gateway.Search {
		return h.inspectSearch(req, reply.body)
	}
	return h.inspectRead(ctx, req, reply)
}

// inspectRead reads a read's resource, which must be exactly the one asked for; a Binary's
// patients are those of the DocumentReference its securityContext names (inspect.go). Every way
// a read can fail for lack of access (not found, gone, another patient, wrong type or version,
// no patient, outside the token's scope query) gives the same 403 and text, so a caller cannot
// learn whether a resource exists.
func (h *Handler) inspectRead(ctx context.Context, req *fhirRequest, reply *upstreamReply) (found, *refusal) {
	info, rs, err := h.inspect(reply.body)
	switch {
	case err != nil && info.Type == "":
		return found{}, upstreamFailed(fmt.Errorf("GET %s: %w", req.upstreamPath(), err))
	case err != nil:
		return found{}, hidden(reasonUnexpected, err)
	case info.Type != req.Type || info.ID != req.ID || (req.Version != "" && info.version() != "" && info.version() != req.Version):
		return found{}, hidden(reasonUnexpected, fmt.Errorf("asked for %s, got %s/%s", req.upstreamPath(), info.Type, info.ID))
	}
	if info.Type == "Binary" {
		if info.Patients, err = h.binaryPatients(ctx, info); err != nil {
			return found{}, hidden(reasonUnexpected, err)
		}
	}
	fe := foundEntry{raw: reply.body[rs.start:rs.end], names: rs.names, info: info}
	return found{entries: []foundEntry{fe}, validators: reply.validators}, nil
}

// inspectSearch reads a searchset entry by entry and keeps the matches of the searched type
// and the includes of a vetted join whose resource and patients could be read; OperationOutcome
// entries are dropped silently.
func (h *Handler) inspectSearch(req *fhirRequest, body []byte) (found, *refusal) {
	got := found{scan: h.scans.get(h.scrub, body)}
	got.entries = got.scan.entries
	head, err := h.readSearchset(body, got.scan, func(e searchEntry) {
		if fe, ok := h.candidate(req, body, e, got.scan); ok {
			got.entries = append(got.entries, fe)
		} else if fe.mode != "outcome" {
			got.dropped++
		}
	})
	got.scan.entries = got.entries // grown, it goes back to the pool so
	if err != nil {
		h.scans.put(got.scan)
		return found{}, upstreamFailed(fmt.Errorf("search %s: %w", req.Type, err))
	}
	got.head = head
	return got, nil
}

// candidate inspects one entry. ok is false for an entry that must be dropped: an outcome, not
// a match of the searched type nor an include of a vetted join, or whose patient cannot be
// established.
func (h *Handler) candidate(req *fhirRequest, body []byte, e searchEntry, st *scanState) (fe foundEntry, ok bool) {
	fe.mode = cmp.Or(e.mode, "match")
	if fe.mode == "outcome" {
		return fe, false
	}
	if e.problem != nil || !e.hasResource {
		return foundEntry{}, false
	}
	info, err := h.resourceInfo(e.resource, st)
	switch {
	case err != nil:
		return foundEntry{}, false
	case fe.mode == "match" && info.Type == req.Type:
		fe.score = e.score
	case fe.mode == "include" && req.includesType(info.Type):
	default:
		return foundEntry{}, false
	}
	fe.raw, fe.names, fe.info = body[e.resource.start:e.resource.end], e.resource.names, info
	return fe, true
}

// typeAccess is what may be released of one resource type.
type typeAccess struct {
	directory bool            // a directory type the caller may read: no patient to check
	patients  map[string]bool // the patients whose resources of this type may be released
}

// permits reports whether every patient of a resource is allowed (and there is one, unless
// the type is a directory type the caller may read and the resource names no patient).
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

// release returns the answer: what the decisions allow of it and the caller's scope queries
// admit, with the upstream's addresses replaced by the gateway's.
func (h *Handler) release(c gateway.Caller, req *fhirRequest, added url.Values, got found, allowed map[string]typeAccess) *answer {
	if req.Interaction == gateway.Search {
		return encoded(h.releaseSearch(c, req, added, got, allowed))
	}
	e := got.entries[0]
	switch {
	case !allowed[e.info.Type].permits(e.info): // decideFound refused any denial; this is a guard
		return refused(hidden(reasonUnexpected, fmt.Errorf("%s/%s: no decision covers its patients", e.info.Type, e.info.ID)))
	case !h.parser.scopeRulesFor(c, req.Type, gateway.Read).admits(h.parser.types[req.Type], e.info.Fields):
		return refused(hidden(reasonScopeQuery, fmt.Errorf("%s/%s is outside the token's scope query", e.info.Type, e.info.ID)))
	}
	body := e.raw
	if len(e.names) > 0 {
		body = h.scrub.rewrite(make([]byte, 0, len(e.raw)+256), e.raw, e.names)
	}
	return released(body, got.validators)
}

// releaseSearch writes the searchset of the entries whose every patient is allowed and that
// match the scope query; fullUrl and links point at the gateway. total is kept only when it
// equals what is released. The JSON is written as the entries are chosen, each resource
// copied (and scrubbed) straight into it once.
func (h *Handler) releaseSearch(c gateway.Caller, req *fhirRequest, added url.Values, got found, allowed map[string]typeAccess) outBundle {
	out := outBundle{ResourceType: "Bundle", Type: "searchset"}
	kept := h.kept(c, got, allowed)
	matches := 0
	for _, e := range kept {
		if e.mode == "match" {
			matches++
		}
	}
	dropped := got.dropped + len(got.entries) - len(kept)
	if dropped == 0 && got.head.Total != nil && *got.head.Total == matches && !paged(got.head.Link) {
		out.Total = got.head.Total
	}
	out.Link = h.links.bundleLinks(c, req, got.head.Link, added)
	out.Entry = make([]bundleEntry, len(kept))
	searches := make([]entrySearch, len(kept)) // one allocation for all entries
	h.links.fullURLs(out.Entry, kept)
	buf := out.appendHead(make([]byte, 0, h.releasedSize(out, kept)))
	for i, e := range kept {
		be := &out.Entry[i]
		searches[i] = entrySearch{Mode: e.mode, Score: e.score}
		be.Search = &searches[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = be.appendStart(buf)
		at := len(buf)
		buf = h.scrub.rewrite(buf, e.raw, e.names)
		be.Resource = buf[at:len(buf):len(buf)] // still these bytes if buf grows later
		buf = be.appendEnd(buf)
	}
	out.rendered = append(buf, "]}"...)
	return out
}

// kept returns the found entries that may be released: every patient allowed, and admitted by
// the caller's scope query for their type.
func (h *Handler) kept(c gateway.Caller, got found, allowed map[string]typeAccess) []*foundEntry {
	kept := make([]*foundEntry, 0, len(got.entries))
	rules := map[string]scopeRules{}
	for i := range got.entries {
		e := &got.entries[i]
		r, ok := rules[e.info.Type]
		if !ok {
			r = h.parser.scopeRulesFor(c, e.info.Type, gateway.Search)
			rules[e.info.Type] = r
		}
		if allowed[e.info.Type].permits(e.info) && r.admits(h.parser.types[e.info.Type], e.info.Fields) {
			kept = append(kept, e)
		}
	}
	return kept
}

// releasedSize is about how long the searchset released with kept will be, so that its buffer
// is allocated once and not much larger: the collector's work grows with every byte.
func (h *Handler) releasedSize(out outBundle, kept []*foundEntry) int {
	n := 1024 // the Bundle's members and links
	for i, e := range kept {
		// The entry's members around its resource, and room for each upstream name rewritten
		// to the gateway's.
		n += len(e.raw) + len(out.Entry[i].FullURL) + 64 + len(e.names)*(len(h.scrub.toBase)+8)
	}
	return n
}

// emptySearchset is the answer to a search when the caller can see no patient at all.
func (h *Handler) emptySearchset(c gateway.Caller, req *fhirRequest) outBundle {
	return outBundle{ResourceType: "Bundle", Type: "searchset",
		Link: h.links.bundleLinks(c, req, nil, nil), Entry: []bundleEntry{}}
}

// paged reports whether an upstream page has neighbours, so its total is not what it shows.
func paged(links []bundleLink) bool {
	return slices.ContainsFunc(links, func(l bundleLink) bool {
		return l.Relation == "next" || l.Relation == "previous" || l.Relation == "prev"
	})
}
