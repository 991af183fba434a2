package smart

import (
	"fmt"
	"net"
	"net/url"
	"slices"
)

// redirectAllowed reports whether uri is one of the client's registered redirect URIs. The
// match is exact, string for string (RFC 9700 §2.1), with one exception from RFC 8252 §7.3:
// for a registered loopback http URI, the port of the request may differ, because native apps
// listen on an ephemeral port.
func (c Client) redirectAllowed(uri string) bool {
	for _, reg := range c.RedirectURIs {
		if uri == reg {
			return true
		}
		if sameExceptLoopbackPort(reg, uri) {
			return true
		}
	}
	return false
}

func sameExceptLoopbackPort(registered, requested string) bool {
	a, err1 := url.Parse(registered)
	b, err2 := url.Parse(requested)
	if err1 != nil || err2 != nil || a.Scheme != "http" || b.Scheme != "http" {
		return false
	}
	ip := net.ParseIP(a.Hostname())
	if ip == nil || !ip.IsLoopback() || a.Hostname() != b.Hostname() {
		return false
	}
	// Compare everything but the port, byte for byte.
	a.Host, b.Host = a.Hostname(), b.Hostname()
	return a.String() == b.String()
}

// Grant types (RFC 6749 §4, SMART backend-services.md).
const (
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
	grantClientCredentials = "client_credentials"
)

// check refuses a client whose credentials do not fit its type.
func (c Client) check() error {
	switch {
	case c.Public && (c.SecretSHA256 != "" || c.JWKS != nil || c.JWKSURL != ""):
		return fmt.Errorf("smart: public client %q must have no credentials", c.ID)
	case !c.Public && c.SecretSHA256 == "" && c.JWKS == nil && c.JWKSURL == "":
		return fmt.Errorf("smart: confidential client %q needs a secret or a JWKS", c.ID)
	case c.JWKS != nil:
		if _, err := parseJWKS(c.JWKS); err != nil {
			return fmt.Errorf("smart: client %q: %w", c.ID, err)
		}
	}
	return nil
}

// asymmetric reports whether the client authenticates with private_key_jwt.
func (c Client) asymmetric() bool { return c.JWKS != nil || c.JWKSURL != "" }

// allowsGrant reports whether the client may use grant type g. Nil GrantTypes means the
// defaults of an app; an empty list (a launch creator) allows none.
func (c Client) allowsGrant(g string) bool {
	if c.GrantTypes == nil {
		return g == grantAuthorizationCode || g == grantRefreshToken
	}
	return slices.Contains(c.GrantTypes, g)
}

// origins are the web origins of the client's redirect URIs: the origins a browser app
// calls the token and FHIR endpoints from (SMART app-launch.md §CORS).
func (c Client) origins() []string {
	var out []string
	for _, r := range c.RedirectURIs {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			continue
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out
}
