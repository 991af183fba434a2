package fhirproxy

import (
	"net/url"
	"slices"
	"strings"
)

// A request's parameters, read from the raw query string (and form body) in one pass: the
// parser never builds the url.Values of the caller's query, only the canonical one it forwards
// (query.go). Splitting and decoding are url.ParseQuery's, step for step, so the parameters
// read are exactly those url.ParseQuery would return, and the same inputs are refused.

// pair is one key=value of a query string or form body, decoded.
type pair struct{ key, value string }

// queryDelims are the bytes of a raw query that queryPairs looks at.
var queryDelims = [256]bool{'&': true, ';': true, '=': true, '%': true, '+': true}

// queryPairs appends to dst the parameters of raw, a query string or form body (what names it
// in a refusal), in their order. A key or value without escapes is a substring of raw, not a
// copy. Refused as url.ParseQuery refuses them: a semicolon (a separator to some servers, not
// to Go), a malformed escape; and anything longer than maxQueryBytes.
func queryPairs(dst []pair, raw, what string) ([]pair, *refusal) {
	if len(raw) > maxQueryBytes {
		return dst, badRequest("The %s is longer than %d bytes.", what, maxQueryBytes)
	}
	for len(raw) > 0 {
		// One pass over the pair up to its '&': where its '=' is, and whether it holds what
		// url.QueryUnescape would decode (without either, it returns its argument).
		end, eq, escaped := 0, -1, false
		for ; end < len(raw); end++ {
			if !queryDelims[raw[end]] {
				continue
			}
			c := raw[end]
			if c == '&' {
				break
			}
			switch {
			case c == ';':
				return dst, badRequest("The %s cannot be parsed.", what)
			case c == '=' && eq < 0:
				eq = end
			case c == '%' || c == '+':
				escaped = true
			}
		}
		kv := raw[:end]
		raw = raw[min(end+1, len(raw)):]
		if kv == "" {
			continue
		}
		pr := pair{key: kv}
		if eq >= 0 {
			pr.key, pr.value = kv[:eq], kv[eq+1:]
		}
		if escaped {
			var err1, err2 error
			pr.key, err1 = url.QueryUnescape(pr.key)
			pr.value, err2 = url.QueryUnescape(pr.value)
			if err1 != nil || err2 != nil {
				return dst, badRequest("The %s cannot be parsed.", what)
			}
		}
		dst = append(dst, pr)
	}
	return dst, nil
}

// byKey returns the positions of pairs in order of key, stably: the values of one key stay in
// the order given. It sorts positions rather than the pairs, which hold pointers: while the
// collector runs, every pointer moved costs a write barrier.
func byKey(pairs []pair, dst []uint16) []uint16 {
	for i := range pairs {
		dst = append(dst, uint16(i)) // len(pairs) <= maxQueryBytes / 2 + 1: a uint16 holds it
	}
	if len(dst) > 12 {
		slices.SortStableFunc(dst, func(a, b uint16) int { return strings.Compare(pairs[a].key, pairs[b].key) })
		return dst
	}
	for i := 1; i < len(dst); i++ { // an insertion sort, stable: few pairs, often in order
		for j := i; j > 0 && after(pairs[dst[j-1]].key, pairs[dst[j]].key); j-- {
			dst[j-1], dst[j] = dst[j], dst[j-1]
		}
	}
	return dst
}

// after reports whether a sorts after b; most keys differ in their first byte.
func after(a, b string) bool {
	if a != "" && b != "" && a[0] != b[0] {
		return a[0] > b[0]
	}
	return a > b
}

// canonQuery is a search's canonical query: its parameters in order of key, the values of one
// key in the order given, each in the one spelling the parser made canonical. It is what the
// gateway forwards (with what it adds), writes in its links and signs.
type canonQuery []pair

// Encode writes q as url.Values.Encode writes the same parameters.
func (q canonQuery) Encode() string {
	n := 0
	for _, pr := range q {
		n += len(pr.key) + len(pr.value) + 2
	}
	var b strings.Builder
	b.Grow(n + n/4) // some room for escapes
	for i, pr := range q {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(pr.key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(pr.value))
	}
	return b.String()
}

// Values returns q as url.Values, a copy to add to.
func (q canonQuery) Values() url.Values {
	out := make(url.Values, len(q))
	for _, pr := range q {
		out[pr.key] = append(out[pr.key], pr.value)
	}
	return out
}
