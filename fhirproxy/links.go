package fhirproxy

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/mypatients/gateway"
)

// linkRewriter maps upstream URLs to the gateway's. The upstream base must never reach a
// client: paging links are re-parsed like a client's request (and dropped when they do not
// parse) and signed for the caller, and fullUrl is rebuilt from the resource's type and id
// (upstream addresses inside released resources are the scrubber's).
type linkRewriter struct {
	upstream *url.URL
	public   *url.URL
	base     string // public, as a string
	parser   *parser
	key      []byte
}

func newLinkRewriter(upstreamBase, public *url.URL, p *parser, key []byte) (*linkRewriter, error) {
	switch {
	case len(key) == 0:
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	case len(key) < 32:
		return nil, errors.New("PageKey must be at least 32 bytes")
	}
	return &linkRewriter{upstream: upstreamBase, public: public, base: public.String(), parser: p, key: key}, nil
}

// fullURLs sets the fullUrl of each entry of a searchset to the public URL of its resource,
// kept's of the same index. They are cut from one string: one allocation for the searchset
// rather than one per entry.
func (lr *linkRewriter) fullURLs(entries []bundleEntry, kept []*foundEntry) {
	n := 0
	for _, e := range kept {
		n += len(lr.base) + len(e.info.Type) + len(e.info.ID) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for _, e := range kept {
		b.WriteString(lr.base)
		b.WriteByte('/')
		b.WriteString(e.info.Type)
		b.WriteByte('/')
		b.WriteString(e.info.ID)
	}
	all, at := b.String(), 0
	for i, e := range kept {
		n := len(lr.base) + len(e.info.Type) + len(e.info.ID) + 2
		entries[i].FullURL, at = all[at:at+n], at+n
	}
}

// searchURL is the public URL of a canonical search.
func (lr *linkRewriter) searchURL(typ string, q canonQuery) string {
	return lr.base + "/" + typ + "?" + q.Encode()
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
// query (never the narrowed one), and each paging link of the upstream that survives link,
// signed for the caller.
func (lr *linkRewriter) bundleLinks(c gateway.Caller, req *fhirRequest, in []bundleLink, added url.Values) []bundleLink {
	out := []bundleLink{{Relation: "self", URL: lr.searchURL(req.Type, req.Query)}}
	for _, l := range in {
		if !pagingRelation(l.Relation) {
			continue
		}
		if u, ok := lr.link(c, req.Type, l.URL, added); ok {
			out = append(out, bundleLink{Relation: l.Relation, URL: u})
		}
	}
	return out
}

// link rewrites one upstream paging link for a search of typ. It must be a search of typ under
// the upstream base; the parameters the gateway added (narrowing, scope queries) are removed
// (a follow-up request gets them again), and the rest must parse as a client request would, so
// a link carries nothing the gateway would not accept from the caller.
func (lr *linkRewriter) link(c gateway.Caller, typ, raw string, added url.Values) (string, bool) {
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
	for k, vs := range added {
		q[k] = slices.DeleteFunc(q[k], func(v string) bool { return slices.Contains(vs, v) })
		if len(q[k]) == 0 {
			delete(q, k)
		}
	}
	delete(q, "_page")
	req, rf := lr.parser.parse(&url.URL{Path: lr.public.Path + "/" + typ, RawQuery: q.Encode()})
	if rf != nil || req.Interaction != gateway.Search {
		return "", false
	}
	return lr.searchURL(typ, req.Query) + "&_page=" + lr.sign(c, typ, req.Query), true
}

// sign binds a canonical search to the caller: an HMAC over the user, the client, the
// token's id and the search. Another user, app or token gets a different value.
func (lr *linkRewriter) sign(c gateway.Caller, typ string, q canonQuery) string {
	m := hmac.New(sha256.New, lr.key)
	for _, part := range []string{c.Subject, c.ClientID, c.TokenID, typ, q.Encode()} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkPage refuses a request whose _page value this gateway did not write for this caller
// and exactly this canonical search.
func (lr *linkRewriter) checkPage(c gateway.Caller, req *fhirRequest) *refusal {
	if req.PageToken == "" || hmac.Equal([]byte(lr.sign(c, req.Type, req.Query)), []byte(req.PageToken)) {
		return nil
	}
	return forbidden(reasonPageToken, "This paging link belongs to another session; repeat the search instead.")
}
