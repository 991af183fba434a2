// Package scope reads SMART App Launch scopes, in both the v1 syntax
// ("user/Observation.read") and the v2 syntax ("patient/Observation.rs?category=..."), into a
// plain structure the SMART server grants from and the policy compares against. It only parses
// and prints; it does not decide what a client may have.
package scope

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Resource is a scope on FHIR resources: context/resource.perms[?query].
type Resource struct {
	// Context is "patient", "user" or "system".
	Context string `json:"context"`
	// Type is a FHIR resource type or "*".
	Type string `json:"resource"`
	// Perms are the v2 permission letters in canonical order, a subset of "cruds".
	Perms string `json:"perms"`
	// Query is a v2 granular constraint such as "category=...|laboratory"; empty for none.
	Query string `json:"query,omitempty"`
	// V1 records that the scope was written in v1 syntax, so it is printed back the same way.
	V1 bool `json:"v1,omitempty"`
}

var (
	resourceScope = regexp.MustCompile(`^(patient|user|system)/(\*|[A-Z][A-Za-z]{1,63})\.([a-z*]+)(\?.*)?$`)
	permOrder     = "cruds"
)

// ParseResource parses one resource scope. ok is false for strings that are not resource
// scopes (openid, launch, ...); err is set for resource scopes that are malformed.
func ParseResource(s string) (r Resource, ok bool, err error) {
	m := resourceScope.FindStringSubmatch(s)
	if m == nil {
		if strings.Contains(s, "/") && (strings.HasPrefix(s, "patient/") || strings.HasPrefix(s, "user/") || strings.HasPrefix(s, "system/")) {
			return Resource{}, true, fmt.Errorf("scope %q: malformed resource scope", s)
		}
		return Resource{}, false, nil
	}
	r = Resource{Context: m[1], Type: m[2]}
	switch act := m[3]; act {
	case "read":
		r.Perms, r.V1 = "rs", true
	case "write":
		r.Perms, r.V1 = "cud", true
	case "*":
		r.Perms, r.V1 = "cruds", true
	default:
		perms, err := canonicalPerms(act)
		if err != nil {
			return Resource{}, true, fmt.Errorf("scope %q: %w", s, err)
		}
		r.Perms = perms
	}
	if q := strings.TrimPrefix(m[4], "?"); q != "" {
		if r.V1 {
			return Resource{}, true, fmt.Errorf("scope %q: v1 scopes take no query", s)
		}
		if _, err := url.ParseQuery(q); err != nil {
			return Resource{}, true, fmt.Errorf("scope %q: bad query: %w", s, err)
		}
		r.Query = q
	}
	return r, true, nil
}

// canonicalPerms checks v2 permission letters: each at most once and in the order c,r,u,d,s.
func canonicalPerms(act string) (string, error) {
	last := -1
	for _, c := range act {
		i := strings.IndexRune(permOrder, c)
		if i < 0 {
			return "", fmt.Errorf("unknown permission %q", c)
		}
		if i <= last {
			return "", fmt.Errorf("permissions must appear once each, in the order cruds")
		}
		last = i
	}
	return act, nil
}

// String prints the scope back in the syntax it was written in.
func (r Resource) String() string {
	var act string
	switch {
	case !r.V1:
		act = r.Perms
	case r.Perms == "rs":
		act = "read"
	case r.Perms == "cud":
		act = "write"
	default:
		act = "*"
	}
	s := r.Context + "/" + r.Type + "." + act
	if r.Query != "" {
		s += "?" + r.Query
	}
	return s
}

// ReadOnly returns r reduced to its read permissions (r and s), and false when nothing is left.
// The gateway never grants create, update or delete; a v1 scope keeps the v1 spelling.
func (r Resource) ReadOnly() (Resource, bool) {
	var b strings.Builder
	for _, c := range r.Perms {
		if c == 'r' || c == 's' {
			b.WriteRune(c)
		}
	}
	perms := b.String()
	if perms == "" {
		return Resource{}, false
	}
	if r.V1 && perms != "rs" {
		r.V1 = false
	}
	r.Perms = perms
	return r, true
}

// Split splits a space-separated scope parameter (RFC 6749 §3.3), dropping empty items and
// duplicates while keeping the order.
func Split(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range strings.Fields(s) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}
