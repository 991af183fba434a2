package fhirproxy

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mypatients/gateway"
)

// fhirRequest is the canonical form of one FHIR request: everything the gateway acts on and
// forwards, and nothing it did not parse.
type fhirRequest struct {
	Interaction string // gateway.Read, gateway.VRead or gateway.Search
	Type        string
	ID          string     // read and vread
	Version     string     // vread only
	Query       url.Values // search only: the canonical query sent upstream
	Patients    []string   // the patients the request names: sorted, unique, bare ids
	// Includes are the vetted _include joins asked for, by parameter name, with the types
	// the joined resources may have.
	Includes map[string][]string
	// PageToken is the caller-binding of a paging link the gateway wrote (_page), if any.
	PageToken string
}

// upstreamPath is the request's path relative to the upstream FHIR base.
func (r *fhirRequest) upstreamPath() string {
	switch r.Interaction {
	case gateway.Read:
		return r.Type + "/" + r.ID
	case gateway.VRead:
		return r.Type + "/" + r.ID + "/_history/" + r.Version
	}
	return r.Type
}

// parser turns request URLs into canonical requests using the resource table.
type parser struct {
	prefix   string // the path of the public FHIR base, e.g. "/fhir"
	types    map[string]typeSpec
	refs     refResolver
	maxCount int
}

// parse validates a GET request's path and query (and a paging link the gateway rewrites).
func (p *parser) parse(u *url.URL) (*fhirRequest, *refusal) {
	if len(u.RawQuery) > maxQueryBytes {
		return nil, badRequest("The query string is longer than %d bytes.", maxQueryBytes)
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, badRequest("The query string cannot be parsed.")
	}
	return p.parseValues(u.EscapedPath(), query, false)
}

// parseValues validates an escaped path and its parameters. post is true for POST
// [type]/_search, whose parameters are the URL's and the form body's together. Refusals: 400
// for what is malformed or unknown, 403 for well-formed requests the gateway does not serve.
func (p *parser) parseValues(path string, query url.Values, post bool) (*fhirRequest, *refusal) {
	req, rf := p.parsePath(path, post)
	if rf != nil {
		return nil, rf
	}
	if rf := checkFormat(query); rf != nil {
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
	if rf := p.parseQuery(req, query); rf != nil {
		return nil, rf
	}
	return req, nil
}

// parsePath splits the escaped path below the prefix into type, id and version.
func (p *parser) parsePath(path string, post bool) (*fhirRequest, *refusal) {
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
	spec, ok := p.types[segs[0]]
	if !ok {
		return nil, unsupported("Resource type %q is not supported.", clip(segs[0]))
	}
	typ := segs[0]
	switch {
	case len(segs) == 1 && !post, len(segs) == 2 && segs[1] == "_search" && post:
		if spec.Params == nil {
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

// checkFormat refuses any _format but JSON without looking further: XML is never parsed.
func checkFormat(query url.Values) *refusal {
	for _, f := range query["_format"] {
		switch f {
		case "json", "application/json", "application/fhir+json":
		default:
			return notAcceptable()
		}
	}
	return nil
}

// parseQuery checks every parameter against the table and builds the canonical query.
func (p *parser) parseQuery(req *fhirRequest, query url.Values) *refusal {
	spec := p.types[req.Type]
	canon := make(url.Values, len(query)+1)
	var patients []string
	budget := maxQueryValues
	for _, key := range sortedKeys(query) {
		name, modifier, hasModifier := strings.Cut(key, ":")
		if rf := p.special(req, spec, key, query[key], &budget); rf != nil || isSpecial(key) {
			if rf != nil {
				return rf
			}
			continue
		}
		ps, ok := spec.Params[name]
		if !ok {
			return unknownParam(req.Type, key)
		}
		if hasModifier && !ps.allowsModifier(modifier) {
			return badRequest("Modifier %q on %q is not supported.", clip(modifier), name)
		}
		for _, raw := range query[key] {
			items, rf := splitValue(key, raw, ps.Kind, &budget)
			if rf != nil {
				return rf
			}
			outKey, out, named, rf := p.canonical(name, modifier, ps, items)
			if rf != nil {
				return rf
			}
			canon.Add(outKey, out)
			patients = append(patients, named...)
		}
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

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// clip bounds caller-supplied text echoed in a diagnostic.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
