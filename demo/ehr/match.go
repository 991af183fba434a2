package ehr

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// valuesAt returns every value at a dot-separated path of a resource, searching arrays
// element by element: "participant.individual" yields each participant's individual.
func valuesAt(doc map[string]any, path string) []any {
	current := []any{doc}
	for _, name := range strings.Split(path, ".") {
		var next []any
		for _, v := range current {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			switch child := m[name].(type) {
			case nil:
			case []any:
				next = append(next, child...)
			default:
				next = append(next, child)
			}
		}
		current = next
	}
	return current
}

// codePair is one system and code (or identifier value) a token parameter can match.
type codePair struct {
	system, code string
	// primitive marks a bare code (gender, status): its system is implied, so any system in
	// the query is accepted.
	primitive bool
}

// tokenPairs returns what a token parameter can match in one element: a primitive code or
// boolean, a Coding, each Coding of a CodeableConcept, or an Identifier's system and value.
func tokenPairs(v any) []codePair {
	switch x := v.(type) {
	case string:
		return []codePair{{code: x, primitive: true}}
	case bool:
		return []codePair{{code: fmt.Sprint(x), primitive: true}}
	case map[string]any:
		if codings, ok := x["coding"].([]any); ok {
			var out []codePair
			for _, c := range codings {
				out = append(out, tokenPairs(c)...)
			}
			return out
		}
		system, _ := x["system"].(string)
		if c, ok := x["code"].(string); ok {
			return []codePair{{system: system, code: c}}
		}
		if val, ok := x["value"].(string); ok {
			return []codePair{{system: system, code: val}}
		}
	}
	return nil
}

// tokenQuery is one token search value: "code", "system|code", "|code" or "system|".
type tokenQuery struct {
	system, code string
	hasSystem    bool
}

// parseToken splits a token search value at its first "|".
func parseToken(s string) tokenQuery {
	system, c, found := strings.Cut(s, "|")
	if !found {
		return tokenQuery{code: s}
	}
	return tokenQuery{system: system, code: c, hasSystem: true}
}

// matches reports whether the query matches one code pair.
func (q tokenQuery) matches(p codePair) bool {
	if q.code != "" && q.code != p.code {
		return false
	}
	if !q.hasSystem || p.primitive {
		return q.code != ""
	}
	return q.system == p.system
}

// stringsOf returns the searchable strings of an element: a string itself, or the parts of a
// HumanName (family, given, prefix, suffix, text).
func stringsOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case map[string]any:
		var out []string
		for _, k := range []string{"family", "given", "prefix", "suffix", "text"} {
			for _, part := range valuesAt(x, k) {
				if s, ok := part.(string); ok {
					out = append(out, s)
				}
			}
		}
		return out
	}
	return nil
}

// stringMatches applies FHIR string search: by default case- and accent-insensitive
// "starts with" (on any word, as most servers do for names), ":exact" exact, ":contains"
// substring.
func stringMatches(value, query, modifier string) bool {
	switch modifier {
	case "exact":
		return value == query
	case "contains":
		return strings.Contains(asciiFold(value), asciiFold(query))
	}
	v, q := asciiFold(value), asciiFold(query)
	if strings.HasPrefix(v, q) {
		return true
	}
	for _, word := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '-' }) {
		if strings.HasPrefix(word, q) {
			return true
		}
	}
	return false
}

// asciiFold lower-cases s and removes accents from Latin letters, so that "sofia" finds
// "Sofía" and "muller" finds "Müller". Combining marks (decomposed input) are dropped.
func asciiFold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteString(foldRune(r))
	}
	return b.String()
}

// foldRune maps an accented lower-case Latin letter to its plain form.
func foldRune(r rune) string {
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ą':
		return "a"
	case 'ç', 'ć', 'č':
		return "c"
	case 'ď', 'đ':
		return "d"
	case 'è', 'é', 'ê', 'ë', 'ē', 'ę', 'ě':
		return "e"
	case 'ì', 'í', 'î', 'ï', 'ī':
		return "i"
	case 'ł':
		return "l"
	case 'ñ', 'ń', 'ň':
		return "n"
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ő':
		return "o"
	case 'ř':
		return "r"
	case 'ś', 'š':
		return "s"
	case 'ť':
		return "t"
	case 'ù', 'ú', 'û', 'ü', 'ū', 'ů', 'ű':
		return "u"
	case 'ý', 'ÿ':
		return "y"
	case 'ź', 'ż', 'ž':
		return "z"
	case 'ß':
		return "ss"
	case 'æ':
		return "ae"
	case 'œ':
		return "oe"
	}
	return string(r)
}

// refKey is a resolved reference: type and id, with version and base stripped.
type refKey struct{ typ, id string }

// String returns "Type/id".
func (k refKey) String() string { return k.typ + "/" + k.id }

// parseLiteral resolves a literal reference as found in a resource or a search value:
// "Type/id", "Type/id/_history/1", or the same under base. Absolute URLs under any other
// base point outside this server and resolve to nothing (ok false).
func parseLiteral(s, base string) (refKey, bool) {
	if rest, ok := strings.CutPrefix(s, base+"/"); ok {
		s = rest
	} else if strings.Contains(s, "://") || strings.HasPrefix(s, "urn:") || strings.HasPrefix(s, "#") {
		return refKey{}, false
	}
	if before, _, found := strings.Cut(s, "/_history/"); found {
		s = before
	}
	typ, id, found := strings.Cut(s, "/")
	if !found || !isTypeName(typ) || id == "" || strings.Contains(id, "/") {
		return refKey{}, false
	}
	return refKey{typ, id}, true
}

// isTypeName reports whether s looks like a FHIR resource type name.
func isTypeName(s string) bool {
	if s == "" || !unicode.IsUpper(rune(s[0])) {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) || r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

// refQuery is one reference search value. An empty typ matches any type.
type refQuery struct {
	key  refKey
	none bool // the value can match nothing (a foreign URL, a type the parameter cannot name)
}

// parseRefQuery interprets a reference search value in its accepted forms: "id",
// "Type/id", an absolute URL under base, each optionally narrowed by a ":Type" modifier
// (typeMod). A bare id takes the parameter's only target type when it has exactly one.
func parseRefQuery(value, typeMod string, p searchParam, base string) refQuery {
	var q refQuery
	if strings.Contains(value, "/") {
		key, ok := parseLiteral(value, base)
		if !ok || (typeMod != "" && key.typ != typeMod) {
			return refQuery{none: true}
		}
		q.key = key
	} else {
		q.key = refKey{typ: typeMod, id: value}
		if q.key.typ == "" && len(p.targets) == 1 {
			q.key.typ = p.targets[0]
		}
	}
	if q.key.typ != "" && p.targets != nil && !slices.Contains(p.targets, q.key.typ) {
		return refQuery{none: true}
	}
	return q
}

// matches reports whether a Reference element points to the queried resource.
func (q refQuery) matches(v any, p searchParam, base string) bool {
	if q.none {
		return false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	s, _ := m["reference"].(string)
	key, ok := parseLiteral(s, base)
	if !ok || (p.targets != nil && !slices.Contains(p.targets, key.typ)) {
		return false
	}
	return key.id == q.key.id && (q.key.typ == "" || q.key.typ == key.typ)
}
