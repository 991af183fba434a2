package upstream

import (
	"net/url"
	"strings"
)

// Relative returns ref relative to the FHIR base: a relative reference as given, an absolute
// one under the base (scheme and host compared without case) without the base. ok is false
// for another server's URL, or one with a query or fragment.
func (c *Client) Relative(ref string) (rel string, ok bool) {
	if !strings.Contains(ref, "://") {
		return ref, true
	}
	u, err := url.Parse(ref)
	if err != nil || !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) ||
		u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	return strings.CutPrefix(u.Path, strings.TrimRight(c.base.Path, "/")+"/")
}
