package fhirproxy

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/mypatients/gateway"
)

// This file is the only place the Authorizer is asked anything, at two moments of a request:
// decideBefore, before the upstream is asked, on what the request names (its patients, or the
// directory type it reads) or how to narrow a search naming neither; and decideFound, after
// the upstream answered, on what the answer holds that no decision covers yet, once per
// resource type (a policy input has one type), and for a search once more when a denial
// allowed some of its patients (decideEntries).

// Authorizer decides access; the proxy never decides by itself.
type Authorizer interface {
	// Decide answers whether c may perform req for all of req.Patients; a request naming no
	// patient is a directory read or search, allowed on a Basis. An error is a failure to
	// decide and is answered 503 with no data (fail closed).
	Decide(ctx context.Context, c gateway.Caller, req gateway.Request) (gateway.Decision, error)
	// Narrow returns extra upstream search parameters that restrict a search of resourceType
	// naming no patient to the patients c may see (for example an _id list). ok=false means
	// c can see no patient at all: the proxy answers an empty searchset without asking the
	// upstream. The proxy still checks every returned entry with Decide.
	Narrow(ctx context.Context, c gateway.Caller, resourceType string) (params url.Values, ok bool, err error)
}

// decide asks the authorizer one question. The question is kept even when no answer came, so
// that the audit record names the patients it was about.
func (h *Handler) decide(ctx context.Context, c gateway.Caller, ask gateway.Request) (decided, *refusal) {
	d, err := h.authz.Decide(ctx, c, ask)
	if err != nil {
		return decided{asked: ask}, authzFailed(fmt.Errorf("decide %s %s: %w", ask.Interaction, ask.ResourceType, err))
	}
	return decided{asked: ask, Decision: d}, nil
}

// decideBefore asks the authorizer, before the upstream is asked, about what the request
// names (decideNamed) and, for a search, how to narrow it (upstreamQuery). It returns the
// decision taken and the query to send upstream.
func (h *Handler) decideBefore(ctx context.Context, c gateway.Caller, req *fhirRequest) (decisions, upstreamSearch, *refusal) {
	named, rf := h.decideNamed(ctx, c, req)
	if rf != nil {
		return named, upstreamSearch{}, rf
	}
	q, rf := h.upstreamQuery(ctx, c, req)
	return named, q, rf
}

// decideNamed decides, before the upstream is asked, the patients a request names (a Patient
// read, a search naming patients) or the directory type it reads. A denial refuses the
// request with the policy's reason and next steps. A request naming neither (a read of a
// record, a search narrowed instead) is decided on its answer only.
func (h *Handler) decideNamed(ctx context.Context, c gateway.Caller, req *fhirRequest) (decisions, *refusal) {
	directory := h.parser.types[req.Type].Class == classDirectory
	if !directory && len(req.Patients) == 0 {
		return nil, nil
	}
	var patients []string
	if !directory {
		patients = req.Patients
	}
	d, rf := h.decide(ctx, c, gateway.Request{Interaction: req.Interaction, ResourceType: req.Type, Patients: patients})
	if rf == nil && !d.Allow {
		rf = forbidden(denialReason(d.Decision), denialMessage(d.Decision))
		rf.NextSteps = denialNextSteps(d.Decision)
	}
	return decisions{d}, rf
}

// upstreamSearch is the query a search sends upstream and what the gateway added to the
// caller's canonical query to make it (paging links leave that out again).
type upstreamSearch struct {
	query, added url.Values
	// nothing: the authorizer says the caller can see no patient at all; the upstream is not
	// asked.
	nothing bool
}

// upstreamQuery narrows a search before it is sent: a search of Patient naming none gets the
// authorizer's narrowing, confined to the launch patient for a token whose patient/ scopes
// confine it (launch.go), and every search gets the query of a v2 scope (scopes.go). A read
// has no query.
func (h *Handler) upstreamQuery(ctx context.Context, c gateway.Caller, req *fhirRequest) (upstreamSearch, *refusal) {
	if req.Interaction != gateway.Search {
		return upstreamSearch{}, nil
	}
	q := upstreamSearch{query: req.Query.Values(), added: url.Values{}}
	if h.parser.types[req.Type].Class != classDirectory && len(req.Patients) == 0 {
		params, visible, err := h.authz.Narrow(ctx, c, req.Type)
		switch {
		case err != nil:
			return q, authzFailed(fmt.Errorf("narrow %s search: %w", req.Type, err))
		case !visible:
			return upstreamSearch{nothing: true}, nil
		}
		params = launchConfined(c, req.Type, params)
		addAll(q.query, params)
		addAll(q.added, params)
	}
	narrowed, ok := h.parser.scopeRulesFor(c, req.Type, gateway.Search).narrowQuery(q.query)
	if !ok {
		return q, forbidden(reasonScopeQuery,
			"The app's scopes for this kind of record carry conditions that cannot be applied to this search.")
	}
	for k, vs := range narrowed {
		if extra := len(vs) - len(q.query[k]); extra > 0 {
			q.added[k] = append(q.added[k], vs[len(vs)-extra:]...)
		}
	}
	q.query = narrowed
	return q, nil
}

// decideFound decides, after the upstream answered, what the answer holds that no decision
// covers yet: per resource type, the patients not already allowed for it, and each directory
// type not decided yet (an included one needs its own scope). A read is refused on any denial,
// with the text of "not found"; a search keeps what is allowed (decideEntries).
func (h *Handler) decideFound(ctx context.Context, c gateway.Caller, req *fhirRequest, named decisions, got found) (decisions, *refusal) {
	var out decisions
	for _, ask := range h.pending(req, named.access(), got) {
		if req.Interaction == gateway.Search {
			ds, rf := h.decideEntries(ctx, c, ask)
			if out = append(out, ds...); rf != nil {
				return out, rf
			}
			continue
		}
		d, rf := h.decide(ctx, c, ask)
		if out = append(out, d); rf != nil {
			return out, rf
		}
		if !d.Allow {
			return out, hidden(denialReason(d.Decision), nil)
		}
	}
	return out, nil
}

// pending lists the questions an answer raises, in a stable order. A Binary's data is released
// only to whoever may read the DocumentReference its securityContext names, so a Binary read
// asks about that type first. In a search, a directory resource naming a patient is dropped
// rather than decided.
func (h *Handler) pending(req *fhirRequest, known map[string]typeAccess, got found) []gateway.Request {
	byType := map[string][]string{}
	for _, e := range got.entries {
		ps := byType[e.info.Type]
		for _, p := range e.info.Patients {
			if n := len(ps); n == 0 || ps[n-1] != p { // entries in a row often share their patient
				ps = append(ps, p)
			}
		}
		byType[e.info.Type] = ps
	}
	var asks []gateway.Request
	for _, typ := range sortedKeys(byType) {
		ask := gateway.Request{Interaction: req.Interaction, ResourceType: typ}
		if h.parser.types[typ].Class == classDirectory && (req.Interaction == gateway.Search || len(byType[typ]) == 0) {
			if !known[typ].directory {
				asks = append(asks, ask)
			}
			continue
		}
		for _, p := range unique(byType[typ]) {
			if !known[typ].patients[p] {
				ask.Patients = append(ask.Patients, p)
			}
		}
		if typ == "Binary" {
			asks = append(asks, gateway.Request{Interaction: req.Interaction, ResourceType: "DocumentReference", Patients: ask.Patients})
		}
		if len(ask.Patients) > 0 {
			asks = append(asks, ask)
		}
	}
	return asks
}

// decideEntries decides the patients found of one type in a search answer. When the decision
// is a denial, the patients it allowed are asked about again on their own, and released only
// if that decision allows exactly them: a denial that is not about particular patients (scopes,
// interaction) never lets per-patient answers through.
func (h *Handler) decideEntries(ctx context.Context, c gateway.Caller, ask gateway.Request) (decisions, *refusal) {
	first, rf := h.decide(ctx, c, ask)
	if rf != nil || first.Allow || len(ask.Patients) == 0 {
		return decisions{first}, rf
	}
	ok := first.allowed()
	if launch := c.Patient; len(ok) == 0 && len(ask.Patients) > 1 && slices.Contains(ask.Patients, launch) {
		// A token confined to its launch patient is refused as a whole when the batch names
		// others too; the launch patient alone may still be allowed, which the confirmation
		// decides.
		ok = []string{launch}
	}
	if len(ok) == 0 {
		return decisions{first}, nil
	}
	ask.Patients = ok
	confirmed, rf := h.decide(ctx, c, ask)
	return decisions{first, confirmed}, rf
}

// decided is one question to the authorizer and its answer (zero when none came).
type decided struct {
	asked gateway.Request
	gateway.Decision
}

// decisions are the answers one request collected, in the order asked. What may be released
// and what the audit record says are both read from them.
type decisions []decided

// allowed returns the patients asked about that the decision allows.
func (d decided) allowed() []string {
	var out []string
	for _, p := range d.asked.Patients {
		if d.PatientAllowed(p) {
			out = append(out, p)
		}
	}
	return out
}

// access returns what the decisions allow, per resource type: only a decision that allows
// counts, for the patients it was asked about, so a denial releases nothing of its own.
func (ds decisions) access() map[string]typeAccess {
	out := map[string]typeAccess{}
	for _, d := range ds {
		if !d.Allow {
			continue
		}
		a := out[d.asked.ResourceType]
		if len(d.asked.Patients) == 0 {
			a.directory = true
		}
		for _, p := range d.allowed() {
			if a.patients == nil {
				a.patients = map[string]bool{}
			}
			a.patients[p] = true
		}
		out[d.asked.ResourceType] = a
	}
	return out
}

// denialMessage is the plain-words reason of a denial, for the caller.
func denialMessage(d gateway.Decision) string {
	if m := firstReason(d, func(r gateway.Reason) string { return r.Message }); m != "" {
		return m
	}
	return "Access denied."
}

// denialNextSteps are the next steps the policy offers for a denial.
func denialNextSteps(d gateway.Decision) []string {
	return strings.Fields(firstReason(d, func(r gateway.Reason) string { return r.NextSteps }))
}

// denialReason is the machine code of a denial, for the audit record.
func denialReason(d gateway.Decision) string {
	if c := firstReason(d, func(r gateway.Reason) string { return r.Code }); c != "" {
		return c
	}
	return "denied"
}

// firstReason returns what pick reads of the first reason that has it: the decision's own
// reasons first, then those of the refused patients in id order.
func firstReason(d gateway.Decision, pick func(gateway.Reason) string) string {
	for _, r := range d.Reasons {
		if v := pick(r); v != "" {
			return v
		}
	}
	for _, id := range sortedKeys(d.Patients) {
		if pd := d.Patients[id]; !pd.Allowed && pd.Reason != nil {
			if v := pick(*pd.Reason); v != "" {
				return v
			}
		}
	}
	return ""
}

// addAll appends every value of src to dst.
func addAll(dst, src url.Values) {
	for k, vs := range src {
		dst[k] = append(dst[k], vs...)
	}
}
