package fhirproxy

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mypatients/gateway"
)

// The search parameters of a request, checked against the table (params.go) and made
// canonical: the query the gateway forwards holds one spelling of each value and nothing the
// table does not list.

// parseQuery checks every parameter against the table and sets req.Query to the canonical
// query. Keys are read in sorted order, so that the first problem reported does not depend on
// the order of the parameters.
func (p *parser) parseQuery(req *fhirRequest, spec typeSpec, params []pair) *refusal {
	var buf [32]uint16
	order := byKey(params, buf[:0])
	// The canonical query is made in place in one array, sorted by key, with room for _count.
	q := canonQuery(req.store.query[:0])
	if len(params)+1 > len(req.store.query) {
		q = make(canonQuery, 0, len(params)+1)
	}
	q = q[:len(params)]
	for i, at := range order {
		q[i] = params[at]
	}
	patients := req.store.patients[:0]
	budget, renamed := maxQueryValues, false
	w := 0 // q[:w] is canonical
	for i := 0; i < len(q); {
		key, j := q[i].key, i+1
		for j < len(q) && q[j].key == key {
			j++
		}
		kept, rf := p.parseParam(req, spec, q[i:j], &patients, &budget)
		if rf != nil {
			return rf
		}
		renamed = renamed || kept > 0 && q[i].key != key
		w += copy(q[w:], q[i:i+kept])
		i = j
	}
	q = q[:w]
	if cmp := func(a, b pair) int { return strings.Compare(a.key, b.key) }; renamed && !slices.IsSortedFunc(q, cmp) {
		// "patient:Patient" became "patient": its values go after those given as "patient".
		slices.SortStableFunc(q, cmp)
	}
	var rf *refusal
	if q, rf = p.checkCount(q); rf != nil {
		return rf
	}
	if req.Patients = unique(patients); len(req.Patients) == 0 {
		req.Patients = nil
	}
	req.Query = q
	if spec.Class == classCompartment && len(req.Patients) == 0 {
		return forbidden(reasonNoPatient, fmt.Sprintf(
			"A search of %s must name a patient (patient or subject parameter).", req.Type))
	}
	return nil
}

// parseParam checks the values of one parameter (run: its pairs) against the table, rewrites
// them in place to their canonical form and key, and appends the patients they name. It
// returns how many of run's pairs the canonical query keeps: _include is written anew, one
// pair per join, and _page is never forwarded.
func (p *parser) parseParam(req *fhirRequest, spec typeSpec, run []pair, patients *[]string, budget *int) (int, *refusal) {
	key := run[0].key
	name, modifier, hasModifier := strings.Cut(key, ":")
	if rf := p.special(req, spec, key, name, run, budget); rf != nil || isSpecial(key) {
		if key != "_include" || rf != nil {
			return 0, rf
		}
		for i, j := range req.Includes { // as many as the values given, or fewer
			run[i].value = j.value
		}
		return len(req.Includes), nil
	}
	ps, ok := spec.Params[name]
	if !ok {
		return 0, unknownParam(req.Type, key)
	}
	if hasModifier && !ps.allowsModifier(modifier) {
		return 0, badRequest("Modifier %q on %q is not supported.", clip(modifier), name)
	}
	for i := range run {
		if rf := checkItems(key, run[i].value, ps.Kind, budget); rf != nil {
			return 0, rf
		}
		var rf *refusal
		if run[i].key, run[i].value, rf = p.canonical(key, name, modifier, ps, run[i].value, patients); rf != nil {
			return 0, rf
		}
	}
	return len(run), nil
}

// checkItems checks one occurrence's comma-list items (a number is one item) and their size,
// and counts them against the budget.
func checkItems(key, raw string, kind paramKind, budget *int) *refusal {
	n, bad := 1, false // items, and whether one is empty, overlong or holds a control character
	for i, start := 0, 0; ; i++ {
		i += itemRun(raw[i:])
		if i < len(raw) && (raw[i] != ',' || kind == kindNumber) { // a number has no comma list
			bad = bad || raw[i] != ','
			continue
		}
		bad = bad || i == start || i-start > maxValueLen // the item ends at i: a comma or the end
		if i == len(raw) {
			break
		}
		n, start = n+1, i+1
	}
	if *budget -= n; *budget < 0 {
		return badRequest("Too many search parameter values (at most %d).", maxQueryValues)
	}
	if bad {
		return badRequest("Empty, overlong or malformed value for %q.", clip(key))
	}
	return nil
}

// itemRun returns how many bytes at the start of s are neither a comma nor a control character
// (isControl). Bytes are enough: every byte of a multi-byte UTF-8 sequence is at least 0x80, and
// an invalid byte decodes to U+FFFD, so a rune is a control character exactly when it is one
// byte below 0x20 or 0x7f. It tests eight bytes at a time; the test may stop at a byte that
// needs no attention (then the byte loop decides) but never passes one that does.
func itemRun(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			// A byte's high bit is set in the sum when it is 0x80 or above, or the lowest byte
			// below 0x2d (a comma, a control character or other punctuation) or equal to 0x7f.
			if (x|(x-ones*0x2d)|((x^ones*0x7f)-ones))&highs == 0 {
				i += 8
				continue
			}
		}
		if c := s[i]; c == ',' || c < 0x20 || c == 0x7f {
			return i
		}
		i++
	}
	return len(s)
}

// checkCount refuses repeated paging parameters and caps _count (adding it when absent, so
// the upstream's default page size never decides how much is fetched).
func (p *parser) checkCount(q canonQuery) (canonQuery, *refusal) {
	at, counts, offsets := len(q), 0, 0 // at: the first _count, or where it goes
	for i, pr := range q {
		switch {
		case pr.key == "_count":
			counts++
		case pr.key == "_offset":
			offsets++
		}
		if at == len(q) && pr.key >= "_count" {
			at = i
		}
	}
	switch {
	case counts > 1:
		return q, badRequest("%q may be given only once.", "_count")
	case offsets > 1:
		return q, badRequest("%q may be given only once.", "_offset")
	case counts == 0:
		return slices.Insert(q, at, pair{key: "_count", value: strconv.Itoa(p.maxCount)}), nil
	}
	c, err := strconv.Atoi(q[at].value)
	if err != nil || c == 0 {
		// _count=0 asks for a bare total, which would count records the caller may not see.
		return q, badRequest("%q must be between 1 and %d.", "_count", p.maxCount)
	}
	q[at].value = strconv.Itoa(min(c, p.maxCount)) // the value is digits only (canonical)
	return q, nil
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
			b.Grow(len(raw) + 8*(1+strings.Count(rest, ","))) // room for a "Type/" before each item
			b.WriteString(raw[:max(start-1, 0)])              // the items before it, canonical, without a comma
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
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', c == '-', c == 'T', c == ':', c == '+', c == '.', c == 'Z':
		default:
			return false
		}
	}
	return true
}

// digitsOnly reports whether every byte of s is a decimal digit.
func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
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
	if ps.Kind == kindNumber && (len(raw) > 6 || !digitsOnly(raw)) {
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
func (p *parser) special(req *fhirRequest, spec typeSpec, key, name string, run []pair, budget *int) *refusal {
	switch {
	case key == "_page":
		if len(run) != 1 || len(run[0].value) > 128 {
			return badRequest("%q may be given only once.", "_page")
		}
		req.PageToken = run[0].value
	case key == "_include":
		for _, pr := range run {
			if *budget--; *budget < 0 {
				return badRequest("Too many search parameter values (at most %d).", maxQueryValues)
			}
			if rf := p.include(req, spec, pr.value); rf != nil {
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
	if ok2 && !slices.Contains(targets, target) {
		return badRequest("_include %q is not a vetted join.", clip(v))
	}
	i, found := slices.BinarySearchFunc(req.Includes, param, func(j join, param string) int {
		return strings.Compare(j.Param, param)
	})
	if !found {
		req.Includes = slices.Insert(req.Includes, i, join{Param: param, value: v[:len(typ)+1+len(param)]})
	}
	// Naming a target type narrows what is released, not what is fetched: the upstream
	// includes every target and the gateway drops the others. The types are a copy (targets
	// is the table's), sorted.
	j := &req.Includes[i]
	switch {
	case ok2:
		j.Types = unique(append(j.Types, target))
	case j.Types == nil:
		j.Types = targets // the table's, sorted and clipped: appending to it copies it
	default:
		j.Types = unique(append(j.Types, targets...))
	}
	return nil
}

// unknownParam refuses a parameter the table does not list.
func unknownParam(typ, key string) *refusal {
	return badRequest("Unknown search parameter %q for %s.", clip(key), typ)
}
