package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/upstream"
)

// The few FHIR R4 fields the fact gatherer reads. Small local structs rather than full
// models: decoding less means fewer ways for an unusual resource to fail.
type (
	reference struct {
		Reference string `json:"reference"`
	}
	patientResource struct {
		ResourceType        string      `json:"resourceType"`
		ID                  string      `json:"id"`
		GeneralPractitioner []reference `json:"generalPractitioner"`
	}
	roleResource struct {
		ResourceType string     `json:"resourceType"`
		ID           string     `json:"id"`
		Active       *bool      `json:"active"`
		Practitioner *reference `json:"practitioner"`
		Organization *reference `json:"organization"`
	}
	bundleResource struct {
		ResourceType string `json:"resourceType"`
		Link         []struct {
			Relation string `json:"relation"`
			URL      string `json:"url"`
		} `json:"link"`
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
			Search   *struct {
				Mode string `json:"mode"`
			} `json:"search"`
		} `json:"entry"`
	}
)

// Fact searches ask for pages of factPageSize (servers may send fewer) and follow at most
// maxSearchPages of them: 50,000 roles at one practice at full pages. A larger answer is a
// configuration problem to surface, not to paper over.
const (
	factPageSize   = 500
	maxSearchPages = 100
)

// normalizeRef returns a reference as "Type/id" when it names one of types, relative or
// absolute under the upstream base, optionally with a version ("/_history/2") that is
// dropped. Anything else (contained "#x", urn:uuid, another server, a logical identifier
// without reference) yields ok == false and is ignored.
func normalizeRef(up *upstream.Client, ref string, types ...string) (typ, id string, ok bool) {
	rel, ok := up.Relative(ref)
	if !ok {
		return "", "", false
	}
	parts := strings.Split(rel, "/")
	if len(parts) == 4 && parts[2] == "_history" {
		parts = parts[:2]
	}
	if len(parts) != 2 || !gateway.ValidID(parts[1]) {
		return "", "", false
	}
	for _, t := range types {
		if parts[0] == t {
			return t, parts[1], true
		}
	}
	return "", "", false
}

// searchAll runs a search at the upstream and returns the matching resources of type typ
// from every page. Next links must point below the upstream base; any other link is refused.
func searchAll(ctx context.Context, up *upstream.Client, typ string, query url.Values) ([]json.RawMessage, error) {
	var out []json.RawMessage
	path := typ
	for page := 0; ; page++ {
		if page == maxSearchPages {
			return nil, fmt.Errorf("authz: search %s?%s: more than %d pages", typ, query.Encode(), maxSearchPages)
		}
		var b bundleResource
		if err := up.GetJSON(ctx, path, query, &b); err != nil {
			return nil, fmt.Errorf("authz: search %s: %w", typ, err)
		}
		if b.ResourceType != "Bundle" {
			return nil, fmt.Errorf("authz: search %s: answer is a %q, not a Bundle", typ, b.ResourceType)
		}
		for _, e := range b.Entry {
			if e.Search != nil && e.Search.Mode != "" && e.Search.Mode != "match" {
				continue
			}
			var head struct {
				ResourceType string `json:"resourceType"`
			}
			if err := json.Unmarshal(e.Resource, &head); err != nil {
				return nil, fmt.Errorf("authz: search %s: entry: %w", typ, err)
			}
			if head.ResourceType == typ {
				out = append(out, e.Resource)
			}
		}
		next := nextLink(b)
		if next == "" {
			return out, nil
		}
		var err error
		if path, query, err = belowBase(up.Base(), next); err != nil {
			return nil, fmt.Errorf("authz: search %s: %w", typ, err)
		}
	}
}

func nextLink(b bundleResource) string {
	for _, l := range b.Link {
		if l.Relation == "next" {
			return l.URL
		}
	}
	return ""
}

// belowBase splits an absolute URL under base into the path relative to base and its query.
func belowBase(base *url.URL, link string) (string, url.Values, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", nil, fmt.Errorf("next link: %w", err)
	}
	if !u.IsAbs() {
		dir := *base
		dir.Path = strings.TrimRight(dir.Path, "/") + "/"
		u = dir.ResolveReference(u)
	}
	rest, found := strings.CutPrefix(u.Path, strings.TrimRight(base.Path, "/")+"/")
	if !found || !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) {
		return "", nil, fmt.Errorf("next link %q is not below the upstream base", link)
	}
	return rest, u.Query(), nil
}
