package limits

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/mypatients/gateway"
)

// Proxies are the reverse proxies and load balancers whose X-Forwarded-For the gateway
// believes (the trusted_proxies setting). The zero value trusts nobody: the client address is
// the connection's.
type Proxies struct {
	trusted []netip.Prefix
}

// ParseProxies reads CIDRs ("10.0.0.0/8") or single addresses ("192.0.2.7").
func ParseProxies(cidrs []string) (Proxies, error) {
	var p Proxies
	for _, s := range cidrs {
		s = strings.TrimSpace(s)
		prefix, err := netip.ParsePrefix(s)
		if err != nil {
			addr, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return Proxies{}, fmt.Errorf("limits: trusted proxy %q is not a CIDR or an address", s)
			}
			prefix = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
		}
		p.trusted = append(p.trusted, prefix.Masked())
	}
	return p, nil
}

func (p Proxies) trusts(a netip.Addr) bool {
	for _, t := range p.trusted {
		if t.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr returns the address of the client behind r. When the connection comes from a
// trusted proxy, X-Forwarded-For is read from the right (the hop nearest to us) to the left,
// and the first address that is not a trusted proxy is the client: every hop to its left was
// written by the client itself and proves nothing. A hop that is not an address ends the walk
// at the last trusted hop, so a malformed header can never choose the answer.
func (p Proxies) ClientAddr(r *http.Request) string {
	remote, ok := parseHop(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !p.trusts(remote) {
		return remote.String()
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := remote
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = a
		if !p.trusts(a) {
			break
		}
	}
	return client.String()
}

// parseHop reads "192.0.2.1", "192.0.2.1:443", "[2001:db8::1]:443" or "2001:db8::1".
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// Handler puts each request's client address into its context (gateway.WithClientAddr), so
// that every limit and audit record of the request names the same address.
func (p Proxies) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(gateway.WithClientAddr(r.Context(), p.ClientAddr(r))))
	})
}

// Addr returns the client address of r: the one Handler put in its context, else the
// connection's own.
func (p Proxies) Addr(r *http.Request) string {
	if a := gateway.ClientAddr(r.Context()); a != "" {
		return a
	}
	return p.ClientAddr(r)
}
