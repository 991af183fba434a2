package fhirproxy

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/smart/scope"
)

// SMART v2 granular scopes (App Launch 2.0 §3.4.2) narrow a resource scope with a query, for
// example patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory.
// The policy decides whether the type may be read at all; the proxy holds the result to the
// query: a search gets the constraint added to the upstream query (FHIR ANDs repeated
// parameters, so this only narrows) and every returned resource, read or searched, must match
// one of the caller's constraints on its token fields. When several scopes permit the same
// type, any one suffices; an unconstrained scope lifts the constraint.

// scopeRules are the constraints that apply to one type and interaction. constrained is false
// when some unconstrained scope permits it (or none permits it: the policy refuses that).
type scopeRules struct {
	constrained bool
	any         []url.Values // each a constraint whose parameters must all hold
}

// scopeRulesFor reads the caller's scopes for typ and interaction.
func (p *parser) scopeRulesFor(c gateway.Caller, typ, interaction string) scopeRules {
	var rules scopeRules
	for _, r := range covering(c.Scopes, typ, interactionPerm(interaction), "user", "patient") {
		if r.Query == "" {
			return scopeRules{}
		}
		rules.constrained = true
		if q, ok := p.validConstraint(typ, r.Query); ok {
			rules.any = append(rules.any, q)
		}
	}
	return rules
}

// covering returns the resource scopes among scopes, in one of the given contexts (user,
// patient), that grant perm on typ, with or without a query.
func covering(scopes []string, typ, perm string, contexts ...string) []scope.Resource {
	var out []scope.Resource
	for _, s := range scopes {
		r, ok, err := scope.ParseResource(s)
		if ok && err == nil && slices.Contains(contexts, r.Context) && (r.Type == "*" || r.Type == typ) &&
			strings.Contains(r.Perms, perm) {
			out = append(out, r)
		}
	}
	return out
}

// interactionPerm is the SMART permission letter an interaction needs.
func interactionPerm(interaction string) string {
	if interaction == gateway.Search {
		return "s"
	}
	return "r"
}

// validConstraint parses a scope's query; only token parameters of typ that the table maps to
// a field may constrain, and anything else makes the scope permit nothing.
func (p *parser) validConstraint(typ, raw string) (url.Values, bool) {
	q, err := url.ParseQuery(raw)
	if err != nil || len(q) == 0 {
		return nil, false
	}
	for k, vs := range q {
		ps, ok := p.types[typ].Params[k]
		if !ok || ps.Kind != kindToken || ps.Field == "" || len(vs) != 1 || vs[0] == "" || len(vs[0]) > maxValueLen {
			return nil, false
		}
	}
	return q, true
}

// narrowQuery adds the constraints to a search's upstream query. One constraint is added as
// is; several are combined only when each is one value of the same parameter (a comma list is
// FHIR's OR). Anything else cannot be said in one FHIR query and is refused.
func (r scopeRules) narrowQuery(q url.Values) (url.Values, bool) {
	if !r.constrained {
		return q, true
	}
	if len(r.any) == 0 {
		return nil, false
	}
	out := url.Values{}
	for k, vs := range q {
		out[k] = slices.Clone(vs)
	}
	if len(r.any) == 1 {
		for k, vs := range r.any[0] {
			out[k] = append(out[k], vs...)
		}
		return out, true
	}
	var key string
	var values []string
	for _, c := range r.any {
		if len(c) != 1 {
			return nil, false
		}
		for k, vs := range c {
			if key != "" && k != key {
				return nil, false
			}
			key = k
			values = append(values, vs[0])
		}
	}
	out[key] = append(out[key], strings.Join(values, ","))
	return out, true
}

// admits reports whether a returned resource satisfies one of the constraints.
func (r scopeRules) admits(spec typeSpec, f fields) bool {
	if !r.constrained {
		return true
	}
	return slices.ContainsFunc(r.any, func(c url.Values) bool {
		for k, vs := range c {
			if !tokenMatches(f.get(spec.Params[k].Field), vs[0]) {
				return false
			}
		}
		return true
	})
}

// codePair is one system and code (or identifier value) a token can match.
type codePair struct{ system, code string }

// tokenMatches applies FHIR token search to one element: want is a comma list of "code",
// "system|code", "|code" or "system|".
func tokenMatches(raw json.RawMessage, want string) bool {
	pairs := tokenPairs(raw)
	for _, alt := range strings.Split(want, ",") {
		system, code, hasSystem := strings.Cut(alt, "|")
		if !hasSystem {
			code, system = alt, ""
		}
		for _, p := range pairs {
			if (code == "" || p.code == code) && (!hasSystem || p.system == system) && (code != "" || hasSystem) {
				return true
			}
		}
	}
	return false
}

// tokenPairs returns what a token can match in an element: a code string, a Coding, each
// Coding of a CodeableConcept, an Identifier, or lists of these.
func tokenPairs(raw json.RawMessage) []codePair {
	var out []codePair
	_ = eachItem(raw, func(item []byte) error {
		var code string
		if json.Unmarshal(item, &code) == nil {
			out = append(out, codePair{code: code})
			return nil
		}
		var v struct {
			Coding []codePair0 `json:"coding"`
			codePair0
		}
		if json.Unmarshal(item, &v) != nil {
			return nil
		}
		for _, c := range append(v.Coding, v.codePair0) {
			if c.Code != "" || c.Value != "" {
				out = append(out, codePair{system: c.System, code: c.Code + c.Value})
			}
		}
		return nil
	})
	return out
}

// codePair0 is a Coding or an Identifier as JSON.
type codePair0 struct {
	System string `json:"system"`
	Code   string `json:"code"`
	Value  string `json:"value"`
}
