package fhirproxy

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mypatients/gateway"
)

// The parser's oracle: the query parser as it was before the one-pass parser (rawquery.go),
// kept here so that FuzzParse can hold the new one to it. It reads the query with
// url.ParseQuery into url.Values, and then checks and rewrites the values key by key, in sorted
// order. The leaf checks of one parameter's values (special, checkItems, canonical) are shared
// with production: what changed is how the query is read, grouped and made canonical.

// oracleParse validates a GET request's path and query (a paging link the gateway rewrites, a
// search of SearchAs).
func oracleParse(p *parser, u *url.URL) (*fhirRequest, *refusal) {
	if len(u.RawQuery) > maxQueryBytes {
		return nil, badRequest("The query string is longer than %d bytes.", maxQueryBytes)
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, badRequest("The query string cannot be parsed.")
	}
	return oracleParseValues(p, u.EscapedPath(), query, false)
}

// oraclePost is the oracle's POST _search once the request's headers passed: the URL's
// parameters and then the form body's, joined.
func oraclePost(p *parser, path, rawQuery, form string) (*fhirRequest, *refusal) {
	if len(rawQuery) > maxQueryBytes {
		return nil, badRequest("The query string is longer than %d bytes.", maxQueryBytes)
	}
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, badRequest("The query string cannot be parsed.")
	}
	body, err := url.ParseQuery(form)
	if err != nil {
		return nil, badRequest("The form body cannot be parsed.")
	}
	for k, vs := range body {
		query[k] = append(query[k], vs...)
	}
	return oracleParseValues(p, path, query, true)
}

// oracleParseValues validates an escaped path and its parameters. post is true for POST
// [type]/_search, whose parameters are the URL's and the form body's together. Refusals: 400
// for what is malformed or unknown, 403 for well-formed requests the gateway does not serve.
func oracleParseValues(p *parser, path string, query url.Values, post bool) (*fhirRequest, *refusal) {
	req, rf := oracleParsePath(p, path, post)
	if rf != nil {
		return nil, rf
	}
	if rf := oracleCheckFormat(query); rf != nil {
		return nil, rf
	}
	delete(query, "_format") // checked to be JSON, which is all the gateway asks for anyway
	if req.Interaction != gateway.Search {
		if len(query) > 0 {
			return nil, badRequest("A read takes no parameters (got %q).", clip(sortedKeys(query)[0]))
		}
		if req.Type == "Patient" {
			req.Patients = []string{req.ID}
		}
		return req, nil
	}
	if rf := oracleParseQuery(p, req, query); rf != nil {
		return nil, rf
	}
	return req, nil
}

// oracleParsePath splits the escaped path below the prefix into type, id and version.
func oracleParsePath(p *parser, path string, post bool) (*fhirRequest, *refusal) {
	segs, rf := oracleSegments(p, path)
	if rf != nil {
		return nil, rf
	}
	typ := segs[0]
	switch {
	case len(segs) == 1 && !post, len(segs) == 2 && segs[1] == "_search" && post:
		if p.types[typ].Params == nil {
			return nil, unsupported("%s can be read only through the resource that refers to it, not searched.", typ)
		}
		return &fhirRequest{Interaction: gateway.Search, Type: typ}, nil
	case post:
		return nil, unsupported("POST is accepted only for [type]/_search.")
	case len(segs) == 2 && segs[1][0] == '_':
		return nil, unsupported("%q is not supported; use GET %s/%s?params.", clip(segs[1]), p.prefix, typ)
	case (len(segs) == 2 || len(segs) == 4 && segs[2] == "_history") && !gateway.ValidID(segs[1]):
		return nil, badRequest("%q is not a valid FHIR id.", clip(segs[1]))
	case len(segs) == 2:
		return &fhirRequest{Interaction: gateway.Read, Type: typ, ID: segs[1]}, nil
	case len(segs) == 4 && segs[2] == "_history" && gateway.ValidID(segs[3]):
		return &fhirRequest{Interaction: gateway.VRead, Type: typ, ID: segs[1], Version: segs[3]}, nil
	case len(segs) == 4 && segs[2] == "_history":
		return nil, badRequest("%q is not a valid version id.", clip(segs[3]))
	default:
		return nil, unsupported("History and compartment paths are not supported.")
	}
}

// oracleSegments returns the path's segments below the prefix, the first of them a served type.
// Escapes, empty and dot segments, operations and system-level paths are refused.
func oracleSegments(p *parser, path string) ([]string, *refusal) {
	if strings.Contains(path, "%") {
		return nil, badRequest("Percent-encoded characters are not allowed in the path.")
	}
	rest, ok := strings.CutPrefix(path, p.prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		return nil, unsupported("This path is not part of the FHIR API.")
	}
	if rest == "" || rest == "/" {
		return nil, unsupported("System-level interactions (batch, transaction, history, search) are not supported.")
	}
	segs := strings.Split(rest[1:], "/")
	for _, s := range segs {
		switch {
		case s == "" || s == "." || s == "..":
			return nil, badRequest("Empty or dot segments are not allowed in the path.")
		case s[0] == '$':
			return nil, unsupported("Operations are not supported.")
		}
	}
	if segs[0][0] == '_' {
		return nil, unsupported("System-level interactions (batch, transaction, history, search) are not supported.")
	}
	if _, ok := p.types[segs[0]]; !ok {
		return nil, unsupported("Resource type %q is not supported.", clip(segs[0]))
	}
	return segs, nil
}

// oracleCheckFormat refuses any _format but JSON without looking further: XML is never parsed.
func oracleCheckFormat(query url.Values) *refusal {
	for _, f := range query["_format"] {
		switch f {
		case "json", "application/json", "application/fhir+json":
		default:
			return notAcceptable()
		}
	}
	return nil
}

// oracleParseQuery checks every parameter against the table and makes query the canonical query, in
// place: parseQuery owns it. Keys are read in sorted order, so that the first problem reported
// does not depend on the order of the parameters; a parameter whose canonical key differs
// ("patient:Patient" becomes "patient") joins its canonical key, which sorts, and so was made
// canonical, before it.
func oracleParseQuery(p *parser, req *fhirRequest, query url.Values) *refusal {
	spec := p.types[req.Type]
	var patients []string
	budget := maxQueryValues
	for _, key := range sortedKeys(query) {
		if rf := oracleParseParam(p, req, spec, key, query, &patients, &budget); rf != nil {
			return rf
		}
	}
	if rf := oracleCheckCount(p, query); rf != nil {
		return rf
	}
	for _, j := range req.Includes {
		query.Add("_include", req.Type+":"+j.Param)
	}
	req.Patients = unique(patients)
	req.Query = canonOf(query)
	if spec.Class == classCompartment && len(req.Patients) == 0 {
		return forbidden(reasonNoPatient, fmt.Sprintf(
			"A search of %s must name a patient (patient or subject parameter).", req.Type))
	}
	return nil
}

// oracleParseParam checks one parameter's values against the table, replaces them in query by their
// canonical form and appends the patients they name.
func oracleParseParam(p *parser, req *fhirRequest, spec typeSpec, key string, query url.Values, patients *[]string,
	budget *int) *refusal {
	values := query[key]
	first, _, _ := strings.Cut(key, ":")
	run := make([]pair, len(values))
	for i, v := range values {
		run[i] = pair{key, v}
	}
	if rf := p.special(req, spec, key, first, run, budget); rf != nil || isSpecial(key) {
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
		if rf := oracleCheckItems(key, raw, ps.Kind, budget); rf != nil {
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

// oracleCheckCount refuses repeated paging parameters and caps _count (adding it when absent, so
// the upstream's default page size never decides how much is fetched).
func oracleCheckCount(p *parser, canon url.Values) *refusal {
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

// canonOf is q as a canonQuery: its keys sorted, the values of each in order.
func canonOf(q url.Values) canonQuery {
	var out canonQuery
	for _, k := range sortedKeys(q) {
		for _, v := range q[k] {
			out = append(out, pair{k, v})
		}
	}
	return out
}

// oracleCheckItems is checkItems as it was.
func oracleCheckItems(key, raw string, kind paramKind, budget *int) *refusal {
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

// oracleValidDate is validDate as it was; canonical (shared) calls validDate, so FuzzParse
// compares the two directly.
func oracleValidDate(s string) bool {
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
