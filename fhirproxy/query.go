package fhirproxy

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mypatients/gateway"
)

// The search parameters of a request, checked against the table (params.go) and made
// canonical: the query the gateway forwards holds one spelling of each value and nothing the
// table does not list.

// parseQuery checks every parameter against the table and builds the canonical query.
func (p *parser) parseQuery(req *fhirRequest, query url.Values) *refusal {
	spec := p.types[req.Type]
	canon := make(url.Values, len(query)+1)
	var patients []string
	budget := maxQueryValues
	for _, key := range sortedKeys(query) {
		named, rf := p.parseParam(req, spec, key, query[key], canon, &budget)
		if rf != nil {
			return rf
		}
		patients = append(patients, named...)
	}
	if rf := p.checkCount(canon); rf != nil {
		return rf
	}
	for _, param := range sortedKeys(req.Includes) {
		canon.Add("_include", req.Type+":"+param)
	}
	req.Patients = unique(patients)
	req.Query = canon
	if spec.Class == classCompartment && len(req.Patients) == 0 {
		return forbidden(reasonNoPatient, fmt.Sprintf(
			"A search of %s must name a patient (patient or subject parameter).", req.Type))
	}
	return nil
}

// parseParam checks one parameter's values against the table, adds their canonical form to
// canon and returns the patients they name.
func (p *parser) parseParam(req *fhirRequest, spec typeSpec, key string, values []string, canon url.Values,
	budget *int) ([]string, *refusal) {
	if rf := p.special(req, spec, key, values, budget); rf != nil || isSpecial(key) {
		return nil, rf
	}
	name, modifier, hasModifier := strings.Cut(key, ":")
	ps, ok := spec.Params[name]
	if !ok {
		return nil, unknownParam(req.Type, key)
	}
	if hasModifier && !ps.allowsModifier(modifier) {
		return nil, badRequest("Modifier %q on %q is not supported.", clip(modifier), name)
	}
	var patients []string
	for _, raw := range values {
		items, rf := splitValue(key, raw, ps.Kind, budget)
		if rf != nil {
			return nil, rf
		}
		outKey, out, named, rf := p.canonical(name, modifier, ps, items)
		if rf != nil {
			return nil, rf
		}
		canon.Add(outKey, out)
		patients = append(patients, named...)
	}
	return patients, nil
}

// splitValue splits one occurrence into its comma-list items and checks their size.
func splitValue(key, raw string, kind paramKind, budget *int) ([]string, *refusal) {
	items := []string{raw}
	if kind != kindNumber {
		items = strings.Split(raw, ",")
	}
	*budget -= len(items)
	if *budget < 0 {
		return nil, badRequest("Too many search parameter values (at most %d).", maxQueryValues)
	}
	for _, it := range items {
		if it == "" || len(it) > maxValueLen || strings.IndexFunc(it, isControl) >= 0 {
			return nil, badRequest("Empty, overlong or malformed value for %q.", clip(key))
		}
	}
	return items, nil
}

// checkCount refuses repeated paging parameters and caps _count (adding it when absent, so
// the upstream's default page size never decides how much is fetched).
func (p *parser) checkCount(canon url.Values) *refusal {
	for _, k := range []string{"_count", "_offset"} {
		if len(canon[k]) > 1 {
			return badRequest("%q may be given only once.", k)
		}
	}
	n := p.maxCount
	if v := canon.Get("_count"); v != "" {
		c, err := strconv.Atoi(v)
		if err != nil || c == 0 {
			// _count=0 asks for a bare total, which would count records the caller may not see.
			return badRequest("%q must be between 1 and %d.", "_count", p.maxCount)
		}
		n = min(c, n)
	}
	canon.Set("_count", strconv.Itoa(n))
	return nil
}

// canonicalRefs rewrites the items of a reference parameter to "Type/id" and returns the
// patients among them.
func (p *parser) canonicalRefs(name, modifier string, ps paramSpec, items []string) (string, []string, *refusal) {
	out := make([]string, len(items))
	var named []string
	for i, it := range items {
		r, err := p.refs.searchValue(ps, modifier, it)
		if errors.Is(err, errOtherType) {
			return "", nil, forbidden(reasonUnsupported, fmt.Sprintf("%q must name one of %s.", name, strings.Join(ps.Targets, ", ")))
		} else if err != nil {
			return "", nil, badRequest("A value of %q is not a supported reference.", name)
		}
		out[i] = r.Type + "/" + r.ID
		if r.Type == "Patient" {
			named = append(named, r.ID)
		}
	}
	return strings.Join(out, ","), named, nil
}

// validDate accepts an optional vetted comparator followed by an ISO 8601 date or date-time.
func validDate(s string) bool {
	if len(s) > 2 && s[0] >= 'a' && s[0] <= 'z' {
		switch s[:2] {
		case "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap":
			s = s[2:]
		default:
			return false
		}
	}
	if len(s) < 4 || s[0] < '0' || s[0] > '9' {
		return false
	}
	return strings.Trim(s, "0123456789-T:+.Z") == ""
}

// canonical validates one occurrence's items and returns the upstream key and value, plus the
// patients it names. Reference values are rewritten to "Type/id" and the type modifier is
// dropped, so the upstream sees one spelling only, whatever form the caller used.
func (p *parser) canonical(name, modifier string, ps paramSpec, items []string) (string, string, []string, *refusal) {
	var named []string
	switch ps.Kind {
	case kindNumber:
		if len(items[0]) > 6 || strings.Trim(items[0], "0123456789") != "" {
			return "", "", nil, badRequest("%q must be a non-negative integer.", name)
		}
	case kindID:
		for _, it := range items {
			if !gateway.ValidID(it) {
				return "", "", nil, badRequest("A value of %q is not a valid FHIR id.", name)
			}
		}
		if ps.NamesPatients {
			named = items
		}
	case kindDate:
		for _, it := range items {
			if !validDate(it) {
				return "", "", nil, badRequest("A value of %q is not a supported date.", name)
			}
		}
	case kindToken:
		for _, it := range items {
			if strings.HasSuffix(it, `\`) {
				// An escaped comma ("a\,b") is one value to FHIR but two to this parser; refuse
				// rather than forward a value whose meaning depends on who splits it.
				return "", "", nil, badRequest("Escaped commas are not supported in %q.", name)
			}
		}
	case kindReference:
		out, named, rf := p.canonicalRefs(name, modifier, ps, items)
		return name, out, named, rf
	}
	key := name
	if modifier != "" {
		key = name + ":" + modifier
	}
	return key, strings.Join(items, ","), named, nil
}

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
