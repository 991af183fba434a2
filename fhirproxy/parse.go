package fhirproxy

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mypatients/gateway/access"
)

// fhirRequest is the canonical form of one FHIR request: everything the gateway acts on and
// forwards, and nothing it did not parse.
type fhirRequest struct {
	Interaction string // access.Read or access.Search
	Type        string
	ID          string     // read only
	Query       url.Values // search only: the canonical query sent upstream
	Patients    []string   // the patients the request names: sorted, unique, bare ids
}

// upstreamPath is the request's path relative to the upstream FHIR base.
func (r *fhirRequest) upstreamPath() string {
	if r.Interaction == access.Read {
		return r.Type + "/" + r.ID
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

// parse validates u's path and query. Refusals: 400 for what is malformed or unknown, 403 for
// well-formed requests the gateway does not serve (other types, history, operations, system
// level, compartment paths, a compartment search naming no patient).
func (p *parser) parse(u *url.URL) (*fhirRequest, *refusal) {
	req, rf := p.parsePath(u.EscapedPath())
	if rf != nil {
		return nil, rf
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, badRequest("The query string cannot be parsed.")
	}
	if req.Interaction == access.Read {
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

// parsePath splits the escaped path below the prefix into type and id.
func (p *parser) parsePath(path string) (*fhirRequest, *refusal) {
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
	switch {
	case len(segs) == 1:
		return &fhirRequest{Interaction: access.Search, Type: segs[0]}, nil
	case len(segs) == 2 && segs[1][0] == '_':
		return nil, unsupported("%q is not supported; use GET %s/%s?params.", clip(segs[1]), p.prefix, segs[0])
	case len(segs) == 2 && validID(segs[1]):
		return &fhirRequest{Interaction: access.Read, Type: segs[0], ID: segs[1]}, nil
	case len(segs) == 2:
		return nil, badRequest("%q is not a valid FHIR id.", clip(segs[1]))
	default:
		return nil, unsupported("History, version and compartment paths are not supported.")
	}
}

// parseQuery checks every parameter against the table and builds the canonical query.
func (p *parser) parseQuery(req *fhirRequest, query url.Values) *refusal {
	spec := p.types[req.Type]
	canon := make(url.Values, len(query)+1)
	var patients []string
	budget := maxQueryValues
	for _, key := range sortedKeys(query) {
		name, modifier, hasModifier := strings.Cut(key, ":")
		ps, ok := spec.Params[name]
		if !ok {
			return badRequest("Unknown search parameter %q for %s.", clip(key), req.Type)
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
	slices.Sort(patients)
	req.Patients = slices.Compact(patients)
	req.Query = canon
	if spec.NeedsPatient && len(req.Patients) == 0 {
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

// canonical validates one occurrence's items and returns the upstream key and value, plus the
// patients it names.
func (p *parser) canonical(name, modifier string, ps paramSpec, items []string) (string, string, []string, *refusal) {
	var named []string
	switch ps.Kind {
	case kindNumber:
		if len(items[0]) > 6 || strings.Trim(items[0], "0123456789") != "" {
			return "", "", nil, badRequest("%q must be a non-negative integer.", name)
		}
	case kindID:
		for _, it := range items {
			if !validID(it) {
				return "", "", nil, badRequest("%q is not a valid FHIR id in %q.", clip(it), name)
			}
		}
		if ps.NamesPatients {
			named = items
		}
	case kindDate:
		for _, it := range items {
			if !validDate(it) {
				return "", "", nil, badRequest("%q is not a supported date value for %q.", clip(it), name)
			}
		}
	case kindReference:
		out := make([]string, len(items))
		for i, it := range items {
			id, err := p.refs.searchValue(ps, modifier, it)
			if errors.Is(err, errOtherType) {
				return "", "", nil, forbidden(reasonUnsupported, fmt.Sprintf("%q must name a %s.", name, ps.Target))
			} else if err != nil {
				return "", "", nil, badRequest("%q is not a supported reference for %q.", clip(it), name)
			}
			out[i] = ps.Target + "/" + id
			if ps.NamesPatients {
				named = append(named, id)
			}
		}
		// The type modifier is now explicit in the value; forward the plain name.
		return name, strings.Join(out, ","), named, nil
	}
	key := name
	if modifier != "" {
		key = name + ":" + modifier
	}
	return key, strings.Join(items, ","), named, nil
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
		if c, err := strconv.Atoi(v); err == nil && c < n {
			n = c
		}
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
