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

// parseQuery checks every parameter against the table and makes query the canonical query, in
// place: parseQuery owns it. Keys are read in sorted order, so that the first problem reported
// does not depend on the order of the parameters; a parameter whose canonical key differs
// ("patient:Patient" becomes "patient") joins its canonical key, which sorts, and so was made
// canonical, before it.
func (p *parser) parseQuery(req *fhirRequest, query url.Values) *refusal {
	spec := p.types[req.Type]
	var patients []string
	budget := maxQueryValues
	for _, key := range sortedKeys(query) {
		if rf := p.parseParam(req, spec, key, query, &patients, &budget); rf != nil {
			return rf
		}
	}
	if rf := p.checkCount(query); rf != nil {
		return rf
	}
	for _, param := range sortedKeys(req.Includes) {
		query.Add("_include", req.Type+":"+param)
	}
	req.Patients = unique(patients)
	req.Query = query
	if spec.Class == classCompartment && len(req.Patients) == 0 {
		return forbidden(reasonNoPatient, fmt.Sprintf(
			"A search of %s must name a patient (patient or subject parameter).", req.Type))
	}
	return nil
}

// parseParam checks one parameter's values against the table, replaces them in query by their
// canonical form and appends the patients they name.
func (p *parser) parseParam(req *fhirRequest, spec typeSpec, key string, query url.Values, patients *[]string,
	budget *int) *refusal {
	values := query[key]
	if rf := p.special(req, spec, key, values, budget); rf != nil || isSpecial(key) {
		delete(query, key) // _include is written anew from req.Includes, _page never forwarded
		return rf
	}
	name, modifier, hasModifier := strings.Cut(key, ":")
	ps, ok := spec.Params[name]
	if !ok {
		return unknownParam(req.Type, key)
	}
	if hasModifier && !ps.allowsModifier(modifier) {
		return badRequest("Modifier %q on %q is not supported.", clip(modifier), name)
	}
	outKey := key
	for i, raw := range values {
		if rf := checkItems(key, raw, ps.Kind, budget); rf != nil {
			return rf
		}
		var rf *refusal
		if outKey, values[i], rf = p.canonical(key, name, modifier, ps, raw, patients); rf != nil {
			return rf
		}
	}
	if outKey != key {
		delete(query, key)
		query[outKey] = append(query[outKey], values...)
	}
	return nil
}

// checkItems checks one occurrence's comma-list items (a number is one item) and their size,
// and counts them against the budget.
func checkItems(key, raw string, kind paramKind, budget *int) *refusal {
	n := 1
	if kind != kindNumber {
		n += strings.Count(raw, ",")
	}
	if *budget -= n; *budget < 0 {
		return badRequest("Too many search parameter values (at most %d).", maxQueryValues)
	}
	for rest, more := raw, true; more; {
		var it string
		if it, rest, more = rest, "", false; kind != kindNumber {
			it, rest, more = strings.Cut(it, ",")
		}
		if it == "" || len(it) > maxValueLen || strings.IndexFunc(it, isControl) >= 0 {
			return badRequest("Empty, overlong or malformed value for %q.", clip(key))
		}
	}
	return nil
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

// canonicalRefs rewrites the items of a reference parameter to "Type/id" and appends the
// patients among them. A value already in that form is kept as it is, without a copy.
func (p *parser) canonicalRefs(name, modifier string, ps paramSpec, raw string, patients *[]string) (string, *refusal) {
	var b strings.Builder
	same := true // every item so far is already canonical
	for rest, more, i := raw, true, 0; more; i++ {
		var it string
		it, rest, more = strings.Cut(rest, ",")
		r, err := p.refs.searchValue(ps, modifier, it)
		if errors.Is(err, errOtherType) {
			return "", forbidden(reasonUnsupported, fmt.Sprintf("%q must name one of %s.", name, strings.Join(ps.Targets, ", ")))
		} else if err != nil {
			return "", badRequest("A value of %q is not a supported reference.", name)
		}
		if r.Type == "Patient" {
			*patients = append(*patients, r.ID)
		}
		start := len(raw) - len(rest) - len(it) - boolInt(more) // where it begins in raw
		canon := len(it) == len(r.Type)+1+len(r.ID) && strings.HasPrefix(it, r.Type) && it[len(r.Type)] == '/'
		if same && !canon {
			same = false
			b.WriteString(raw[:max(start-1, 0)]) // the items before it, canonical, without a comma
		}
		if !same {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(r.Type)
			b.WriteByte('/')
			b.WriteString(r.ID)
		}
	}
	if same {
		return raw, nil
	}
	return b.String(), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
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

// canonical validates one occurrence's items (checked by checkItems) and returns the upstream
// key (key itself, or for a reference its name without the modifier) and value, appending the patients it names. Reference values are rewritten to "Type/id"
// and the type modifier is dropped, so the upstream sees one spelling only, whatever form the
// caller used.
func (p *parser) canonical(key, name, modifier string, ps paramSpec, raw string, patients *[]string) (string, string, *refusal) {
	if ps.Kind == kindReference {
		out, rf := p.canonicalRefs(name, modifier, ps, raw, patients)
		return name, out, rf
	}
	if ps.Kind == kindNumber && (len(raw) > 6 || strings.Trim(raw, "0123456789") != "") {
		return "", "", badRequest("%q must be a non-negative integer.", name)
	}
	for rest, more := raw, ps.Kind != kindNumber; more; {
		var it string
		it, rest, more = strings.Cut(rest, ",")
		switch {
		case ps.Kind == kindID && !gateway.ValidID(it):
			return "", "", badRequest("A value of %q is not a valid FHIR id.", name)
		case ps.Kind == kindID && ps.NamesPatients:
			*patients = append(*patients, it)
		case ps.Kind == kindDate && !validDate(it):
			return "", "", badRequest("A value of %q is not a supported date.", name)
		case ps.Kind == kindToken && strings.HasSuffix(it, `\`):
			// An escaped comma ("a\,b") is one value to FHIR but two to this parser; refuse
			// rather than forward a value whose meaning depends on who splits it.
			return "", "", badRequest("Escaped commas are not supported in %q.", name)
		}
	}
	return key, raw, nil
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
	typ, rest, ok1 := strings.Cut(v, ":")
	param, target, ok2 := strings.Cut(rest, ":")
	if !ok1 || typ != req.Type || strings.Contains(target, ":") {
		return badRequest("_include %q must be %s:<parameter>[:<type>].", clip(v), req.Type)
	}
	targets, ok := spec.Includes[param]
	if !ok {
		return badRequest("_include %q is not a vetted join.", clip(v))
	}
	if ok2 {
		if !slices.Contains(targets, target) {
			return badRequest("_include %q is not a vetted join.", clip(v))
		}
		targets = []string{target}
	}
	if req.Includes == nil {
		req.Includes = map[string][]string{}
	}
	// Naming a target type narrows what is released, not what is fetched: the upstream
	// includes every target and the gateway drops the others.
	req.Includes[param] = unique(append(req.Includes[param], targets...))
	return nil
}

// unknownParam refuses a parameter the table does not list.
func unknownParam(typ, key string) *refusal {
	return badRequest("Unknown search parameter %q for %s.", clip(key), typ)
}
