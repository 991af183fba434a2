package ehr

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// filter decides whether one resource matches one search parameter occurrence.
type filter func(doc map[string]any) bool

// include is one "_include=Type:param[:Target]" request.
type include struct {
	param  searchParam
	target string
}

// query is a parsed search: filters that must all hold (repeated parameters are AND), the
// page asked for, and what else to return.
type query struct {
	filters       []filter
	count, offset int
	includes      []include
	summaryCount  bool
	// echo holds the request's parameters minus paging, repeated in every paging link.
	echo url.Values
}

// parseQuery turns a search's parameters into a query. Unknown parameters fail the search
// with a 400 when strict (Prefer: handling=strict) and are ignored otherwise; malformed
// values of known parameters always fail it.
func (s *Server) parseQuery(typ string, vals url.Values, strict bool) (*query, error) {
	q := &query{count: s.defaultCount, echo: url.Values{}}
	params := s.params[typ]
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		name, modifier := splitModifier(key)
		if name != "_count" && name != "_offset" {
			q.echo[key] = vals[key]
		}
		p, known := params[name]
		switch {
		case isResultParam(name):
			if err := s.resultParam(q, typ, name, modifier, vals[key], strict); err != nil {
				return nil, err
			}
		case !known || strings.Contains(name, "."):
			if strict {
				return nil, errOutcome(http.StatusBadRequest, "not-supported",
					fmt.Sprintf("Unknown search parameter %q for resource type %s", key, typ))
			}
			s.log.Debug("demo ehr: ignoring unknown search parameter", "type", typ, "param", key)
		default:
			for _, value := range vals[key] {
				if value == "" {
					continue // FHIR servers ignore empty parameters
				}
				f, err := s.paramFilter(p, modifier, value)
				if err != nil {
					return nil, errOutcome(http.StatusBadRequest, "invalid",
						fmt.Sprintf("Invalid value for search parameter %q: %v", key, err))
				}
				q.filters = append(q.filters, f)
			}
		}
	}
	return q, nil
}

// resultParam applies one of the result parameters (_count, _offset, _include, ...).
func (s *Server) resultParam(q *query, typ, name, modifier string, values []string, strict bool) error {
	bad := func(format string, args ...any) error {
		return errOutcome(http.StatusBadRequest, "invalid", fmt.Sprintf(format, args...))
	}
	if modifier != "" {
		return bad("Search parameter %s does not take a modifier", name)
	}
	last := values[len(values)-1]
	switch name {
	case "_count", "_offset":
		n, err := strconv.Atoi(last)
		if err != nil || n < 0 {
			return bad("%s must be a non-negative integer, not %q", name, last)
		}
		if name == "_offset" {
			q.offset = n
		} else {
			q.count = min(n, s.maxCount)
		}
	case "_summary":
		q.summaryCount = last == "count"
	case "_include":
		for _, v := range values {
			inc, err := s.parseInclude(typ, v)
			if err != nil && strict {
				return err
			}
			if err == nil {
				q.includes = append(q.includes, inc)
			}
		}
	}
	// _format is negotiated before the search runs; _pretty and _total need nothing here.
	return nil
}

// parseInclude parses "Type:param" or "Type:param:Target" for the searched type.
func (s *Server) parseInclude(typ, v string) (include, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != typ {
		return include{}, errOutcome(http.StatusBadRequest, "not-supported",
			fmt.Sprintf("Unsupported _include %q: expected %s:<reference parameter>[:<type>]", v, typ))
	}
	p, ok := s.params[typ][parts[1]]
	if !ok || p.typ != referenceParam {
		return include{}, errOutcome(http.StatusBadRequest, "not-supported",
			fmt.Sprintf("Unsupported _include %q: %s is not a reference parameter of %s", v, parts[1], typ))
	}
	inc := include{param: p}
	if len(parts) == 3 {
		inc.target = parts[2]
	}
	return inc, nil
}

// paramFilter builds the filter for one occurrence of a search parameter. Its value may list
// alternatives separated by commas (OR).
func (s *Server) paramFilter(p searchParam, modifier, value string) (filter, error) {
	if modifier == "missing" {
		if value != "true" && value != "false" {
			return nil, fmt.Errorf(":missing takes true or false")
		}
		want := value == "true"
		return func(doc map[string]any) bool { return (len(paramValues(doc, p)) == 0) == want }, nil
	}
	alternatives := splitOr(value)
	var match func(v any, alt int) bool
	switch p.typ {
	case tokenParam:
		if modifier != "" && modifier != "not" {
			return nil, fmt.Errorf("modifier :%s is not supported for token parameters", modifier)
		}
		tokens := make([]tokenQuery, len(alternatives))
		for i, a := range alternatives {
			tokens[i] = parseToken(a)
		}
		match = func(v any, alt int) bool {
			return slices.ContainsFunc(tokenPairs(v), tokens[alt].matches)
		}
		if modifier == "not" {
			return negate(s.anyValue(p, len(alternatives), match)), nil
		}
	case stringParam:
		if modifier != "" && modifier != "exact" && modifier != "contains" {
			return nil, fmt.Errorf("modifier :%s is not supported for string parameters", modifier)
		}
		match = func(v any, alt int) bool {
			return slices.ContainsFunc(stringsOf(v), func(s string) bool { return stringMatches(s, alternatives[alt], modifier) })
		}
	case referenceParam:
		if modifier != "" && !isTypeName(modifier) {
			return nil, fmt.Errorf("modifier :%s is not supported for reference parameters", modifier)
		}
		refs := make([]refQuery, len(alternatives))
		for i, a := range alternatives {
			refs[i] = parseRefQuery(a, modifier, p, s.base)
		}
		match = func(v any, alt int) bool { return refs[alt].matches(v, p, s.base) }
	case dateParam:
		if modifier != "" {
			return nil, fmt.Errorf("modifier :%s is not supported for date parameters", modifier)
		}
		dates := make([]dateQuery, len(alternatives))
		for i, a := range alternatives {
			d, err := parseDateQuery(a)
			if err != nil {
				return nil, err
			}
			dates[i] = d
		}
		match = func(v any, alt int) bool {
			sp, ok := spanOf(v)
			return ok && dates[alt].matches(sp)
		}
	}
	return s.anyValue(p, len(alternatives), match), nil
}

// anyValue returns a filter that holds when some alternative matches some value of p.
func (s *Server) anyValue(p searchParam, alternatives int, match func(v any, alt int) bool) filter {
	return func(doc map[string]any) bool {
		for _, v := range paramValues(doc, p) {
			for alt := range alternatives {
				if match(v, alt) {
					return true
				}
			}
		}
		return false
	}
}

// negate returns the opposite filter (the token :not modifier).
func negate(f filter) filter {
	return func(doc map[string]any) bool { return !f(doc) }
}

// paramValues returns the values of all of p's paths in doc.
func paramValues(doc map[string]any, p searchParam) []any {
	var out []any
	for _, path := range p.paths {
		out = append(out, valuesAt(doc, path)...)
	}
	return out
}
