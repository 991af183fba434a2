package smart

import (
	"net"
	"net/url"
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
