package ehr

import (
	"encoding/json"
	"net/url"
	"strconv"
)

// bundle is a searchset Bundle. Resources are embedded as stored, never re-encoded.
type bundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Total        int           `json:"total"`
	Link         []bundleLink  `json:"link"`
	Entry        []bundleEntry `json:"entry,omitempty"`
}

// bundleLink is one Bundle.link: self, first, previous, next or last.
type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// bundleEntry is one Bundle.entry with its search mode.
type bundleEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Search   entrySearch     `json:"search"`
}

// entrySearch is Bundle.entry.search: "match" for results, "include" for _include targets.
type entrySearch struct {
	Mode string `json:"mode"`
}

// search runs q over typ and returns the requested page as a searchset Bundle. Results come
// in the Dataset's fixed order, so offsets are stable between pages.
func (s *Server) search(typ string, q *query) bundle {
	var matches []*stored
	for _, r := range s.d.byType[typ] {
		if matchesAll(r.doc, q.filters) {
			matches = append(matches, r)
		}
	}
	b := bundle{ResourceType: "Bundle", Type: "searchset", Total: len(matches)}
	if q.summaryCount {
		b.Link = []bundleLink{{"self", s.pageURL(typ, q, q.count, q.offset)}}
		return b
	}
	start := min(q.offset, len(matches))
	page := matches[start:min(start+q.count, len(matches))]
	seen := map[string]bool{}
	for _, r := range page {
		seen[r.typ+"/"+r.id] = true
		b.Entry = append(b.Entry, s.entry(r, "match"))
	}
	for _, r := range s.included(page, q.includes) {
		if key := r.typ + "/" + r.id; !seen[key] {
			seen[key] = true
			b.Entry = append(b.Entry, s.entry(r, "include"))
		}
	}
	b.Link = s.pageLinks(typ, q, len(matches))
	return b
}

// matchesAll reports whether doc satisfies every filter.
func matchesAll(doc map[string]any, filters []filter) bool {
	for _, f := range filters {
		if !f(doc) {
			return false
		}
	}
	return true
}

// entry wraps one stored resource for a Bundle.
func (s *Server) entry(r *stored, mode string) bundleEntry {
	return bundleEntry{FullURL: s.base + "/" + r.typ + "/" + r.id, Resource: r.raw, Search: entrySearch{mode}}
}

// included returns the resources that the page's references name through the _include
// parameters, in page order, skipping references that point outside the dataset.
func (s *Server) included(page []*stored, includes []include) []*stored {
	var out []*stored
	for _, inc := range includes {
		for _, r := range page {
			for _, v := range paramValues(r.doc, inc.param) {
				m, _ := v.(map[string]any)
				ref, _ := m["reference"].(string)
				key, ok := parseLiteral(ref, s.base)
				if !ok || (inc.target != "" && key.typ != inc.target) {
					continue
				}
				if target := s.d.lookup(key.typ, key.id); target != nil {
					out = append(out, target)
				}
			}
		}
	}
	return out
}

// pageLinks returns self, first, previous, next and last links for a search with total
// matches. Each is an absolute URL under the base that repeats the search's parameters with
// its own _count and _offset, so that following it needs no server-side state.
func (s *Server) pageLinks(typ string, q *query, total int) []bundleLink {
	links := []bundleLink{{"self", s.pageURL(typ, q, q.count, q.offset)}}
	if q.count == 0 {
		return links
	}
	last := 0
	if total > 0 {
		last = (total - 1) / q.count * q.count
	}
	links = append(links, bundleLink{"first", s.pageURL(typ, q, q.count, 0)})
	if q.offset > 0 {
		prev := max(0, min(q.offset-q.count, last))
		links = append(links, bundleLink{"previous", s.pageURL(typ, q, q.count, prev)})
	}
	if q.offset+q.count < total {
		links = append(links, bundleLink{"next", s.pageURL(typ, q, q.count, q.offset+q.count)})
	}
	return append(links, bundleLink{"last", s.pageURL(typ, q, q.count, last)})
}

// pageURL is the absolute search URL for one page.
func (s *Server) pageURL(typ string, q *query, count, offset int) string {
	v := make(url.Values, len(q.echo)+2)
	for k, vals := range q.echo {
		v[k] = vals
	}
	v.Set("_count", strconv.Itoa(count))
	v.Set("_offset", strconv.Itoa(offset))
	return s.base + "/" + typ + "?" + v.Encode()
}
