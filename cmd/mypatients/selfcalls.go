package main

import (
	"net/http"
	"strings"
	"time"

	"github.com/mypatients/gateway/portal"
)

// selfCalls carries the gateway's calls to identity providers. A call under the gateway's own
// base URL (the accounts provider it serves at /accounts: discovery, keys, the token endpoint)
// is served in process by the gateway's handler, set once that is built, so that a gateway
// behind a TLS proxy or a load balancer needs no route, name or certificate to reach itself.
// Every other call goes out over next.
type selfCalls struct {
	base string
	self http.Handler
	next http.RoundTripper
}

// newSelfCalls returns the client and the transport whose handler is set later.
func newSelfCalls(baseURL string) (*http.Client, *selfCalls) {
	t := &selfCalls{base: strings.TrimSuffix(baseURL, "/") + "/", next: http.DefaultTransport}
	return &http.Client{Timeout: 15 * time.Second, Transport: t}, t
}

func (s *selfCalls) RoundTrip(r *http.Request) (*http.Response, error) {
	u := *r.URL
	u.RawQuery, u.Fragment = "", ""
	if s.self != nil && strings.HasPrefix(u.String(), s.base) {
		return portal.Loopback{Handler: s.self}.RoundTrip(r)
	}
	return s.next.RoundTrip(r)
}
