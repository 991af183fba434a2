package fhirproxy

import (
	"slices"
	"strings"
)

// The result parameters that join or summarise: _include is accepted for the vetted pairs of
// the table (each included resource is then checked like a match), _page carries the caller
// binding of a paging link, and the rest are refused with a reason. _revinclude, chains and
// _has are refused outright rather than proved to stay inside the allowed patients: each would
// need the gateway to re-derive, per result, which patients the join crossed.

// isSpecial reports whether key is a result parameter parsed by special.
func isSpecial(key string) bool { return key == "_include" || key == "_page" }

// special parses _include and _page, and refuses, with a reason, the parameters and forms
// the gateway deliberately does not support.
func (p *parser) special(req *fhirRequest, spec typeSpec, key string, values []string, budget *int) *refusal {
	name, _, _ := strings.Cut(key, ":")
	switch {
	case key == "_page":
		if len(values) != 1 || len(values[0]) > 128 {
			return badRequest("%q may be given only once.", "_page")
		}
		req.PageToken = values[0]
	case key == "_include":
		for _, v := range values {
			if *budget--; *budget < 0 {
				return badRequest("Too many search parameter values (at most %d).", maxQueryValues)
			}
			if rf := p.include(req, spec, v); rf != nil {
				return rf
			}
		}
	case name == "_include", name == "_revinclude":
		return badRequest("%q is not supported: only the vetted _include joins listed in the CapabilityStatement are.", clip(key))
	case name == "_has" || strings.Contains(name, "."):
		return badRequest("Chained and reverse-chained parameters (%q) are not supported.", clip(key))
	case name == "_summary", name == "_total", name == "_elements", name == "_contained", name == "_containedType":
		return badRequest("%q is not supported: counts and partial resources could describe records you may not see.", clip(key))
	}
	return nil
}

// include validates one _include value, "Type:param" or "Type:param:Target", against the
// vetted joins of the searched type.
func (p *parser) include(req *fhirRequest, spec typeSpec, v string) *refusal {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != req.Type {
		return badRequest("_include %q must be %s:<parameter>[:<type>].", clip(v), req.Type)
	}
	targets, ok := spec.Includes[parts[1]]
	if !ok {
		return badRequest("_include %q is not a vetted join.", clip(v))
	}
	if len(parts) == 3 {
		if !slices.Contains(targets, parts[2]) {
			return badRequest("_include %q is not a vetted join.", clip(v))
		}
		targets = []string{parts[2]}
	}
	if req.Includes == nil {
		req.Includes = map[string][]string{}
	}
	// Naming a target type narrows what is released, not what is fetched: the upstream
	// includes every target and the gateway drops the others.
	req.Includes[parts[1]] = unique(append(req.Includes[parts[1]], targets...))
	return nil
}

// unknownParam refuses a parameter the table does not list.
func unknownParam(typ, key string) *refusal {
	return badRequest("Unknown search parameter %q for %s.", clip(key), typ)
}
