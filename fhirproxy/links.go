package fhirproxy

import (
	"bytes"
	"net/url"
	"slices"
	"strings"

	"github.com/mypatients/gateway/access"
)

// linkRewriter maps upstream URLs to the gateway's. The upstream base must never reach a
// client: paging links are re-parsed like a client's request (and dropped when they do not
// parse), fullUrl is rebuilt from the resource's type and id, and absolute upstream references
// inside released resources are rewritten to the public base.
type linkRewriter struct {
	upstream *url.URL
	public   *url.URL
	parser   *parser
	// replace holds (upstream base → public base) pairs, raw and with JSON-escaped slashes.
	replace [][2][]byte
}

func newLinkRewriter(upstreamBase, public *url.URL, p *parser) linkRewriter {
	from, to := upstreamBase.String(), public.String()
	return linkRewriter{
		upstream: upstreamBase, public: public, parser: p,
		replace: [][2][]byte{
			{[]byte(from), []byte(to)},
			{[]byte(strings.ReplaceAll(from, "/", `\/`)), []byte(strings.ReplaceAll(to, "/", `\/`))},
		},
	}
}

// body rewrites absolute upstream-base URLs in a released resource to the public base. It
// works on bytes so that the resource is not decoded and re-encoded.
func (lr linkRewriter) body(b []byte) []byte {
	for _, r := range lr.replace {
		if bytes.Contains(b, r[0]) {
			b = bytes.ReplaceAll(b, r[0], r[1])
		}
	}
	return b
}

// resourceURL is the public fullUrl of a resource.
func (lr linkRewriter) resourceURL(typ, id string) string {
	return lr.public.String() + "/" + typ + "/" + id
}

// searchURL is the public URL of a canonical search.
func (lr linkRewriter) searchURL(typ string, q url.Values) string {
	return lr.public.String() + "/" + typ + "?" + q.Encode()
}

// pagingRelation reports whether a Bundle link relation is passed on; others are dropped.
func pagingRelation(rel string) bool {
	switch rel {
	case "first", "previous", "prev", "next", "last":
		return true
	}
	return false
}

// bundleLinks returns the released Bundle's links: self, built from the caller's canonical
// query (never the narrowed one), and each paging link of the upstream that survives link.
func (lr linkRewriter) bundleLinks(req *fhirRequest, in []bundleLink, narrow url.Values) []bundleLink {
	out := []bundleLink{{Relation: "self", URL: lr.searchURL(req.Type, req.Query)}}
	for _, l := range in {
		if !pagingRelation(l.Relation) {
			continue
		}
		if u, ok := lr.link(req.Type, l.URL, narrow); ok {
			out = append(out, bundleLink{Relation: l.Relation, URL: u})
		}
	}
	return out
}

// link rewrites one upstream paging link for a search of typ. It must be a search of typ under
// the upstream base; the narrowing parameters the gateway added are removed (a follow-up
// request is narrowed again), and the rest must parse as a client request would, so a link
// carries nothing the gateway would not accept from the caller.
func (lr linkRewriter) link(typ, raw string, narrow url.Values) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Fragment != "" || u.RawPath != "" ||
		!strings.EqualFold(u.Scheme, lr.upstream.Scheme) || !strings.EqualFold(u.Host, lr.upstream.Host) ||
		u.Path != lr.upstream.Path+"/"+typ {
		return "", false
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", false
	}
	for k, vs := range narrow {
		q[k] = slices.DeleteFunc(q[k], func(v string) bool { return slices.Contains(vs, v) })
		if len(q[k]) == 0 {
			delete(q, k)
		}
	}
	req, rf := lr.parser.parse(&url.URL{Path: lr.public.Path + "/" + typ, RawQuery: q.Encode()})
	if rf != nil || req.Interaction != access.Search {
		return "", false
	}
	return lr.searchURL(typ, req.Query), true
}
